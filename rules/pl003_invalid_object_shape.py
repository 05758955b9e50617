"""Invalid object shape.

## What it does
Reports a document that is not a Kubernetes object (a list or a scalar at the top, no `kind`),
and fields of known objects that have the wrong type (a string where a list is expected, a
list where a mapping is expected) or that are missing although required.

Complexity: O(I) over the model's issues and load problems; recording them is part of the linear
model build.

## Why is this bad?
The API server rejects such objects. policylint analyses what it can read, and treats what it
cannot read as allowing nothing, so connectivity answers may differ from what was meant.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {}
  ingress:
    from: []
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {}
  ingress:
    - from: []
```

## References
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL003"
NAME = "invalid-object-shape"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Give the field the type the Kubernetes API expects (see the API reference for the kind)."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("shape")
    yield from ctx.findings_for_issues("shape")
