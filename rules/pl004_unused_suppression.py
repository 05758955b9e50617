"""Unused suppression.

## What it does
Reports a `# policylint: disable=…` comment or a `policylint.io/ignore` annotation entry that
silences no finding.

Complexity: O(F x U) in the runner: each of F findings is matched against the U suppressions of
its file and line.

## Why is this bad?
Stale suppressions hide the next real problem on that line or object, and tell readers that
something is wrong where nothing is.

## Example
A suppression left behind after the `cidr` was fixed:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector: {}
  egress:
    - to:
        - ipBlock:
            cidr: 10.20.0.0/16  # policylint: disable=PL201
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector: {}
  egress:
    - to:
        - ipBlock:
            cidr: 10.20.0.0/16
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
