"""Rule whose allowances other rules of the same policy already grant.

## What it does
Reports an ingress (or egress) rule when the other rules of the same policy and direction
already allow every peer it allows on every port it allows. Since they belong to one policy, they
apply to the same selected pods, so deleting the rule changes nothing. The finding points at the
redundant rule; the rules that cover it are related locations. Of two identical rules, the later
one is reported.

Redundancy is proven for every pod that may ever exist, not only for the workloads of the input:
selectors are compared by what they require (`app In (a, b)` is covered by one rule for `app: a`
and one for `app: b`; `podSelector` alone means the policy's own namespace), ipBlocks by their
address ranges, and ports as sets per protocol. A named port is only covered by a rule naming the
same port and protocol, or allowing every port of that protocol: a name resolves per destination
pod, and pods outside the input may number it differently. What cannot be proven is not reported.

Complexity: O(R^2 x (e + S)) bitset operations (on R-bit sets) for R rules of one direction, e
ipBlock edges and S selector cases (at most 256) per rule: each rule is compared with all the
others at once (see `_subsumption.covered_by`). Budget: `budget` comparisons per policy (below).

Not reported: policies with parts the API server rejects, directions the policy does not isolate
(see PL107), and rules made moot by an allow-all rule `- {}` (see PL117).

## Why is this bad?
A redundant rule is dead weight that reviewers still read and maintain. It often hides a mistake:
the author meant the second rule to be narrower or different (another port, another namespace),
and a later edit to the "real" rule silently keeps the old access open through the copy.

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
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: shop
      ports:
        - port: 8080
        - port: 9090
    - from:
        - podSelector:
            matchLabels:
              app: frontend
      ports:
        - port: 8080
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
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: shop
      ports:
        - port: 8080
        - port: 9090
```

## Options
- `budget` (default 2,000,000): the most comparisons spent on one policy. Past it, the rules
  found redundant so far are reported and the policy gets a PL025 (check-budget-exceeded)
  finding instead of a full answer; 0 removes the limit. Real policies need a few thousand.

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
- kubernetes/api `networking/v1/types.go` (`NetworkPolicySpec`: rules are ORed)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.model.types import NetworkPolicy, Rule
from policylint.rule_api import RuleContext
from policylint.rule_options import Int, Option
from policylint.rules._budget import Budget, BudgetExceeded, budget_finding, limit_of
from policylint.rules._subsumption import allowance, covered_by
from policylint.rules._workloads import finding_at, name_span

DEFAULT_BUDGET = 2_000_000
CODE = "PL401"
NAME = "redundant-rule"
SEVERITY = Severity.INFO
SCOPE = "policy"
REMEDIATION = "Delete the redundant rule, or change it to allow what was meant if it was supposed to differ from the rules that cover it."
OPTIONS = {
    "budget": Option(DEFAULT_BUDGET, "the most comparisons spent on one policy before it is reported as not fully "
                     "checked (PL025); 0 for no limit", Int(0, 10**12)),
}


def label(rule: Rule) -> str:
    return f"{rule.direction.lower()}[{rule.index}]"


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    if sum(len(policy.rules(d)) for d in policy.policy_types) < 2:
        return
    engine = ctx.engine
    compiled_policy = engine.compiled(policy)
    if compiled_policy.invalid_parts:
        return
    budget = Budget(limit_of(options))
    for direction in policy.policy_types:
        rules = policy.rules(direction)
        if len(rules) < 2 or any(r.allows_all_peers and r.allows_all_ports for r in rules):
            continue
        bits = [c.bits for c in compiled_policy.rules(direction)]
        allowances = [allowance(policy.namespace, r, r) for r in rules]
        alive = [i for i, a in enumerate(allowances) if a is not None]
        redundant: list[tuple[int, list[Rule]]] = []
        exceeded = False
        try:
            for i in reversed(range(len(rules))):
                mine = allowances[i]
                others = [j for j in alive if j != i]
                if mine is None or not others:
                    continue
                union = 0
                for j in others:
                    union |= bits[j]
                if bits[i] & ~union:
                    continue  # a workload of the input that only this rule matches
                used = covered_by(mine, [allowances[j] for j in others], budget)  # type: ignore[misc]
                if used is not None:
                    alive.remove(i)
                    redundant.append((i, used))
        except BudgetExceeded:
            exceeded = True  # what was found so far holds: each is covered by rules still alive
        for i, used in reversed(redundant):
            # Name the rules that stay (coverage is transitive; keep the first answer otherwise).
            # Not counted: it costs at most what finding the rule redundant did.
            used = covered_by(allowances[i], [allowances[j] for j in alive]) or used  # type: ignore[arg-type, misc]
            rule = rules[i]
            names = ", ".join(f"`{label(r)}`" for r in used)
            yield finding_at(
                ctx, rule.source.span, policy, rule.source.field_path,
                f"`{label(rule)}` is redundant: {names} already allow{'s' if len(used) == 1 else ''} "
                "every peer and port it allows",
                [Related(r.source.span, f"{label(r)} covers it") for r in used],
            )
        if exceeded:
            yield budget_finding(ctx, name_span(policy), policy.source.object,
                                 f"{policy.source.child_path('metadata')}.name",
                                 f"the rules of `{policy.id}`", budget.limit or 0)
            return
