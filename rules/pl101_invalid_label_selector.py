"""Label selector that the API server rejects.

## What it does
Reports an invalid `podSelector` or `namespaceSelector` (in `spec` or in a peer): a match
expression whose operator does not fit its values (`In`/`NotIn` without values,
`Exists`/`DoesNotExist` with values), an unknown operator (operators are case-sensitive), a
missing key or operator, and label keys or values that are not valid labels (spaces, a leading
`-`, more than 63 characters, an upper-case key prefix), in `matchLabels` and in
`matchExpressions`.

Complexity: O(I) over the model's issues; each selector is checked once, linear in its size.

## Why is this bad?
The API server rejects the whole policy, so none of its rules take effect. policylint treats
the invalid selector as matching nothing, so connectivity answers for this policy are not what
any cluster would do.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training
  namespace: ml-workloads
spec:
  podSelector:
    matchExpressions:
      - key: role
        operator: In
        values: []
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              team: "data platform"
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training
  namespace: ml-workloads
spec:
  podSelector:
    matchExpressions:
      - key: role
        operator: In
        values: [ml-training-pod]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              team: data-platform
```

## References
- https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
- https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements
- kubernetes apimachinery `pkg/apis/meta/v1/validation/validation.go` (`ValidateLabelSelector`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL101"
NAME = "invalid-label-selector"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = ("Give `In` and `NotIn` a non-empty `values` list and `Exists` and `DoesNotExist` none, "
               "and write label keys and values as valid labels (at most 63 letters, digits, '-', '_' or '.').")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("selector")
