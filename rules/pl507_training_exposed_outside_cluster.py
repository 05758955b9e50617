"""Training pods reachable from outside the cluster.

## What it does
Looks at the ingress rules of every policy that isolates training pods (role `training`) and
reports a rule that admits:

- every source — a rule without `from` (the internet too, wherever a load balancer or node port
  leads to the pods);
- public addresses — an `ipBlock` whose range holds publicly routable addresses, such as
  `0.0.0.0/0` (private, link-local and other special-purpose ranges do not count);
- every namespace — a `namespaceSelector` that is empty or only excludes (`NotIn`,
  `DoesNotExist`), with no `podSelector` or an empty one: every pod of the cluster, including
  namespaces created later.

An every-namespace peer is confirmed by the exposure analysis (what `matrix --exposure` shows):
when a cluster-wide policy closes it (an admin `Deny` from those namespaces) or its ports are
none the replicas have, nothing is reported for those jobs.

The finding points at the rule or peer and names the jobs and the ports it opens. With the
option `unisolated: true`, training pods that no policy isolates for ingress are reported too,
at their pod template.

Cost: one pass over the training workloads and the policies that isolate them; an ipBlock peer
is tested against all public ranges at once, as a bitset. O(training workloads + ingress peers).

Complexity: O(J x M x n x R) over the n policies selecting each pod and their ingress rules;
each rule is examined once (cached per policy). Every-namespace peers are confirmed by the
exposure of the training classes behind such a peer only: O(C' x G) engine answers, C' those
classes (docs/exposure.md).

## Why is this bad?
Training pods run arbitrary user code with access to datasets, credentials and expensive
accelerators, and their framework ports (rendezvous, Ray's GCS and dashboard, Jupyter, TensorBoard)
are unauthenticated by default: Ray's documentation warns that anyone who can reach the head can
run code on the cluster. They should be reachable from the job's own pods and named clients
only.

## Example
```yaml
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: tuning
  namespace: ml-workloads
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.9.0
  workerGroupSpecs:
    - groupName: gpu
      replicas: 2
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.9.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: tuning-dashboard
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      ray.io/cluster: tuning
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              ray.io/cluster: tuning
    - from:
        - ipBlock:
            cidr: 0.0.0.0/0
      ports:
        - protocol: TCP
          port: 8265
```

Use instead:
```yaml
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: tuning
  namespace: ml-workloads
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.9.0
  workerGroupSpecs:
    - groupName: gpu
      replicas: 2
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.9.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: tuning-dashboard
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      ray.io/cluster: tuning
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              ray.io/cluster: tuning
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ml-platform
          podSelector:
            matchLabels:
              app: jupyterhub
      ports:
        - protocol: TCP
          port: 8265
```

## Options
- `unisolated` (default `false`): also report training pods that no policy isolates for ingress.
- `budget` (default 1,000,000): the most units of exposure analysis (regions cut, overlap tests)
  spent before the rule stops with a PL025 (check-budget-exceeded) finding instead of stalling the
  build; 0 for no limit. Inputs with many selectors per namespace can need far more than the
  input's size suggests (docs/exposure.md).

## References
- https://docs.ray.io/en/latest/ray-security/index.html
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.intent.blame import Anchor, workload_anchor
from policylint.intent.context import intent_of
from policylint.intent.rule_helpers import Groups, job_names, public_atoms
from policylint.model.types import INGRESS, Cluster, NetworkPolicy, Rule
from policylint.rule_api import RuleContext
from policylint.rule_options import Flag, Option
from policylint.rules._budget import Budget, BudgetExceeded, budget_finding, exposure_budget_option, limit_of
from policylint.rules._policy_parts import admits_every_namespace

CODE = "PL507"
NAME = "training-exposed-outside-cluster"
SEVERITY = Severity.WARNING
# At the same peer, the general findings about an every-namespace peer say less about training pods.
SUBSUMES = ("PL114", "PL406")
SCOPE = "cluster"
REMEDIATION = ("Admit only the job's own pods and named clients: a podSelector (with a namespaceSelector on "
               "kubernetes.io/metadata.name for other namespaces), and private address ranges where needed.")
OPTIONS = {
    "unisolated": Option(False, "also report training pods that no policy isolates for ingress (true or false)", Flag()),
    "budget": exposure_budget_option(),
}


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    intent = intent_of(ctx)
    engine = ctx.engine
    groups = Groups()
    policies: dict[int, NetworkPolicy] = {}
    jobs_of: dict[int, dict] = {}
    for job in intent.jobs:
        for replica in job.replicas:
            endpoint = engine.endpoint_of(replica.workload)
            if not engine.isolated(endpoint, INGRESS):
                if options["unisolated"]:
                    groups.get(workload_anchor(replica.workload), "no policy isolates them for ingress: every pod and "
                               "address may connect").add(job=job)
                continue
            for policy in engine.policies_selecting(endpoint, INGRESS):
                policies[id(policy)] = policy
                jobs_of.setdefault(id(policy), {})[job.key] = job
    public = public_atoms(engine)  # once: every ipBlock peer is then one AND
    exposed = [(key, policy, rule, found) for key, policy in policies.items() for rule in policy.ingress
               for found in _exposures(engine, policy, rule, public)]
    # Only the jobs behind an every-namespace peer need the exposure analysis, asked once for all
    # of their replicas (it costs a cut of the whole space of peers per class).
    confirm = [job for key, _, _, (_, _, by_namespace) in exposed if by_namespace for job in jobs_of[key].values()]
    budget = Budget(limit_of(options))
    try:
        open_to_all = _open_to_every_namespace(engine, confirm, budget) if confirm else set()
    except BudgetExceeded:
        # Unconfirmed every-namespace peers are not reported (a false error is worse than the
        # PL025 that says they were not checked); the other exposures still are.
        first = confirm[0].replicas[0].workload.source
        yield budget_finding(ctx, first.span, first.object, first.field_path,
                             f"the exposure of {len(confirm)} training job{'s' if len(confirm) != 1 else ''} to new namespaces",
                             budget.limit or 0)
        open_to_all = set()
    ports_of: dict[int, str] = {}
    for key, policy, rule, (anchor, what, by_namespace) in exposed:
        chosen = [job for job in jobs_of[key].values()
                  if not by_namespace or any(engine.endpoint_of(r.workload).id in open_to_all for r in job.replicas)]
        if not chosen:
            continue  # closed all the same: an admin Deny, or ports no replica has
        if id(rule) not in ports_of:
            ports_of[id(rule)] = _ports(engine, policy, rule)
        group = groups.get(anchor, f"{what} on {ports_of[id(rule)]}")
        for job in chosen:
            group.add(job=job)
    for _, group in groups.items():
        message = f"training pods of {job_names(group.jobs.values())} are exposed: {group.reason}"
        yield ctx.finding(group.anchor.span, message, related=group.related,
                          object=group.anchor.object, field_path=group.anchor.field_path)


def _open_to_every_namespace(engine, jobs, budget=None) -> set[str]:
    """Training endpoints that pods of every namespace may reach on some port, new namespaces
    included (every namespace but a few excluded by name or label counts, as for the peers):
    the exposure analysis (policylint.exposure), through every policy kind the engine evaluates."""
    from policylint.exposure import INBOUND, analyse
    from policylint.model.types import NAMESPACE_NAME_LABEL

    endpoints = sorted({engine.endpoint_of(r.workload) for job in jobs for r in job.replicas})
    found = set()
    for claim in analyse(engine, endpoints, [INBOUND], budget):
        peer = claim.peer
        if (peer.kind == "pods" and peer.scope != "named" and not claim.ports.is_empty
                and peer.pod_selector.is_everything
                and all(c.absent or (key == NAMESPACE_NAME_LABEL and not c.inclusive)
                        for key, c in peer.namespace_selector.keys)):
            found.add(claim.endpoint)
    return found


def _exposures(engine, policy: NetworkPolicy, rule: Rule, public: int) -> Iterator[tuple[Anchor, str, bool]]:
    """(where, what, whether it is about every namespace: then the exposure analysis confirms it)."""
    source = rule.source
    if not rule.peers:
        yield (Anchor(source.span, source.object, source.field_path),
               f"{policy.id} {rule.direction.lower()}[{rule.index}] has no `from` and admits every source", False)
        return
    for index, peer in enumerate(rule.peers):
        if not peer.valid:
            continue
        label = f"{policy.id} ingress[{rule.index}].from[{index}]"
        anchor = Anchor(peer.source.span, peer.source.object, peer.source.field_path)
        if peer.ip_block is not None:
            if engine.peer_bits(policy, peer) & public:
                yield anchor, f"{label} ipBlock {peer.ip_block.cidr_text} admits public addresses", False
        elif admits_every_namespace(peer, exclusions_count=True):
            yield anchor, f"{label} admits every pod in every namespace", True


def _ports(engine, policy: NetworkPolicy, rule: Rule) -> str:
    if rule.allows_all_ports:
        return "every port"
    spec = engine.compiled_rule(policy, rule).spec
    parts = [spec.static.describe()] if not spec.static.is_empty else []
    parts += [f"{protocol} {name}" for name, protocol in spec.named]
    return "; ".join(parts) or "no valid port"
