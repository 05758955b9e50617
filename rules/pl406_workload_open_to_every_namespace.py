"""Workload open to every namespace on a port no expectation allows.

## What it does
Reports a workload that a policy isolates for ingress but that pods of *every* namespace may
still reach on some port — including namespaces that do not exist yet, whatever labels they will
carry — when no `allow: true` expectation of the config allows that port to the workload from
every namespace. The exposure is computed exactly, as `policylint matrix --exposure` shows it,
through NetworkPolicies and cluster-wide policies alike: an admin `Deny` closes it, an admin
`Allow` or a baseline `Allow` can open it, and a namespace's own egress policies do not help
(a new namespace has none).

The finding points at the peer (or the rule without `from`) that admits every namespace, or at
the workload's pod template when a cluster-wide policy opens it; it names the ports.
Expectations whose `from` is `{namespaceSelector: {}}` or a `podSelector` alone (every namespace)
and whose `to` holds the workload say which ports are meant to be open. Ports the API server
calls are meant to be open too and are not reported: the target port of a Service that an
admission webhook, a CRD conversion webhook or an APIService in the input names (the API server is
no pod, so a policy can only admit it by address, which manifests do not know).

Complexity: O(C x n x R) to find the classes a namespaceSelector peer, a rule without `from`
or a cluster-wide policy may open to new namespaces, then for those C' classes only O(C' x G)
engine answers over one engine built on the input plus one representative pod per region, G the
regions the selectors that bear on one class cut the peers the input does not contain into
(docs/exposure.md), and O(C' x G²) to describe them; O(X) for the expectations;
O(B x S) for the API server's B Service references over the S targets of each.

## Why is this bad?
Whoever can create a namespace and a pod in it can reach the workload on that port. A rule
meant for "the monitoring namespace" written as `namespaceSelector: {}` admits the whole
cluster, and a label-based `podSelector` next to it is no guard: anyone can label their own pod.
It is a warning, not an error: some workloads (an ingress controller's backends, a shared model
server) are meant to be reachable from everywhere — say so with an expectation.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: ml
  labels:
    app: trainer
spec:
  containers:
    - name: main
      image: trainer:1.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: trainer-metrics
  namespace: ml
spec:
  podSelector:
    matchLabels:
      app: trainer
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector: {}
      ports:
        - port: 9090
```

Use instead:
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: ml
  labels:
    app: trainer
spec:
  containers:
    - name: main
      image: trainer:1.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: trainer-metrics
  namespace: ml
spec:
  podSelector:
    matchLabels:
      app: trainer
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
      ports:
        - port: 9090
```

## Options
- `unisolated` (default `false`): also report workloads that no policy isolates for ingress
  (open to everything on every port; PL404 and PL405 report those already).
- `exclude-namespaces` (default `[kube-system, kube-public, kube-node-lease]`): workloads of these
  namespaces are never reported.
- `budget` (default 1,000,000): the most units of exposure analysis (regions cut, overlap tests)
  spent before the rule stops with a PL025 (check-budget-exceeded) finding instead of stalling the
  build; 0 for no limit. Inputs with many selectors per namespace can need far more than the
  input's size suggests (docs/exposure.md).

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- https://network-policy-api.sigs.k8s.io/api-overview/
"""
from __future__ import annotations

from typing import Iterator

from policylint.engine.ports import ALL_PORTS, EMPTY_PORTS, PortSet
from policylint.findings import Finding, Related, Severity
from policylint.model.types import INGRESS, Cluster
from policylint.rule_api import RuleContext
from policylint.rule_options import Flag, NameList, Option
from policylint.rules._budget import Budget, BudgetExceeded, budget_finding, exposure_budget_option, limit_of

CODE = "PL406"
NAME = "workload-open-to-every-namespace"
SEVERITY = Severity.WARNING
# At the same peer, "this peer matches every namespace" is the cause this finding already names.
SUBSUMES = ("PL114",)
SCOPE = "cluster"
REMEDIATION = ("Admit the namespaces that need the port by name (a namespaceSelector on "
               "kubernetes.io/metadata.name), or state with an `allow: true` expectation from every "
               "namespace that the port is meant to be open to the whole cluster.")
