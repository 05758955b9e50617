"""NetworkPolicy rule overridden by the admin tier.

## What it does
Reports a NetworkPolicy ingress or egress rule whose traffic is, for every pod the policy selects,
entirely decided by the admin tier before any NetworkPolicy is consulted: an `Allow`/`Accept` or a
`Deny` of an AdminNetworkPolicy or Admin-tier ClusterNetworkPolicy matches every peer and port the
rule allows. The finding names the admin rules that decide.

Complexity: O(N x R x C) over the NetworkPolicy rules and the classes they apply to, against the
tier cells of each class.

## Why is this bad?
The namespace owner believes the rule governs their pods' traffic; it has no effect. When the
admin tier denies, the rule suggests an access that does not exist (a training job that "allows"
the data service and never gets it); when the admin tier accepts, removing the rule would change
nothing. Either way the policy misleads its readers.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: team-a
  labels: {app: trainer}
spec:
  containers: [{name: main, image: trainer:1}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: metadata-access
  namespace: team-a
spec:
  podSelector: {matchLabels: {app: trainer}}
  policyTypes: [Egress]
  egress:
    - to: [{ipBlock: {cidr: 169.254.169.254/32}}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: no-metadata
spec:
  priority: 10
  subject:
    namespaces: {}
  egress:
    - action: Deny
      to: [{networks: [169.254.169.254/32]}]
```

Use instead:
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: team-a
  labels: {app: trainer}
spec:
  containers: [{name: main, image: trainer:1}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: metadata-access
  namespace: team-a
spec:
  podSelector: {matchLabels: {app: trainer}}
  policyTypes: [Egress]
  egress:
    - to: [{ipBlock: {cidr: 10.20.0.0/16}}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: no-metadata
spec:
  priority: 10
  subject:
    namespaces: {}
  egress:
    - action: Deny
      to: [{networks: [169.254.169.254/32]}]
```

## References
- https://network-policy-api.sigs.k8s.io/reference/spec/ (`ClusterNetworkPolicySpec.Tier`: the admin tier is evaluated first)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.model.types import EGRESS
from policylint.rule_api import RuleContext
from policylint.rules._tiers import DIRECTIONS, classes, tiers_of

CODE = "PL604"
NAME = "networkpolicy-rule-overridden"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = ("Remove the rule, or ask the cluster administrators to Pass this traffic to the NetworkPolicies "
               "if the namespace should decide it.")


def check(ctx: RuleContext, cluster, options: dict) -> Iterator[Finding]:
    tiers = tiers_of(ctx)
    if tiers is None:
        return
    engine = ctx.engine
    for cp in engine.policies:
        for direction in DIRECTIONS:
            if not cp.isolates(direction) or not cp.selected:
                continue
            for compiled in cp.rules(direction):
                if not compiled.bits:
                    continue
                deciders = _deciders(tiers, engine, direction, cp.selected, compiled)
                if deciders is None:
                    continue
                verbs = sorted({"denies" if r.rule.verdict == "deny" else "allows" for r in deciders})
                names = ", ".join(f"{r.policy.id} {r.rule.label}" for r in deciders[:3])
                yield ctx.finding(
                    compiled.rule.source,
                    f"NetworkPolicy {cp.policy.id} {direction.lower()}[{compiled.rule.index}] has no effect: the admin tier "
                    f"{' or '.join(verbs)} all its traffic first ({names})",
                    related=tuple(Related(r.rule.source.span, f"admin tier: {r.policy.id} {r.rule.label}")
                                  for r in deciders[:8]))


def _deciders(tiers, engine, direction, selected: int, compiled):
    found: list = []
    for cls in classes(selected, engine):
        admin = tiers.rules_for(direction, cls)[0]
        if not admin:
            return None
        cells = tiers.walk(direction, cls, admin)
        if direction == EGRESS:
            parts = engine._parts(compiled.spec)
        else:
            parts = [(engine._compiler.all, engine._resolve_atom(compiled.spec, cls))]
        for state, bits in cells:
            x = bits & compiled.bits
            if not x:
                continue
            handed = state[0] | state[1] | state[3]  # undecided, passed or unknown: the NetworkPolicies may decide it
            for part_bits, ports in parts:
                if x & part_bits and not (handed & ports).is_empty:
                    return None
        found.extend(r for r in admin if r.rule.verdict in ("allow", "deny") and r.sure & compiled.bits and r not in found)
    return found or None
