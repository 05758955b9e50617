"""Training pods and the data service cannot reach each other.

## What it does
Checks, with the connectivity engine, that the pods of every training job (role `training`) that
**needs** the data service (role `data-service`) can open a connection to at least one of the
data-service pods it needs, and — when the policies show that the data service is meant to
connect to the training pods (a policy that isolates them names data-service pods as an ingress
peer) — that the data service can reach them too. A connection counts when it is allowed on one of
the destination's container ports (any port when it declares none; the framework's own rendezvous
ports do not count).

A job needs the data service only when something says so, and the message says what: the
annotation or label `policylint.io/needs: data-service` on the job or its pod template; the config
(`needed-by: [training]` on the role, or an `allow: true` expectation between the job and the
role); or the job naming the data service's DNS name in an env value, a command or argument, or a
ConfigMap it mounts or reads env from (`feature-store.data-services.svc`,
`feature-store.data-services`, or from the same namespace `http://feature-store:8080`). A name
says which pods: the job then needs those, not any data-service pod. Without evidence, no check.

The finding says which side blocks — **egress at the training pods**, **ingress at the data
service**, or the reverse for the other direction — and points at the most telling place: a peer
that names the data service but, lacking a `namespaceSelector`, only matches pods of the
policy's own namespace; a rule that matches but leaves the port out; or the `ingress`/`egress`
list of the isolating policy. The other isolating policies and their rules are related
locations. One finding is reported per blocking place, listing the jobs it breaks.

Cost: the training pods are taken by class (engine atom, wanted ports, pods needed); each class
is one row of the engine's cells towards the data-service atoms, a handful of bitset operations.
The reverse direction is one row per data-service class. Only one representative pair per blocked
class is explained. O((training classes + data-service classes) × cells) bitset operations.

Complexity: O((T + D) x c) bitset operations over the A atoms for T training and D data-service
pod classes with c cells per engine row (rows are shared by row key), plus O(t) per blocked
training class to pick its representatives among its t targets; whether a policy names the data
service is one label-index match per peer; explanations only for the pairs reported.

## Why is this bad?
Training pods are clients of the data service: they need **egress** to it, and it needs to
admit them on **ingress**; a policy that only allows "ingress from the data service" on the
training pods does not let them fetch anything. And a `podSelector`-only peer matches pods in the
policy's namespace only, so a data service in its own namespace is silently shut out. The job
then starts, waits for data and times out — the seed example does exactly this.

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: data-services
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data-services
spec:
  selector:
    matchLabels:
      app: feature-store
  template:
    metadata:
      labels:
        app: feature-store
        role: data-service-pod
    spec:
      containers:
        - name: server
          image: ghcr.io/example-org/feature-store:2.3.1
          ports:
            - containerPort: 8080
---
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: bert-pretrain
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: 2
      template:
        metadata:
          labels:
            role: ml-training-pod
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/bert-pretrain:1.4.0
              env:
                - name: FEATURE_STORE_URL
                  value: http://feature-store.data-services.svc:8080
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-egress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Egress
  egress:
    - to:
        - podSelector:
            matchLabels:
              role: data-service-pod
      ports:
        - protocol: TCP
          port: 8080
```

Use instead:
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: data-services
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data-services
spec:
  selector:
    matchLabels:
      app: feature-store
  template:
    metadata:
      labels:
        app: feature-store
        role: data-service-pod
    spec:
      containers:
        - name: server
          image: ghcr.io/example-org/feature-store:2.3.1
          ports:
            - containerPort: 8080
---
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: bert-pretrain
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: 2
      template:
        metadata:
          labels:
            role: ml-training-pod
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/bert-pretrain:1.4.0
              env:
                - name: FEATURE_STORE_URL
                  value: http://feature-store.data-services.svc:8080
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-egress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Egress
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: data-services
          podSelector:
            matchLabels:
              role: data-service-pod
      ports:
        - protocol: TCP
          port: 8080
```

## Options
- `data-service-to-training` (default `"auto"`): whether the data service must also reach the
  training pods. `auto`: when a policy isolating the training pods names data-service pods as an
  ingress peer; `always`; `never`.
- `needed-by` (default `"evidence"`): which jobs need the data service. `evidence`: the jobs that
  say so (above); `every-job`: every training job, whatever it says.

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyPeer
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Iterator

from policylint.engine.bits import has
from policylint.engine.blocks import add_into, from_blocks, intersection
from policylint.engine.ports import PortSet
from policylint.engine.label_index import LabelIndex
from policylint.findings import Finding, Severity
from policylint.intent.context import Intent, intent_of
from policylint.intent.dependencies import Need
from policylint.intent.frameworks import TrainingJob, framework_ports
from policylint.intent.pairs import Blamer, Representative, WantedAtoms, add, emit
from policylint.intent.rule_helpers import Groups, endpoint_names, first_port, job_names, training_workloads, wanted_ports
from policylint.intent.roles import DATA_SERVICE
from policylint.model.types import EGRESS, INGRESS, Cluster, Workload
from policylint.rule_api import RuleContext
from policylint.rule_options import Choice, Option

CODE = "PL501"
NAME = "data-service-unreachable"
SEVERITY = Severity.ERROR
SCOPE = "cluster"
REMEDIATION = ("Allow the pair on both sides: egress from the training pods to the data service and ingress at the "
               "data service from them (and the reverse where the data service connects to the training pods); "
               "for a data service in another namespace put namespaceSelector and podSelector in one peer.")
OPTIONS = {
    "data-service-to-training": Option("auto", "whether the data service must reach the training pods: auto, always or never",
                                       Choice(("auto", "always", "never"))),
    "needed-by": Option("evidence", "which training jobs need the data service: evidence (the jobs that say so) or every-job",
                        Choice(("evidence", "every-job"))),
}
CHOICES = ("auto", "always", "never")
NEEDED_BY = ("evidence", "every-job")
MAX_EXPLAINED = 3  # data-service workloads explained per blocked training class


@dataclass(frozen=True, slots=True)
class _Demand:
    """One job's need: the data-service endpoints it needs, and in which directions."""

    job: TrainingJob
    need: Need
    targets: tuple  # endpoints, in index order
    forward: bool  # the training pods must reach the data service
    backward: bool  # the data service must reach the training pods
    ports: tuple | None = None  # (workload id, protocol, port) named through a Service; None: any it serves