OPTIONS = {
    "unisolated": Option(False, "also report workloads that no policy isolates for ingress (true or false)", Flag()),
    "exclude-namespaces": Option(["kube-system", "kube-public", "kube-node-lease"],
                                 "namespaces whose workloads are never reported (list of names)", NameList()),
    "budget": exposure_budget_option(),
}


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    from policylint.exposure import INBOUND, analyse
    from policylint.exposure.model import MATCHING, NEW

    engine = ctx.engine
    excluded = set(options["exclude-namespaces"])
    targets = [e for e in engine.endpoints if not e.is_external and e.namespace not in excluded
               and (options["unisolated"] or engine.isolated(e, INGRESS))]
    if not targets:
        return
    expected = _expected_ports(ctx, targets)
    for endpoint_id, ports in _api_server_ports(cluster, targets).items():
        expected[endpoint_id] = expected.get(endpoint_id, EMPTY_PORTS).union(ports)
    open_ports: dict[str, PortSet] = {}
    asked = [e for e in targets if _may_admit_new_namespaces(engine, e)]
    budget = Budget(limit_of(options))
    try:
        claims = analyse(engine, asked, [INBOUND], budget) if asked else []
    except BudgetExceeded:
        first = asked[0].workload.source
        yield budget_finding(ctx, first.span, first.object, first.field_path,
                             f"the exposure of {len(asked)} workload{'s' if len(asked) != 1 else ''} to new namespaces",
                             budget.limit or 0)
        return
    for claim in claims:
        peer = claim.peer
        if peer.kind == "pods" and peer.scope in (MATCHING, NEW) and peer.namespace_selector.is_everything:
            open_ports[claim.endpoint] = open_ports.get(claim.endpoint, EMPTY_PORTS).union(claim.ports)
    groups: dict[tuple, tuple[object, list[str], PortSet, list[Related]]] = {}
    for endpoint in targets:
        ports = open_ports.get(endpoint.id, EMPTY_PORTS).difference(expected.get(endpoint.id, EMPTY_PORTS))
        if ports.is_empty:
            continue
        where, related = _anchor(engine, endpoint, ports)
        key = (where.span, str(ports))
        if key in groups:
            groups[key][1].append(endpoint.id)
        else:
            groups[key] = (where, [endpoint.id], ports, related)
    for where, ids, ports, related in groups.values():
        names = ", ".join(f"`{i}`" for i in ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        yield ctx.finding(where, f"{names} {'is' if len(ids) == 1 else 'are'} open to pods of every namespace "
                                 f"on {ports.describe()}, which no expectation allows", related=related)


def _may_admit_new_namespaces(engine, endpoint) -> bool:
    """Whether a pod of a namespace the input does not have might connect to `endpoint`: it is
    not isolated for ingress, or a rule isolating it has no `from` or a peer with a
    namespaceSelector, or the input has cluster-wide policies. Otherwise only podSelector-only
    peers (pods of the policy's own namespace) and ipBlocks (a new pod has no known address)
    admit anyone, no claim can be about every namespace, and the exposure analysis — a cut of
    the whole space of peers per endpoint — is not asked."""
    if engine.has_tiers or not engine.isolated(endpoint, INGRESS):
        return True
    for policy in engine.policies_selecting(endpoint, INGRESS):
        for rule in policy.ingress:
            if not rule.peers or any(peer.namespace_selector is not None for peer in rule.peers):
                return True
    return False


def _expected_ports(ctx: RuleContext, targets: list) -> dict[str, PortSet]:
    """Per workload, the ports `allow: true` expectations from every namespace give it."""
    from policylint.intent.context import intent_of
    from policylint.intent.expectations import resolve_peer

    intent = intent_of(ctx)
    engine = ctx.engine
    wanted = {e.id for e in targets}
    found: dict[str, PortSet] = {}
    for expectation in intent.config.expectations:
        if not expectation.allow or expectation.max_hops is not None or not _every_namespace(expectation.source):
            continue
        for endpoint in resolve_peer(engine, ctx.cluster, intent.roles, expectation.destination):
            if endpoint.id not in wanted:
                continue
            ports = ALL_PORTS if expectation.ports is None else engine.resolve_spec(expectation.ports, endpoint)
            found[endpoint.id] = found.get(endpoint.id, EMPTY_PORTS).union(ports)
    return found


def _api_server_ports(cluster: Cluster, targets: list) -> dict[str, PortSet]:
    """Per workload, the pod ports its Services forward the API server's calls to (admission and
    conversion webhooks, aggregated APIs: model.api_backends). The API server is no pod, so such a
    port is open to every source on purpose; it is not this rule's finding."""
    found: dict[str, PortSet] = {}
    if not cluster.api_server_backends:
        return found
    by_workload = {id(e.workload): e for e in targets if e.workload is not None}
    for backend in cluster.api_server_backends:
        service = cluster.service(backend.namespace, backend.service)
        if service is None or not service.selects_pods:
            continue
        for target in cluster.service_targets(service):
            endpoint = by_workload.get(id(target.workload))
            if endpoint is None or target.port.port != backend.port or target.pod_port is None:
                continue
            ports = PortSet.single(target.port.protocol, target.pod_port)
            found[endpoint.id] = found.get(endpoint.id, EMPTY_PORTS).union(ports)
    return found


def _every_namespace(peer) -> bool:
    selection = peer.selection
    if selection is None:
        return False
    selector = selection.namespace_selector
    return selector is None or (selector.valid and selector.is_empty)


def _anchor(engine, endpoint, ports: PortSet):
    """The NetworkPolicy peer (or rule without `from`) that admits every namespace on some of
    these ports; the workload's pod template when none does (a cluster-wide policy opened it)."""
    from policylint.exposure.constraints import selector_conjunction
    from policylint.rule_api import related

    for policy in engine.policies_selecting(endpoint, INGRESS):
        for rule in policy.ingress:
            spec = engine.compiled_rule(policy, rule).spec
            if engine.resolve_spec(spec, endpoint).intersection(ports).is_empty:
                continue
            if not rule.peers:
                return rule.source, [related(policy.source, f"{policy.id} selects `{endpoint.id}`")]
            for peer in rule.peers:
                selector = peer.namespace_selector
                conj = selector_conjunction(selector) if selector is not None else None
                if peer.valid and conj is not None and conj.is_everything:
                    return peer.source, [related(policy.source, f"{policy.id} selects `{endpoint.id}`")]
    return endpoint.workload.source, []
