"""Cluster-wide policy rule that never decides anything.

## What it does
Reports a rule of an `AdminNetworkPolicy`, `BaselineAdminNetworkPolicy` or `ClusterNetworkPolicy`
that matches some traffic but never decides any of it: for every pod its policy applies to, every
peer and port it matches is already decided by a rule evaluated before it — an earlier rule of the
same policy, or a rule of a policy of the same tier with a lower priority number. The finding
names the rules that decide first.

Complexity: O(T x r x C) for T cluster-wide policies with r rules each, walking the classes each
rule applies to.

## Why is this bad?
In a tier the first matching rule wins. A rule placed after a broader one is dead: an `Allow`
meant as an exception to a `Deny` that comes first never allows anything, a `Deny` after an
`Allow` of the same traffic never denies. The author's intent and the cluster's behaviour differ.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: team-a
spec:
  containers: [{name: main, image: trainer:1}]
---
apiVersion: v1
kind: Pod
metadata:
  name: prometheus
  namespace: monitoring
spec:
  containers: [{name: main, image: prometheus:2}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: ingress-guard
spec:
  priority: 10
  subject:
    namespaces: {}
  ingress:
    - name: deny-everyone
      action: Deny
      from: [{namespaces: {}}]
    - name: allow-monitoring
      action: Allow
      from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
```

Use instead:
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: team-a
spec:
  containers: [{name: main, image: trainer:1}]
---
apiVersion: v1
kind: Pod
metadata:
  name: prometheus
  namespace: monitoring
spec:
  containers: [{name: main, image: prometheus:2}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: ingress-guard
spec:
  priority: 10
  subject:
    namespaces: {}
  ingress:
    - name: allow-monitoring
      action: Allow
      from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
    - name: deny-everyone
      action: Deny
      from: [{namespaces: {}}]
```

## References
- https://network-policy-api.sigs.k8s.io/reference/spec/ (rule precedence: "the order in which the rule is written")
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.model.tier_types import ADMIN
from policylint.rule_api import RuleContext
from policylint.rules._tiers import DIRECTIONS, classes, decides_anything, tiers_of

CODE = "PL602"
NAME = "shadowed-tier-rule"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = "Move the rule before the rules that decide its traffic first, or remove it."


def check(ctx: RuleContext, cluster, options: dict) -> Iterator[Finding]:
    tiers = tiers_of(ctx)
    if tiers is None:
        return
    engine = ctx.engine
    for policy in tiers.policies:
        subject = tiers.subjects[id(policy)]
        if not subject:
            continue
        for direction in DIRECTIONS:
            for rule in policy.rules(direction):
                compiled = tiers.compiled.get(id(rule))
                if compiled is None or not (compiled.sure | compiled.maybe):
                    continue
                deciders = _deciders(tiers, engine, policy, direction, compiled, subject)
                if deciders is None:
                    continue
                names = ", ".join(f"{r.policy.id} {r.rule.label}" for r in deciders[:3])
                related = tuple(Related(r.rule.source.span, f"decides first: {r.policy.id} {r.rule.label}")
                                for r in deciders[:8])
                yield ctx.finding(rule.source, f"{policy.id} {rule.label} never decides anything: every peer and port "
                                  f"it matches is decided first by {names}", related=related)


def _deciders(tiers, engine, policy, direction, compiled, subject):
    """The earlier rules that decide all of this rule's traffic, or None when it decides some."""
    seen: set[tuple] = set()
    earlier_all: list = []
    slot = 0 if policy.tier == ADMIN else 1
    for cls in classes(subject, engine):
        rules = tiers.rules_for(direction, cls)[slot]
        position = next(i for i, r in enumerate(rules) if r is compiled)
        key = (id(rules), cls if direction != "Egress" else None)
        if key in seen:
            continue
        seen.add(key)
        cells = tiers.walk(direction, cls, rules, position)
        if decides_anything(cells, compiled.sure, compiled.maybe, tiers.parts_for(direction, cls, compiled)):
            return None
        hit = compiled.sure | compiled.maybe
        earlier_all.extend(r for r in rules[:position] if (r.sure | r.maybe) & hit and r not in earlier_all)
    return earlier_all or None
