"""ipBlock cidr is empty or not a CIDR.

## What it does
Reports an `ipBlock` whose `cidr` is missing, empty, or does not parse as an IPv4 or IPv6 CIDR
(an address without a prefix length, a prefix out of range, a host name).

Complexity: O(I) over the model's issues; each CIDR is parsed once.

## Why is this bad?
The API server rejects the policy ("Required value" or "must be a valid CIDR value"), so none
of its rules take effect. policylint analyses the rest of the policy and treats this peer as
matching nothing.

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
            cidr: ""
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
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
- kubernetes `pkg/apis/networking/validation/validation.go` (`ValidateIPBlock`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL201"
NAME = "invalid-cidr"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Set `cidr` to the address range the rule is meant for, in CIDR notation such as 10.20.0.0/16."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("ipblock.cidr")
