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
from policylint.engine.bits import positions

SCHEMA = "policylint.matrix/v1"
FORMATS = ("text", "json", "csv", "dot", "markdown", "html")
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
    check_missing(loaded.missing, len(loaded.files), loaded.excluded)
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

    service = engine.service(text)
    if service is not None:
        why = ("it has no selector, so its endpoints are not managed from pods" if not service.selects_pods
               else f"no workload of namespace {service.namespace} has the labels of its selector")
        return f"{option} {text!r}: the Service selects no pods in the input ({why})"
    names = [e.id for e in engine.endpoints]
    names += sorted({f"{e.namespace}/{e.name}" for e in engine.endpoints if not e.is_external})
    names += sorted(s.id for s in engine.cluster.services)
    close = difflib.get_close_matches(text, names, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return (f"{option} {text!r} matches no endpoint (a workload id, namespace/name, namespace/name[Service], "
            f"or an IP address or CIDR){hint}")


@click.command()
@paths_argument
@click.option("--format", "-f", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format; json follows the policylint.matrix/v1 schema (with --aggregate namespace, "
                   "the policylint.matrix-summary/v1 schema).")
@click.option("--from", "from_", multiple=True, metavar="ENDPOINT",
              help="Only connections from these endpoints (id, namespace/name, NS/* for a whole namespace, "
                   "IP or CIDR; repeatable).")
@click.option("--to", multiple=True, metavar="ENDPOINT", help="Only connections to these endpoints (repeatable).")
@click.option("--port", metavar="[PROTO/]N", help="Only pairs allowed on this port (TCP/80, udp/53, or 80 for any protocol).")
@click.option("--aggregate", type=click.Choice(["workload", "namespace"]), default="workload", show_default=True,
              help="One line per pair of namespaces instead of per pair of endpoints; each line says how many "
                   "endpoint pairs it stands for and the union of their ports.")
@config_options
def matrix(paths: tuple[str, ...], output_format: str, from_: tuple[str, ...], to: tuple[str, ...], port: str | None,
           aggregate: str, config_path: str | None, default_namespace: str | None, debug: bool) -> None:
    """Print the connectivity matrix of PATH… (files, folders, - for stdin).

    With --namespace NS, objects without a namespace go to NS (as for `check`) and only
    connections from or to a workload of NS are shown. A pair that is not listed has nothing
    allowed; a line marked "!" rests on a policy with parts the API server would reject.
    Output is written as it is computed: memory does not grow with the number of pairs.
    """
    from policylint.engine.ports import parse_port_filter

    try:
        port_filter = parse_port_filter(port) if port else None
    except ValueError as error:
        fail(str(error))
        return
    if output_format == "html" and (from_ or to or port or aggregate != "workload" or default_namespace):
        fail("--format html shows the whole matrix (it aggregates and filters in the page); "
             "drop --from, --to, --port, --aggregate and --namespace")
    engine = load_engine(paths, config_path, default_namespace, debug)
    if output_format == "html":
        from policylint import __version__
        from policylint.report.html import render_matrix

        click.echo(render_matrix(engine, __version__), nl=False)
        sys.exit(EXIT_OK)
    sources = select_endpoints(engine, from_, "--from") if from_ else None
    destinations = select_endpoints(engine, to, "--to") if to else None
    endpoints = _shown_endpoints(engine, sources, destinations, default_namespace)
    view = MatrixView(engine, sources, destinations, default_namespace, port_filter)
    out = Output()
    if aggregate == "namespace":
        rows = aggregate_rows(view)
        if output_format == "json":
            write_summary_json(out, view, rows)
        else:
            out.write({"csv": render_csv, "dot": render_dot, "markdown": render_markdown,
                       "text": render_text}[output_format](rows, endpoints, aggregate))
    else:
        {"json": write_json, "csv": write_csv, "dot": write_dot, "markdown": write_markdown,
         "text": write_text}[output_format](out, view, endpoints)
    out.close()
    sys.exit(EXIT_OK)


class Output:
    """Buffered writes through click.echo: a few large writes, not one per line or one huge string."""

    LIMIT = 1 << 20

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self.LIMIT:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            click.echo("".join(self._parts), nl=False)
            self._parts.clear()
            self._size = 0

    def close(self) -> None:
        self.flush()


class MatrixView:
    """The matrix with the command's filters applied, one source row at a time.

    A row comes from the engine as *cells* ((ports, destination atoms), see Engine.matrix_cells):
    the port and namespace filters act on whole cells, and only rendering expands them into
    destinations. Nothing here holds more than one row of pairs."""

    def __init__(self, engine, sources, destinations, namespace: str | None,
                 port_filter: tuple[str | None, int] | None) -> None:
        self.engine = engine
        self.sources = sources
        self.destinations = destinations
        self.namespace = namespace
        self.port_filter = port_filter
        self.wanted = engine.wanted_indexes(destinations) if destinations is not None else None
        self._namespace_atoms = engine.namespace_atoms(namespace) if namespace else 0
        self._invalid_atoms = engine.invalid_destination_atoms()
        self._allows: dict[int, bool] = {}
        # atom -> its only endpoint's index, when every atom is one endpoint in endpoint order
        self._single = engine.single_endpoint_atoms() if self.wanted is None else None

    def _port_ok(self, ports) -> bool:
        known = self._allows.get(id(ports))
        if known is None:
            known = self._allows[id(ports)] = _allows(ports, *self.port_filter)  # type: ignore[misc]
        return known

    def rows(self):
        """(source, source_invalid, [(ports, destination atoms)]) for every source with something left."""
        engine = self.engine
        for src, cells in engine.matrix_cells(sources=self.sources, destinations=self.destinations):
            if not cells:
                continue
            items = cells
            if self.port_filter is not None:
                items = [(p, b) for p, b in items if self._port_ok(p)]
            if self.namespace and src.namespace != self.namespace:
                items = [(p, b & self._namespace_atoms) for p, b in items if b & self._namespace_atoms]
            if items:
                yield src, engine.invalid_as_source(src), items

    def unknown_rows(self):
        """(source, [(ports, destination atoms)]) of the ports that cannot be judged offline
        (cluster-wide policy rules with nodes, domainNames or networks peers), filtered like `rows`.
        Empty, at no cost, when the input has no such rule."""
        from policylint.caveats import offline_rules

        engine = self.engine
        if not engine.has_tiers or not offline_rules(engine.cluster):
            return
        sources = sorted(set(self.sources)) if self.sources is not None else engine.endpoints
        for src in sources:
            items = engine.unknown_cells(src, self.destinations)
            if self.port_filter is not None:
                items = [(p, b) for p, b in items if self._port_ok(p)]
            if self.namespace and src.namespace != self.namespace:
                items = [(p, b & self._namespace_atoms) for p, b in items if b & self._namespace_atoms]
            if items:
                yield src, items

    def lines(self, items, source_invalid: bool, render, prefix: list[str]) -> list[str]:
        """A row's lines, sorted by destination: prefix[destination index] + render(ports, invalid).

        `render` is asked once per (ports, invalid) by the caller's cache, so a row of thousands
        of pairs costs one look-up and one concatenation per pair."""
        engine, invalid_atoms = self.engine, self._invalid_atoms
        tail_of: dict[int, Any] = {}  # destination atom -> tail
        for ports, bits in items:
            if source_invalid or not bits & invalid_atoms:
                tail_of.update(dict.fromkeys(positions(bits), render(ports, source_invalid)))
                continue
            for flag, part in ((True, bits & invalid_atoms), (False, bits & ~invalid_atoms)):
                if part:
                    tail_of.update(dict.fromkeys(positions(part), render(ports, flag)))
        order = sorted(tail_of)
        if self._single is not None:  # one endpoint per atom, atoms in endpoint order
            single = self._single
            return [prefix[single[a]] + tail_of[a] for a in order]
        wanted, atom_endpoints = self.wanted, engine.atom_endpoints()
        found = [(e.index, prefix[e.index] + tail_of[a]) for a in order for e in atom_endpoints[a]
                 if wanted is None or e.index in wanted]
        found.sort()
        return [line for _, line in found]


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


def _group(endpoint) -> str:
    return endpoint.namespace or EXTERNAL_GROUP


def _group_order(key: tuple[str, str]) -> tuple:
    return (key[0] == EXTERNAL_GROUP, key[0], key[1] == EXTERNAL_GROUP, key[1])


def aggregate_rows(view: MatrixView) -> list[Row]:
    """One Row per (source namespace, destination namespace): the union of the ports of its pairs,
    whether any rests on an invalid policy, and how many endpoint pairs it stands for."""
    engine, wanted = view.engine, view.wanted
    invalid_atoms = engine.invalid_destination_atoms()
    # (source group, destination group) -> [distinct port sets by identity, pairs, invalid]
    groups: dict[tuple[str, str], list] = {}
    for src, source_invalid, items in view.rows():
        source_group = _group(src)
        for ports, bits in items:
            counts: dict[str, int] = {}
            invalid_groups: set[str] = set()
            for e in engine.cell_endpoints(bits, wanted):
                group = _group(e)
                counts[group] = counts.get(group, 0) + 1
            if not source_invalid and bits & invalid_atoms:
                invalid_groups = {_group(e) for e in engine.cell_endpoints(bits & invalid_atoms, wanted)}
            for group, count in counts.items():
                entry = groups.get((source_group, group))
                if entry is None:
                    entry = groups[(source_group, group)] = [{}, 0, False]
                entry[0][id(ports)] = ports
                entry[1] += count
                entry[2] = entry[2] or source_invalid or group in invalid_groups
    rows = []
    for key in sorted(groups, key=_group_order):
        port_sets, pairs, invalid = groups[key]
        union = None
        for ports in port_sets.values():
            union = ports if union is None else union | ports
        rows.append(Row(key[0], key[1], union, invalid, pairs))
    return rows


# -- renderers: one line per endpoint pair, streamed -----------------------------------------------

def endpoint_json(e) -> dict[str, Any]:
    if e.is_external:
        return {"id": e.id, "kind": "External", "cidrs": list(e.cidrs)}
    out: dict[str, Any] = {"id": e.id, "kind": e.kind, "namespace": e.namespace, "name": e.name,
                           "labels": dict(sorted(e.labels.items()))}
    if e.workload.group is not None:
        out["group"] = e.workload.group
    return out


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def write_json(out: Output, view: MatrixView, endpoints: list) -> None:
    """The policylint.matrix/v1 document, one endpoint or connection per line: still one JSON
    document, but a 10,000-pod matrix stays readable with grep and is written as it is computed."""
    out.write("{\n" + f'  "schema": {_dumps(SCHEMA)},\n' + '  "endpoints": [')
    out.write(",".join(f"\n    {_dumps(endpoint_json(e))}" for e in endpoints))
    out.write("\n  ],\n" if endpoints else "\n  ],\n")
    out.write('  "connections": [')
    to_text = [f'"to": {_dumps(e.id)}, "ports": ' for e in view.engine.endpoints]
    tails: dict[tuple[int, bool], str] = {}

    def tail(ports, invalid: bool) -> str:
        key = (id(ports), invalid)
        text = tails.get(key)
        if text is None:
            text = tails[key] = _dumps(ports.to_json()) + (', "depends_on_invalid": true}' if invalid else "}")
        return text

    first = True
    for src, source_invalid, items in view.rows():
        head = f'    {{"from": {_dumps(src.id)}, '
        pieces = view.lines(items, source_invalid, tail, to_text)
        if not pieces:
            continue
        out.write(("\n" if first else ",\n") + head + (",\n" + head).join(pieces))
        first = False
    out.write("\n  ]")
    # Ports that cannot be judged offline: only with cluster-wide policies that have such peers,
    # so the document of any other input is unchanged.
    first = None
    for src, items in view.unknown_rows():
        head = f'    {{"from": {_dumps(src.id)}, '
        pieces = view.lines(items, False, lambda ports, _: _dumps(ports.to_json()) + "}", to_text)
        if not pieces:
            continue
        out.write((',\n  "unknown": [\n' if first is None else ",\n") + head + (",\n" + head).join(pieces))
        first = False
    out.write("\n}\n" if first is None else "\n  ]\n}\n")


def _ports_text(row: Row) -> str:
    return _describe(row.ports) + (" !" if row.invalid else "")


_DESCRIBED: dict[Any, str] = {}


def _describe(ports) -> str:
    """PortSet.describe, memoised: a big matrix repeats a handful of port sets."""
    text = _DESCRIBED.get(ports)
    if text is None:
        text = _DESCRIBED[ports] = ports.describe()
    return text


def _described(ports, invalid: bool) -> str:
    return _describe(ports) + (" !" if invalid else "")


def _invalid_note() -> str:
    return "! rests on a policy with parts the API server would reject (run `policylint check`)"


def write_text(out: Output, view: MatrixView, endpoints: list) -> None:
    """The aligned table. Column widths need every line first, so the rows are kept as cells
    (a few per source), not as pairs, and expanded a second time to print."""
    rows = list(view.rows())
    if not rows:
        out.write("no connections allowed\n")
        _write_unknown_text(out, view)
        return
    engine = view.engine
    invalid_atoms = engine.invalid_destination_atoms()
    destinations = 0
    port_width = len("PORTS")
    any_invalid = False
    for _, source_invalid, items in rows:
        for ports, bits in items:
            destinations |= bits
            flags = {True} if source_invalid else ({True} if bits & invalid_atoms else set()) | (
                {False} if bits & ~invalid_atoms else set())
            any_invalid = any_invalid or True in flags
            port_width = max([port_width] + [len(_described(ports, flag)) for flag in flags])
    from_width = max([len("FROM")] + [len(src.id) for src, _, _ in rows])
    to_width = max([len("TO")] + [len(e.id) for e in engine.cell_endpoints(destinations, view.wanted)])
    out.write(f"{'FROM'.ljust(from_width)}  {'TO'.ljust(to_width)}  PORTS\n")
    tails: dict[tuple[int, bool], str] = {}

    def tail(ports, invalid: bool) -> str:
        key = (id(ports), invalid)
        text = tails.get(key)
        if text is None:
            text = tails[key] = "  " + _described(ports, invalid) + "\n"
        return text

    to_text = [e.id.ljust(to_width) for e in engine.endpoints]
    for src, source_invalid, items in rows:
        head = src.id.ljust(from_width) + "  "
        out.write("".join(head + line for line in view.lines(items, source_invalid, tail, to_text)))
    if any_invalid:
        out.write(_invalid_note() + "\n")
    _write_unknown_text(out, view)


def _write_unknown_text(out: Output, view: MatrixView) -> None:
    """The pairs with ports no answer can be given for offline, after the table."""
    engine = view.engine
    lines = []
    to_text = [e.id for e in engine.endpoints]
    for src, items in view.unknown_rows():
        lines.extend(f"{src.id}  {line}" for line in view.lines(items, False, lambda ports, _: "  " + _describe(ports), to_text))
    if lines:
        out.write("unknown offline (a cluster-wide rule whose peer cannot be judged from manifests may decide; "
                  "`policylint reach` names it):\n")
        out.write("".join(f"  {line}\n" for line in lines))


def _md_cell(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def write_markdown(out: Output, view: MatrixView, endpoints: list) -> None:
    tails: dict[tuple[int, bool], str] = {}

    def tail(ports, invalid: bool) -> str:
        key = (id(ports), invalid)
        text = tails.get(key)
        if text is None:
            text = tails[key] = f" | {_described(ports, invalid).replace('|', '/')} |\n"
        return text

    started = False
    to_text = [_md_cell(e.id) for e in view.engine.endpoints]
    for src, source_invalid, items in view.rows():
        if not started:
            out.write("| From | To | Ports |\n| --- | --- | --- |\n")
            started = True
        head = f"| {_md_cell(src.id)} | "
        out.write("".join(head + line for line in view.lines(items, source_invalid, tail, to_text)))
    if not started:
        out.write("_No connections allowed._\n")
        return
    if any(invalid for _, invalid in tails):
        out.write("\n" + _invalid_note() + "\n")


def _csv_ports(ports) -> list[str]:
    return [" ".join(str(a) if a == b else f"{a}-{b}" for a, b in ports.intervals(p)) for p in ("TCP", "UDP", "SCTP")]


def _csv_line(fields: list) -> str:
    """Fields as csv.writer writes them (quoted only where needed), newline included."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields)
    return buffer.getvalue()


def write_csv(out: Output, view: MatrixView, endpoints: list) -> None:
    # csv quotes field by field, so a line is its fields quoted one by one and joined.
    out.write(_csv_line(["from", "to", "tcp", "udp", "sctp", "depends_on_invalid", "pairs"]))
    tails: dict[tuple[int, bool], str] = {}

    def tail(ports, invalid: bool) -> str:
        key = (id(ports), invalid)
        text = tails.get(key)
        if text is None:
            text = tails[key] = "," + _csv_line([*_csv_ports(ports), "true" if invalid else "false", 1])
        return text

    to_text = [_csv_line([e.id])[:-1] for e in view.engine.endpoints]
    for src, source_invalid, items in view.rows():
        head = _csv_line([src.id])[:-1] + ","
        out.write("".join(head + line for line in view.lines(items, source_invalid, tail, to_text)))


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_nodes(endpoints: list) -> list[str]:
    lines = []
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
    return lines


_DOT_HEAD = ["digraph policylint {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']


def write_dot(out: Output, view: MatrixView, endpoints: list) -> None:
    out.write("\n".join(_DOT_HEAD + _dot_nodes(endpoints)) + "\n")
    tails: dict[tuple[int, bool], str] = {}

    def tail(ports, invalid: bool) -> str:
        key = (id(ports), invalid)
        text = tails.get(key)
        if text is None:
            style = ', style="dashed"' if invalid else ""
            text = tails[key] = f" [label={_dot_id(ports.describe())}{style}];\n"
        return text

    to_text = [_dot_id(e.id) for e in view.engine.endpoints]
    for src, source_invalid, items in view.rows():
        head = f"  {_dot_id(src.id)} -> "
        out.write("".join(head + line for line in view.lines(items, source_invalid, tail, to_text)))
    out.write("}\n")


# -- renderers: aggregated lines (few) ----------------------------------------------------------

SUMMARY_SCHEMA = "policylint.matrix-summary/v1"


def write_summary_json(out: Output, view: MatrixView, rows: list[Row]) -> None:
    """The policylint.matrix-summary/v1 document: one connection per pair of namespaces."""
    counts: dict[str, int] = {}
    for e in _shown_endpoints(view.engine, view.sources, view.destinations, view.namespace):
        counts[_group(e)] = counts.get(_group(e), 0) + 1
    lines = ["{", f'  "schema": {_dumps(SUMMARY_SCHEMA)},', '  "aggregate": "namespace",',
             f'  "pairs": {sum(r.pairs for r in rows)},', '  "groups": [']
    ordered = sorted(counts, key=lambda g: (g == EXTERNAL_GROUP, g))
    lines.append(",\n".join(f'    {{"id": {_dumps(g)}, "external": {"true" if g == EXTERNAL_GROUP else "false"}, '
                            f'"endpoints": {counts[g]}}}' for g in ordered))
    lines += ["  ],", '  "connections": [']
    lines.append(",\n".join(
        f'    {{"from": {_dumps(r.src)}, "to": {_dumps(r.dst)}, "ports": {_dumps(r.ports.to_json())}, '
        f'"pairs": {r.pairs}' + (', "depends_on_invalid": true}' if r.invalid else "}") for r in rows))
    lines += ["  ]", "}"]
    out.write("\n".join(line for line in lines if line) + "\n")


def _footer(rows: list[Row], aggregate: str) -> list[str]:
    notes = []
    if aggregate != "workload":
        notes.append(f"{sum(r.pairs for r in rows)} endpoint pairs in {len(rows)} lines")
    if any(r.invalid for r in rows):
        notes.append(_invalid_note())
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
    if not rows:
        return "_No connections allowed._\n"
    extra = aggregate != "workload"
    lines = ["| From | To | Ports |" + (" Pairs |" if extra else ""), "| --- | --- | --- |" + (" ---: |" if extra else "")]
    for r in rows:
        lines.append(f"| {_md_cell(r.src)} | {_md_cell(r.dst)} | {_ports_text(r).replace('|', '/')} |" + (f" {r.pairs} |" if extra else ""))
    notes = _footer(rows, aggregate)
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def render_csv(rows: list[Row], endpoints: list, aggregate: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["from", "to", "tcp", "udp", "sctp", "depends_on_invalid", "pairs"])
    for r in rows:
        writer.writerow([r.src, r.dst, *_csv_ports(r.ports), "true" if r.invalid else "false", r.pairs])
    return buffer.getvalue()


def render_dot(rows: list[Row], endpoints: list, aggregate: str) -> str:
    lines = list(_DOT_HEAD)
    if aggregate == "workload":
        lines += _dot_nodes(endpoints)
    for r in rows:
        style = ', style="dashed"' if r.invalid else ""
        label = r.ports.describe() + (f" ({r.pairs} pairs)" if aggregate != "workload" else "")
        lines.append(f"  {_dot_id(r.src)} -> {_dot_id(r.dst)} [label={_dot_id(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
