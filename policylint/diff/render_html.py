"""The diff as the self-contained HTML page of `policylint.report.html`: the changes marked on the
new version's heat map and graph (its engine, when given, draws them)."""
from __future__ import annotations

from typing import Any


def render(result: Any, new_engine: Any = None) -> str:
    from policylint.report.html import render_diff

    return render_diff(result, new_engine)
