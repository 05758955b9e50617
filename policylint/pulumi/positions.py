"""Map the values a Pulumi program passed to a resource onto the places it wrote them.

The runner records where each resource constructor was called (file and the exact source range
of the call). Here the file is parsed with `ast`, the call found, and the manifest tree walked
together with the syntax tree: a keyword argument (`cidr=""`, `pod_selector=…`), a key of a dict
literal, an item of a list literal, or the keyword of an `…Args(…)` call gives the position of the
value under it. A name bound once in the file (`spec = NetworkPolicySpecArgs(…)` … `spec=spec`)
is followed to that binding. Anything else (a computed value, a function's result) takes the
position of the nearest enclosing expression that is written in the program.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from policylint import lazy_log
from policylint.load.nodes import Span

LOG = lazy_log.get_logger(__name__)
_MAX_NAME_HOPS = 8


def normalise(name: str) -> str:
    """`pod_selector`, `podSelector` and `from_` → `podselector`, `from`: Python and manifest spellings meet."""
    return name.replace("_", "").lower()


@dataclass(slots=True)
class ParsedFile:
    path: str  # as reports show it
    lines: list[bytes]
    tree: ast.Module | None
    calls: dict[tuple[int, int, int, int], ast.Call] = field(default_factory=dict)
    bindings: dict[str, list[ast.expr]] = field(default_factory=dict)

    @classmethod
    def parse(cls, absolute: str, display: str) -> "ParsedFile":
        try:
            data = Path(absolute).read_bytes()
            tree = ast.parse(data, filename=absolute)
        except (OSError, SyntaxError, ValueError) as error:
            LOG.debug("cannot parse %s for positions: %s", absolute, error)
            return cls(display, [], None)
        parsed = cls(display, data.splitlines(), tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.end_lineno is not None and node.end_col_offset is not None:
                parsed.calls[(node.lineno, node.end_lineno, node.col_offset, node.end_col_offset)] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        parsed.bindings.setdefault(target.id, []).append(node.value)
            elif isinstance(node, (ast.AugAssign, ast.For, ast.comprehension, ast.NamedExpr, ast.With)):
                for name in _bound_names(node):
                    parsed.bindings.setdefault(name, []).append(node)  # never a unique literal binding
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for argument in ast.walk(node.args):
                    if isinstance(argument, ast.arg):
                        parsed.bindings.setdefault(argument.arg, []).append(node)
        return parsed

    def span(self, node: ast.AST) -> Span:
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        column = self._column(line, getattr(node, "col_offset", 0))
        end_column = self._column(end_line, getattr(node, "end_col_offset", None) or 0)
        return Span(self.path, line, column, end_line, end_column)

    def line_span(self, line: int) -> Span:
        return Span(self.path, line, 1, line, 1)

    def _column(self, line: int, byte_offset: int) -> int:
        """1-based character column of a UTF-8 byte offset, as editors count."""
        if 1 <= line <= len(self.lines):
            return len(self.lines[line - 1][:byte_offset].decode("utf-8", "replace")) + 1
        return byte_offset + 1

    def call_at(self, line: int, end_line: int, column: int, end_column: int) -> ast.Call | None:
        exact = self.calls.get((line, end_line, column, end_column))
        if exact is not None or self.tree is None:
            return exact
        # Without an exact range (an interpreter that does not record one), the innermost call
        # that starts on the line.
        starting = [c for c in self.calls.values() if c.lineno == line]
        return min(starting, key=lambda c: (c.end_lineno or c.lineno) - c.lineno, default=None)

    def resolve(self, node: ast.AST | None) -> ast.AST | None:
        """Follow a name to the one expression bound to it in this file, if there is exactly one."""
        for _ in range(_MAX_NAME_HOPS):
            if not isinstance(node, ast.Name):
                return node
            bound = self.bindings.get(node.id, [])
            if len(bound) != 1 or not isinstance(bound[0], ast.expr):
                return node
            node = bound[0]
        return node


def _bound_names(node: ast.AST) -> Iterator[str]:
    targets: list[ast.AST] = []
    if isinstance(node, (ast.AugAssign, ast.For, ast.comprehension)):
        targets = [node.target]
    elif isinstance(node, ast.NamedExpr):
        targets = [node.target]
    elif isinstance(node, ast.With):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    for target in targets:
        for name in ast.walk(target):
            if isinstance(name, ast.Name):
                yield name.id


@dataclass(frozen=True, slots=True)
class Located:
    """Where a value is written: the expression (None when it is not written in the program),
    the span of the value and the span of its key (the keyword or dict key naming it)."""

    node: ast.AST | None
    value_span: Span
    key_span: Span


def child(parsed: ParsedFile, parent: Located, key: str | int) -> Located:
    """The location of `parent[key]`; the parent's own span when it is not written literally."""
    node = parsed.resolve(parent.node)
    if node is not None:
        found = _child_node(node, key)
        if found is not None:
            key_node, value_node = found
            value_span = parsed.span(value_node)
            return Located(value_node, value_span, parsed.span(key_node) if key_node is not None else value_span)
    return Located(None, parent.value_span, parent.value_span)


