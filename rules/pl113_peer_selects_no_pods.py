"""Peer whose selectors match no workload.

## What it does
Reports a `from`/`to` peer with a `podSelector` and/or a `namespaceSelector` that matches no
workload of the input. The finding points at the peer and names the namespaces it looked in.

By default a peer is only judged in the namespaces whose workloads the input holds: a peer that
names `kube-system` DNS pods is not reported when the input has no `kube-system` workloads, and a
`podSelector`-only peer is not reported when the input has no workload of the policy's namespace.
Set `require-workloads: false` to report every selector peer that matches no workload of the
input. A `podSelector`-only peer that matches workloads in *other* namespaces is reported by
PL110 (pod-selector-other-namespace) instead. `ipBlock` peers are not judged.

Complexity: O(E) engine peer look-ups per policy, each a cached bitset; an explanation queries
the label index.

## Why is this bad?
A peer that matches no pod allows nothing: a label typo (`app: postgress`), a label only some
versions of a chart set, or a `namespaceSelector` and `podSelector` that are each right but never
hold together. The rule looks like it allows the traffic, and the traffic is dropped.

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: postgres
  namespace: shop
spec:
  selector:
    matchLabels:
      app: postgres
  template:
    metadata:
      labels:
        app: postgres
    spec:
      containers:
        - name: db
          image: postgres:16
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-egress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
    - Egress
  egress:
    - to:
        - podSelector:
            matchLabels:
              app: postgress
      ports:
        - port: 5432
```

Use instead:
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: postgres
  namespace: shop
spec:
  selector:
    matchLabels:
      app: postgres
  template:
    metadata:
      labels:
        app: postgres
    spec:
      containers:
        - name: db
          image: postgres:16
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-egress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
    - Egress
  egress:
    - to:
        - podSelector:
            matchLabels:
              app: postgres
      ports:
        - port: 5432
```

## Options
- `require-workloads` (default `true`): judge a peer only in the namespaces whose workloads the
  input holds. With `false`, every selector peer that matches no workload of the input is
  reported, even when the input holds no workload at all.

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- kubernetes/api `networking/v1/types.go` (`NetworkPolicyPeer`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model.types import NetworkPolicy, Peer
from policylint.rule_api import RuleContext
from policylint.rule_options import Flag, Option
from policylint.rules._workloads import WorkloadIndex, finding_at, index, quote_list

CODE = "PL113"
NAME = "peer-selects-no-pods"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "Make the peer's selectors match the labels of the pods (and namespaces) the rule is meant for; check for typos and for labels that the controller sets."
OPTIONS = {
    "require-workloads": Option(True, "judge a peer only in the namespaces whose workloads the input holds (true/false)", Flag()),
}


def _describe(peer: Peer) -> str:
    parts = []
    if peer.namespace_selector is not None:
        parts.append(f"namespaceSelector {peer.namespace_selector.describe()}")
    if peer.pod_selector is not None:
        parts.append(f"podSelector {peer.pod_selector.describe()}")
    return ", ".join(parts)


def _pl110_case(ctx: RuleContext, idx: WorkloadIndex, policy: NetworkPolicy, peer: Peer) -> bool:
    selector = peer.pod_selector
    return (peer.namespace_selector is None and selector is not None and not selector.is_empty
            and bool(idx.everywhere(policy, selector)))


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    require = options["require-workloads"]
    if require and not ctx.cluster.workloads:
        return
    idx = None
    for rule in (*policy.ingress, *policy.egress):
        for peer in rule.peers:
            if not peer.valid or peer.ip_block is not None or (peer.pod_selector is None and peer.namespace_selector is None):
                continue
            idx = idx or index(ctx)
            if ctx.engine.peer_bits(policy, peer):
                continue
            if peer.namespace_selector is None:
                scope = [policy.namespace]
            else:
                scope = idx.namespaces_matching(peer.namespace_selector)
            judged = [n for n in scope if n in idx.namespace_bits] if require else scope
            if (require and not judged) or _pl110_case(ctx, idx, policy, peer):
                continue
            if not judged:
                message = f"peer `{_describe(peer)}` matches no namespace in the input"
            else:
                where = f"namespace `{judged[0]}`" if len(judged) == 1 else f"namespaces {quote_list(judged, 5)}"
                message = f"peer `{_describe(peer)}` matches no pod in {where}"
            yield finding_at(ctx, peer.source.span, policy, peer.source.field_path, message)
