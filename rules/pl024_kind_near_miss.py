"""Kind or apiVersion that is almost one Kubernetes serves.

## What it does
Reports an object whose `kind` differs from a kind policylint knows only by letter case
(`Networkpolicy`), or whose `apiVersion` is one Kubernetes no longer serves, or never served,
for that kind (NetworkPolicy in `extensions/v1beta1` or `networking.k8s.io/v1beta1`,
Deployment in `apps/v1beta2`, CronJob in `batch/v1beta1`).

Complexity: O(I) over the model's issues; each kind is compared with the few known kinds.

## Why is this bad?
Kinds are case-sensitive and removed versions are refused: the API server rejects the object,
so the policy the manifest was meant to apply does not exist. Without this rule, policylint
would count the object among the kinds it does not use and say nothing about it.

## Example
```yaml
apiVersion: extensions/v1beta1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
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
spec:
  podSelector: {}
```

## References
- https://kubernetes.io/docs/reference/using-api/deprecation-guide/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL024"
NAME = "kind-near-miss"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Spell the kind exactly as Kubernetes does and use an apiVersion the cluster serves."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("kind-near-miss")
