"""GitLab Code Quality report (a Code Climate issue array) for the merge-request widget.

GitLab compares the fingerprints of the source and target branches to show new and fixed
issues, so a fingerprint must be unique in the report and survive edits elsewhere in the file
(see `fingerprint.py`). Severity: an error is something the API server rejects or that breaks
the analysis, so `critical`; a warning is a likely mistake, `major`; info stays `info`.
"""
from __future__ import annotations

import hashlib
from typing import Any

from policylint.findings import Finding, Severity
from policylint.report.fingerprint import fingerprints
from policylint.report.escape import json_dumps
from policylint.report.model import Report
from policylint.report.paths import relative_path

SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def render(report: Report) -> str:
    ids = fingerprints(report.findings, relative_path)
    issues = [issue(f, hashlib.sha256(f"{digest}:{n}".encode()).hexdigest()[:32])
              for f, (digest, n) in zip(report.findings, ids)]
    return json_dumps(issues, indent=2) + "\n"


def issue(f: Finding, fingerprint: str) -> dict[str, Any]:
    return {
        "type": "issue",
        "check_name": f.code,
        "description": f"{f.message} ({f.code} {f.name})",
        "fingerprint": fingerprint,
        "severity": SEVERITIES[f.severity],
        "location": {"path": relative_path(f.path), "lines": {"begin": f.line, "end": max(f.span.end_line, f.line)}},
    }
