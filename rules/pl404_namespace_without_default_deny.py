"""Namespace without a default-deny policy.

## What it does
Reports a namespace that has workloads in the input but no NetworkPolicy that isolates all of its
pods for ingress: a policy with an empty `podSelector: {}` and `Ingress` in its (effective)
`policyTypes`. With the option `egress: true`, a missing default-deny for egress is reported
too. The finding points at the Namespace manifest's name or, when the namespace is not declared,
at the first place an object uses it. Policies the API server would reject do not count.

A namespace without workloads in the input is not reported: its pods, and maybe its policies,
come from elsewhere. Nor is a namespace where a new pod without labels would still accept
nothing (or, for egress, reach nothing): something else denies by default there — a
BaselineAdminNetworkPolicy, or a policy whose selector also catches unlabelled pods. The message
says what such a new pod would be open to: when no policy isolates it and the input has no
cluster-wide policy, that it is open to every connection the other side allows; otherwise what
the exposure analysis of `matrix --exposure` finds.

Complexity: O(N + NS) in all, with one bitset test per policy and one engine built with a new pod
per namespace, plus the exposure of the new pods that some policy isolates (or that cluster-wide
policies may close): O(NS' x G) engine answers for those NS' namespaces (docs/exposure.md).

## Why is this bad?
Pods that no policy selects accept every connection. Without a namespace-wide default-deny,
every new workload, and every workload whose labels drift away from the selectors, is open
to the whole cluster until someone writes a policy for it. A `podSelector: {}` policy that isolates
all pods, plus narrow policies that allow what is needed, is the recommended baseline.

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
    - ports:
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
  name: default-deny-ingress
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
    - Ingress
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
    - ports:
        - port: 8080
```

## Options
- `egress` (default `false`): also report a namespace without a policy that isolates all its
  pods for egress.
- `exclude-namespaces` (default `[kube-system, kube-public, kube-node-lease]`): namespaces that
  are never reported. The system namespaces run platform components (DNS, kube-proxy, often on
  the host network) whose traffic the platform, not the repository, decides.
- `budget` (default 1,000,000): the most units of exposure analysis (regions cut, overlap tests)
  spent before the rule stops with a PL025 (check-budget-exceeded) finding instead of stalling the
  build; 0 for no limit. Inputs with many selectors per namespace can need far more than the
  input's size suggests (docs/exposure.md).

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.load.nodes import YMap
from policylint.model.types import EGRESS, INGRESS, Cluster, Namespace
from policylint.rule_api import RuleContext
from policylint.rule_options import Flag, NameList, Option
from policylint.rules._budget import Budget, BudgetExceeded, budget_finding, exposure_budget_option, limit_of
from policylint.rules._workloads import index

CODE = "PL404"
NAME = "namespace-without-default-deny"
SEVERITY = Severity.INFO
SCOPE = "cluster"
REMEDIATION = "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]` (and `Egress` if outgoing traffic should be denied by default) to the namespace, then allow what is needed with narrower policies."
OPTIONS = {
    "egress": Option(False, "also report a namespace without a default-deny policy for egress (true/false)", Flag()),
    "exclude-namespaces": Option(["kube-system", "kube-public", "kube-node-lease"], "namespaces never reported (list of names)", NameList()),
    "budget": exposure_budget_option(),
}


def _name_span(namespace: Namespace):
    node = namespace.source.node
    metadata = node.get("metadata") if isinstance(node, YMap) else None
    if isinstance(metadata, YMap) and "name" in metadata:
        return metadata.span_of_value("name")
    return namespace.source.span


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    if not cluster.workloads:
        return
    engine = ctx.engine
    directions = (INGRESS, EGRESS) if options["egress"] else (INGRESS,)
    denied: dict[str, set[str]] = {}
    for policy in cluster.policies:
        selector = policy.pod_selector
        if selector.valid and selector.is_empty and not engine.compiled(policy).invalid_parts:
            denied.setdefault(policy.namespace, set()).update(policy.policy_types)
    excluded = set(options["exclude-namespaces"])
    candidates = {}
    for name in sorted(set(index(ctx).namespace_bits) - excluded):
        missing = [d for d in directions if d not in denied.get(name, set())]
        if missing:
            candidates[name] = missing
    budget = Budget(limit_of(options))
    try:
        exposure = _new_pod_exposure(engine, candidates, budget)
    except BudgetExceeded:
        first = cluster.namespaces[next(iter(candidates))]
        yield budget_finding(ctx, _name_span(first), first.source.object, "metadata.name" if first.declared else "",
                             f"the default deny of {len(candidates)} namespace{'s' if len(candidates) != 1 else ''}",
                             budget.limit or 0)
        return
    rejected = {p.namespace for p in cluster.policies if engine.compiled(p).invalid_parts}
    for name, missing in candidates.items():
        # What a new pod (no labels yet) of the namespace would accept or reach, through every
        # policy kind: when that is nothing, something else denies by default (a baseline
        # cluster-wide policy, a selector that catches unlabelled pods) and there is no finding.
        # A policy the API server would reject is not there to deny: then the finding stays.
        open_claims = {d: exposure.get((name, d), []) for d in missing}
        if name not in rejected:
            missing = [d for d in missing if open_claims[d]]
        if not missing:
            continue
        words = [d.lower() for d in missing]
        examples = "; ".join(_example(d, open_claims[d]) for d in missing if open_claims[d])
        namespace = cluster.namespaces[name]
        yield ctx.finding(
            _name_span(namespace),
            f"namespace `{name}` has no default-deny {' or '.join(words)} policy "
            f"(`podSelector: {{}}` isolating {' and '.join(words)})" + (f": {examples}" if examples else ""),
            object=namespace.source.object, field_path="metadata.name" if namespace.declared else "",
        )


def _new_pod_exposure(engine, candidates: dict[str, list[str]], budget=None) -> dict[tuple[str, str], list]:
    """Per (namespace, direction), the exposure claims of a new pod without labels there (see
    policylint.exposure): the pods, namespaces and addresses it would accept or reach."""
    if not candidates:
        return {}
    from policylint.engine import Engine
    from policylint.exposure import INBOUND, OUTBOUND, analyse
    from policylint.exposure.described import DescribedPeer, add_described

    found: dict[tuple[str, str], list] = {}
    # The namespaces where a new pod is surely open need no engine: rebuilding one over the whole
    # input with a pod per namespace cost 1.3 GB on a 150,000-pod export.
    open_now = _surely_open(engine, candidates)
    for name, d in open_now:
        found[(name, d)] = [_Unisolated(d)]
    candidates = {name: [d for d in ds if (name, d) not in open_now] for name, ds in candidates.items()}
    candidates = {name: ds for name, ds in candidates.items() if ds}
    if not candidates:
        return found
    cluster, probes = engine.cluster, {}
    for name in candidates:
        cluster, probes[name] = add_described(cluster, DescribedPeer(f"ns:{name}", name))
    grown = Engine(cluster)
    side = {INGRESS: INBOUND, EGRESS: OUTBOUND}
    wanted = {}
    for name, ds in candidates.items():
        probe = grown.endpoint(probes[name])
        for d in ds:
            if _open_anyway(grown, probe, d):
                found[(name, d)] = [_Unisolated(d)]
            else:
                wanted[(probes[name], side[d])] = (name, d)
    if not wanted:
        return found
    endpoints = sorted({grown.endpoint(endpoint_id) for endpoint_id, _ in wanted})
    directions = sorted({direction for _, direction in wanted})
    for claim in analyse(grown, endpoints, directions, budget):
        key = wanted.get((claim.endpoint, claim.direction))
        if key is not None and not claim.ports.is_empty:
            found.setdefault(key, []).append(claim)
    return found


def _surely_open(engine, candidates: dict[str, list[str]]) -> set[tuple[str, str]]:
    """(namespace, direction) where `_open_anyway` holds for a new pod without labels, told from
    the policies alone: no cluster-wide policy, and no NetworkPolicy of the namespace (the input's
    or an operator's) for that direction whose podSelector matches a pod without labels or is one
    the API server would reject (it might have)."""
    from policylint.engine.label_index import matches

    if engine.has_tiers:
        return set()
    closing: set[tuple[str, str]] = set()
    for policy in engine.cluster.evaluated_policies:
        if policy.namespace in candidates and (not policy.pod_selector.valid or matches(policy.pod_selector, {})):
            closing.update((policy.namespace, d) for d in policy.policy_types)
    return {(name, d) for name, ds in candidates.items() for d in ds if (name, d) not in closing}


def _open_anyway(engine, probe, direction: str) -> bool:
    """Whether a new pod is open in `direction` without asking the exposure analysis: no policy
    isolates it (nor might, through a selector the API server would reject) and no cluster-wide
    policy exists. Then a pod of a new namespace, which no policy selects, may connect to it
    (and it to such a pod) on every port. This keeps the rule linear: the exposure analysis of
    every namespace's new pod cuts the whole space of peers once per namespace."""
    return (not engine.has_tiers and not engine.isolated(probe, direction)
            and not engine.invalid_policies_on(direction, probe))


class _Unisolated:
    """The claim-free answer of `_open_anyway`, said in words by `_example`."""

    __slots__ = ("direction",)

    def __init__(self, direction: str) -> None:
        self.direction = direction


def _example(direction: str, claims: list) -> str:
    """The widest of a new pod's claims, in words: who may connect to it, or where it may go."""
    if isinstance(claims[0], _Unisolated):
        if direction == INGRESS:
            return "no policy isolates a new pod there for ingress: it accepts every connection its source's egress allows"
        return "no policy isolates a new pod there for egress: it may open every connection its destination's ingress allows"
    pods = [c for c in claims if c.peer.kind == "pods"] or claims
    widest = min(pods, key=lambda c: (len(c.peer.namespace_selector.keys) + len(c.peer.pod_selector.keys), c.sort_key()))
    more = f" (and {len(claims) - 1} more)" if len(claims) > 1 else ""
    if direction == INGRESS:
        return f"a new pod there accepts {widest.peer.describe()} on {widest.ports.describe()}{more}"
    return f"a new pod there may connect to {widest.peer.describe()} on {widest.ports.describe()}{more}"
