"""Positioned YAML values: plain dicts, lists and scalars that remember where they came from.

The loader turns every mapping into a `YMap` and every sequence into a `YSeq`. They behave like
`dict` and `list` (so the model code reads naturally), and additionally record the `Span` of the
node itself, of each key and of each value. Scalars stay plain Python values; their position is
looked up through the container that holds them (`span_of_value`). This keeps loading cheap while
any finding can still point at the exact line and column of the offending field.

Why packed offsets: a manifest of 100 MB holds millions of values, and a `Span` object per key
and per value costs ~130 bytes and ~2 µs each. The loader therefore records each position as one
64-bit integer (start and end character offsets) in an `array`, and a shared `LineIndex` turns
it into a `Span` only when somebody asks. `key_spans`, `value_spans` and `item_spans` still read and write
as plain dicts and lists of `Span` (they are materialised on first use), for code that builds
positioned values itself.
"""
from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate, count
from operator import add as _add
from typing import Any

_OFFSET_BITS = 32  # character offsets below 2**32: the loader refuses longer texts
_OFFSET_MASK = (1 << _OFFSET_BITS) - 1
MAX_TEXT_LENGTH = 1 << _OFFSET_BITS
_NEWLINE = re.compile("\n")
_MATCH_END = re.Match.end
_INDEXED_KEYS = 16  # mappings with more keys get a key -> position index on first look-up


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A region of a source file. Lines and columns are 1-based, as editors show them."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int


def where(span: Span) -> str:
    """`path:line`, as messages and explanations cite a place in the input."""
    return f"{span.path}:{span.line}"


def pack(start: int, end: int) -> int:
    """One 64-bit integer for the character range [start, end)."""
    return start << _OFFSET_BITS | end


class LineIndex:
    """Turns character offsets of one text into 1-based (line, column) spans.

    Lines are counted at `\\n` only, as git, GitHub and editors count them (libyaml also breaks
    lines at `\\r`, U+0085, U+2028 and U+2029, which would shift every later line number).
    """

    __slots__ = ("path", "_starts")

    def __init__(self, path: str, text: str, pieces: list[str] | None = None) -> None:
        """`pieces`: `text.split("\\n")`, where the caller has it (the block reader does)."""
        self.path = path
        # "Q", not "q": an array of Q stores a small int without parsing an argument format as
        # one of q does (a third of the cost of making the index).
        if pieces is None:
            starts = array("Q", [0])
            # Match.end as a plain function: the loop over the lines stays in C (a generator
            # expression here was a tenth of reading a small input). No list of the lines is
            # made: a large text that the block reader does not take is not held twice.
            starts.extend(map(_MATCH_END, _NEWLINE.finditer(text)))
        else:
            # Line i starts after the lines before it and their i line ends: the running sum of
            # the lengths plus i, all in C.
            starts = array("Q", map(_add, accumulate(map(len, pieces), initial=0), count()))
            starts.pop()  # the sum after the last line is the text's length plus one
        self._starts = starts

    def starts(self) -> array:
        """The offset at which each line starts, the first at 0 (read it, do not change it)."""
        return self._starts

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1

    def span(self, packed: int) -> Span:
        line, column = self.position(packed >> _OFFSET_BITS)
        end_line, end_column = self.position(packed & _OFFSET_MASK)
        return Span(self.path, line, column, end_line, end_column)

    def point(self, offset: int) -> Span:
        line, column = self.position(offset)
        return Span(self.path, line, column, line, column)


_new_dict = dict.__new__
_new_list = list.__new__
# The type of the arrays of packed positions: unsigned integers of 64 bits. "L" where a C long has
# 64 bits (Linux, macOS): storing an int there converts it in a short loop, where "Q" goes through
# the general conversion to bytes, about 540 instructions more per position (a tenth of reading a
# small input). Any array that is joined with a container's positions must be of this type.
POSITIONS_TYPE = "L" if array("L").itemsize == 8 else "Q"
# An empty array of packed positions: copying one costs about half of making one, which parses
# its arguments (once per container read).
_new_positions = array(POSITIONS_TYPE).__copy__


