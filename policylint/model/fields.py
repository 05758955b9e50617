"""Typed access to manifest fields that records, rather than raises, when a field has the wrong type."""
from __future__ import annotations

from typing import Any

from policylint.load.nodes import Span, YMap, YSeq
from policylint.model.types import Issue, Source

_TYPE_NAMES = {
    YMap: "a mapping",
    YSeq: "a list",
    str: "a string",
    int: "an integer",
    bool: "a boolean",
    float: "a number",
    type(None): "null",
}


def mapping_or_empty(value: Any) -> YMap:
    """`value` when it is a mapping, else an empty one: for reading optional nested fields whose
    wrong shapes other code reports."""
    return value if isinstance(value, YMap) else YMap()


def type_name(value: Any) -> str:
    """How a message names what was found: the type, and for a fraction the value itself (a
    reader who wrote `80.5` must see `80.5`, not "a number" where a number is wanted)."""
    if type(value) is float:
        return f"the fraction `{value!r}`" if value == value and abs(value) != float("inf") else f"`{value!r}`"
    for kind, name in _TYPE_NAMES.items():
        if type(value) is kind:
            return name
    if isinstance(value, YMap):
        return "a mapping"
    if isinstance(value, YSeq):
        return "a list"
    return type(value).__name__


class Fields:
    """Reads the fields of one object and collects the issues found on the way."""

    def __init__(self, object_label: str, issues: list[Issue]) -> None:
        self.object = object_label
        self.issues = issues

    def source(self, node: Any, field_path: str, fallback: Span | None = None) -> Source:
        return Source(node, field_path, self.object, fallback)

    def issue(self, kind: str, span: Span, field_path: str, message: str) -> None:
        self.issues.append(Issue(kind, span, field_path, self.object, message))

    def _get(self, parent: YMap, key: str, path: str, wanted: type, wanted_name: str) -> Any:
        if key not in parent:
            return None
        value = parent[key]
        if value is None:
            return None
        if isinstance(value, wanted) and not (wanted is int and isinstance(value, bool)):
            return value
        self.issue(
            "shape",
            parent.span_of_value(key),
            _join(path, key),
            f"`{key}` must be {wanted_name}, not {type_name(value)}",
        )
        return WRONG_TYPE

    def mapping(self, parent: YMap, key: str, path: str) -> YMap | None | object:
        """The mapping at `key`; None when absent or null; WRONG_TYPE after recording an issue."""
        return self._get(parent, key, path, YMap, "a mapping")

    def sequence(self, parent: YMap, key: str, path: str) -> YSeq | None | object:
        return self._get(parent, key, path, YSeq, "a list")

    def string(self, parent: YMap, key: str, path: str) -> str | None | object:
        return self._get(parent, key, path, str, "a string")

    def integer(self, parent: YMap, key: str, path: str) -> int | None | object:
        return self._get(parent, key, path, int, "an integer")

    def string_map(self, parent: YMap, key: str, path: str) -> dict[str, str]:
        """A map of strings (labels, annotations); non-string entries are issues and dropped."""
        node = self.mapping(parent, key, path)
        if not isinstance(node, YMap):
            return {}
        result: dict[str, str] = {}
        for k, v in node.items():
            if isinstance(k, str) and isinstance(v, str):
                result[k] = v
            else:
                bad = k if not isinstance(k, str) else v
                self.issue(
                    "shape",
                    node.span_of_value(k),
                    _join(_join(path, key), str(k)),
                    f"`{key}` entries must map strings to strings; {bad!r} is {type_name(bad)}",
                )
        return result


class _WrongType:
    def __repr__(self) -> str:
        return "WRONG_TYPE"

    def __bool__(self) -> bool:
        return False


WRONG_TYPE: Any = _WrongType()


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


join_path = _join