def reads(ctx: RuleContext) -> Iterator[Workload]:
    """The workloads whose connectivity the findings depend on (rule_api.RuleSpec.reads): every
    training job's pods and the data service's (the rest is the config and the objects other
    than NetworkPolicies: roles, evidence of need, ports)."""
    intent = intent_of(ctx)
    yield from training_workloads(intent.jobs)
    yield from intent.roles.members(DATA_SERVICE)


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    mode, needed_by = options["data-service-to-training"], options["needed-by"]
    if mode not in CHOICES:
        raise ValueError(f"option 'data-service-to-training' must be one of {', '.join(CHOICES)}, not {mode!r}")
    if needed_by not in NEEDED_BY:
        raise ValueError(f"option 'needed-by' must be one of {', '.join(NEEDED_BY)}, not {needed_by!r}")
    intent = intent_of(ctx)
    data = intent.roles.members(DATA_SERVICE)
    if not data or not intent.jobs:
        return
    engine = ctx.engine
    all_targets = tuple(sorted(engine.endpoint_of(w) for w in data))
    wanted = _Wanted(engine)
    demands = _demands(intent, engine, all_targets, mode, needed_by)
    blamer = Blamer(engine)
    groups = Groups()
    reasons: dict[tuple, str] = {}
    forward_views: dict[tuple, WantedAtoms] = {}  # demands keep their targets alive: ids stay unique
    backward = _Backward(engine, wanted, [d for d in demands if d.backward], intent)
    totals: dict[int, int] = {}  # group -> how many data-service workloads its jobs need
    verdicts: dict[tuple, bool] = {}  # (view, row key) -> whether the class reaches the view
    for demand in demands:
        reasons.setdefault(demand.job.key, demand.need.reason)
        # by identity of the shared targets tuple (hashing thousands of endpoints per job is slow)
        view_key = (id(demand.targets), demand.ports)
        view = forward_views.get(view_key)
        if view is None:
            view = forward_views[view_key] = WantedAtoms(
                demand.targets, _named_ports(demand.ports) if demand.ports else wanted)
        for train in backward.members(demand.job):
            if demand.forward:
                for blamed in _forward(engine, blamer, view, demand.targets, train, verdicts):
                    _file(groups, totals, blamed, True, demand.job)
            if demand.backward:
                for blamed in backward.blocked(demand.targets, train, blamer):
                    _file(groups, totals, blamed, False, demand.job)
    yield from emit(ctx, groups, lambda key, group: _message(key, group, reasons, totals[id(group)]))


