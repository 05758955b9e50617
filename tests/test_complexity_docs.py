"""Every rule states its cost: a `Complexity:` paragraph in its docstring (what the work grows
with, in the notation of docs/complexity.md), and docs/complexity.md carries the same lines in its
generated table. Regenerate the table with `python -m tests.test_complexity_docs`."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from policylint.analysis import registry

DOC = Path(__file__).resolve().parent.parent / "docs" / "complexity.md"
_TABLE = re.compile(r"(<!-- complexity:start[^>]*-->\n)(.*?)(<!-- complexity:end -->)", re.S)


def complexity(doc: str) -> str | None:
    """The `Complexity:` paragraph of a rule docstring, as one line (None without one)."""
    match = re.search(r"^Complexity: (.+?)(?:\n\n|\Z)", doc, re.S | re.M)
    return " ".join(match.group(1).split()) if match else None


def table() -> str:
    lines = ["| Code | Name | Complexity |", "|---|---|---|"]
    for code, spec in sorted(registry().items()):
        text = (complexity(spec.doc) or "").replace("|", "\\|")
        lines.append(f"| {code} | `{spec.name}` | {text} |")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("code", sorted(registry()))
def test_every_rule_states_its_complexity(code: str) -> None:
    doc = registry()[code].doc
    text = complexity(doc)
    assert text, f"{code}: no `Complexity:` paragraph in the docstring (see docs/complexity.md for the notation)"
    assert re.search(r"O\(", text), f"{code}: the complexity names no bound: {text!r}"
    what_it_does = doc.split("## What it does", 1)[1].split("\n## ", 1)[0]
    assert "Complexity:" in what_it_does, f"{code}: put the `Complexity:` paragraph under `## What it does`"


def test_the_complexity_table_is_generated_from_the_rules() -> None:
    match = _TABLE.search(DOC.read_text(encoding="utf-8"))
    assert match, "docs/complexity.md lacks the complexity:start/complexity:end markers"
    assert match.group(2) == table(), "docs/complexity.md is stale: run `python -m tests.test_complexity_docs`"


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(_TABLE.sub(lambda m: m.group(1) + table() + m.group(3), text), encoding="utf-8")
