"""The diff as the self-contained HTML page of `policylint.report.html`."""
from __future__ import annotations

from typing import Any


def render(result: Any) -> str:
    from policylint.report.html import render_diff

    return render_diff(result)
