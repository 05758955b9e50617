"""SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDE viewers), with rule metadata.

Locations are relative to `%SRCROOT%` (the working directory, which CI sets to the repository
root). Columns count Unicode code points, as the YAML parser does. `partialFingerprints` hash
what a finding is rather than its line (see `fingerprint.py`) so code scanning keeps tracking an
alert when lines are inserted above it.
"""
from __future__ import annotations

import re
from typing import Any

from policylint.findings import Finding, Severity
from policylint.load.nodes import Span
from policylint.report.fingerprint import fingerprints
from policylint.report.escape import json_dumps
from policylint.report.model import Report
from policylint.report.paths import artifact_uri, relative_path
from policylint.rule_api import RuleSpec

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/policylint/"
FINGERPRINT_KEY = "policylintFingerprint/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# Code groups (CONVENTIONS.md): the hundreds digit names what a rule looks at.
CATEGORIES = {"0": "input", "1": "selectors", "2": "ipblock", "3": "ports", "4": "cross-policy", "5": "intents"}


def render(report: Report) -> str:
    return json_dumps(document(report), indent=2) + "\n"


def document(report: Report) -> dict[str, Any]:
    specs = {spec.code: spec for spec in report.rules}
    codes = sorted(set(specs) | {f.code for f in report.findings})
    index = {code: i for i, code in enumerate(codes)}
    names = {f.code: f.name for f in report.findings}
    rules = [rule_descriptor(specs[code]) if code in specs else {"id": code, "name": names[code]} for code in codes]
    ids = fingerprints(report.findings, relative_path)
    fixes = report.extra.get("fixes", {})
    results = [_with_fix(_result(f, index[f.code], digest, n), fixes.get(f.stable_key))
               for f, (digest, n) in zip(report.findings, ids)]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "policylint", "version": report.tool_version,
                                "informationUri": INFORMATION_URI, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def rule_descriptor(spec: RuleSpec) -> dict[str, Any]:
    help_markdown = spec.doc + (f"\n\n## Remediation\n{spec.remediation}" if spec.remediation else "")
    return {
        "id": spec.code,
        "name": spec.name,
        "shortDescription": {"text": spec.summary},
        "fullDescription": {"text": section(spec.doc, "What it does") or spec.summary},
        "help": {"text": plain_text(help_markdown), "markdown": help_markdown},
        "defaultConfiguration": {"level": LEVELS[spec.severity]},
        "properties": {"tags": ["networkpolicy", CATEGORIES.get(spec.code[2:3], "other")]},
    }


def section(doc: str, heading: str) -> str:
    """The text under `## heading` in a rule's docstring, joined into one paragraph."""
    match = re.search(rf"^## {re.escape(heading)}[ \t]*\n(.*?)(?=^## |\Z)", doc, re.MULTILINE | re.DOTALL)
    return " ".join(match.group(1).split()) if match else ""


def plain_text(markdown: str) -> str:
    """The rule documentation without Markdown syntax that reads badly as text: headings, fences."""
    lines = []
    for line in markdown.splitlines():
        if line.startswith("```"):
            continue
        lines.append(line[3:] if line.startswith("## ") else line)
    return "\n".join(lines)


def _result(f: Finding, rule_index: int, digest: str, occurrence: int) -> dict[str, Any]:
    location: dict[str, Any] = {"physicalLocation": physical_location(f.span)}
    if f.object:
        location["logicalLocations"] = [{"fullyQualifiedName": f.object, "kind": "resource"}]
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": f.message},
        "locations": [location],
    }
    if f.related:
        result["relatedLocations"] = [
            {"id": i, "physicalLocation": physical_location(r.span), "message": {"text": r.message}}
            for i, r in enumerate(f.related, start=1)
        ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: f"{digest}:{occurrence}"}
    if f.field_path:
        result["properties"] = {"fieldPath": f.field_path}
    return result


def physical_location(span: Span) -> dict[str, Any]:
    uri, base = artifact_uri(span.path)
    artifact: dict[str, Any] = {"uri": uri}
    if base:
        artifact["uriBaseId"] = base
    region: dict[str, int] = {"startLine": max(span.line, 1), "startColumn": max(span.column, 1)}
    if (span.end_line, span.end_column) >= (span.line, span.column):
        region |= {"endLine": span.end_line, "endColumn": max(span.end_column, 1)}
    return {"artifactLocation": artifact, "region": region}


def _with_fix(result: dict[str, Any], fix: Any) -> dict[str, Any]:
    """SARIF `fixes`: one artifactChange per file, its replacements in the file as it was read."""
    if fix is None or not fix.edits:
        return result
    changes: dict[str, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        region = {"startLine": edit.start_line, "startColumn": edit.start_column,
                  "endLine": edit.end_line, "endColumn": edit.end_column}
        changes.setdefault(edit.path, []).append({"deletedRegion": region, "insertedContent": {"text": edit.text}})
    artifact_changes = []
    for path, replacements in sorted(changes.items()):
        location = physical_location(Span(path, 1, 1, 1, 1))["artifactLocation"]
        artifact_changes.append({"artifactLocation": location, "replacements": replacements})
    result["fixes"] = [{"description": {"text": fix.title}, "artifactChanges": artifact_changes}]
    return result
