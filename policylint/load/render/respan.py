"""Point a rendered object's positions back at the files it was rendered from.

Rendered text lives in a temporary stream that the user never sees; every span of a rendered
object is rewritten so that findings name a file of the repository:

- kustomize re-serialises what it reads (keys sorted, flow style made block), so a rendered
  object is aligned with its source object **by structure**: a field that the source has gets
  the source's position; a field that the source does not have (added by a patch, by
  `namespace:` or `labels:` of the kustomization) gets the position of its nearest enclosing
  field that the source has. Such lines are approximate: they point at the source object, not
  at the patch that changed it.
- Helm prints each template's output after a `# Source:` line, mostly as the template's own
  text with values filled in, so a rendered document is aligned with its template **by lines**
  (the longest common subsequence of their stripped lines); a rendered line with no equal
  template line takes the position of the nearest aligned line above it.
"""
from __future__ import annotations

import difflib
from typing import Any, Callable

from policylint.load.nodes import Span, YMap, YSeq


def align(rendered: Any, source: Any, fallback: Span) -> None:
    """Rewrite the spans of `rendered` (a YMap or YSeq) from the matching nodes of `source`."""
    pending: list[tuple[Any, Any, Span]] = [(rendered, source, fallback)]
    while pending:
        node, original, outer = pending.pop()
        if isinstance(node, YMap):
            same = original if isinstance(original, YMap) else None
            here = same.span if same is not None else outer
            keys: dict[Any, Span] = {}
            values: dict[Any, Span] = {}
            for key, value in node.items():
                if same is not None and key in same:
                    keys[key], values[key] = same.span_of_key(key), same.span_of_value(key)
                    counterpart = same[key]
                else:
                    keys[key] = values[key] = here
                    counterpart = None
                if isinstance(value, (YMap, YSeq)):
                    pending.append((value, counterpart, values[key]))
            node.span, node.key_spans, node.value_spans = here, keys, values
        elif isinstance(node, YSeq):
            same_seq = original if isinstance(original, YSeq) else None
            here = same_seq.span if same_seq is not None else outer
            items: list[Span] = []
            for index, item in enumerate(node):
                position = _counterpart(item, index, same_seq)
                if position is None:
                    items.append(here)
                    counterpart = None
                else:
                    items.append(same_seq.span_of_item(position))  # type: ignore[union-attr]
                    counterpart = same_seq[position]  # type: ignore[index]
                if isinstance(item, (YMap, YSeq)):
                    pending.append((item, counterpart, items[-1]))
            node.span, node.item_spans = here, items


def _counterpart(item: Any, index: int, source: YSeq | None) -> int | None:
    """The index of the source item that `item` was rendered from: by `name` for named entries
    (containers, ports: patches insert and reorder them), else by position."""
    if source is None:
        return None
    name = item.get("name") if isinstance(item, YMap) else None
    if isinstance(name, str):
        for position, candidate in enumerate(source):
            if isinstance(candidate, YMap) and candidate.get("name") == name:
                return position
        return None
    return index if index < len(source) else None


def line_map(rendered: list[str], template: list[str]) -> list[tuple[int, bool]]:
    """For each rendered line (0-based), (the 1-based template line it comes from, exact?).

    Equal lines (stripped) are aligned as the longest common subsequence; the rendered lines of a
    stretch that differs are laid over the template lines of that stretch in order (a line with
    `{{ .Values.x }}` filled in sits where its template line sits), the extra ones on its last
    line, and lines that the template does not have at all on the line above them.
    """
    matcher = difflib.SequenceMatcher(None, [l.strip() for l in rendered], [l.strip() for l in template],
                                      autojunk=False)
    result: list[tuple[int, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for offset in range(i2 - i1):
            if tag == "equal":
                result.append((j1 + offset + 1, True))
            elif tag == "replace":
                result.append((min(j1 + offset, j2 - 1) + 1, False))
            else:  # inserted by the render: where the template was at that point
                result.append((max(j1, 1), False))
    return result


def rewrite(node: Any, change: Callable[[Span], Span]) -> None:
    """Apply `change` to every span of a tree of YMap/YSeq."""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, YMap):
            keys = {k: change(current.span_of_key(k)) for k in current}
            values = {k: change(current.span_of_value(k)) for k in current}
            current.span, current.key_spans, current.value_spans = change(current.span), keys, values
            pending.extend(v for v in current.values() if isinstance(v, (YMap, YSeq)))
        elif isinstance(current, YSeq):
            items = [change(current.span_of_item(i)) for i in range(len(current))]
            current.span, current.item_spans = change(current.span), items
            pending.extend(v for v in current if isinstance(v, (YMap, YSeq)))
