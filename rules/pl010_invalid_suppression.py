"""Invalid suppression.

## What it does
Reports a `policylint.io/ignore` annotation entry without a reason, and a suppression that
names a rule that does not exist.

Complexity: O(U) over the U suppression comments and annotations, in the runner.

## Why is this bad?
A suppression without a reason cannot be reviewed; one with a misspelled code silences nothing
while looking as if it did.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
  annotations:
    policylint.io/ignore: "PL201"
spec:
  podSelector: {}
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
  annotations:
    policylint.io/ignore: "PL201: the load balancer health checks come from anywhere"
spec:
  podSelector: {}
```

## References
- https://docs.kube-linter.io/docs/configuring-kubelinter/#ignoring-violations-for-specific-cases
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL010"
NAME = "invalid-suppression"
SEVERITY = Severity.WARNING
SCOPE = "input"
REMEDIATION = "Write suppressions as `CODE: reason`, with a rule code or name that `policylint rules` lists."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    # Reported by the runner with the other suppression checks (see policylint.analysis).
    return iter(())
