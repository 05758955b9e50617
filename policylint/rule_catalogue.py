"""The rule catalogue as text, Markdown (the README's table) and JSON."""
from __future__ import annotations

import json

from policylint.rule_api import RuleSpec


def rules_text(registry: dict[str, RuleSpec]) -> str:
    lines = [f"{s.code}  {s.name:<34} {s.severity.label:<8} {s.summary}" for s in registry.values()]
    return "\n".join(lines) + "\n"


def rules_markdown(registry: dict[str, RuleSpec]) -> str:
    lines = ["| Code | Name | Severity | What it reports |", "|---|---|---|---|"]
    lines += [f"| {s.code} | `{s.name}` | {s.severity.label} | {s.summary} |" for s in registry.values()]
    return "\n".join(lines) + "\n"


def rules_json(registry: dict[str, RuleSpec]) -> str:
    data = [{"code": s.code, "name": s.name, "severity": s.severity.label, "scope": s.scope,
             "summary": s.summary, "remediation": s.remediation} for s in registry.values()]
    return json.dumps(data, indent=2) + "\n"
