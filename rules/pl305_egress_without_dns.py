"""Pods isolated for egress cannot reach DNS.

## What it does
Reports a policy that isolates pods for egress when those pods' egress (the union of the egress
rules of every policy that isolates them) allows neither UDP 53 nor TCP 53 to the cluster DNS.
The finding is reported once per policy, names the pods, and points at the `Egress` entry of
`policyTypes`, or at `egress` when `policyTypes` is not written and egress isolation comes from
defaulting (a non-empty `egress` list), or at the policy itself otherwise.

The cluster DNS is the set of workloads whose namespace and pod labels match the `cluster.dns`
facts of the configuration (by default namespace `kubernetes.io/metadata.name: kube-system` and
pods `k8s-app: kube-dns`). When the input holds no such workload, each egress rule is evaluated
against a stand-in DNS pod with those labels and CoreDNS's container ports (`dns` 53/UDP,
`dns-tcp` 53/TCP). An egress rule to any valid `ipBlock` that allows port 53 counts as DNS too
(node-local DNS caches and upstream resolvers are reached that way).

When an egress rule of the isolating policies nearly reaches DNS, the message names it and the
fix: a namespaceSelector on `name: kube-system` (a label Kubernetes does not set; use
`kubernetes.io/metadata.name`), a podSelector-only peer (it stays in the policy's namespace), a
wrong pod label, or ports that leave out 53. This works without a Namespace object in the input:
the DNS namespace is then taken to carry only `kubernetes.io/metadata.name`.

A policy that selects no workload of the input is judged for a hypothetical pod carrying exactly
the labels its `podSelector` requires (`matchLabels`, the first value of each `In`, any value for
`Exists`); the other policies of its namespace that would select that pod contribute their egress
rules. So a policy is reported even when its pods are deployed from elsewhere, as in the seed
example.

Complexity: O(R + K) per policy that isolates egress, against the DNS view built once per run
(O(P) over the DNS pods); explanations walk the policies selecting one of the pods lacking DNS.

## Why is this bad?
Once a pod is isolated for egress, everything its policies do not allow is dropped, including
name resolution. Workloads then fail at start-up with "bad address" or "temporary failure in
name resolution"; distributed training jobs hang at rendezvous because they address their
peers by the DNS names of headless Services. Forgetting DNS is the classic default-deny mistake.

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
  name: trainer
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
  name: ml-training-communication
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Ingress
    - Egress
  egress:
    - to:
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
  name: trainer
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
  name: ml-training-communication
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Ingress
    - Egress
  egress:
    - to:
        - podSelector:
            matchLabels:
              role: ml-training-pod
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
```

## References
- https://github.com/ahmetb/kubernetes-network-policy-recipes/blob/master/11-deny-egress-traffic-from-an-application.md
- https://github.com/ahmetb/kubernetes-network-policy-recipes/blob/master/12-deny-all-non-whitelisted-traffic-from-the-namespace.md
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic
- https://github.com/ray-project/kuberay/blob/master/ray-operator/config/samples/ray-cluster.network-policy-deny-all.yaml
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.load.nodes import Span
from policylint.model.types import EGRESS, NetworkPolicy
from policylint.rule_api import RuleContext
from policylint.engine.near_miss import near_misses
from policylint.rules._dns import DNS_PORT, DnsView, view
from policylint.rules._workloads import (
    finding_at,
    policy_types_item_span,
    quote_list,
    spec_key_span,
    workload_related,
)

CODE = "PL305"
NAME = "egress-without-dns"
SEVERITY = Severity.ERROR
SCOPE = "policy"
REMEDIATION = "Add an egress rule to the cluster DNS pods (namespace `kube-system`, pods `k8s-app: kube-dns`) on port 53 for both UDP and TCP, in this policy or in one that selects the same pods."


def isolation_location(policy: NetworkPolicy) -> tuple[Span, str]:
    """Where a policy's egress isolation is written: the `Egress` entry, `egress`, or the policy."""
    span = policy_types_item_span(policy, EGRESS)
    if span is not None:
        return span, f"{policy.source.child_path('spec')}.policyTypes"
    if not policy.policy_types_written:
        span = spec_key_span(policy, "egress")
        if span is not None:
            return span, f"{policy.source.child_path('spec')}.egress"
    return policy.source.span, policy.source.field_path


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    if not policy.isolates(EGRESS) or not policy.pod_selector.valid:
        return
    dns = view(ctx)
    span, path = isolation_location(policy)
    target = dns.describe()
    dns_related = workload_related((e.workload for e in dns.endpoints), "DNS pods `{id}`")
    if not ctx.engine.compiled(policy).selected:
        protocols, others = dns.hypothetical_protocols(policy)
        if protocols:
            return
        also = (f"; {quote_list(p.id for p in others)}, which also isolate{'s' if len(others) == 1 else ''} "
                "them, allow none either" if others else "")
        near, near_related = _near_misses(dns, [policy, *others])
        yield finding_at(
            ctx, span, policy, path,
            f"pods selected by `{policy.pod_selector.describe()}` (none in the input) are isolated for egress "
            f"without DNS: no rule allows UDP or TCP port 53 to {target}{also}{near}",
            near_related + dns_related
            + [Related(p.source.span, f"`{p.id}` also isolates these pods for egress") for p in others],
        )
        return
    lacking = dns.pod_states(policy).get(frozenset(), [])
    if lacking:
        isolating = ctx.engine.policies_selecting(ctx.engine.endpoint_of(lacking[0]), EGRESS)
        near, near_related = _near_misses(dns, [policy, *(p for p in isolating if p is not policy)])
        yield finding_at(
            ctx, span, policy, path,
            f"pods {quote_list(w.id for w in lacking)} are isolated for egress without DNS: "
            f"no rule allows UDP or TCP port 53 to {target}{near}",
            near_related + workload_related(lacking, "`{id}` cannot resolve names") + dns_related,
        )


def _near_misses(dns: DnsView, policies: list[NetworkPolicy]) -> tuple[str, list[Related]]:
    """The egress rules of these policies that nearly reach DNS: a message tail and their locations."""
    targets = dns.targets()
    found = []
    for policy in policies:
        found += near_misses(policy, policy.egress, targets, lambda rule, p=policy: bool(dns.rule_protocols(p, rule)),
                             port_text=f"port {DNS_PORT}")
    if not found:
        return "", []
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    tail = f"; near miss: {first.where} ({first.span.path}:{first.span.line}): {first.fix}{more}"
    return tail, [Related(n.span, f"near miss: {n.where}: {n.fix}") for n in found[:10]]
