"""Unknown field in a NetworkPolicy.

## What it does
Reports a field that the NetworkPolicy API does not define, such as `podSelectors`, a
misspelled `namespaceSelctor`, or `ports` placed inside a peer.

Complexity: O(I) over the model's issues; unknown keys are found while reading each object,
linear in B.

## Why is this bad?
The API server drops unknown fields (or rejects them under strict field validation), so the
rule silently means something else: a misspelled `namespaceSelector` leaves a podSelector-only
peer that only matches the policy's own namespace.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector: {}
  ingress:
    - from:
        - namespaceSelctor: {matchLabels: {team: data}}
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
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {team: data}}
```

## References
- https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL009"
NAME = "unknown-field"
SEVERITY = Severity.WARNING
SCOPE = "input"
REMEDIATION = "Remove the field or correct its spelling (see the NetworkPolicy API reference)."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("unknown-field")
