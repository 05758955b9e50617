"""Policy that adds nothing to the policies that select the same pods.

## What it does
Reports a NetworkPolicy when other policies of its namespace select every pod it selects,
isolate those pods in every direction it isolates, and together allow every peer and port its
rules allow. Deleting the policy changes no connection. The finding points at the policy's name;
the policies that make it redundant are related locations.

As in PL401 (redundant-rule), redundancy is proven for every pod that may ever exist: the other
policies' `podSelector`s must provably select everything this one selects (`{}` selects every
pod; `app In (a, b)` selects every `app: a` pod), and rules are compared by selectors, address
ranges and port sets, never by the workloads the input happens to hold. When two policies make
each other redundant, the later one is reported. A policy that is an exact duplicate of an
earlier one is left to PL403 (duplicate-policy). Policies with parts the API server rejects are
neither reported nor counted as covering others.

Complexity: per namespace of N policies with R rules in all, O(N^2) selector and selection
tests plus, for each rule, one comparison with the rules of the policies that select a superset
of its pods (see PL401): O(N^2 + R^2 x (E + S)) bitset operations in the worst case.
Budget: `budget` comparisons per namespace (below).

## Why is this bad?
A policy that changes nothing still has to be read, reviewed and kept in sync. It usually
means that a broader policy (often a namespace-wide one) was added later and the narrow one was
never cleaned up, or that the narrow one was meant to allow something the broad one does not.

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
          ports:
            - containerPort: 8080
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: namespace-ingress
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: shop
      ports:
        - port: 8080
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-from-frontend
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
    - Ingress
  ingress:
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
          ports:
            - containerPort: 8080
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: namespace-ingress
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: shop
      ports:
        - port: 8080
```

## Options
- `budget` (default 5,000,000): the most comparisons spent on the policies of one namespace.
  Past it, the policies found redundant so far are reported, and the first of those not
  checked gets a PL025 (check-budget-exceeded) finding that names the others; 0 removes the
  limit. A namespace of a few hundred ordinary policies needs well under a tenth of it.

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.model.types import Cluster, NetworkPolicy
from policylint.rule_api import RuleContext
from policylint.rule_options import Int, Option
from policylint.rules._budget import Budget, BudgetExceeded, budget_finding, limit_of
from policylint.rules._subsumption import Allowance, allowance, constraints, covered_by, implies, policy_key
from policylint.rules._workloads import finding_at, name_span, quote_list

DEFAULT_BUDGET = 5_000_000
CODE = "PL402"
NAME = "redundant-policy"
SEVERITY = Severity.INFO
SCOPE = "cluster"
REMEDIATION = "Delete the redundant policy, or change it to allow what was meant if it was supposed to add access the other policies do not grant."
OPTIONS = {
    "budget": Option(DEFAULT_BUDGET, "the most comparisons spent on the policies of one namespace before the rest "
                     "are reported as not fully checked (PL025); 0 for no limit", Int(0, 10**12)),
}


class _Subject:
    """One policy, prepared for comparison."""

    def __init__(self, engine, policy: NetworkPolicy) -> None:
        self.policy = policy
        self.selector = constraints(policy.pod_selector)
        compiled = engine.compiled(policy)
        self.selected = compiled.selected
        self.bits = {d: [c.bits for c in compiled.rules(d)] for d in policy.policy_types}
        self.rules = {d: [allowance(policy.namespace, r, policy) for r in policy.rules(d)] for d in policy.policy_types}
        self.usable = self.selector is not None and not compiled.invalid_parts


def _redundant(subject: _Subject, pool: list[_Subject], budget: Budget | None = None) -> list[NetworkPolicy] | None:
    """The policies that make `subject` redundant, or None."""
    if budget is not None:
        budget.spend(len(pool))
    coverers = [q for q in pool if q is not subject and (subject.selected & ~q.selected) == 0
                and implies(subject.selector, q.selector)]  # type: ignore[arg-type]
    used: dict[int, NetworkPolicy] = {}
    for direction in subject.policy.policy_types:
        isolating = [q for q in coverers if direction in q.rules]
        if not isolating:
            return None  # the policy isolates its pods in a direction nothing else does
        if not subject.rules[direction] and not any(id(q.policy) in used for q in isolating):
            used[id(isolating[0].policy)] = isolating[0].policy  # it only isolates: name one that does too
        others: list[Allowance] = [a for q in isolating for a in q.rules[direction] if a is not None]
        union = 0
        for q in isolating:
            for bits in q.bits[direction]:
                union |= bits
        for mine, bits in zip(subject.rules[direction], subject.bits[direction]):
            if mine is None or bits & ~union:
                return None
            covering = covered_by(mine, others, budget)
            if covering is None:
                return None
            for policy in covering:
                used.setdefault(id(policy), policy)
    return sorted(used.values(), key=lambda p: p.id)


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    engine = ctx.engine
    by_namespace: dict[str, list[NetworkPolicy]] = {}
    for policy in cluster.policies:
        by_namespace.setdefault(policy.namespace, []).append(policy)
    for policies in by_namespace.values():
        if len(policies) < 2:
            continue
        duplicate_of_earlier: set[int] = set()
        seen: set = set()
        for policy in policies:
            key = policy_key(policy)
            if key in seen:
                duplicate_of_earlier.add(id(policy))
            seen.add(key)
        pool = [s for s in (_Subject(engine, p) for p in policies) if s.usable]
        reported: list[tuple[_Subject, list[NetworkPolicy]]] = []
        budget = Budget(limit_of(options))
        unfinished: list[_Subject] = []
        subjects = list(reversed(pool))
        for n, subject in enumerate(subjects):
            try:
                covering = _redundant(subject, pool, budget)
            except BudgetExceeded:
                unfinished = subjects[n:]  # those found so far hold: covered by policies still in the pool
                break
            if covering is None:
                continue
            pool.remove(subject)
            if id(subject.policy) not in duplicate_of_earlier:  # PL403 reports those
                reported.append((subject, covering))
        for subject, covering in reversed(reported):
            # Name the policies that stay: coverage is transitive, so those left in the pool
            # cover every removed policy too (the first answer is kept should that fail). Not
            # counted: it costs at most what finding the policy redundant did.
            yield _finding(ctx, subject.policy, _redundant(subject, pool) or covering)
        if unfinished:
            left = {id(s.policy) for s in unfinished}
            yield _unfinished(ctx, [p for p in policies if id(p) in left], len(policies), budget.limit or 0)


def _unfinished(ctx: RuleContext, policies: list[NetworkPolicy], total: int, limit: int) -> Finding:
    """One PL025 finding at the first unchecked policy of the input, naming the others."""
    first, *rest = policies
    return budget_finding(
        ctx, name_span(first), first.source.object, f"{first.source.child_path('metadata')}.name",
        f"{len(policies)} of {total} policies of namespace `{first.namespace}` (from `{first.id}`)", limit,
        tuple(Related(name_span(p), f"`{p.id}` not checked") for p in rest))


def _finding(ctx: RuleContext, policy: NetworkPolicy, covering: list[NetworkPolicy]) -> Finding:
    directions = " and ".join(d.lower() for d in sorted(policy.policy_types))
    verb = "s" if len(covering) == 1 else ""
    return finding_at(
        ctx, name_span(policy), policy, f"{policy.source.child_path('metadata')}.name",
        f"policy `{policy.id}` adds nothing: {quote_list(p.id for p in covering)} already "
        f"select{verb} its pods, isolate{verb} them for {directions} and allow{verb} everything it allows",
        [Related(name_span(p), f"`{p.id}` covers it") for p in covering],
    )
