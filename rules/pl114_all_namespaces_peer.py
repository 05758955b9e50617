"""Peer that matches every pod in every namespace.

## What it does
Reports a peer whose `namespaceSelector` is empty (`{}`) and that has no `podSelector`, or only
an empty one, to narrow it. The finding points at the `namespaceSelector` key. Peers in both
directions are reported; a peer with a non-empty `podSelector` (such as the usual DNS peer
`namespaceSelector: {}` + `podSelector: {k8s-app: kube-dns}`) is not.

Complexity: O(E) per policy.

## Why is this bad?
`namespaceSelector: {}` selects every namespace, so the peer allows every pod in the cluster —
including pods in namespaces created later by other teams. That is rarely what a rule on
training or data-service pods means; it is usually a placeholder, or a `podSelector` that was
meant to be in the same item. This is reported as information: the peer is legal and sometimes
intended (cluster-wide monitoring, for instance), but it should be a conscious choice.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-ingress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector: {}
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-ingress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: data
          podSelector:
            matchLabels:
              role: data-service-pod
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyPeer
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model.types import INGRESS, NetworkPolicy
from policylint.rule_api import RuleContext
from policylint.rules._policy_parts import admits_every_namespace, all_peers, at_key

CODE = "PL114"
NAME = "all-namespaces-peer"
SEVERITY = Severity.INFO
SCOPE = "policy"
REMEDIATION = "Narrow the peer: select the namespaces by `kubernetes.io/metadata.name` and add a `podSelector` in the same item for the pods meant."


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    for rule, peer in all_peers(policy):
        if not admits_every_namespace(peer):
            continue
        side = "ingress from" if rule.direction == INGRESS else "egress to"
        how = "with podSelector {}" if peer.pod_selector is not None else "without a podSelector"
        yield at_key(ctx, peer.source, "namespaceSelector",
                     f"namespaceSelector {{}} {how} allows {side} every pod in every namespace")
