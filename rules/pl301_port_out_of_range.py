"""Port number outside 1-65535.

## What it does
Reports a `port` or `endPort` that is a number outside 1-65535 (including 0 and negative
numbers).

Complexity: O(I) over the model's issues.

## Why is this bad?
The API server rejects the policy. `port: 0` is sometimes written to mean "any port"; that is
spelled by omitting `port`.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: workers
  namespace: ml-workloads
spec:
  podSelector: {}
  ingress:
    - ports:
        - port: 0
          protocol: TCP
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: workers
  namespace: ml-workloads
spec:
  podSelector: {}
  ingress:
    - ports:
        - protocol: TCP
```

## References
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
- kubernetes `pkg/apis/networking/validation/validation.go` (`ValidateNetworkPolicyPort`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL301"
NAME = "port-out-of-range"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Use a port number between 1 and 65535, or omit `port` to match every port of the protocol."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("port.range")