def _child_node(node: ast.AST, key: str | int) -> tuple[ast.AST | None, ast.AST] | None:
    if isinstance(key, int):
        if isinstance(node, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in node.elts):
            if 0 <= key < len(node.elts):
                return None, node.elts[key]
        return None
    if isinstance(node, ast.Call):
        return _keyword(node.keywords, key)
    if isinstance(node, ast.Dict):
        return _dict_item(node, key)
    return None


def _keyword(keywords: list[ast.keyword], key: str) -> tuple[ast.AST, ast.AST] | None:
    wanted = normalise(key)
    for keyword in keywords:
        if keyword.arg is not None and (keyword.arg == key or normalise(keyword.arg) == wanted):
            return keyword, keyword.value
    return None


def _dict_item(node: ast.Dict, key: str) -> tuple[ast.AST, ast.AST] | None:
    for exact in (True, False):
        for key_node, value in zip(node.keys, node.values):
            if isinstance(key_node, ast.Constant) and isinstance(key_node.value, str):
                if key_node.value == key if exact else normalise(key_node.value) == normalise(key):
                    return key_node, value
    return None


def resource_root(parsed: ParsedFile, call: ast.Call | None, fallback: Span) -> Located:
    """The location of a resource's inputs: its constructor call, whose keywords are the
    top-level fields (`metadata=`, `spec=`), or the `…Args(…)` passed as `args=` or second."""
    if call is None:
        return Located(None, fallback, fallback)
    span = parsed.span(call)
    args_node: ast.AST | None = None
    for keyword in call.keywords:
        if keyword.arg in ("args", "__props__"):
            args_node = keyword.value
    if args_node is None and len(call.args) >= 2:
        args_node = call.args[1]
    if args_node is not None:
        resolved = parsed.resolve(args_node)
        if isinstance(resolved, (ast.Call, ast.Dict)):
            # Keywords of the constructor win; the rest come from the args object.
            merged = ast.Call(func=call.func, args=[], keywords=list(call.keywords) + _as_keywords(resolved))
            ast.copy_location(merged, call)
            merged.end_lineno, merged.end_col_offset = call.end_lineno, call.end_col_offset
            return Located(merged, span, span)
    return Located(call, span, span)


def _as_keywords(node: ast.Call | ast.Dict) -> list[ast.keyword]:
    if isinstance(node, ast.Call):
        return list(node.keywords)
    keywords = []
    for key_node, value in zip(node.keys, node.values):
        if isinstance(key_node, ast.Constant) and isinstance(key_node.value, str):
            keyword = ast.keyword(arg=key_node.value, value=value)
            ast.copy_location(keyword, key_node)
            keyword.end_lineno, keyword.end_col_offset = value.end_lineno, value.end_col_offset
            keywords.append(keyword)
    return keywords


class FileCache:
    """Parsed program files, each read once per run."""

    def __init__(self) -> None:
        self._files: dict[str, ParsedFile] = {}

    def get(self, absolute: str, display: str) -> ParsedFile:
        parsed = self._files.get(absolute)
        if parsed is None:
            parsed = self._files[absolute] = ParsedFile.parse(absolute, display)
        return parsed

    def __iter__(self) -> Iterator[ParsedFile]:
        return iter(self._files.values())


def literal_value(node: ast.AST | None) -> Any:
    """The Python value of a literal expression, or None when it is not one."""
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
