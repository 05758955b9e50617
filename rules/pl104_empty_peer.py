"""Peer without podSelector, namespaceSelector or ipBlock.

## What it does
Reports an item of `from` or `to` that names no peer: `{}`, an empty `- ` item, or one whose
selectors are all `null`. A `podSelector: {}` is not empty: it is a selector that matches every
pod of the namespace.

Complexity: O(I) over the model's issues.

## Why is this bad?
The API server rejects the policy ("must specify a peer"). The author usually meant either
"everyone" (omit `from`/`to`) or "every pod of this namespace" (`podSelector: {}`), which allow
very different traffic; policylint treats the empty peer as matching nothing.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: same-namespace
  namespace: ml-workloads
spec:
  podSelector: {}
  ingress:
    - from:
        - {}
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: same-namespace
  namespace: ml-workloads
spec:
  podSelector: {}
  ingress:
    - from:
        - podSelector: {}
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- kubernetes `pkg/apis/networking/validation/validation.go` (`ValidateNetworkPolicyPeer`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL104"
NAME = "empty-peer"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = ("Give the peer a podSelector, namespaceSelector or ipBlock (`podSelector: {}` for every pod "
               "of the namespace), or omit `from`/`to` to allow every peer.")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("peer-empty")
