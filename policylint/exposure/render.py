"""Exposure claims as text, Markdown and JSON (the `exposure` field of policylint.matrix/v1)."""
from __future__ import annotations

from policylint.exposure.model import INBOUND, Claim
from policylint.report.escape import md_code, text as esc

HEADING = "exposure: peers the input does not contain"
ARROW = {INBOUND: "from", "egress": "to"}


def ports_words(claim: Claim) -> str:
    from policylint.matrix.labels import describe

    parts = []
    if not claim.ports.is_empty:
        parts.append(describe(claim.ports))
    if not claim.unknown.is_empty:
        parts.append(f"unknown offline: {describe(claim.unknown)}")
    return "; ".join(parts)


def text_lines(claims: list[Claim]) -> str:
    if not claims:
        return f"{HEADING}\n  none\n"
    rows = [("WORKLOAD", "", "PEER", "PORTS")] + [
        (esc(c.endpoint), ARROW[c.direction], esc(c.peer.describe()), ports_words(c)) for c in claims]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{r[0].ljust(widths[0])}  {r[1].ljust(widths[1])}  {r[2].ljust(widths[2])}  {r[3]}".rstrip() for r in rows]
    return HEADING + "\n" + "\n".join(lines) + "\n"


def markdown_lines(claims: list[Claim]) -> str:
    out = ["", "#### Exposure to peers the input does not contain", ""]
    if not claims:
        return "\n".join(out + ["_None._"]) + "\n"
    out += ["| Workload | Direction | Peer | Ports |", "| --- | --- | --- | --- |"]
    for c in claims:
        direction = "inbound from" if c.direction == INBOUND else "outbound to"
        out.append(f"| {md_code(c.endpoint)} | {direction} | {md_code(c.peer.describe())} | "
                   f"{ports_words(c).replace('|', '/')} |")
    return "\n".join(out) + "\n"


def json_items(claims: list[Claim]) -> list[dict]:
    return [c.to_json() for c in claims]
