"""Read YAML (and JSON, which is YAML) text into positioned documents.

Why not `yaml.compose` or `yaml.load`? The C composer recurses once per nesting level and
crashes the interpreter on deeply nested input, it expands aliases into a tree whose size is
exponential in the input (the "billion laughs" attack), and `yaml.load` throws all positions
away. Instead we read libyaml's flat event stream and build `YMap`/`YSeq` values ourselves with
an explicit stack: nesting depth and alias expansion are counted and bounded, every value keeps
its position, and a syntax error keeps the documents read before it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Any

import yaml

from policylint.load.nodes import Span, YMap, YSeq

try:  # libyaml is several times faster; the pure-Python parser is a correct fallback
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
# Tags we turn into Python values; anything else (timestamps, binary, custom `!Ref` tags) stays
# the text it was written as: Kubernetes decodes YAML into JSON, where there is no such type.
_CONSTRUCTED = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_SCALAR_CONSTRUCTOR = yaml.SafeLoader("")  # only its construct_yaml_* methods are used


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource bounds for one input. Defaults are generous for real manifests."""

    max_file_bytes: int = 256 * 1024 * 1024
    max_depth: int = 200
    # Values reached through aliases, counted per document with repetition: a few aliases are
    # normal (Helm, merge keys), a million is an attack.
    max_alias_nodes: int = 100_000


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """Something wrong with an input before any Kubernetes meaning is given to it."""

    kind: str  # "syntax", "unreadable", "duplicate-key", "limit"
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Document:
    path: str
    index: int  # 0-based position of the document in its file
    root: Any
    span: Span


@dataclass(slots=True)
class ParseResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)


class _LimitExceeded(Exception):
    def __init__(self, span: Span, message: str) -> None:
        super().__init__(message)
        self.span = span
        self.message = message


class _Frame:
    """A container being built, with the key waiting for its value (mappings only)."""

    __slots__ = ("value", "anchor", "pending_key", "pending_key_span", "merges", "size")

    def __init__(self, value: YMap | YSeq, anchor: str | None) -> None:
        self.value = value
        self.anchor = anchor
        self.pending_key: Any = _NO_KEY
        self.pending_key_span: Span | None = None
        self.merges: list[tuple[Any, Span]] = []
        self.size = 1  # nodes in this subtree, for alias accounting


_NO_KEY = object()


