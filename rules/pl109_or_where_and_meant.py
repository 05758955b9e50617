"""namespaceSelector and podSelector as separate peers where one peer was meant.

## What it does
Reports a rule whose `from` (or `to`) list holds a peer with only a `namespaceSelector` and
another peer with only a `podSelector`. The finding points at the later of the two items and
quotes both selectors; the earlier one is a related location. Each rule is reported once.

A `podSelector: {}` item is not counted: "all pods of this namespace, or all pods of those
namespaces" is a common, deliberate pair, and the AND form would make the `{}` pointless.

Complexity: O(E) per policy for its E peers, O(size of the policies) in all.

## Why is this bad?
Items of a peer list are ORed; the selectors inside one item are ANDed. Two items allow *every
pod* in the matching namespaces **plus** the matching pods of the policy's own namespace, while
the author nearly always meant "the matching pods in the matching namespaces" — one item with
both selectors. A one-character YAML difference (`- podSelector` versus `  podSelector`) turns a
narrow rule into a namespace-wide one, and the podSelector half still cannot reach pods in other
namespaces.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-from-data-service
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
        - podSelector:
            matchLabels:
              role: data-service-pod
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-from-data-service
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
- https://github.com/ahmetb/kubernetes-network-policy-recipes/blob/master/07-allow-traffic-from-some-pods-in-another-namespace.md
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model.types import NetworkPolicy, Peer
from policylint.consequences import peer_cause
from policylint.rule_api import RuleContext
from policylint.rules._policy_parts import at_key, key_related

CODE = "PL109"
NAME = "or-where-and-meant"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "To allow only the selected pods inside the selected namespaces, put `namespaceSelector` and `podSelector` in the same list item; keep them as separate items only if both wide alternatives are meant."


def _kind(peer: Peer) -> str | None:
    if peer.ip_block is not None:
        return None
    if peer.namespace_selector is not None and peer.pod_selector is None:
        return "namespaceSelector"
    if peer.pod_selector is not None and peer.namespace_selector is None and not peer.pod_selector.is_empty:
        return "podSelector"
    return None


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    for rule in (*policy.ingress, *policy.egress):
        seen: dict[str, Peer] = {}
        for peer in rule.peers:
            kind = _kind(peer)
            if kind is None:
                continue
            other_kind = "podSelector" if kind == "namespaceSelector" else "namespaceSelector"
            earlier = seen.get(other_kind)
            if earlier is None:
                seen.setdefault(kind, peer)
                continue
            namespaces = peer if kind == "namespaceSelector" else earlier
            pods = peer if kind == "podSelector" else earlier
            ns_text = namespaces.namespace_selector.describe()  # type: ignore[union-attr]
            pod_text = pods.pod_selector.describe()  # type: ignore[union-attr]
            finding = at_key(
                ctx, peer.source, kind,
                f"peers are ORed: any pod in namespaces {ns_text!r}, or pods {pod_text!r} in this namespace; "
                f"for pods {pod_text!r} in namespaces {ns_text!r} put both selectors in one item",
                [key_related(earlier.source, other_kind, f"the {other_kind} item it is ORed with")],
            )
            yield dataclasses.replace(finding, causes=frozenset((peer_cause(pods),)))
            break
