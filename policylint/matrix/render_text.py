"""Text: an aligned table FROM / TO / PORTS (and PAIRS when aggregated)."""
from __future__ import annotations

import functools

from policylint.report.escape import text as esc

from policylint.matrix.aggregate import Row
from policylint.matrix.labels import describe, described, footer, invalid_note, ports_text
from policylint.matrix.view import MatrixView


def write_pairs(out, view: MatrixView, endpoints: list) -> None:
    """The aligned table. Column widths need every line first, so the rows are kept as cells
    (a few per source), not as pairs, and expanded a second time to print."""
    rows = list(view.rows())
    if not rows:
        out.write("no connections allowed\n")
        write_unknown(out, view)
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
            port_width = max([port_width] + [len(described(ports, flag)) for flag in flags])
    from_width = max([len("FROM")] + [len(esc(src.id)) for src, _, _ in rows])
    to_width = max([len("TO")] + [len(esc(e.id)) for e in engine.cell_endpoints(destinations, view.wanted)])
    out.write(f"{'FROM'.ljust(from_width)}  {'TO'.ljust(to_width)}  PORTS\n")
    tails: dict[tuple[int, bool], str] = {}

    def tail(ports, invalid: bool) -> str:
        key = (id(ports), invalid)
        text = tails.get(key)
        if text is None:
            text = tails[key] = "  " + described(ports, invalid) + "\n"
        return text

    to_text = [esc(e.id).ljust(to_width) for e in engine.endpoints]
    for src, source_invalid, items in rows:
        head = esc(src.id).ljust(from_width) + "  "
        out.write("".join(head + line for line in view.lines(items, source_invalid, tail, to_text)))
    if any_invalid:
        out.write(invalid_note() + "\n")
    write_unknown(out, view)


def write_unknown(out, view: MatrixView) -> None:
    """The pairs with ports no answer can be given for offline, after the table."""
    engine = view.engine
    lines = []
    to_text = [esc(e.id) for e in engine.endpoints]
    for src, items in view.unknown_rows():
        lines.extend(f"{esc(src.id)}  {line}" for line in view.lines(items, False, lambda ports, _: "  " + describe(ports), to_text))
    if lines:
        out.write(UNKNOWN_HEADING + "\n")
        out.write("".join(f"  {line}\n" for line in lines))


UNKNOWN_HEADING = ("unknown offline (a cluster-wide rule whose peer cannot be judged from manifests may decide; "
                   "`policylint reach` names it):")


def render_rows(rows: list[Row], endpoints: list, aggregate: str, unknown: list[Row] | None = None) -> str:
    """The aggregated table, then the groups with ports no answer can be given for offline."""
    pairs = aggregate != "workload"
    if rows:
        text = _table(rows, pairs, with_invalid=True) + "".join(note + "\n" for note in footer(rows, aggregate))
    else:
        text = "no connections allowed\n"
    if unknown:
        table = _table(unknown, pairs, with_invalid=False)
        text += UNKNOWN_HEADING + "\n" + "".join(f"  {line}\n" for line in table.splitlines())
    return text


def _table(rows: list[Row], pairs: bool, with_invalid: bool) -> str:
    """Aligned FROM / TO / PORTS (/ PAIRS) lines, each ending in a newline."""
    header = ("FROM", "TO", "PORTS") + (("PAIRS",) if pairs else ())
    # Names escaped once each: an aggregated table of a large cluster names each namespace a
    # thousand times, and escaping is two regular-expression passes.
    name = functools.cache(esc)

    table = [header] + [
        (name(r.src), name(r.dst), ports_text(r) if with_invalid else describe(r.ports)) + ((str(r.pairs),) if pairs else ())
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    return "".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() + "\n" for line in table)