class _Located:
    """What YMap and YSeq share: built by the loader with packed positions, span made on demand.

    No slots of its own, so that it can sit beside `dict` and `list` in the bases; the slots
    `_span`, `_lines`, `_at` and `_pos` are declared by each subclass.
    """

    __slots__ = ()

    @property
    def span(self) -> Span:
        span = self._span  # type: ignore[attr-defined]
        if span is None:
            span = self._span = self._lines.span(self._at)  # type: ignore[attr-defined]
        return span

    @span.setter
    def span(self, value: Span) -> None:
        self._span = value  # type: ignore[attr-defined]


class YMap(_Located, dict):
    """A mapping that knows its own span and the spans of its keys and values.

    A mapping built by the loader keeps its positions as packed ranges in an `array`, two per
    entry (key, value) in insertion order, and must not be modified afterwards.
    """

    __slots__ = ("_span", "_lines", "_at", "_pos", "_index", "_key_spans", "_value_spans")

    def __init__(self, span: Span | None = None) -> None:
        super().__init__()
        self._span = span
        self._lines: LineIndex | None = None
        self._at = 0
        self._pos: array | None = None
        self._index: dict[Any, int] | None = None
        self._key_spans: dict[Any, Span] | None = None
        self._value_spans: dict[Any, Span] | None = None

    @classmethod
    def located(cls, lines: LineIndex, at: int) -> YMap:
        """A mapping read by the loader: positions are packed offsets into `lines`.

        Made without `__init__` (one per mapping of the input: the two calls cost more than
        the rest of reading the mapping's start), so every slot is set here."""
        node = _new_dict(cls)
        node._span = None
        node._lines = lines
        node._at = at
        node._pos = _new_positions()
        node._index = None
        node._key_spans = None
        node._value_spans = None
        return node

    @property
    def key_spans(self) -> dict[Any, Span]:
        if self._key_spans is None:
            self._key_spans = self._materialise(0)
        return self._key_spans

    @key_spans.setter
    def key_spans(self, value: dict[Any, Span]) -> None:
        self._key_spans = value

    @property
    def value_spans(self) -> dict[Any, Span]:
        if self._value_spans is None:
            self._value_spans = self._materialise(1)
        return self._value_spans

    @value_spans.setter
    def value_spans(self, value: dict[Any, Span]) -> None:
        self._value_spans = value

    def _materialise(self, which: int) -> dict[Any, Span]:
        if not self._pos or self._lines is None:
            return {}
        lines, pos = self._lines, self._pos
        return {key: lines.span(pos[2 * i + which]) for i, key in enumerate(self) if 2 * i + which < len(pos)}

    def _packed(self, key: Any, which: int) -> Span | None:
        pos = self._pos
        if not pos or self._lines is None or key not in self:
            return None
        if len(self) > _INDEXED_KEYS:
            if self._index is None:
                self._index = {k: i for i, k in enumerate(self)}
            index = self._index.get(key)
        else:
            index = next((i for i, k in enumerate(self) if k == key), None)
        if index is None or 2 * index + which >= len(pos):
            return None
        return self._lines.span(pos[2 * index + which])

    def span_of_key(self, key: Any) -> Span:
        if self._key_spans is not None and key in self._key_spans:
            return self._key_spans[key]
        return self._packed(key, 0) or self.span

    def span_of_value(self, key: Any) -> Span:
        if self._value_spans is not None and key in self._value_spans:
            return self._value_spans[key]
        return self._packed(key, 1) or self.span

    def __reduce__(self) -> Any:
        # Pickled (to come back from a worker process, see load/parallel.py) as the positions and
        # the entries, without the slots' names: a third less time than the default for slots.
        extra = (self._span, self._key_spans, self._value_spans)
        return (_ymap, (self._lines, self._at, self._pos, *extra) if any(x is not None for x in extra)
                else (self._lines, self._at, self._pos), None, None, iter(dict.items(self)))

    def __repr__(self) -> str:
        return short_repr(self)

    __str__ = __repr__


