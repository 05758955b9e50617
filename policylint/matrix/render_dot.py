"""DOT for Graphviz: endpoints as nodes clustered by namespace, connections as labelled edges."""
from __future__ import annotations

from policylint.report.escape import text as esc

from policylint.matrix.aggregate import EXTERNAL_GROUP, Row
from policylint.matrix.view import MatrixView

HEAD = ["digraph policylint {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];']


def dot_id(text: str) -> str:
    text = esc(text)  # one visible line: Graphviz and a terminal see the same text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_nodes(endpoints: list) -> list[str]:
    lines = []
    by_namespace: dict[str, list] = {}
    for e in endpoints:
        by_namespace.setdefault(e.namespace or EXTERNAL_GROUP, []).append(e)
    for index, (namespace, members) in enumerate(sorted(by_namespace.items(), key=lambda kv: (kv[0] == EXTERNAL_GROUP, kv[0]))):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f"    label={dot_id(namespace)};")
        for e in members:
            shape = "ellipse" if e.is_external else "box"
            lines.append(f"    {dot_id(e.id)} [shape={shape}];")
        lines.append("  }")
    return lines


def write_pairs(out, view: MatrixView, endpoints: list) -> None:
    out.write("\n".join(HEAD + dot_nodes(endpoints)) + "\n")
    tails: dict[tuple[int, bool], str] = {}

    def tail(ports, invalid: bool) -> str:
        key = (id(ports), invalid)
        text = tails.get(key)
        if text is None:
            style = ', style="dashed"' if invalid else ""
            text = tails[key] = f" [label={dot_id(ports.describe())}{style}];\n"
        return text

    to_text = [dot_id(e.id) for e in view.engine.endpoints]
    for src, source_invalid, items in view.rows():
        head = f"  {dot_id(src.id)} -> "
        out.write("".join(head + line for line in view.lines(items, source_invalid, tail, to_text)))
    # Ports no answer can be given for offline: dotted edges whose label says so.
    for src, items in view.unknown_rows():
        head = f"  {dot_id(src.id)} -> "
        out.write("".join(head + line for line in view.lines(
            items, False, lambda ports, _: f" [label={dot_id('unknown: ' + ports.describe())}, style=\"dotted\"];\n",
            to_text)))
    out.write("}\n")


def render_rows(rows: list[Row], endpoints: list, aggregate: str, unknown: list[Row] | None = None) -> str:
    lines = list(HEAD)
    if aggregate == "workload":
        lines += dot_nodes(endpoints)
    for r in rows:
        style = ', style="dashed"' if r.invalid else ""
        label = r.ports.describe() + (f" ({r.pairs} pairs)" if aggregate != "workload" else "")
        lines.append(f"  {dot_id(r.src)} -> {dot_id(r.dst)} [label={dot_id(label)}{style}];")
    for r in unknown or []:  # ports no answer can be given for offline: dotted, as in the pair list
        label = "unknown: " + r.ports.describe() + (f" ({r.pairs} pairs)" if aggregate != "workload" else "")
        lines.append(f"  {dot_id(r.src)} -> {dot_id(r.dst)} [label={dot_id(label)}, style=\"dotted\"];")
    lines.append("}")
    return "\n".join(lines) + "\n"
