"""What the HTML page shows, as one JSON-able dict: summary, findings with their source lines,
and (when the analysis is at hand) connectivity and training jobs."""
from __future__ import annotations

import os
from typing import Any

from policylint.findings import Finding, Severity
from policylint.report.model import Report

CONTEXT_LINES = 2  # source lines shown above and below a finding
MAX_SNIPPET_LINES = 12
MAX_LINE_CHARS = 400
SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
INTENT_CODES = ("PL501", "PL502", "PL503", "PL504", "PL505", "PL506", "PL507", "PL508", "PL509")


def finding_namespace(f: Finding) -> str | None:
    """The namespace a finding concerns, from its object ("NetworkPolicy ns/name", "Namespace ns")."""
    if not f.object:
        return None
    kind, _, name = f.object.partition(" ")
    if "/" in name:
        return name.split("/", 1)[0]
    return (name or None) if kind == "Namespace" else None


class SourceLines:
    """Lines of the input files, read once each, for the snippets around findings."""

    def __init__(self) -> None:
        self._files: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._files:
            self._files[path] = _read_lines(path)
        return self._files[path]

    def snippet(self, f: Finding) -> list[Any] | None:
        """[first line number, [line texts]] around the finding, or None when the file is not readable."""
        lines = self.lines(f.path)
        if not lines or f.line < 1 or f.line > len(lines):
            return None
        end = max(f.line, f.span.end_line or f.line)
        first = max(1, f.line - CONTEXT_LINES)
        last = min(len(lines), end + CONTEXT_LINES, first + MAX_SNIPPET_LINES - 1)
        return [first, [line[:MAX_LINE_CHARS] for line in lines[first - 1:last]]]


def _read_lines(path: str) -> list[str] | None:
    if path.startswith("<") or not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as handle:
            raw = handle.read(64 << 20)
    except OSError:
        return None
    return raw.decode("utf-8", errors="replace").splitlines()


def patch_data(fix: Any) -> dict[str, Any] | None:
    """A proved fix as the page shows it (the `fix` object of the JSON report, less the edits,
    which the unified diff already shows); None when the finding has none."""
    if fix is None:
        return None
    return {"title": fix.title, "safety": fix.safety, "diff": fix.diff}


def finding_data(f: Finding, sources: SourceLines, fix: Any = None) -> dict[str, Any]:
    return {
        "code": f.code, "name": f.name, "severity": f.severity.label, "message": f.message,
        "file": f.path, "line": f.line, "column": f.column, "end_line": f.span.end_line,
        "object": f.object, "field": f.field_path, "fix": f.remediation, "namespace": finding_namespace(f),
        "related": [[r.span.path, r.span.line, r.message] for r in f.related],
        "source": sources.snippet(f), "patch": patch_data(fix),
    }


def summary_data(report: Report) -> dict[str, Any]:
    s = report.summary
    return {
        "files": s.files, "objects": s.objects, "namespaces": s.namespaces, "workloads": s.workloads,
        "policies": s.policies, "findings": {sev.label: report.count(sev) for sev in SEVERITIES},
        "fail_on": report.fail_on.label, "failed": report.failed, "not_analysed": list(s.not_analysed),
    }


def report_data(report: Report, analysis: Any = None, config: Any = None, *,
                explain_pairs: int | None = None) -> dict[str, Any]:
    sources = SourceLines()
    fixes = report.extra.get("fixes") or {}  # `check --show-fixes`: finding key -> its proved fix
    data: dict[str, Any] = {
        "mode": "check",
        "tool": report.tool_version,
        "summary": summary_data(report),
        "rules": {r.code: [r.name, r.severity.label] for r in report.rules},
        "findings": [finding_data(f, sources, fixes.get(f.stable_key)) for f in report.findings],
    }
    if analysis is not None:
        from policylint.report.html.connectivity import EXPLAIN_PAIRS, connectivity_data
        from policylint.report.html.jobs import jobs_data

        engine = analysis.engine
        rows: dict[int, Any] = {}
        data["connectivity"] = connectivity_data(engine, EXPLAIN_PAIRS if explain_pairs is None else explain_pairs, rows)
        data["jobs"] = jobs_data(analysis, engine, report, config, rows)
    return data
