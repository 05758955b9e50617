"""CSV: one row per pair (or per pair of namespaces), ports split by protocol."""
from __future__ import annotations

from policylint.report.escape import text as esc

import csv
import io

from policylint.matrix.aggregate import Row
from policylint.matrix.view import MatrixView

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
    out.write(csv_line(HEADER))
    tails: dict[tuple[int, bool], str] = {}

    def tail(ports, invalid: bool) -> str:
        key = (id(ports), invalid)
        text = tails.get(key)
        if text is None:
            text = tails[key] = "," + csv_line([*csv_ports(ports), "true" if invalid else "false", 1])
        return text

    to_text = [csv_line([esc(e.id)])[:-1] for e in view.engine.endpoints]
    for src, source_invalid, items in view.rows():
        head = csv_line([esc(src.id)])[:-1] + ","
        out.write("".join(head + line for line in view.lines(items, source_invalid, tail, to_text)))


def render_rows(rows: list[Row], endpoints: list, aggregate: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow([esc(r.src), esc(r.dst), *csv_ports(r.ports), "true" if r.invalid else "false", r.pairs])
    return buffer.getvalue()