def _file(groups: Groups, totals: dict[int, int], blamed: tuple, towards_data: bool, job: TrainingJob) -> None:
    side_blame, side_name, endpoint, also, total = blamed
    group = add(groups, side_blame, towards_data, side_name, also=also, job=job, endpoint=endpoint)
    totals[id(group)] = max(total, totals.get(id(group), 0))


def _message(key: tuple, group, reasons: dict[tuple, str], total: int) -> str:
    towards_data, side_name = key[-2], key[-1]
    jobs = job_names(group.jobs.values())
    others = endpoint_names(group.endpoints.values())
    if len(group.endpoints) < total:  # blamed on a few of many data-service workloads
        others = f"any of the {total} data-service workloads, for example {others}"
    first = sorted(group.jobs.values(), key=lambda j: j.label)[0]
    why = f"(needed because {reasons[first.key]})"
    if towards_data:
        text = f"training pods of {jobs} cannot reach the data service ({others}) {why}"
    else:
        text = f"the data service ({others}) cannot reach the training pods of {jobs} {why}"
    return f"{text}: blocked by {side_name}: {group.reason}"


class _Wanted:
    """The ports a client uses on a pod: its container ports less the framework's own (None: it
    declares none, any port counts). Memoised per workload."""

    def __init__(self, engine) -> None:
        self._cache: dict[int, PortSet | None] = {}

    def __call__(self, endpoint) -> PortSet | None:
        found = self._cache.get(endpoint.index, False)
        if found is False:
            found = self._cache[endpoint.index] = _wanted(endpoint.workload)
        return found


def _wanted(workload: Workload) -> PortSet | None:
    return wanted_ports(workload, framework_ports(workload))


def _demands(intent: Intent, engine, all_targets: tuple, mode: str, needed_by: str) -> list[_Demand]:
    found = []
    named = _IngressNaming(engine, intent)
    by_workload = {e.workload.id: e for e in all_targets}
    converted: dict[int, tuple] = {}
    for job in intent.jobs:
        need = intent.need(job, DATA_SERVICE)
        if need is None and needed_by == "every-job":
            need = Need(DATA_SERVICE, "option needed-by is every-job")
        names_it = mode == "always" or (mode == "auto" and named.names_data_service(job))
        if need is None and names_it and mode == "auto":
            need = Need(DATA_SERVICE, "a policy isolating its pods names data-service pods as an ingress peer")
            found.append(_Demand(job, need, all_targets, False, True))
            continue
        if need is None:
            continue
        targets = all_targets
        if need.targets is not None:
            targets = converted.get(id(need.targets))
            if targets is None:  # jobs naming the same Service share its pods' tuple: convert once
                targets = converted[id(need.targets)] = tuple(sorted(
                    by_workload[w.id] for w in need.targets if w.id in by_workload))
        found.append(_Demand(job, need, targets, True, names_it and mode != "never", need.ports))
    return found


def _named_ports(ports: tuple):
    """The wanted ports of each target when the job named a Service port: where it lands."""
    by_id: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for workload_id, protocol, port in ports:
        by_id.setdefault(workload_id, {}).setdefault(protocol, []).append((port, port))
    return lambda e: PortSet.of(by_id[e.workload.id]) if e.workload.id in by_id else None


