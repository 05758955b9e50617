"""`policylint matrix`: who may connect to whom, on which ports.

The JSON output is a contract (DESIGN.md, "Endpoints and the connectivity contract", schema
`policylint/schemas/matrix-v1.schema.json`): sorted, byte-for-byte deterministic. The other formats
are for people: a text table, CSV (one row per pair), Markdown for a review, DOT for Graphviz.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass
from typing import Any, Iterable

import click

from policylint.cli.common import EXIT_OK, check_missing, config_options, fail, paths_argument, require_paths, \
    resolve_config, setup_logging, stdin_binary

SCHEMA = "policylint.matrix/v1"
FORMATS = ("text", "json", "csv", "dot", "markdown")
EXTERNAL_GROUP = "(external)"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of output: a pair of endpoints, or of groups when aggregated."""

    src: str
    dst: str
    ports: Any  # PortSet
    invalid: bool  # rests on a policy the API server would reject
    pairs: int  # endpoint pairs the line stands for


def load_engine(paths: tuple[str, ...], config_path: str | None, default_namespace: str | None, debug: bool):
    """Load, model and compile; input problems are reported on stderr and do not stop the answer."""
    from policylint.analysis import load_and_model
    from policylint.engine import Engine

    setup_logging(debug)
    require_paths(paths)
    config = resolve_config(config_path, default_namespace)
    loaded, cluster = load_and_model(paths, config, stdin_binary())
    check_missing(loaded.missing, len(loaded.files))
    problems = len(loaded.problems) + len(cluster.issues)
    if problems:
        click.echo(f"policylint: warning: the input has {problems} problem{'s' if problems != 1 else ''} "
                   "(run `policylint check`); parts the API server would reject match nothing", err=True)
    from policylint.caveats import caveat_text

    click.echo(caveat_text(cluster), err=True, nl=False)  # policy kinds the answers ignore, never silently
    return Engine(cluster)


def select_endpoints(engine, texts: Iterable[str], option: str) -> list:
    """Resolve --from/--to values; an unknown one is a usage error naming close matches."""
    found = []
    for text in texts:
        matches = engine.resolve(text)
        if not matches:
            fail(unknown_endpoint_message(engine, text, option))
        found.extend(m for m in matches if m not in found)
    return sorted(found)


