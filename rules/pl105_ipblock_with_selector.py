"""ipBlock combined with a selector in the same peer.

## What it does
Reports a peer that has an `ipBlock` together with a `podSelector` or a `namespaceSelector`
(even `{}`).

Complexity: O(I) over the model's issues.

## Why is this bad?
The API server rejects the policy ("may not specify both ipBlock and another peer"). Unlike
`podSelector` with `namespaceSelector`, an `ipBlock` cannot be ANDed with a selector: the author
probably meant two separate peers (OR), or a selector alone.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: storage
  namespace: ml-workloads
spec:
  podSelector: {}
  egress:
    - to:
        - ipBlock:
            cidr: 10.20.0.0/16
          namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: storage
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: storage
  namespace: ml-workloads
spec:
  podSelector: {}
  egress:
    - to:
        - ipBlock:
            cidr: 10.20.0.0/16
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: storage
```

## References
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
- kubernetes `pkg/apis/networking/validation/validation.go` (`ValidateNetworkPolicyPeer`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL105"
NAME = "ipblock-with-selector"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Put the ipBlock and the selector in separate items of `from`/`to`, or keep only one of them."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("peer-ipblock-mixed")