def _forward(engine, blamer: Blamer, view: WantedAtoms, targets: tuple, train, verdicts: dict) -> list[tuple]:
    """Whether one training class reaches the data-service pods it needs; if not, who to blame.
    Sources with equal row keys have equal rows (engine.row_key): in an export every training pod
    is a class of its own, but they fall into few keys, so the verdict is kept per key and view
    (the views live as long as the check: their ids stay unique)."""
    key = (id(view), engine.row_key(train))
    reached = verdicts.get(key)
    if reached is None:
        reached = verdicts[key] = bool(view.reached(engine.cells_towards(train, view.mask)))
    if reached:
        return []
    egress_ok = view.reached(engine.egress_cells(train, view.mask))
    ingress_ok = view.reached(engine.ingress_cells(train, view.mask))
    total = len(targets)

    def pair(d, direction):
        protocol, port = first_port(view.want_of(d))
        return Representative(train, d, protocol, port, direction)

    if not egress_ok:
        also = " (and the data service's side does not admit them either)" if not ingress_ok else ""
        d = targets[0]
        return [(blamer.blame(pair(d, EGRESS)), "egress at the training pods", d, also, total)]
    if (ingress_ok & view.mask) == view.mask:  # each side admits something, but never the same pair and port
        d = next(e for e in targets if has(egress_ok, e.atom))
        return [(blamer.blame(pair(d, EGRESS)), "egress at the training pods", d, "", total),
                (blamer.blame(pair(d, INGRESS)), "ingress at the data service", d, "", total)]
    denied = [e for e in targets if not has(ingress_ok, e.atom)]
    near = [e for e in denied if e.namespace == train.namespace][:MAX_EXPLAINED] or denied[:1]
    return [(blamer.blame(pair(d, INGRESS)), "ingress at the data service", d, "", total) for d in near]


class _Backward:
    """The data service towards the training pods: one row of cells per data-service class,
    folded into bitsets of training atoms per set of needed pods."""

    def __init__(self, engine, wanted, demands: list[_Demand], intent: Intent) -> None:
        self.engine = engine
        self.wanted = wanted
        self._members: dict[tuple, list] = {}
        self.intent = intent
        training = [t for d in demands for t in self.members(d.job)]
        self.view = WantedAtoms(training, wanted) if training else None
        self._folded: dict[int, tuple[tuple, tuple[dict, dict, dict]]] = {}
        self._by_namespace: dict[int, tuple[tuple, dict[str, list]]] = {}

    def members(self, job: TrainingJob) -> list:
        found = self._members.get(job.key)
        if found is None:
            found = self._members[job.key] = [self.engine.endpoint_of(r.workload) for r in job.replicas
                                              if not self.intent.roles.has(r.workload, DATA_SERVICE)]
        return found

    def _fold(self, targets: tuple) -> tuple[dict, dict, dict]:
        """(connected, data egress lets out, training ingress admits), each want -> atoms; the
        second also as its intersection over the data-service classes ('every one lets out')."""
        # Keyed by identity: demands share their targets tuple (all of the role, or one per named
        # Service), and hashing a tuple of thousands of endpoints on every call was most of the time.
        cached = self._folded.get(id(targets))
        found = cached[1] if cached is not None and cached[0] is targets else None
        if found is None:
            view, engine = self.view, self.engine
            connected: dict = {}
            egress_any: dict = {}
            admitted: dict = {}
            # Sources with the same row key have the same row (engine.row_key), and those with
            # the same side key the same side (engine.side_keys): in an export every data-service
            # pod is a class of its own, but they fall into few keys. Each is folded once per
            # key; a row key does not tell the sides (it leaves out the peer sets the source's
            # egress cannot reach, which its ingress side still depends on). The stores are
            # unions, so skipping a repeat changes nothing.
            seen: set = set()
            seen_egress: set = set()
            seen_ingress: set = set()
            for d in targets:
                key = engine.row_key(d)
                egress_key, ingress_key = engine.side_keys(d)
                parts = []
                if key not in seen:
                    seen.add(key)
                    # As blocks: the cells span the training pods of the whole cluster, and meeting
                    # each with each want's mask as ints cost the cluster's width per cell.
                    parts.append((connected, engine.cells_towards_blocks(d, view.mask)))
                if egress_key not in seen_egress:
                    seen_egress.add(egress_key)
                    parts.append((egress_any, engine.egress_cells_blocks(d, view.mask)))
                if ingress_key not in seen_ingress:
                    seen_ingress.add(ingress_key)
                    parts.append((admitted, engine.ingress_cells_blocks(d, view.mask)))
                for store, cells in parts:
                    _fold_by_want(view, cells, store)
            found = tuple({want: from_blocks(blocks) for want, blocks in store.items()}
                          for store in (connected, egress_any, admitted))
            self._folded[id(targets)] = (targets, found)  # the entry keeps targets alive: its id stays unique
        return found

    def blocked(self, targets: tuple, train, blamer: Blamer) -> list[tuple]:
        if self.view is None or not targets:
            return []
        want = self.wanted(train)
        connected, egress_any, admitted = self._fold(targets)
        if has(connected.get(want, 0), train.atom):
            return []
        total = len(targets)
        protocol, port = first_port(want)
        own_ok = has(admitted.get(want, 0), train.atom)
        if not own_ok:
            also = " (and the data service's side does not admit them either)" if not has(
                egress_any.get(want, 0), train.atom) else ""
            d = targets[0]
            return [(blamer.blame(Representative(d, train, protocol, port, INGRESS)), "ingress at the training pods",
                     d, also, total)]
        denied = self._denying(targets, train, want)
        if not denied:  # each side admits something, but never the same pair and port
            d = targets[0]
            return [(blamer.blame(Representative(d, train, protocol, port, INGRESS)), "ingress at the training pods",
                     d, "", total),
                    (blamer.blame(Representative(d, train, protocol, port, EGRESS)), "egress at the data service",
                     d, "", total)]
        return [(blamer.blame(Representative(d, train, protocol, port, EGRESS)), "egress at the data service",
                 d, "", total) for d in denied]

    def _denying(self, targets: tuple, train, want) -> list:
        """Up to MAX_EXPLAINED data-service endpoints whose egress does not let `train` out,
        those in its namespace first; stops as soon as it has them."""
        found, seen = [], {}
        mask = 1 << train.atom
        namespace = train.namespace
        # Lazily, as the loop mostly stops after a few: scanning every target per blocked training
        # class was pairwise.
        ordered = chain(self._in_namespace(targets).get(namespace, ()),
                        (d for d in targets if d.namespace != namespace))
        for d in ordered:
            verdict = seen.get(d.atom)
            if verdict is None:
                cells = self.engine.egress_cells(d, mask)
                verdict = seen[d.atom] = not any(bits for ports, bits in cells
                                                 if want is None or not (ports & want).is_empty)
            if verdict:
                found.append(d)
                if len(found) >= MAX_EXPLAINED or (found and found[0].namespace != train.namespace):
                    break
        return found


    def _in_namespace(self, targets: tuple) -> dict[str, list]:
        """The targets by namespace, in their order; per targets tuple, kept by identity as in `_fold`."""
        cached = self._by_namespace.get(id(targets))
        if cached is None or cached[0] is not targets:
            by_namespace: dict[str, list] = {}
            for d in targets:
                by_namespace.setdefault(d.namespace, []).append(d)
            cached = self._by_namespace[id(targets)] = (targets, by_namespace)
        return cached[1]


