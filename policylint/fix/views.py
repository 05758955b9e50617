"""Fixes as the reports show them: edits in line/column terms of the files as they were read."""
from __future__ import annotations

from dataclasses import dataclass

from policylint.fix.model import FixOutcome
from policylint.fix.text import Lines, apply_edits, unified_diff


@dataclass(frozen=True, slots=True)
class EditView:
    path: str
    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str  # inserted in place of the region (empty: a deletion)


@dataclass(frozen=True, slots=True)
class FixView:
    title: str
    safety: str
    edits: tuple[EditView, ...]  # empty when the fix applies only after another fix
    diff: str  # this fix alone, as a unified diff (empty with no edits)


def fix_views(outcome: FixOutcome) -> dict[tuple, FixView]:
    """`finding_key` -> its fix, for every fix that was proved (applied) or is unsafe."""
    from policylint.fix.plan import finding_key

    views: dict[tuple, FixView] = {}
    for fix in [*outcome.applied, *outcome.skipped_unsafe]:
        edits: tuple[EditView, ...] = ()
        diff = ""
        original = outcome.original_edits.get(id(fix))
        if original:
            texts = {path: outcome.texts[path][0] for path in {e.path for e in original} if path in outcome.texts}
            if len(texts) == len({e.path for e in original}):
                edits = tuple(_view(Lines(texts[e.path]), e) for e in original)
                diff = "".join(unified_diff(p, t, apply_edits(t, [e for e in original if e.path == p]))
                               for p, t in sorted(texts.items()))
        views[finding_key(fix.finding)] = FixView(fix.title, fix.safety, edits, diff)
    return views


def _view(lines: Lines, edit) -> EditView:
    start, end = lines.position(edit.start), lines.position(edit.end)
    return EditView(edit.path, *start, *end, edit.replacement)
