"""Positioned YAML values: plain dicts, lists and scalars that remember where they came from.

The loader turns every mapping into a `YMap` and every sequence into a `YSeq`. They behave like
`dict` and `list` (so the model code reads naturally), and additionally record the `Span` of the
node itself, of each key and of each value. Scalars stay plain Python values; their position is
looked up through the container that holds them (`span_of_value`). This keeps loading cheap while
any finding can still point at the exact line and column of the offending field.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A region of a source file. Lines and columns are 1-based, as editors show them."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    @property
    def start(self) -> tuple[int, int]:
        return (self.line, self.column)


class YMap(dict):
    """A mapping that knows its own span and the spans of its keys and values."""

    __slots__ = ("span", "key_spans", "value_spans")

    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span
        self.key_spans: dict[Any, Span] = {}
        self.value_spans: dict[Any, Span] = {}

    def span_of_key(self, key: Any) -> Span:
        return self.key_spans.get(key, self.span)

    def span_of_value(self, key: Any) -> Span:
        return self.value_spans.get(key, self.span)


class YSeq(list):
    """A sequence that knows its own span and the span of each item."""

    __slots__ = ("span", "item_spans")

    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span
        self.item_spans: list[Span] = []

    def span_of_item(self, index: int) -> Span:
        if 0 <= index < len(self.item_spans):
            return self.item_spans[index]
        return self.span


def span_of(container: Any, key: Any = None) -> Span | None:
    """The span of `container[key]` (or of the container itself when key is None)."""
    if key is None:
        return getattr(container, "span", None)
    if isinstance(container, YMap):
        return container.span_of_value(key)
    if isinstance(container, YSeq) and isinstance(key, int):
        return container.span_of_item(key)
    return getattr(container, "span", None)
