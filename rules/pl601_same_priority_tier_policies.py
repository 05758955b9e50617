"""Two cluster-wide policies of one tier share a priority and a subject.

## What it does
Reports an `AdminNetworkPolicy` or `ClusterNetworkPolicy` whose `priority` equals that of another
policy of the same tier (Admin or Baseline) when both apply to some of the same pods and both have
rules for the same direction. The finding points at the priority of the policy that policylint
evaluates second (by kind, then name) and names the other.

Complexity: O(T^2) over the T cluster-wide policies of one tier (each compared with the earlier
ones of the same priority), each comparison a bitset AND.

## Why is this bad?
Upstream leaves the order of such policies undefined: "the implementation can apply any of the
matching policies to the connection, and there is no way for the user to reliably determine which
one it will choose". If one denies what the other allows, the cluster's behaviour depends on the
network plugin. policylint has to pick an order to answer at all; the answer may not be the
cluster's.

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
  labels: {tenant: "true"}
---
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: team-a
spec:
  containers: [{name: main, image: trainer:1}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: allow-monitoring
spec:
  priority: 10
  subject:
    namespaces: {matchLabels: {tenant: "true"}}
  ingress:
    - action: Allow
      from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: deny-all-ingress
spec:
  priority: 10
  subject:
    namespaces: {}
  ingress:
    - action: Deny
      from: [{namespaces: {}}]
```

Use instead:
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
  labels: {tenant: "true"}
---
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: team-a
spec:
  containers: [{name: main, image: trainer:1}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: allow-monitoring
spec:
  priority: 10
  subject:
    namespaces: {matchLabels: {tenant: "true"}}
  ingress:
    - action: Allow
      from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: deny-all-ingress
spec:
  priority: 20
  subject:
    namespaces: {}
  ingress:
    - action: Deny
      from: [{namespaces: {}}]
```

## References
- https://network-policy-api.sigs.k8s.io/reference/spec/ (`AdminNetworkPolicySpec.priority`)
- kubernetes-sigs/network-policy-api `apis/v1alpha2/clusternetworkpolicy_types.go` (`Priority`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.rule_api import RuleContext
from policylint.rules._tiers import sample, tiers_of

CODE = "PL601"
NAME = "same-priority-tier-policies"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = "Give each policy of a tier that applies to the same pods its own priority, in the order you mean."


def check(ctx: RuleContext, cluster, options: dict) -> Iterator[Finding]:
    tiers = tiers_of(ctx)
    if tiers is None:
        return
    engine = ctx.engine
    seen = []
    for policy in tiers.policies:  # in evaluation order
        if policy.priority is None or not policy.valid:
            continue
        subject = tiers.subjects[id(policy)]
        for earlier in seen:
            if earlier.tier != policy.tier or earlier.priority != policy.priority:
                continue
            both = subject & tiers.subjects[id(earlier)]
            shared = [d for d in ("ingress", "egress") if getattr(policy, d) and getattr(earlier, d)]
            if not both or not shared:
                continue
            yield _at_priority(ctx, policy, earlier, shared, sample(engine, both))
        seen.append(policy)


def _at_priority(ctx: RuleContext, policy, earlier, shared, pods: str) -> Finding:
    spec = policy.source.node.get("spec") if hasattr(policy.source.node, "get") else None
    span = spec.span_of_value("priority") if spec is not None and "priority" in spec else policy.source.span
    message = (f"{policy.id} has the same priority ({policy.priority}) in the {policy.tier.lower()} tier as "
               f"{earlier.id}, and both have {' and '.join(shared)} rules for {pods}: upstream leaves which is "
               "evaluated first undefined")
    return ctx.finding(span, message, related=(Related(earlier.source.span, f"{earlier.id}, priority {earlier.priority}"),),
                       object=policy.source.object, field_path=policy.source.child_path("spec") + ".priority")
