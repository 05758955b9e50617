"""Formatters: each module renders a `Report` as text; this registry maps format names to them."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from policylint.report.model import Report

# name -> module under policylint.report; imported only when used, to keep start-up cheap
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "github": "github",
    "markdown": "markdown",
    "gitlab": "gitlab",
    "junit": "junit",
    "html": "html",
}


def renderer(name: str) -> Callable[[Report], str]:
    module = importlib.import_module(f"policylint.report.{FORMATS[name]}")
    return module.render


def __getattr__(name: str) -> Any:
    # `Report` is read where a report is built; `matrix` and `reach` use this package's escapes
    # (policylint.report.escape), not its model, and do not import it.
    if name == "Report":
        from policylint.report.model import Report

        return Report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FORMATS", "Report", "renderer"]
