"""Turn a registered resource's inputs into a positioned manifest (`YMap`/`YSeq`) for the loader's stages.

pulumi-kubernetes already hands the engine manifest-shaped inputs (camelCase keys, `from`,
`except`, `apiVersion` and `kind` filled in), so the values are kept as they are; only their
positions are added, from the program's source (see `positions`). A value that only a deployment
would know becomes `Unknown`, and is listed so that a rule can report it at its line.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policylint.load.nodes import Span, YMap, YSeq
from policylint.pulumi.positions import Located, ParsedFile, child

UNKNOWN_MARKER = "$policylint.unknown"  # runner.UNKNOWN_MARKER (the runner is a script, not imported)


class Unknown:
    """A value that only a deployment knows (another resource's output), kept in the manifest in
    place of the value. It is no string, number or mapping, so the model treats the field as
    unusable: it matches nothing, and access is never widened because of it."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return "<unknown>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown)

    def __hash__(self) -> int:
        return hash(Unknown)


@dataclass(frozen=True, slots=True)
class UnknownField:
    field_path: str
    span: Span
    reason: str


def is_unknown_marker(value: Any) -> bool:
    return isinstance(value, dict) and UNKNOWN_MARKER in value and len(value) == 1


def build(value: Any, parsed: ParsedFile, where: Located, path: str, unknowns: list[UnknownField]) -> Any:
    """The positioned form of `value`, written at `where`; unknown values are collected."""
    if is_unknown_marker(value):
        unknowns.append(UnknownField(path, where.value_span, str(value[UNKNOWN_MARKER])))
        return Unknown(str(value[UNKNOWN_MARKER]))
    if isinstance(value, dict):
        node = YMap(where.value_span)
        for key in _source_order(value, parsed, where):
            located = child(parsed, where, key)
            node[key] = build(value[key], parsed, located, _join(path, key), unknowns)
            node.key_spans[key] = located.key_span
            node.value_spans[key] = located.value_span
        return node
    if isinstance(value, list):
        sequence = YSeq(where.value_span)
        for index, item in enumerate(value):
            located = child(parsed, where, index)
            sequence.append(build(item, parsed, located, f"{path}[{index}]", unknowns))
            sequence.item_spans.append(located.value_span)
        return sequence
    return value


def _source_order(value: dict[str, Any], parsed: ParsedFile, where: Located) -> list[str]:
    """Keys in the order the program wrote them (then the rest as given): reports read naturally."""
    def position(key: str) -> tuple[int, int, str]:
        located = child(parsed, where, key)
        if located.node is None:
            return (1 << 30, 0, key)
        return (located.key_span.line, located.key_span.column, key)

    return sorted(value, key=position)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