def _fold_by_want(view: WantedAtoms, cells, store: dict) -> None:
    """Add to `store` (want -> blocks) the atoms of `cells` (blocks) that each want reaches."""
    for ports, blocks in cells:
        for index, (want, mask) in enumerate(view.block_groups()):
            hit = intersection(blocks, mask)
            if hit and view._overlaps(ports, index, want):
                add_into(store.setdefault(want, {}), hit)


class _IngressNaming:
    """Whether a policy isolating a job's pods for ingress names data-service pods in a peer (by
    their labels, whatever namespace the peer can actually reach). Each peer is tested once
    against the distinct label sets of the data service."""

    def __init__(self, engine, intent: Intent) -> None:
        self.engine = engine
        self.intent = intent
        # Inverted once: in a cluster export every data-service pod has a label set of its own
        # (its name, its template hash), and testing each peer against each set was pairwise.
        self._labels = LabelIndex(list({tuple(sorted(w.labels.items())): w.labels
                                        for w in intent.roles.members(DATA_SERVICE)}.values()))
        self._peer: dict[int, bool] = {}
        self._policy: dict[int, bool] = {}

    def names_data_service(self, job: TrainingJob) -> bool:
        for replica in job.replicas:
            for policy in self.engine.policies_selecting(replica.workload, INGRESS):
                verdict = self._policy.get(id(policy))
                if verdict is None:
                    verdict = self._policy[id(policy)] = any(self._names(peer) for rule in policy.ingress
                                                             for peer in rule.peers)
                if verdict:
                    return True
        return False

    def _names(self, peer) -> bool:
        found = self._peer.get(id(peer))
        if found is None:
            selector = peer.pod_selector
            found = (selector is not None and selector.valid and not selector.is_empty
                     and self._labels.match(selector) != 0)
            self._peer[id(peer)] = found
        return found
