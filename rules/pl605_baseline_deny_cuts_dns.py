"""Baseline default-deny that cuts DNS.

## What it does
Reports a `Deny` egress rule of the baseline tier (a `BaselineAdminNetworkPolicy` or a
Baseline-tier `ClusterNetworkPolicy`) that is the rule deciding DNS for some pods: UDP port 53 to
the cluster DNS (`k8s-app: kube-dns` in `kube-system`, or what `cluster.dns` configures) is denied
by it for pods that no NetworkPolicy isolates for egress and that no earlier rule lets through.

Complexity: O(T x C x b) for the b baseline steps over the classes each baseline policy applies
to.

## Why is this bad?
A baseline default-deny is a sound guardrail, but it applies exactly to the namespaces that have
no NetworkPolicies of their own — and their pods then cannot resolve any name: every client
library fails with a DNS error long before it reaches the service it wanted. Allow DNS in the
baseline before the deny.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: notebook
  namespace: team-a
spec:
  containers: [{name: main, image: jupyter:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers: [{name: coredns, image: coredns:1.11.3}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata:
  name: default
spec:
  subject:
    namespaces: {matchLabels: {kubernetes.io/metadata.name: team-a}}
  egress:
    - name: default-deny
      action: Deny
      to: [{namespaces: {}}]
```

Use instead:
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: notebook
  namespace: team-a
spec:
  containers: [{name: main, image: jupyter:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers: [{name: coredns, image: coredns:1.11.3}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata:
  name: default
spec:
  subject:
    namespaces: {matchLabels: {kubernetes.io/metadata.name: team-a}}
  egress:
    - name: allow-dns
      action: Allow
      to:
        - pods:
            namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
            podSelector: {matchLabels: {k8s-app: kube-dns}}
      ports:
        - portNumber: {protocol: UDP, port: 53}
        - portNumber: {protocol: TCP, port: 53}
    - name: default-deny
      action: Deny
      to: [{namespaces: {}}]
```

## References
- https://network-policy-api.sigs.k8s.io/reference/examples/ (baseline default deny)
- https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/
"""
from __future__ import annotations

from typing import Iterator

from policylint.engine.bits import has
from policylint.engine.ports import EMPTY_PORTS
from policylint.findings import Finding, Severity
from policylint.model.tier_types import BASELINE, DENY
from policylint.model.types import EGRESS
from policylint.rule_api import RuleContext
from policylint.rules._tiers import classes, representative, sample, tiers_of

CODE = "PL605"
NAME = "baseline-deny-cuts-dns"
SEVERITY = Severity.ERROR
SCOPE = "cluster"
REMEDIATION = "Add a baseline rule that allows UDP and TCP port 53 to the cluster DNS before the Deny."


def check(ctx: RuleContext, cluster, options: dict) -> Iterator[Finding]:
    tiers = tiers_of(ctx)
    if tiers is None:
        return
    from policylint.engine.explain_tiers import trace  # only inputs with admin or baseline policies need it

    engine = ctx.engine
    ns_selector = dict(ctx.facts.dns_namespace_labels)
    pod_selector = dict(ctx.facts.dns_pod_labels)
    dns = [e for e in engine.endpoints if not e.is_external
           and all(e.labels.get(k) == v for k, v in pod_selector.items())
           and all(cluster.namespaces[e.namespace].labels.get(k) == v for k, v in ns_selector.items())]
    if not dns:
        return  # without the DNS pods in the input, nothing says where DNS is
    cut: dict[int, int] = {}  # id(rule) -> pod classes it cuts
    rules = {}
    for policy in tiers.policies:
        if policy.tier != BASELINE:
            continue
        for cls in classes(tiers.subjects[id(policy)], engine):
            if has(engine._isolated[EGRESS], cls):
                continue
            pod = representative(engine, cls)
            walk = trace(engine, EGRESS, pod, dns[0], EMPTY_PORTS)
            for step in walk.baseline:
                if step.ports.contains("UDP", 53):
                    if step.verdict == DENY and step.policy is policy:
                        cut[id(step.rule)] = cut.get(id(step.rule), 0) | (1 << cls)
                        rules[id(step.rule)] = (policy, step.rule)
                    break
    for key, bits in cut.items():
        policy, rule = rules[key]
        yield ctx.finding(rule.source, f"{policy.id} {rule.label} denies DNS (UDP/53 to {dns[0].id}) for "
                          f"{sample(engine, bits)}: no NetworkPolicy isolates them for egress and no earlier rule "
                          "allows it")
