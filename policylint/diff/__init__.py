"""`policylint diff`: what a change to a set of manifests does to connectivity, for code review.

Two versions (two paths, or paths at a git revision and in the working tree) are each analysed
by the same pipeline as `check`; the diff compares their connectivity at endpoint granularity,
their workloads, policies and namespaces, and their findings.

- `sides` — one analysed version; `revision` — a version read from git
- `connections` — which pairs changed (external ranges on the common refinement)
- `causes` — the rules and isolation changes responsible
- `objects` — workloads, policies, namespaces and findings added, removed, changed
- `compute` — all of it into a `DiffResult` (`model`)
- `grouping`, `words`, `render_*` — the output formats
"""
from __future__ import annotations

import importlib
from typing import Callable

FORMATS: dict[str, str] = {"text": "render_text", "json": "render_json", "markdown": "render_markdown",
                          "html": "render_html"}


def renderer(name: str) -> Callable:
    return importlib.import_module(f"policylint.diff.{FORMATS[name]}").render


__all__ = ["FORMATS", "renderer"]
