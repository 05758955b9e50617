"""DNS allowed on UDP only, or on TCP only.

## What it does
Reports an egress rule that allows port 53 to the cluster DNS on one protocol only (UDP or TCP)
when the pods the policy isolates end up with DNS on that one protocol: no rule of any policy
that isolates them allows the other. The finding points at the port entry that allows the one
protocol and names the pods.

The DNS pods are found as in PL305 (egress-without-dns): the workloads matching the `cluster.dns`
facts, or a stand-in `k8s-app: kube-dns` pod in `kube-system` when the input has none, or any
address reached through an `ipBlock`. A policy that selects no workload of the input is judged
for a hypothetical pod carrying exactly the labels its selector requires.

Complexity: O(R x K) per policy for its egress rules and port entries, with the DNS view built
once per run.

## Why is this bad?
DNS uses UDP for ordinary queries and falls back to TCP when an answer does not fit (large
records, many endpoints of a headless Service, DNSSEC) and for some resolvers always. With UDP
only, lookups work in testing and fail intermittently in production; with TCP only, most lookups
time out first. Allow both.

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
  name: training-egress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Egress
  egress:
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
  name: training-egress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Egress
  egress:
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
- https://peacha.frozenspace.eu/tutorials/ptee-dns-egress
"""
from __future__ import annotations

from typing import Iterator

from policylint.engine.ports import port_entry_spec
from policylint.findings import Finding, Severity
from policylint.model.types import EGRESS, NetworkPolicy, Rule
from policylint.rule_api import RuleContext
from policylint.rules._dns import DNS_PROTOCOLS, spec_entry_allows, view
from policylint.rules._workloads import finding_at, quote_list, workload_related

CODE = "PL306"
NAME = "dns-single-protocol"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "Allow port 53 to the DNS pods on both UDP and TCP (two entries in `ports`)."


def _entry(rule: Rule, protocol: str):
    """The port entry of the rule that allows `protocol` port 53 (the rule itself if none does)."""
    for entry in rule.ports:
        if spec_entry_allows(port_entry_spec(entry), protocol):
            return entry.source
    return rule.source


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    if not policy.isolates(EGRESS) or not policy.pod_selector.valid or not policy.egress:
        return
    dns = view(ctx)
    if ctx.engine.compiled(policy).selected:
        states = {p: ws for p, ws in dns.pod_states(policy).items() if len(p) == 1}
        pods = {p: f"pods {quote_list(w.id for w in ws)}" for p, ws in states.items()}
        related = {p: workload_related(ws, "`{id}` has DNS on one protocol only") for p, ws in states.items()}
    else:
        protocols, _ = dns.hypothetical_protocols(policy)
        states = {protocols: []} if len(protocols) == 1 else {}
        pods = {protocols: f"pods selected by `{policy.pod_selector.describe()}` (none in the input)"}
        related = {protocols: []}
    for protocols in states:
        (present,) = protocols
        missing = next(p for p in DNS_PROTOCOLS if p != present)
        for rule in policy.egress:
            if dns.rule_protocols(policy, rule) != protocols:
                continue
            source = _entry(rule, present)
            yield finding_at(
                ctx, source.span, policy, source.field_path,
                f"egress to DNS allows {present} port 53 but not {missing} port 53 "
                f"for {pods[protocols]}",
                related[protocols],
            )
