"""endPort that the API server rejects.

## What it does
Reports an `endPort` that is smaller than `port`, or that is given with a named `port` or
without any `port`.

Complexity: O(I) over the model's issues.

## Why is this bad?
The API server rejects the policy. A range needs a numeric start: `port: 30000, endPort:
32767` covers 30000-32767 inclusive; a named port cannot start a range.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: collectives
  namespace: ml-workloads
spec:
  podSelector: {}
  ingress:
    - ports:
        - port: 32767
          endPort: 30000
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: collectives
  namespace: ml-workloads
spec:
  podSelector: {}
  ingress:
    - ports:
        - port: 30000
          endPort: 32767
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports
- kubernetes `pkg/apis/networking/validation/validation.go` (`ValidateNetworkPolicyPort`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL302"
NAME = "invalid-end-port"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Give `endPort` only with a numeric `port` that is not greater than it, or remove `endPort`."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("port.end-port")
