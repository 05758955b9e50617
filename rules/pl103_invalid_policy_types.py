"""policyTypes value that the API server rejects.

## What it does
Reports a `policyTypes` entry other than `Ingress` or `Egress` (the values are case-sensitive)
and a `policyTypes` list with more than two entries.

Complexity: O(I) over the model's issues.

## Why is this bad?
The API server rejects the policy. policylint analyses it as isolating both directions, which
never allows more than what was written, but may deny more than what was meant.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-egress
  namespace: ml-workloads
spec:
  podSelector: {}
  policyTypes: [egress]
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-egress
  namespace: ml-workloads
spec:
  podSelector: {}
  policyTypes: [Egress]
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
- kubernetes `pkg/apis/networking/validation/validation.go` (`ValidateNetworkPolicySpec`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL103"
NAME = "invalid-policy-types"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "List at most `Ingress` and `Egress` in `policyTypes`, spelled with a capital first letter."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("policy-types")