def _span(path: str, start: Any, end: Any) -> Span:
    return Span(path, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _hashable_key(key: Any) -> Any:
    # YAML allows sequences and mappings as keys; JSON and Kubernetes do not. Keep them as text
    # so that the document still loads and the shape check can complain about the field.
    if isinstance(key, (YMap, YSeq, dict, list)):
        return repr(key)
    return key


class _DocumentBuilder:
    def __init__(self, path: str, limits: Limits, problems: list[LoadProblem]) -> None:
        self.path = path
        self.limits = limits
        self.problems = problems
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.alias_nodes = 0
        self.root: Any = None
        self.done = False

    # -- values --------------------------------------------------------------------------------
    def scalar(self, event: Any, loader: Any) -> tuple[Any, int]:
        value = event.value
        tag = event.tag
        if tag in (None, "!"):
            if event.style:  # quoted or block scalar: always a string
                return value, 1
            tag = loader.resolve(yaml.ScalarNode, value, event.implicit)
        if tag in _CONSTRUCTED:
            node = yaml.ScalarNode(tag, value)
            try:
                return _SCALAR_CONSTRUCTOR.yaml_constructors[tag](_SCALAR_CONSTRUCTOR, node), 1
            except (ValueError, yaml.YAMLError):
                return value, 1
        if tag == _MERGE:
            return _MERGE_KEY, 1
        return value, 1

    def add(self, value: Any, span: Span, size: int) -> None:
        if not self.stack:
            self.root = value
            self.done = True
            return
        frame = self.stack[-1]
        frame.size += size
        container = frame.value
        if isinstance(container, YSeq):
            container.append(value)
            container.item_spans.append(span)
            return
        if frame.pending_key is _NO_KEY:
            frame.pending_key = _hashable_key(value)
            frame.pending_key_span = span
            return
        key, key_span = frame.pending_key, frame.pending_key_span
        frame.pending_key = _NO_KEY
        if key is _MERGE_KEY:
            frame.merges.append((value, span))
            return
        if key in container:
            self.problems.append(
                LoadProblem(
                    "duplicate-key",
                    key_span or span,
                    f"duplicate key {key!r} (first at line {container.key_spans[key].line}); "
                    "the API server rejects it",
                )
            )
        container[key] = value
        container.key_spans[key] = key_span or span
        container.value_spans[key] = span

    def open(self, value: YMap | YSeq, anchor: str | None) -> None:
        if len(self.stack) >= self.limits.max_depth:
            raise _LimitExceeded(
                value.span,
                f"document nested deeper than {self.limits.max_depth} levels "
                "(limit max_depth); document skipped",
            )
        self.stack.append(_Frame(value, anchor))

    def close(self, end_mark: Any) -> None:
        frame = self.stack.pop()
        value = frame.value
        start = value.span
        value.span = Span(self.path, start.line, start.column, end_mark.line + 1, end_mark.column + 1)
        if isinstance(value, YMap):
            self._apply_merges(value, frame.merges)
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (value, frame.size)
        self.add(value, value.span, frame.size)

    def _apply_merges(self, target: YMap, merges: list[tuple[Any, Span]]) -> None:
        # `<<: *base` or `<<: [*a, *b]`: keys written in the mapping win, then earlier merges.
        sources: list[Any] = []
        for value, _ in merges:
            sources.extend(value if isinstance(value, YSeq) else [value])
        for source in sources:
            if not isinstance(source, YMap):
                continue
            for key, item in source.items():
                if key not in target:
                    target[key] = item
                    target.key_spans[key] = source.key_spans.get(key, source.span)
                    target.value_spans[key] = source.value_spans.get(key, source.span)

    def alias(self, event: Any) -> None:
        span = _span(self.path, event.start_mark, event.end_mark)
        if event.anchor not in self.anchors:
            raise yaml.MarkedYAMLError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        value, size = self.anchors[event.anchor]
        self.alias_nodes += size
        if self.alias_nodes > self.limits.max_alias_nodes:
            raise _LimitExceeded(
                span,
                f"aliases expand to more than {self.limits.max_alias_nodes} values "
                "(limit max_alias_nodes; an alias bomb?); document skipped",
            )
        # The anchored value is shared, not copied: it is never mutated after loading.
        self.add(value, span, size)


_MERGE_KEY = object()


def parse_text(text: str, path: str, limits: Limits = Limits()) -> ParseResult:
    """Parse every document of `text`. Never raises for bad input: problems are returned."""
    result = ParseResult()
    too_deep = _deep_flow_position(text, limits.max_depth)
    if too_deep is not None:
        line, column = too_deep
        message = (
            f"flow collections nested deeper than {limits.max_depth} levels "
            "(limit max_depth); file skipped"
        )
        result.problems.append(LoadProblem("limit", Span(path, line, column, line, column), message))
        return result
    loader = _EventLoader(text)
    builder: _DocumentBuilder | None = None
    doc_start: Any = None
    index = 0
    skipping = False  # after a limit is hit, events are drained until the document ends
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            kind = type(event)
            if kind is yaml.DocumentStartEvent:
                builder = _DocumentBuilder(path, limits, result.problems)
                doc_start = event.start_mark
                skipping = False
                continue
            if kind is yaml.DocumentEndEvent:
                if builder is not None and not skipping:
                    result.documents.append(
                        Document(path, index, builder.root, _span(path, doc_start, event.end_mark))
                    )
                index += 1
                builder = None
                continue
            if skipping or builder is None or kind is yaml.StreamStartEvent:
                continue
            try:
                _feed(builder, event, loader, path)
            except _LimitExceeded as exceeded:
                result.problems.append(LoadProblem("limit", exceeded.span, exceeded.message))
                skipping = True
    except yaml.MarkedYAMLError as error:
        result.problems.append(_syntax_problem(path, text, error))
    except yaml.YAMLError as error:  # errors without a mark (reader errors, for instance)
        result.problems.append(LoadProblem("syntax", Span(path, 1, 1, 1, 1), _one_line(str(error))))
    finally:
        loader.dispose()
    return result


_BRACKETS = re.compile(r"[\[\]{}]")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _deep_flow_position(text: str, max_depth: int) -> tuple[int, int] | None:
    """Where `[`/`{` nesting first passes max_depth, or None.

    libyaml's time is quadratic in flow nesting depth (minutes for 100,000 levels), so deep
    flow nesting is refused before parsing. Brackets inside quoted strings are counted too: the
    estimate can only err towards refusing a pathological file, never towards hanging.
    """
    if text.count("[") + text.count("{") <= max_depth:
        return None
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += _DEPTH_STEP[match.group()]
        if depth > max_depth:
            offset = match.start()
            line = text.count("\n", 0, offset) + 1
            column = offset - (text.rfind("\n", 0, offset) + 1) + 1
            return line, column
        if depth < 0:
            depth = 0
    return None


def _feed(builder: _DocumentBuilder, event: Any, loader: Any, path: str) -> None:
    kind = type(event)
    if kind is yaml.ScalarEvent:
        value, size = builder.scalar(event, loader)
        span = _span(path, event.start_mark, event.end_mark)
        if event.anchor:
            builder.anchors[event.anchor] = (value, size)
        builder.add(value, span, size)
    elif kind is yaml.MappingStartEvent:
        builder.open(YMap(_span(path, event.start_mark, event.end_mark)), event.anchor)
    elif kind is yaml.SequenceStartEvent:
        builder.open(YSeq(_span(path, event.start_mark, event.end_mark)), event.anchor)
    elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
        builder.close(event.end_mark)
    elif kind is yaml.AliasEvent:
        builder.alias(event)


def _syntax_problem(path: str, text: str, error: yaml.MarkedYAMLError) -> LoadProblem:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    message = error.problem or error.context or "invalid YAML"
    if error.context and error.problem:
        message = f"{error.problem} ({error.context})"
    hint = ""
    if "{{" in _line_at(text, line):
        hint = "; looks like an unrendered Helm template: run `helm template` first"
    return LoadProblem("syntax", Span(path, line, column, line, column), _one_line(message) + hint)


def _line_at(text: str, line: int) -> str:
    """The 1-based `line` of `text` and its neighbours (an error is often reported one late)."""
    lines = text.splitlines()[max(0, line - 2) : line + 1]
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())
