"""Build `LabelSelector` values, with the API server's selector validation as issues."""
from __future__ import annotations

from typing import Any, Callable

from policylint.load.nodes import Span, YMap, YSeq
from policylint.model.fields import WRONG_TYPE, Fields, join_path, type_name
from policylint.model.types import LabelSelector, Requirement
from policylint.model.validation import label_key_error, label_value_error

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def build_selector(fields: Fields, parent: YMap, key: str, path: str) -> LabelSelector | None | Any:
    """The selector at parent[key]: None when absent or null, WRONG_TYPE when not a mapping."""
    node = fields.mapping(parent, key, path)
    if node is None or node is WRONG_TYPE:
        return node
    return parse_selector(fields, node, join_path(path, key))


def parse_selector(fields: Fields, node: YMap, path: str) -> LabelSelector:
    valid = True
    labels: list[tuple[str, str]] = []
    match_labels = fields.mapping(node, "matchLabels", path)
    if match_labels is WRONG_TYPE:
        valid = False
    elif isinstance(match_labels, YMap):
        labels_path = join_path(path, "matchLabels")
        for k, v in match_labels.items():
            # Spans and paths are made for an issue only (nearly every selector has none).
            if not isinstance(k, str) or not isinstance(v, str):
                bad = k if not isinstance(k, str) else v
                fields.issue("shape", match_labels.span_of_value(k), join_path(labels_path, str(k)),
                             f"matchLabels must map strings to strings; {bad!r} is {type_name(bad)}")
                valid = False
                continue
            valid &= _check_key(fields, k, lambda: match_labels.span_of_key(k), lambda: join_path(labels_path, k))
            error = label_value_error(v)
            if error:
                fields.issue("selector", match_labels.span_of_value(k), join_path(labels_path, k),
                             f"label value {v!r} {error}")
                valid = False
            labels.append((k, v))
    expressions: list[Requirement] = []
    nodes = fields.sequence(node, "matchExpressions", path)
    if nodes is WRONG_TYPE:
        valid = False
    elif isinstance(nodes, YSeq):
        for index, item in enumerate(nodes):
            item_path = join_path(join_path(path, "matchExpressions"), index)
            requirement = _requirement(fields, item, nodes, index, item_path)
            if requirement is None:
                valid = False
            else:
                expressions.append(requirement)
    for extra in node:
        if extra not in ("matchLabels", "matchExpressions"):
            fields.issue("unknown-field", node.span_of_key(extra), join_path(path, str(extra)),
                         f"unknown field {extra!r} in a label selector (labels go under matchLabels)")
    return LabelSelector(tuple(labels), tuple(expressions), valid, fields.source(node, path))


def _check_key(fields: Fields, key: str, span: Callable[[], Span], path: Callable[[], str]) -> bool:
    """Whether `key` is a valid label key; if not, an issue at `span()`, `path()` (made then only:
    nearly every selector has none)."""
    error = label_key_error(key)
    if error:
        fields.issue("selector", span(), path(), f"label key {key!r}: {error}")
        return False
    return True


def _requirement(fields: Fields, item: Any, parent: YSeq, index: int, path: str) -> Requirement | None:
    if not isinstance(item, YMap):
        fields.issue("shape", parent.span_of_item(index), path, f"a match expression must be a mapping, not {type_name(item)}")
        return None
    ok = True
    key = fields.string(item, "key", path)
    operator = fields.string(item, "operator", path)
    values_node = fields.sequence(item, "values", path)
    if key is None:
        # The API server reads a missing key as "" and rejects it as a label key, not as a type error.
        fields.issue("selector", item.span, join_path(path, "key"), "match expression needs a `key`")
        ok = False
    elif isinstance(key, str):
        ok &= _check_key(fields, key, lambda: item.span_of_value("key"), lambda: join_path(path, "key"))
    else:
        ok = False
    values: list[str] = []
    if isinstance(values_node, YSeq):
        for value_index, value in enumerate(values_node):
            value_path = join_path(join_path(path, "values"), value_index)
            if not isinstance(value, str):
                shown = "" if value is None else f" ({value!r})"
                fields.issue("shape", values_node.span_of_item(value_index), value_path,
                             f"selector values must be strings, not {type_name(value)}{shown}")
                ok = False
                continue
            error = label_value_error(value)
            if error:
                fields.issue("selector", values_node.span_of_item(value_index), value_path, f"label value {value!r} {error}")
                ok = False
            values.append(value)
    elif values_node is WRONG_TYPE:
        ok = False
    if operator is None:
        fields.issue("selector", item.span, join_path(path, "operator"), "match expression needs an `operator`")
        ok = False
    elif isinstance(operator, str):
        if operator not in OPERATORS:
            fields.issue("selector", item.span_of_value("operator"), join_path(path, "operator"),
                         f"{operator!r} is not a valid selector operator (In, NotIn, Exists, DoesNotExist)")
            ok = False
        elif operator in ("In", "NotIn") and values_node is not WRONG_TYPE \
                and not (isinstance(values_node, YSeq) and len(values_node) > 0):
            # Counted as written: a non-string item, or a non-list, is a shape problem already.
            fields.issue("selector", item.span_of_value("values" if "values" in item else "operator"),
                         join_path(path, "values"), f"values must be specified when operator is {operator!r}")
            ok = False
        elif operator in ("Exists", "DoesNotExist") and values_node not in (None, WRONG_TYPE) and len(values_node) > 0:
            fields.issue("selector", item.span_of_value("values"), join_path(path, "values"),
                         f"values may not be specified when operator is {operator!r}")
            ok = False
    else:
        ok = False
    if not ok:
        return None
    return Requirement(key, operator, tuple(values))  # type: ignore[arg-type]
