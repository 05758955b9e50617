"""CSV: one row per pair (or per pair of namespaces), ports split by protocol."""
from __future__ import annotations

import csv
import io

from policylint.matrix.aggregate import Row
from policylint.matrix.view import MatrixView
from policylint.report.escape import csv_cell as esc

HEADER = ["from", "to", "tcp", "udp", "sctp", "depends_on_invalid", "pairs"]


def csv_ports(ports) -> list[str]:
    return [" ".join(str(a) if a == b else f"{a}-{b}" for a, b in ports.intervals(p)) for p in ("TCP", "UDP", "SCTP")]


def csv_line(fields: list) -> str:
    """Fields as csv.writer writes them (quoted only where needed), newline included."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields)
    return buffer.getvalue()


def write_pairs(out, view: MatrixView, endpoints: list) -> None:
    # csv quotes field by field, so a line is its fields quoted one by one and joined.
    # With cluster-wide rules that cannot be judged offline, a last column `unknown` tells the
    # allowed ports ("false") from those no answer can be given for ("true", after them); other
    # inputs keep the seven columns.
    unknown_column = view.may_have_unknown()
    out.write(csv_line(HEADER + (["unknown"] if unknown_column else [])))
    tails: dict[tuple[int, bool, bool], str] = {}

    def tail_for(unknown: bool):
        def tail(ports, invalid: bool) -> str:
            key = (id(ports), invalid, unknown)
            text = tails.get(key)
            if text is None:
                fields = [*csv_ports(ports), "true" if invalid else "false", 1]
                text = tails[key] = "," + csv_line(fields + (["true" if unknown else "false"] if unknown_column else []))
            return text
        return tail

    to_text = [csv_line([esc(e.id)])[:-1] for e in view.engine.endpoints]
    allowed = tail_for(False)
    for src, source_invalid, items in view.rows():
        head = csv_line([esc(src.id)])[:-1] + ","
        out.write("".join(head + line for line in view.lines(items, source_invalid, allowed, to_text)))
    unknown = tail_for(True)
    for src, items in view.unknown_rows():
        head = csv_line([esc(src.id)])[:-1] + ","
        out.write("".join(head + line for line in view.lines(items, False, unknown, to_text)))


def render_rows(rows: list[Row], endpoints: list, aggregate: str, unknown: list[Row] | None = None) -> str:
    """One line per pair of namespaces; with `unknown` (the input has cluster-wide rules that
    cannot be judged offline), the `unknown` column as in the pair list, its rows after the others."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER + (["unknown"] if unknown is not None else []))
    marks: list[tuple[list[Row], list[str]]] = [(rows, [] if unknown is None else ["false"]), (unknown or [], ["true"])]
    for group, mark in marks:
        for r in group:
            writer.writerow([esc(r.src), esc(r.dst), *csv_ports(r.ports), "true" if r.invalid else "false", r.pairs, *mark])
    return buffer.getvalue()
