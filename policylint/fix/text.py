"""Minimal text edits on YAML sources, anchored at the spans the loader recorded.

Why splice text instead of re-emitting a round-trip YAML tree: every node already carries its
exact span, so an edit can touch only the characters it changes. Comments, key order, quoting,
flow style, blank lines and indentation everywhere else stay byte-identical, which no YAML
emitter guarantees (round-trip emitters still re-indent sequences and re-wrap long scalars).
What we insert is rendered in the indentation the surrounding block already uses.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

import yaml

from policylint.load.nodes import Span

_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


@dataclass(frozen=True, slots=True, order=True)
class TextEdit:
    """Replace the characters [start, end) of one file's text (offsets in characters)."""

    path: str
    start: int
    end: int
    replacement: str


class Lines:
    """One file's text with line starts, to turn 1-based (line, column) into offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def offset(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column - 1

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        from bisect import bisect_right

        index = bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1

    def line_start(self, line: int) -> int:
        return self.starts[line - 1]

    def line_text(self, line: int) -> str:
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return self.text[start:end]

    def line_count(self) -> int:
        return len(self.starts)

    def start_of(self, span: Span) -> int:
        return self.offset(span.line, span.column)

    def end_of(self, span: Span) -> int:
        return self.offset(span.end_line, span.end_column)


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def is_content(line: str) -> bool:
    """A line that carries YAML content (not blank, not only a comment)."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def block_end_line(lines: Lines, first_line: int, indent: int, *, sequence: bool = False) -> int:
    """The last content line of the block that starts at `first_line` and whose entries sit at
    column `indent` (0-based): the block ends before the next content line that is indented
    less, or — for a sequence — at the same indentation but not starting with `-`."""
    last = first_line
    for number in range(first_line + 1, lines.line_count() + 1):
        text = lines.line_text(number)
        if text.startswith(("---", "...")):
            break
        if not is_content(text):
            continue
        column = indent_of(text)
        if column < indent or (sequence and column == indent and not text.lstrip().startswith("-")):
            break
        if not sequence and column == indent:
            last = number  # another key of the same mapping
            continue
        last = number
    return last


def after_line(lines: Lines, number: int) -> int:
    """The offset just after line `number` (and its newline; a newline is added when missing)."""
    return lines.starts[number] if number < len(lines.starts) else len(lines.text)


def scalar(value: Any) -> str:
    """A YAML scalar as a person would write it: plain when that reads back the same, quoted otherwise."""
    if isinstance(value, bool) or value is None:
        return yaml.safe_dump(value).split("\n", 1)[0]
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN_SAFE.match(text) and yaml.safe_load(text) == text:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_block(value: Any, indent: int, step: int, indent_sequences: bool) -> list[str]:
    """Block-style YAML lines for a dict/list tree, the first line's content at column `indent`.

    `indent_sequences`: a sequence under a key is indented by `step` (`to:\\n  - x`) rather than
    written at the key's column (`to:\\n- x`), whichever the file already does.
    """
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict) and item:
                out.append(f"{pad}{key}:")
                out.extend(render_block(item, indent + step, step, indent_sequences))
            elif isinstance(item, list) and item:
                out.append(f"{pad}{key}:")
                out.extend(render_block(item, indent + (step if indent_sequences else 0), step, indent_sequences))
            elif isinstance(item, dict):
                out.append(f"{pad}{key}: {{}}")
            elif isinstance(item, list):
                out.append(f"{pad}{key}: []")
            else:
                out.append(f"{pad}{key}: {scalar(item)}")
        return out
    if isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = render_block(item, indent + 2, step, indent_sequences)
                out.append(f"{pad}- {inner[0].lstrip(' ')}")
                out.extend(inner[1:])
            else:
                out.append(f"{pad}- {scalar(item) if not isinstance(item, (dict, list)) else ('{}' if isinstance(item, dict) else '[]')}")
        return out
    return [f"{pad}{scalar(value)}"]


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits of one file (the caller checks they do not overlap)."""
    result = []
    position = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        result.append(text[position:edit.start])
        result.append(edit.replacement)
        position = edit.end
    result.append(text[position:])
    return "".join(result)


def overlapping(a: TextEdit, b: TextEdit) -> bool:
    if a.path != b.path:
        return False
    if a.start == a.end == b.start == b.end:
        return True  # two insertions at one point: their order would be arbitrary
    return a.start < b.end and b.start < a.end or (a.start == b.start and (a.start == a.end or b.start == b.end))


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"a/{path.lstrip('/')}", tofile=f"b/{path.lstrip('/')}"))