def unknown_endpoint_message(engine, text: str, option: str) -> str:
    import difflib

    names = [e.id for e in engine.endpoints]
    names += sorted({f"{e.namespace}/{e.name}" for e in engine.endpoints if not e.is_external})
    close = difflib.get_close_matches(text, names, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"{option} {text!r} matches no endpoint (a workload id, namespace/name, or an IP address or CIDR){hint}"


@click.command()
@paths_argument
@click.option("--format", "-f", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format; json follows the policylint.matrix/v1 schema.")
@click.option("--from", "from_", multiple=True, metavar="ENDPOINT",
              help="Only connections from these endpoints (id, namespace/name, IP or CIDR; repeatable).")
@click.option("--to", multiple=True, metavar="ENDPOINT", help="Only connections to these endpoints (repeatable).")
@click.option("--port", metavar="[PROTO/]N", help="Only pairs allowed on this port (TCP/80, udp/53, or 80 for any protocol).")
@click.option("--aggregate", type=click.Choice(["workload", "namespace"]), default="workload", show_default=True,
              help="Group lines by namespace (not with json); each line says how many pairs it stands for.")
@config_options
def matrix(paths: tuple[str, ...], output_format: str, from_: tuple[str, ...], to: tuple[str, ...], port: str | None,
           aggregate: str, config_path: str | None, default_namespace: str | None, debug: bool) -> None:
    """Print the connectivity matrix of PATH… (files, folders, - for stdin).

    With --namespace NS, objects without a namespace go to NS (as for `check`) and only
    connections from or to a workload of NS are shown. A pair that is not listed has nothing
    allowed; a line marked "!" rests on a policy with parts the API server would reject.
    """
    from policylint.engine.ports import parse_port_filter

    if aggregate != "workload" and output_format == "json":
        fail("--aggregate applies to text, csv, markdown and dot; the json contract lists endpoint pairs")
    try:
        port_filter = parse_port_filter(port) if port else None
    except ValueError as error:
        fail(str(error))
        return
    engine = load_engine(paths, config_path, default_namespace, debug)
    sources = select_endpoints(engine, from_, "--from") if from_ else None
    destinations = select_endpoints(engine, to, "--to") if to else None
    connections = []
    for src, dst, ports in engine.matrix(sources=sources, destinations=destinations):
        if default_namespace and default_namespace not in (src.namespace, dst.namespace):
            continue
        if port_filter is not None and not _allows(ports, *port_filter):
            continue
        connections.append((src, dst, ports))
    endpoints = _shown_endpoints(engine, sources, destinations, default_namespace)
    renderers = {"json": render_json, "csv": render_csv, "dot": render_dot, "markdown": render_markdown,
                 "text": render_text}
    if output_format == "json":
        output = render_json(engine, endpoints, connections)
    else:
        rows = aggregate_rows(engine, connections, aggregate)
        output = renderers[output_format](rows, endpoints, aggregate)
    click.echo(output, nl=False)
    sys.exit(EXIT_OK)


def _allows(ports, protocol: str | None, number: int) -> bool:
    if protocol is not None:
        return ports.contains(protocol, number)
    return any(ports.contains(p, number) for p in ("TCP", "UDP", "SCTP"))


def _shown_endpoints(engine, sources, destinations, namespace: str | None) -> list:
    if sources is None and destinations is None and not namespace:
        return list(engine.endpoints)
    chosen = set(sources or []) | set(destinations or [])
    if sources is None or destinations is None:
        chosen |= set(engine.endpoints)
    if namespace:
        chosen = {e for e in chosen if e.is_external or e.namespace == namespace} | set(sources or []) | set(destinations or [])
    return sorted(chosen)


def aggregate_rows(engine, connections: list, aggregate: str) -> list[Row]:
    if aggregate == "workload":
        return [Row(s.id, d.id, p, engine.depends_on_invalid(s, d), 1) for s, d, p in connections]
    groups: dict[tuple[str, str], Row] = {}
    for s, d, p in connections:
        key = (s.namespace or EXTERNAL_GROUP, d.namespace or EXTERNAL_GROUP)
        known = groups.get(key)
        invalid = engine.depends_on_invalid(s, d)
        groups[key] = Row(key[0], key[1], p, invalid, 1) if known is None else \
            Row(key[0], key[1], known.ports | p, known.invalid or invalid, known.pairs + 1)
    return [groups[k] for k in sorted(groups, key=lambda k: (k[0] == EXTERNAL_GROUP, k[0], k[1] == EXTERNAL_GROUP, k[1]))]


# -- renderers --------------------------------------------------------------------------------

def endpoint_json(e) -> dict[str, Any]:
    if e.is_external:
        return {"id": e.id, "kind": "External", "cidrs": list(e.cidrs)}
    out: dict[str, Any] = {"id": e.id, "kind": e.kind, "namespace": e.namespace, "name": e.name,
                           "labels": dict(sorted(e.labels.items()))}
    if e.workload.group is not None:
        out["group"] = e.workload.group
    return out


def render_json(engine, endpoints: list, connections: list) -> str:
    """One endpoint or connection per line: still one JSON document, but a 10,000-pod matrix
    stays readable with grep and costs a fraction of a fully indented dump."""
    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    port_texts: dict[int, str] = {}  # port sets are interned by the engine: few distinct ones
    lines = ["{", f'  "schema": {dumps(SCHEMA)},', '  "endpoints": [']
    lines.extend(f"    {dumps(endpoint_json(e))}," for e in endpoints)
    if endpoints:
        lines[-1] = lines[-1][:-1]
    lines.append("  ],")
    lines.append('  "connections": [')
    ids = {e.index: dumps(e.id) for e in engine.endpoints}
    for s, d, ports in connections:
        text = port_texts.get(id(ports))
        if text is None:
            text = port_texts[id(ports)] = dumps(ports.to_json())
        invalid = ', "depends_on_invalid": true' if engine.depends_on_invalid(s, d) else ""
        lines.append(f'    {{"from": {ids[s.index]}, "to": {ids[d.index]}, "ports": {text}{invalid}}},')
    if connections:
        lines[-1] = lines[-1][:-1]
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _ports_text(row: Row) -> str:
    return _describe(row.ports) + (" !" if row.invalid else "")


_DESCRIBED: dict[Any, str] = {}


def _describe(ports) -> str:
    """PortSet.describe, memoised: a big matrix repeats a handful of port sets."""
    text = _DESCRIBED.get(ports)
    if text is None:
        text = _DESCRIBED[ports] = ports.describe()
    return text


def _footer(rows: list[Row], aggregate: str) -> list[str]:
    notes = []
    if aggregate != "workload":
        notes.append(f"{sum(r.pairs for r in rows)} endpoint pairs in {len(rows)} lines")
    if any(r.invalid for r in rows):
        notes.append("! rests on a policy with parts the API server would reject (run `policylint check`)")
    return notes


def render_text(rows: list[Row], endpoints: list, aggregate: str) -> str:
    if not rows:
        return "no connections allowed\n"
    header = ("FROM", "TO", "PORTS") + (("PAIRS",) if aggregate != "workload" else ())
    table = [header] + [
        (r.src, r.dst, _ports_text(r)) + ((str(r.pairs),) if aggregate != "workload" else ()) for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in table]
    return "\n".join(lines + _footer(rows, aggregate)) + "\n"


def render_markdown(rows: list[Row], endpoints: list, aggregate: str) -> str:
    def cell(text: str) -> str:
        return "`" + text.replace("|", "\\|") + "`"

    if not rows:
        return "_No connections allowed._\n"
    extra = aggregate != "workload"
    lines = ["| From | To | Ports |" + (" Pairs |" if extra else ""), "| --- | --- | --- |" + (" ---: |" if extra else "")]
    for r in rows:
        lines.append(f"| {cell(r.src)} | {cell(r.dst)} | {_ports_text(r).replace('|', '/')} |" + (f" {r.pairs} |" if extra else ""))
    notes = _footer(rows, aggregate)
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def render_csv(rows: list[Row], endpoints: list, aggregate: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["from", "to", "tcp", "udp", "sctp", "depends_on_invalid", "pairs"])
    for r in rows:
        cells = [" ".join(str(a) if a == b else f"{a}-{b}" for a, b in r.ports.intervals(p)) for p in ("TCP", "UDP", "SCTP")]
        writer.writerow([r.src, r.dst, *cells, "true" if r.invalid else "false", r.pairs])
    return buffer.getvalue()


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(rows: list[Row], endpoints: list, aggregate: str) -> str:
    lines = ["digraph policylint {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    if aggregate == "workload":
        by_namespace: dict[str, list] = {}
        for e in endpoints:
            by_namespace.setdefault(e.namespace or EXTERNAL_GROUP, []).append(e)
        for index, (namespace, members) in enumerate(sorted(by_namespace.items(), key=lambda kv: (kv[0] == EXTERNAL_GROUP, kv[0]))):
            lines.append(f"  subgraph cluster_{index} {{")
            lines.append(f"    label={_dot_id(namespace)};")
            for e in members:
                shape = "ellipse" if e.is_external else "box"
                lines.append(f"    {_dot_id(e.id)} [shape={shape}];")
            lines.append("  }")
    for r in rows:
        style = ', style="dashed"' if r.invalid else ""
        label = r.ports.describe() + (f" ({r.pairs} pairs)" if aggregate != "workload" else "")
        lines.append(f"  {_dot_id(r.src)} -> {_dot_id(r.dst)} [label={_dot_id(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
