"""Training pods on the host network or a secondary network, where NetworkPolicy does not hold.

## What it does
Reports training pods (role `training`) that a NetworkPolicy selects while their template sets
`hostNetwork: true`, or attaches secondary networks through the Multus annotation
`k8s.v1.cni.cncf.io/networks` (RDMA, SR-IOV, macvlan — the usual fast fabric for NCCL). The
finding points at `hostNetwork` or at the annotation and relates the policies that select the
pods. With `unselected: true`, such pods are reported even when no policy selects them.

Cost: one pass over the training workloads. O(training workloads).

Complexity: O(P) over the training workloads.

## Why is this bad?
What NetworkPolicy does to `hostNetwork` pods is implementation-defined: most network plugins
treat them as the node's address and ignore them in selectors. Traffic on Multus secondary
interfaces bypasses NetworkPolicy entirely (it needs `MultiNetworkPolicy`). The policies look
as if they isolated the training pods — and lint clean — while the bulk of their traffic, the
collectives over InfiniBand or RoCE, is not filtered at all. The rest of policylint's analysis
of these pods is not guaranteed either.

## Example
```yaml
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: gpt-pretrain
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: 8
      template:
        metadata:
          labels:
            role: ml-training-pod
          annotations:
            k8s.v1.cni.cncf.io/networks: sriov-rdma-net
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/gpt:5.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-isolation
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
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: gpt-pretrain
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: 8
      template:
        metadata:
          labels:
            role: ml-training-pod
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/gpt:5.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-isolation
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

A job that needs the secondary network keeps the annotation and gets a `MultiNetworkPolicy` for
it (the finding can then be suppressed with the annotation `policylint.io/ignore`).

## Options
- `unselected` (default `false`): also report such training pods when no policy selects them.

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods
- https://github.com/k8snetworkplumbingwg/multi-networkpolicy
- https://docs.okd.io/latest/networking/multiple_networks/secondary_networks/configuring-multi-network-policy.html
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

from policylint.consequences import host_network_cause
from policylint.findings import Finding, Related, Severity
from policylint.intent.context import intent_of
from policylint.load.nodes import YMap
from policylint.model.types import EGRESS, INGRESS, Cluster, Workload
from policylint.rule_api import RuleContext
from policylint.rule_options import Flag, Option

CODE = "PL509"
NAME = "training-bypasses-network-policy"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
# PL115 (a policy or peer selects hostNetwork pods) is a consequence when its pods are these.
SUBSUMES = ("PL115",)
REMEDIATION = ("Do not rely on NetworkPolicy for these pods: filter the secondary network with MultiNetworkPolicy, "
               "and avoid hostNetwork for training pods (or isolate them at the node level).")
OPTIONS = {
    "unselected": Option(False, "also report such training pods when no policy selects them (true or false)", Flag()),
}
MULTUS = "k8s.v1.cni.cncf.io/networks"


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    intent = intent_of(ctx)
    engine = ctx.engine
    for workload in intent.training():
        multus = workload.annotations.get(MULTUS)
        if not workload.host_network and not multus:
            continue
        endpoint = engine.endpoint_of(workload)
        policies = {id(p): p for d in (INGRESS, EGRESS) for p in engine.policies_selecting(endpoint, d)}
        if not policies and not options["unselected"]:
            continue
        related = [Related(p.pod_selector.source.span, f"{p.id} selects {workload.id}") for p in policies.values()]
        selected = (f"selected by {', '.join(p.id for p in policies.values())}" if policies
                    else "not selected by any policy")
        if workload.host_network:
            finding = _at(ctx, workload, ("spec", "hostNetwork"), related,
                          f"training pods {workload.id} use hostNetwork ({selected}): NetworkPolicy does not reliably "
                          f"apply to them")
            yield dataclasses.replace(finding, causes=frozenset((host_network_cause(workload),)))
        if multus:
            yield _at(ctx, workload, ("metadata", "annotations", MULTUS), related,
                      f"training pods {workload.id} attach secondary networks {multus!r} ({selected}): NetworkPolicy "
                      f"does not filter traffic on them")


def _at(ctx: RuleContext, workload: Workload, keys: tuple[str, ...], related: list[Related], message: str) -> Finding:
    node = workload.source.node
    path = workload.source.field_path
    for key in keys[:-1]:
        child = node.get(key) if isinstance(node, YMap) else None
        if not isinstance(child, YMap):
            return ctx.finding(workload.source.span, message, related=related, object=workload.source.object,
                               field_path=path)
        node, path = child, f"{path}.{key}" if path else key
    last = keys[-1]
    span = node.span_of_key(last) if isinstance(node, YMap) and last in node else workload.source.span
    return ctx.finding(span, message, related=related, object=workload.source.object,
                       field_path=f"{path}.{last}" if path else last)
