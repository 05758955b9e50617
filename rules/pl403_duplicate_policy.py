"""Two policies in one namespace that mean the same thing.

## What it does
Reports a NetworkPolicy whose selection, isolation and rules are identical in meaning to those
of an earlier policy of the same namespace. The finding points at the later policy's name; the
first one is a related location.

Policies are compared by meaning, not by text: names, labels and annotations are ignored; the
order of `policyTypes`, of rules, of peers, of ports and of selector values does not count;
`matchLabels: {app: a}` equals `matchExpressions: [{key: app, operator: In, values: [a]}]`;
a `podSelector`-only peer equals the same peer with `namespaceSelector` on the policy's own
namespace name; ipBlocks compare by the addresses they cover and ports as sets (`80` and `81`
equal `80`-`81`); and `policyTypes` counts as it takes effect (written or defaulted), so rules for a
direction the policy does not isolate are ignored.

Complexity: O(size of the policies) in all: each policy's canonical form is hashed once.

## Why is this bad?
A duplicate is usually a copy under a new name (a rename applied without deleting the old
object, or the same manifest in two folders). Nothing breaks today, but the next change is made
to one copy only, and the other keeps the old access open (or keeps the pods isolated).

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
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: api:1.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: frontend
      ports:
        - port: 8080
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress-v2
  namespace: shop
spec:
  podSelector:
    matchExpressions:
      - key: app
        operator: In
        values:
          - api
  ingress:
    - ports:
        - protocol: TCP
          port: 8080
      from:
        - podSelector:
            matchLabels:
              app: frontend
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
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: api:1.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: frontend
      ports:
        - port: 8080
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
- kubernetes/api `networking/v1/types.go` (`NetworkPolicySpec`)
"""
from __future__ import annotations

from typing import Any, Iterator

from policylint.findings import Finding, Related, Severity
from policylint.model.types import Cluster, NetworkPolicy
from policylint.rule_api import RuleContext
from policylint.rules._subsumption import policy_key
from policylint.rules._workloads import finding_at, name_span

CODE = "PL403"
NAME = "duplicate-policy"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = "Delete one of the two policies (and any stale copy of the manifest), keeping the name the rest of the repository refers to."


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    first: dict[Any, NetworkPolicy] = {}
    for policy in cluster.policies:
        key = policy_key(policy)
        original = first.setdefault(key, policy)
        if original is policy:
            continue
        same = " (the same name)" if original.id == policy.id else ""
        yield finding_at(
            ctx, name_span(policy), policy, f"{policy.source.child_path('metadata')}.name",
            f"policy `{policy.id}` duplicates `{original.id}`{same}: same podSelector, policyTypes and rules",
            [Related(name_span(original), f"`{original.id}` is the first")],
        )
