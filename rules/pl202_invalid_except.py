"""ipBlock except entry is not a CIDR.

## What it does
Reports an entry of `ipBlock.except` that is empty or does not parse as a CIDR. It is reported
even when `cidr` is invalid too: the API server stops at the first error, policylint does not.

Complexity: O(I) over the model's issues.

## Why is this bad?
The API server rejects the policy. Fixing only the `cidr` error would lead to a second
rejection on the next apply.

## Example
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
            cidr: 10.0.0.0/8
            except: [""]
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
            cidr: 10.0.0.0/8
            except: [10.1.0.0/16]
```

## References
- kubernetes `pkg/apis/networking/validation/validation.go` (`ValidateIPBlock`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL202"
NAME = "invalid-except"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Write each `except` entry as a CIDR inside `cidr`, or remove the entry."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("ipblock.except")
