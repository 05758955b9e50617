"""Pass in the admin tier with nothing below to decide.

## What it does
Reports an admin-tier rule with action `Pass` when none of the pods its policy applies to has
anything below the admin tier for that direction: no NetworkPolicy isolates them and no baseline
rule applies to them. The traffic it passes is then simply allowed by default.

Complexity: O(T x r) plus a bitset test per Pass rule.

## Why is this bad?
`Pass` delegates: it means "let the namespace owners' NetworkPolicies, or the baseline, decide".
With nothing there, it allows exactly like `Allow`/`Accept`, which the author probably did not
intend (a Pass is written where an administrator does not want to decide). Either the delegated
policies are missing, or the rule should say what it means.

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
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: tenants-decide
spec:
  priority: 10
  subject:
    namespaces: {}
  ingress:
    - action: Pass
      from: [{namespaces: {}}]
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
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: tenants-decide
spec:
  priority: 10
  subject:
    namespaces: {}
  ingress:
    - action: Pass
      from: [{namespaces: {}}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata:
  name: default
spec:
  subject:
    namespaces: {}
  ingress:
    - action: Deny
      from: [{namespaces: {}}]
```

## References
- https://network-policy-api.sigs.k8s.io/reference/spec/ (`AdminNetworkPolicyRuleActionPass`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.engine.bits import has
from policylint.findings import Finding, Severity
from policylint.model.tier_types import ADMIN, PASS
from policylint.rule_api import RuleContext
from policylint.rules._tiers import DIRECTIONS, classes, sample, tiers_of

CODE = "PL603"
NAME = "pass-with-nothing-below"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = ("Write the NetworkPolicies or the baseline rules the Pass delegates to, or use Allow/Accept "
               "if allowing is what you mean.")


def check(ctx: RuleContext, cluster, options: dict) -> Iterator[Finding]:
    tiers = tiers_of(ctx)
    if tiers is None:
        return
    engine = ctx.engine
    for policy in tiers.policies:
        subject = tiers.subjects[id(policy)]
        if policy.tier != ADMIN or not subject:
            continue
        for direction in DIRECTIONS:
            passes = [r for r in policy.rules(direction) if r.verdict == PASS]
            if not passes:
                continue
            isolated = engine._isolated[direction]
            if any(has(isolated, c) or tiers.rules_for(direction, c)[1] for c in classes(subject, engine)):
                continue
            for rule in passes:
                yield ctx.finding(rule.source, f"{policy.id} {rule.label} passes {direction.lower()} traffic of "
                                  f"{sample(engine, subject)} to tiers with nothing to decide it: no NetworkPolicy "
                                  f"isolates them for {direction.lower()} and no baseline rule applies, so it is "
                                  "allowed by default")
