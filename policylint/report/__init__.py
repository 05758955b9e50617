"""Formatters: each module renders a `Report` as text; this registry maps format names to them."""
from __future__ import annotations

import importlib
from typing import Callable

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


__all__ = ["FORMATS", "Report", "renderer"]