def _ymap(lines: LineIndex | None, at: int, pos: array | None, span: Span | None = None,
          key_spans: dict[Any, Span] | None = None, value_spans: dict[Any, Span] | None = None) -> YMap:
    node = YMap(span)
    node._lines, node._at, node._pos = lines, at, pos
    node._key_spans, node._value_spans = key_spans, value_spans
    return node


def _yseq(lines: LineIndex | None, at: int, pos: array | None, span: Span | None = None,
          item_spans: list[Span] | None = None) -> YSeq:
    node = YSeq(span)
    node._lines, node._at, node._pos = lines, at, pos
    node._item_spans = item_spans
    return node


class YSeq(_Located, list):
    """A sequence that knows its own span and the span of each item."""

    __slots__ = ("_span", "_lines", "_at", "_pos", "_item_spans")

    def __init__(self, span: Span | None = None) -> None:
        super().__init__()
        self._span = span
        self._lines: LineIndex | None = None
        self._at = 0
        self._pos: array | None = None  # packed range of each item
        self._item_spans: list[Span] | None = None

    @classmethod
    def located(cls, lines: LineIndex, at: int) -> YSeq:
        """A sequence read by the loader (see `YMap.located`): every slot is set here."""
        node = _new_list(cls)
        node._span = None
        node._lines = lines
        node._at = at
        node._pos = _new_positions()
        node._item_spans = None
        return node

    @property
    def item_spans(self) -> list[Span]:
        if self._item_spans is None:
            lines = self._lines
            self._item_spans = [lines.span(p) for p in self._pos] if self._pos and lines is not None else []
        return self._item_spans

    @item_spans.setter
    def item_spans(self, value: list[Span]) -> None:
        self._item_spans = value

    def __reduce__(self) -> Any:
        extra = (self._span, self._item_spans)
        return (_yseq, (self._lines, self._at, self._pos, *extra) if any(x is not None for x in extra)
                else (self._lines, self._at, self._pos), None, iter(list.__iter__(self)))

    def span_of_item(self, index: int) -> Span:
        if self._item_spans is not None:
            if 0 <= index < len(self._item_spans):
                return self._item_spans[index]
        elif self._pos is not None and 0 <= index < len(self._pos) and self._lines is not None:
            return self._lines.span(self._pos[index])
        return self.span

    def __repr__(self) -> str:
        return short_repr(self)

    __str__ = __repr__


_REPR_ITEMS = 6  # items shown per container
_REPR_DEPTH = 3  # containers shown inside containers
_REPR_TEXT = 60  # characters shown of a string


def short_repr(value: Any, depth: int = 0) -> str:
    """A bounded `repr` for messages: input values can be huge or deeply nested.

    Small values read exactly as `repr` would print them (`['a']`, `{'a': 1}`); large ones are
    cut with `…` and a count. Never recurses more than `_REPR_DEPTH` levels.
    """
    if isinstance(value, dict):
        if depth >= _REPR_DEPTH:
            return "{…}" if value else "{}"
        parts = [f"{short_repr(k, depth + 1)}: {short_repr(v, depth + 1)}"
                 for k, v in _first(value.items(), _REPR_ITEMS)]
        if len(value) > _REPR_ITEMS:
            parts.append(f"… ({len(value)} keys)")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        if depth >= _REPR_DEPTH:
            return "[…]" if value else "[]"
        parts = [short_repr(v, depth + 1) for v in value[:_REPR_ITEMS]]
        if len(value) > _REPR_ITEMS:
            parts.append(f"… ({len(value)} items)")
        return "[" + ", ".join(parts) + "]"
    if isinstance(value, str):
        if len(value) > _REPR_TEXT:
            return repr(value[:_REPR_TEXT]) + f"… ({len(value)} characters)"
        return repr(value)
    if value is None or isinstance(value, bool):  # as YAML writes them
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, int) and value.bit_length() > 200:
        return f"<integer of {len(str(value)) if value.bit_length() < 10_000 else 'many'} digits>"
    return repr(value)


def _first(items: Any, count: int) -> list[Any]:
    result = []
    for item in items:
        if len(result) == count:
            break
        result.append(item)
    return result

