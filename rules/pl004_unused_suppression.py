"""Unused suppression.

## What it does
Reports a `# policylint: disable=…` comment or a `policylint.io/ignore` annotation entry that
silences no finding.

## Why is this bad?
Stale suppressions hide the next real problem on that line or object, and tell readers that
something is wrong where nothing is.

## Example
```yaml
spec:
  podSelector: {}  # policylint: disable=PL201
```

Use instead:
```yaml
spec:
  podSelector: {}
```

## References
- https://docs.astral.sh/ruff/rules/unused-noqa/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL004"
NAME = "unused-suppression"
SEVERITY = Severity.WARNING
SCOPE = "input"
REMEDIATION = "Remove the suppression, or correct the rule code it names."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    # Reported by the runner once all other rules have run (see policylint.analysis).
    return iter(())
