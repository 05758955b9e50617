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


UNKNOWN_HEADING = ("\n**Unknown offline**: a cluster-wide rule whose peer cannot be judged from manifests "
                   "may decide these ports (`policylint reach` names it).\n\n")


def write_unknown(out, view: MatrixView, to_text: list[str]) -> None:
    """The pairs with ports no answer can be given for offline, as a table of their own."""
    started = False
    for src, items in view.unknown_rows():
        if not started:
            out.write(UNKNOWN_HEADING + "| From | To | Ports |\n| --- | --- | --- |\n")
            started = True
        head = f"| {md_cell(src.id)} | "
        out.write("".join(head + line for line in view.lines(
            items, False, lambda ports, _: f" | {describe(ports).replace('|', '/')} |\n", to_text)))


def render_rows(rows: list[Row], endpoints: list, aggregate: str, unknown: list[Row] | None = None) -> str:
    """The aggregated table, then the groups with ports no answer can be given for offline."""
    extra = aggregate != "workload"
    if rows:
        notes = footer(rows, aggregate)
        text = "\n".join(_table(rows, extra, with_invalid=True) + ([""] + notes if notes else [])) + "\n"
    else:
        text = "_No connections allowed._\n"
    if unknown:
        text += UNKNOWN_HEADING + "\n".join(_table(unknown, extra, with_invalid=False)) + "\n"
    return text


def _table(rows: list[Row], extra: bool, with_invalid: bool) -> list[str]:
    lines = ["| From | To | Ports |" + (" Pairs |" if extra else ""), "| --- | --- | --- |" + (" ---: |" if extra else "")]
    for r in rows:
        ports = ports_text(r) if with_invalid else describe(r.ports)
        lines.append(f"| {md_cell(r.src)} | {md_cell(r.dst)} | {ports.replace('|', '/')} |" + (f" {r.pairs} |" if extra else ""))
    return lines
