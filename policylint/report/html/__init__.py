"""The HTML report: one self-contained page with the findings, the connectivity and the training
jobs, for a reviewer to open in a browser (see page.py for what makes it safe and offline).

`check --format html` renders a `Report` (with the analysis in `report.extra`, for the
connectivity and jobs views); `matrix` and `diff` call `render_matrix` and `render_diff`.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any, Iterator

from policylint.report.model import Report


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """The page data is millions of small lists and strings made next to the analysis (over a
    million objects on a 10,000-workload cluster): each full pass of the cycle collector walks
    them all again, for no garbage (the data has no cycles; reference counting frees it). Off
    while the page is built: half the CPU time of writing it at that size."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def render(report: Report) -> str:
    from policylint.report.html.data import report_data
    from policylint.report.html.page import render_page

    with _without_cycle_collection():
        data = report_data(report, report.extra.get("analysis"), report.extra.get("config"))
        return render_page(data, "policylint report")


def render_matrix(engine: Any, tool_version: str) -> str:
    from policylint.report.html.connectivity import connectivity_data
    from policylint.report.html.page import render_page

    with _without_cycle_collection():
        data = {"mode": "matrix", "tool": tool_version, "connectivity": connectivity_data(engine)}
        return render_page(data, "policylint connectivity")


def render_diff(result: Any, new_engine: Any = None) -> str:
    from policylint.report.html.diff_data import diff_data
    from policylint.report.html.page import render_page

    with _without_cycle_collection():
        return render_page(diff_data(result, new_engine), "policylint diff")
