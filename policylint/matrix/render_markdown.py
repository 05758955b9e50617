"""Markdown: a table for a review comment."""
from __future__ import annotations

from policylint.report.escape import md_code

from policylint.matrix.aggregate import Row
from policylint.matrix.labels import describe, described, footer, invalid_note, ports_text
from policylint.matrix.view import MatrixView


def md_cell(text: str) -> str:
    return md_code(text)  # the shared Markdown escaping


def write_pairs(out, view: MatrixView, endpoints: list) -> None:
    tails: dict[tuple[int, bool], str] = {}

    def tail(ports, invalid: bool) -> str:
        key = (id(ports), invalid)
        text = tails.get(key)
        if text is None:
            text = tails[key] = f" | {described(ports, invalid).replace('|', '/')} |\n"
        return text

    started = False
    to_text = [md_cell(e.id) for e in view.engine.endpoints]
    for src, source_invalid, items in view.rows():
        if not started:
            out.write("| From | To | Ports |\n| --- | --- | --- |\n")
            started = True
        head = f"| {md_cell(src.id)} | "
        out.write("".join(head + line for line in view.lines(items, source_invalid, tail, to_text)))
    if not started:
        out.write("_No connections allowed._\n")
    elif any(invalid for _, invalid in tails):
        out.write("\n" + invalid_note() + "\n")
    write_unknown(out, view, to_text)


def write_unknown(out, view: MatrixView, to_text: list[str]) -> None:
    """The pairs with ports no answer can be given for offline, as a table of their own."""
    started = False
    for src, items in view.unknown_rows():
        if not started:
            out.write("\n**Unknown offline**: a cluster-wide rule whose peer cannot be judged from manifests "
                      "may decide these ports (`policylint reach` names it).\n\n"
                      "| From | To | Ports |\n| --- | --- | --- |\n")
            started = True
        head = f"| {md_cell(src.id)} | "
        out.write("".join(head + line for line in view.lines(
            items, False, lambda ports, _: f" | {describe(ports).replace('|', '/')} |\n", to_text)))


def render_rows(rows: list[Row], endpoints: list, aggregate: str) -> str:
    if not rows:
        return "_No connections allowed._\n"
    extra = aggregate != "workload"
    lines = ["| From | To | Ports |" + (" Pairs |" if extra else ""), "| --- | --- | --- |" + (" ---: |" if extra else "")]
    for r in rows:
        lines.append(f"| {md_cell(r.src)} | {md_cell(r.dst)} | {ports_text(r).replace('|', '/')} |" + (f" {r.pairs} |" if extra else ""))
    notes = footer(rows, aggregate)
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"
