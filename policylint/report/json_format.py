"""JSON for code review and other tools: `policylint.report/v1` (schema in policylint/schemas)."""
from __future__ import annotations

from typing import Any

from policylint.findings import Finding, Severity
from policylint.report.escape import json_dumps
from policylint.report.model import Report

SCHEMA = "policylint.report/v1"


def finding_to_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "name": f.name,
        "severity": f.severity.label,
        "message": f.message,
        "file": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.span.end_line,
        "end_column": f.span.end_column,
        "object": f.object,
        "field_path": f.field_path,
        "remediation": f.remediation,
        "related": [
            {"file": r.span.path, "line": r.span.line, "column": r.span.column, "message": r.message}
            for r in f.related
        ],
    }


def render(report: Report) -> str:
    s = report.summary
    document = {
        "schema": SCHEMA,
        "tool": {"name": "policylint", "version": report.tool_version},
        "summary": {
            "files": s.files,
            "objects": s.objects,
            "namespaces": s.namespaces,
            "workloads": s.workloads,
            "policies": s.policies,
            "findings": {sev.label: report.count(sev) for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO)},
            "fail_on": report.fail_on.label,
            "failed": report.failed,
            "not_analysed": list(s.not_analysed),
            "unused": [{"object": label, "file": path, "line": line, "reason": reason}
                       for label, path, line, reason in s.unused],
            "skipped": [{"file": path, "reason": reason} for path, reason in s.skipped],
        },
        "findings": [_with_fix(finding_to_dict(f), report.extra.get("fixes", {}).get(f.stable_key))
                     for f in report.findings],
    }
    if s.rendered:  # only when something was rendered: every other report keeps its bytes
        document["summary"]["rendered"] = [{"file": path, "how": how} for path, how in s.rendered]
    return json_dumps(document, indent=2, sort_keys=False) + "\n"


def _with_fix(entry: dict[str, Any], fix: Any) -> dict[str, Any]:
    if fix is not None:
        entry["fix"] = {
            "title": fix.title,
            "safety": fix.safety,
            "edits": [{"file": e.path, "start_line": e.start_line, "start_column": e.start_column,
                       "end_line": e.end_line, "end_column": e.end_column, "text": e.text} for e in fix.edits],
            "diff": fix.diff,
        }
    return entry
