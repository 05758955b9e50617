"""ipBlock except entry is not a strict subset of its cidr.

## What it does
Reports an `except` entry that is a valid CIDR but not strictly inside the block's `cidr`: a
range outside it, the same range, a wider range, or an address of the other IP family.

Complexity: O(I) over the model's issues.

## Why is this bad?
The API server rejects the policy ("must be a strict subset of `cidr`"). An `except` equal to
the `cidr` would leave nothing allowed; one outside it excludes nothing, and usually means the
`cidr` itself is wrong.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: egress-internet
  namespace: ml-workloads
spec:
  podSelector: {}
  egress:
    - to:
        - ipBlock:
            cidr: 10.0.0.0/16
            except: [192.168.0.0/24]
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: egress-internet
  namespace: ml-workloads
spec:
  podSelector: {}
  egress:
    - to:
        - ipBlock:
            cidr: 10.0.0.0/16
            except: [10.0.5.0/24]
```

## References
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
- kubernetes `pkg/apis/networking/validation/validation.go` (`ValidateIPBlock`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL203"
NAME = "except-not-subset"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = ("Make each `except` entry a range inside `cidr` with a longer prefix and the same IP family, "
               "or correct the `cidr`.")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("ipblock.except-subset")
