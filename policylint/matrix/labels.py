"""Texts shared by the human formats: a port set as words, the "!" mark and the notes."""
from __future__ import annotations

from typing import Any

from policylint.matrix.aggregate import Row

_DESCRIBED: dict[Any, str] = {}


def describe(ports) -> str:
    """PortSet.describe, memoised: a big matrix repeats a handful of port sets."""
    text = _DESCRIBED.get(ports)
    if text is None:
        text = _DESCRIBED[ports] = ports.describe()
    return text


def described(ports, invalid: bool) -> str:
    return describe(ports) + (" !" if invalid else "")


def ports_text(row: Row) -> str:
    return described(row.ports, row.invalid)


def invalid_note() -> str:
    return "! rests on a policy with parts the API server would reject (run `policylint check`)"


def footer(rows: list[Row], aggregate: str) -> list[str]:
    notes = []
    if aggregate != "workload":
        notes.append(f"{sum(r.pairs for r in rows)} endpoint pairs in {len(rows)} lines")
    if any(r.invalid for r in rows):
        notes.append(invalid_note())
    return notes
