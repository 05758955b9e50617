"""Policy or peer selects pods that use hostNetwork.

## What it does
Reports a policy whose `spec.podSelector`, or a peer whose selectors (or `ipBlock`, through a
known pod IP), match a workload with `hostNetwork: true`. The finding points at the selector (or
the peer) and each such workload is a related location.

Complexity: O(E) bitset ANDs per policy with the host-network workloads (an index built once,
O(P)).

## Why is this bad?
A hostNetwork pod uses its node's network namespace and address. What NetworkPolicy does to such
pods is implementation-defined: most network plugins cannot tell their traffic from the node's,
ignore them when matching selectors, and neither isolate them nor recognise them as peers. A
policy that seems to protect (or to allow) them may do nothing. Typical cases are node-local DNS
caches, node exporters and RDMA training pods.

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: ml-workloads
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: rdma-trainer
  namespace: ml-workloads
spec:
  selector:
    matchLabels:
      role: ml-training-pod
  template:
    metadata:
      labels:
        role: ml-training-pod
    spec:
      hostNetwork: true
      containers:
        - name: trainer
          image: trainer:1.0
---
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
        - podSelector:
            matchLabels:
              role: ml-training-pod
```

Use instead:
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: ml-workloads
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: rdma-trainer
  namespace: ml-workloads
spec:
  selector:
    matchLabels:
      role: ml-training-pod
  template:
    metadata:
      labels:
        role: ml-training-pod
    spec:
      containers:
        - name: trainer
          image: trainer:1.0
---
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
        - podSelector:
            matchLabels:
              role: ml-training-pod
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods
- https://github.com/kubernetes/kubernetes/pull/70555
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model.types import NetworkPolicy
from policylint.consequences import host_network_cause
from policylint.rule_api import RuleContext
from policylint.rules._workloads import finding_at, index, name_span, quote_list, spec_key_span, workload_related

CODE = "PL115"
NAME = "host-network-pod-selected"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "Do not rely on NetworkPolicy for hostNetwork pods: run them without `hostNetwork` where possible, or restrict their traffic with node-level firewalling and ipBlocks of the node addresses."


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    idx = index(ctx)  # built once per analysis: the test below is one integer, not a scan per policy
    if not idx.host_network:
        return
    engine = ctx.engine
    selected = idx.workloads(engine.compiled(policy).selected & idx.host_network)
    selected = [w for w in selected if w.host_network]  # a class may mix hostNetwork and ordinary pods
    if selected:
        span = spec_key_span(policy, "podSelector") or name_span(policy)
        yield finding_at(
            ctx, span, policy, policy.pod_selector.source.field_path,
            f"podSelector selects hostNetwork pods {quote_list(w.id for w in selected)}; "
            "what NetworkPolicy does to them is implementation-defined",
            workload_related(selected, "`{id}` uses hostNetwork"),
            causes=[host_network_cause(w) for w in selected],
        )
    for rule in (*policy.ingress, *policy.egress):
        for peer in rule.peers:
            matched = [w for w in idx.workloads(engine.peer_bits(policy, peer) & idx.host_network) if w.host_network]
            if matched:
                yield finding_at(
                    ctx, peer.source.span, policy, peer.source.field_path,
                    f"peer matches hostNetwork pods {quote_list(w.id for w in matched)}; "
                    "whether NetworkPolicy recognises their traffic is implementation-defined",
                    workload_related(matched, "`{id}` uses hostNetwork"),
                    causes=[host_network_cause(w) for w in matched],
                )
