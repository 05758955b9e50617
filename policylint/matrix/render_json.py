"""JSON: the policylint.matrix/v1 document, or policylint.matrix-summary/v1 when aggregated."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from policylint.matrix.view import MatrixView, shown_endpoints
from policylint.report.escape import json_dumper

if TYPE_CHECKING:
    from policylint.matrix.aggregate import Row

SCHEMA = "policylint.matrix/v1"
SUMMARY_SCHEMA = "policylint.matrix-summary/v1"


def endpoint_json(e) -> dict[str, Any]:
    if e.is_external:
        return {"id": e.id, "kind": "External", "cidrs": list(e.cidrs)}
    out: dict[str, Any] = {"id": e.id, "kind": e.kind, "namespace": e.namespace, "name": e.name,
                           "labels": dict(sorted(e.labels.items()))}
    if e.workload.group is not None:
        out["group"] = e.workload.group
    return out


dumps = json_dumper(separators=(", ", ": "))  # exact values, printable text


def write_pairs(out, view: MatrixView, endpoints: list, exposure: list | None = None) -> None:
    """The policylint.matrix/v1 document, one endpoint or connection per line: still one JSON
    document, but a 10,000-pod matrix stays readable with grep and is written as it is computed."""
    out.write("{\n" + f'  "schema": {dumps(SCHEMA)},\n' + '  "endpoints": [')
    out.write(",".join(f"\n    {dumps(endpoint_json(e))}" for e in endpoints))
    out.write("\n  ],\n")
    out.write('  "connections": [')
    ids = [dumps(e.id) for e in view.engine.endpoints]  # by endpoint index, for "from" and "to"
    to_text = [f'"to": {text}, "ports": ' for text in ids]
    tails: dict[tuple[int, bool], str] = {}

    def tail(ports, invalid: bool) -> str:
        key = (id(ports), invalid)
        text = tails.get(key)
        if text is None:
            text = tails[key] = dumps(ports.to_json()) + (', "depends_on_invalid": true}' if invalid else "}")
        return text

    first = True
    for src, source_invalid, items in view.rows():
        head = f'    {{"from": {ids[src.index]}, '
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
        head = f'    {{"from": {ids[src.index]}, '
        pieces = view.lines(items, False, lambda ports, _: dumps(ports.to_json()) + "}", to_text)
        if not pieces:
            continue
        out.write((',\n  "unknown": [\n' if first is None else ",\n") + head + (",\n" + head).join(pieces))
        first = False
    out.write("" if first is None else "\n  ]")
    if exposure is not None:  # `matrix --exposure`: peers the input does not contain (docs/exposure.md)
        from policylint.exposure.render import json_items

        items = json_items(exposure)
        out.write(',\n  "exposure": [' + ",".join(f"\n    {dumps(item)}" for item in items) + ("\n  ]" if items else "]"))
    out.write("\n}\n")


def write_summary(out, view: MatrixView, rows: list[Row], unknown: list[Row] | None = None) -> None:
    """The policylint.matrix-summary/v1 document: one connection per pair of namespaces, and, only
    when some pairs have ports that cannot be judged offline, those in `unknown` after them."""
    from policylint.matrix.aggregate import EXTERNAL_GROUP, group_of  # only aggregated output needs it

    counts: dict[str, int] = {}
    for e in shown_endpoints(view.engine, view.sources, view.destinations, view.namespace):
        counts[group_of(e)] = counts.get(group_of(e), 0) + 1
    lines = ["{", f'  "schema": {dumps(SUMMARY_SCHEMA)},', '  "aggregate": "namespace",',
             f'  "pairs": {sum(r.pairs for r in rows)},', '  "groups": [']
    ordered = sorted(counts, key=lambda g: (g == EXTERNAL_GROUP, g))
    lines.append(",\n".join(f'    {{"id": {dumps(g)}, "external": {"true" if g == EXTERNAL_GROUP else "false"}, '
                            f'"endpoints": {counts[g]}}}' for g in ordered))
    lines += ["  ],", '  "connections": [']
    # N namespaces make N^2 rows of few distinct names and port sets: each is encoded once.
    names: dict[str, str] = {}
    port_texts: dict[Any, str] = {}

    def name(group: str) -> str:
        text = names.get(group)
        if text is None:
            text = names[group] = dumps(group)
        return text

    def ports(value: Any) -> str:
        text = port_texts.get(value)
        if text is None:
            text = port_texts[value] = dumps(value.to_json())
        return text

    out.write("\n".join(line for line in lines if line) + "\n")
    # Written a slice at a time: the whole text of N^2 rows would be held twice (lines and join).
    step = 4096
    for start in range(0, len(rows), step):
        out.write(("" if start == 0 else ",\n") + ",\n".join(
            f'    {{"from": {name(r.src)}, "to": {name(r.dst)}, "ports": {ports(r.ports)}, '
            f'"pairs": {r.pairs}' + (', "depends_on_invalid": true}' if r.invalid else "}")
            for r in rows[start:start + step]))
    out.write(("\n" if rows else "") + "  ]")
    if unknown:  # absent for every input without cluster-wide rules that cannot be judged offline
        out.write(',\n  "unknown": [\n' + ",\n".join(
            f'    {{"from": {name(r.src)}, "to": {name(r.dst)}, "ports": {ports(r.ports)}, "pairs": {r.pairs}}}'
            for r in unknown) + "\n  ]")
    out.write("\n}\n")
