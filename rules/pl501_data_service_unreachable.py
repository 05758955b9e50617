"""Training pods and the data service cannot reach each other.

## What it does
Checks, with the connectivity engine, that the pods of every training job (role `training`) can
open a connection to at least one pod of the data service (role `data-service`), and — when the
policies show that the data service is meant to connect to the training pods (a policy that
isolates them names data-service pods as an ingress peer) — that the data service can reach them
too. A connection counts when it is allowed on one of the destination's container ports (any
port when it declares none; the framework's own rendezvous ports do not count).

The finding says which side blocks — **egress at the training pods**, **ingress at the data
service**, or the reverse for the other direction — and points at the most telling place: a peer
that names the data service but, lacking a `namespaceSelector`, only matches pods of the
policy's own namespace; a rule that matches but leaves the port out; or the `ingress`/`egress`
list of the isolating policy. The other isolating policies and their rules are related
locations. One finding is reported per blocking place, listing the jobs it breaks.

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

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyPeer
"""
from __future__ import annotations

from typing import Iterator

from policylint.engine.bits import has
from policylint.engine.label_index import matches
from policylint.engine.ports import PortSet
from policylint.findings import Finding, Severity
from policylint.intent.blame import blame_side
from policylint.intent.context import intent_of
from policylint.intent.frameworks import framework_ports
from policylint.intent.roles import DATA_SERVICE
from policylint.intent.rule_helpers import Groups, endpoint_names, first_port, job_names, reaches, wanted_ports
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
    "data-service-to-training": Option("auto", "whether the data service must reach the training pods: auto, always or never", Choice(("auto", "always", "never"))),
}
CHOICES = ("auto", "always", "never")
MAX_EXPLAINED = 3  # data-service workloads explained per blocked training pod group


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    mode = options["data-service-to-training"]
    if mode not in CHOICES:
        raise ValueError(f"option 'data-service-to-training' must be one of {', '.join(CHOICES)}, not {mode!r}")
    intent = intent_of(ctx)
    data = intent.roles.members(DATA_SERVICE)
    if not data or not intent.jobs:
        return
    engine = ctx.engine
    data_eps = [engine.endpoint_of(w) for w in data]
    members = {job.key: [engine.endpoint_of(r.workload) for r in job.replicas
                         if not intent.roles.has(r.workload, DATA_SERVICE)] for job in intent.jobs}
    backwards = {job.key for job in intent.jobs
                 if mode == "always" or (mode == "auto" and _names_data_service(engine, members[job.key], data))}
    training_eps = [e for eps in members.values() for e in eps]
    wanted = {e.index: _wanted(e.workload) for e in data_eps + training_eps}
    sides = _Sides(engine, wanted, {e.index for e in training_eps}, data_eps)
    groups = Groups()
    cache: dict[tuple, list] = {}  # training pods of one class are blocked alike
    for job in intent.jobs:
        for train in members[job.key]:
            for towards in (True, False):
                if not towards and job.key not in backwards:
                    continue
                key = (train.atom, towards, wanted[train.index])  # same class: same verdicts
                if key not in cache:
                    pairs = [(train, d) if towards else (d, train) for d in data_eps if d is not train]
                    blocked = pairs and not _reaches_any(engine, sides, pairs, wanted)
                    cache[key] = _blame(engine, sides, pairs, wanted, towards) if blocked else []
                for anchor, reason, side_name, endpoint, related in cache[key]:
                    groups.get(anchor, reason, towards, side_name).add(job=job, endpoint=endpoint, related=related)
    for (_, _, _, _, towards_data, side_name), group in groups.items():
        jobs = job_names(group.jobs.values())
        others = endpoint_names(group.endpoints.values())
        if len(group.endpoints) < len(data_eps):  # blamed on a few of many data-service workloads
            others = f"any of the {len(data_eps)} data-service workloads, for example {others}"
        if towards_data:
            text = f"training pods of {jobs} cannot reach the data service ({others})"
        else:
            text = f"the data service ({others}) cannot reach the training pods of {jobs}"
        yield ctx.finding(group.anchor.span, f"{text}: blocked by {side_name}: {group.reason}",
                          related=group.related, object=group.anchor.object, field_path=group.anchor.field_path)


def _reaches_any(engine, sides: _Sides, pairs, wanted) -> bool:
    """Whether some pair connects on a port the destination serves: bit tests per side first
    (whole groups of data-service workloads at a time), the engine's exact answer for the few
    pairs that pass both."""
    for src, dst in sides.both_sides_pass(pairs):
        if reaches(engine.allowed_ports(src, dst), wanted[dst.index]):
            return True
    return False


def _wanted(workload: Workload) -> PortSet | None:
    """The ports a client uses on this workload: its container ports, less the framework's own."""
    return wanted_ports(workload, framework_ports(workload))


class _Sides:
    """Each side of a connection on its own, on the wanted ports, as bit tests: what a source's
    egress lets out towards a destination, and what a destination's ingress admits."""

    def __init__(self, engine, wanted, training: set[int], data: list) -> None:
        self.engine = engine
        self.wanted = wanted
        self.training = training  # endpoint indexes of the training side
        self.data = data  # the data-service endpoints
        self._group_cache: dict[bool, dict] = {}
        self._admitted: dict[int, int | None] = {}
        self._egress: dict[int, tuple[list | None, int]] = {}

    def ingress_ok(self, src, dst) -> bool:
        bits = self._admitted_bits(dst)
        return bits is None or has(bits, src.atom)

    def egress_ok(self, src, dst) -> bool:
        rules, mask = self._egress_of(src)
        if rules is None:
            return True
        if not has(mask, dst.atom):
            return False
        wanted = self.wanted[dst.index]
        return any(has(bits, dst.atom) and reaches(self.engine.resolve_spec(spec, dst), wanted) for bits, spec in rules)

    def both_sides_pass(self, pairs):
        """The pairs that each side lets through on a wanted port, tested group by group: the
        data-service workloads whose side (ingress when they receive, egress when they send)
        has the same rule bits are decided by one bit test. A generator: the caller stops at
        the first pair that connects."""
        if not pairs:
            return
        forward = self._is_training(pairs[0][0])
        train = pairs[0][0] if forward else pairs[0][1]
        for mask, members in self._groups(forward).items():
            if mask is not None and not has(mask, train.atom):
                continue
            for other in members:
                if other is train:
                    continue
                pair = (train, other) if forward else (other, train)
                own_ok = self.egress_ok(*pair) if forward else self.ingress_ok(*pair)
                if own_ok and (not forward or self.ingress_ok(*pair)) and (forward or self.egress_ok(*pair)):
                    yield pair

    def denied_by_data_side(self, pairs) -> list:
        """The pairs whose data-service side denies (ingress at it, or egress from it)."""
        forward = self._is_training(pairs[0][0])
        train = pairs[0][0] if forward else pairs[0][1]
        denied = []
        for mask, members in self._groups(forward).items():
            others = [o for o in members if o is not train]
            if mask is not None and not has(mask, train.atom):
                denied.extend((train, o) if forward else (o, train) for o in others)
            elif not forward:  # egress masks are only a first cut: decide each one
                denied.extend((o, train) for o in others if not self.egress_ok(o, train))
        return denied

    def _is_training(self, endpoint) -> bool:
        return endpoint.index in self.training

    def _groups(self, forward: bool) -> dict:
        """The data-service workloads grouped by the bits of their side's rules."""
        cached = self._group_cache.get(forward)
        if cached is None:
            cached = {}
            for other in self.data:
                if forward:
                    mask = self._admitted_bits(other)
                else:
                    rules, mask = self._egress_of(other)
                    mask = None if rules is None else mask
                cached.setdefault(mask, []).append(other)
            self._group_cache[forward] = cached
        return cached

    def _admitted_bits(self, dst) -> int | None:
        if dst.index not in self._admitted:
            self._admitted[dst.index] = self._rules_reaching(dst, INGRESS)
        return self._admitted[dst.index]

    def _egress_of(self, src):
        if src.atom not in self._egress:
            rules = self._rules(src, EGRESS)
            mask = 0
            for bits, _ in rules or ():
                mask |= bits
            self._egress[src.atom] = (rules, mask)
        return self._egress[src.atom]

    def _rules(self, endpoint, direction):
        """(peer bits, port spec) of the rules on the endpoint's side; None when not isolated."""
        engine = self.engine
        if not engine.isolated(endpoint, direction):
            return None
        rules = []
        for policy in engine.policies_selecting(endpoint, direction):
            for rule in policy.rules(direction):
                compiled = engine.compiled_rule(policy, rule)
                rules.append((compiled.bits, compiled.spec))
        return rules

    def _rules_reaching(self, dst, direction) -> int | None:
        rules = self._rules(dst, direction)
        if rules is None:
            return None
        bits = 0
        for peer_bits, spec in rules:
            if reaches(self.engine.resolve_spec(spec, dst), self.wanted[dst.index]):
                bits |= peer_bits
        return bits


def _blame(engine, sides: _Sides, pairs, wanted, to_data: bool) -> list[tuple]:
    """Say which side denies. When the training pods' own side lets nothing through, that is the
    place to fix first and the only one reported (the data service's side is mentioned); else
    each data-service workload whose policies deny is its own place (the closest few)."""
    training_side = "egress" if to_data else "ingress"
    check = sides.egress_ok if to_data else sides.ingress_ok
    own_ok = any(check(s, d) for s, d in pairs)
    other_denied = sides.denied_by_data_side(pairs)
    found = []
    if not own_ok:
        s, d = pairs[0]
        also = " (and the data service's side does not admit them either)" if len(other_denied) == len(pairs) else ""
        found.append(_explain(engine, s, d, training_side, wanted, to_data, True, also))
        return found
    if not other_denied:  # each side admits something, but never the same pair and port
        s, d = pairs[0]
        return [_explain(engine, s, d, training_side, wanted, to_data, True, ""),
                _explain(engine, s, d, "ingress" if to_data else "egress", wanted, to_data, False, "")]
    train = pairs[0][0] if to_data else pairs[0][1]
    other_end = (lambda p: p[1]) if to_data else (lambda p: p[0])
    near = [p for p in other_denied if other_end(p).namespace == train.namespace][:MAX_EXPLAINED]
    side = "ingress" if to_data else "egress"
    return [_explain(engine, s, d, side, wanted, to_data, False, "") for s, d in near or other_denied[:1]]


def _explain(engine, s, d, side, wanted, to_data, training_side, also) -> tuple:
    protocol, port = first_port(wanted[d.index])
    explanation = engine.explain(s, d, protocol, port)
    detail = explanation.egress if side == "egress" else explanation.ingress
    blamed = blame_side(detail, d if side == "egress" else s)
    side_name = f"{side} at {'the training pods' if training_side else 'the data service'}"
    return (blamed.anchor, blamed.reason + also, side_name, d if to_data else s, blamed.related)


def _names_data_service(engine, train_eps, data: list[Workload]) -> bool:
    """Whether a policy isolating the training pods' ingress names data-service pods as a peer
    (by their labels, whatever namespace the peer can actually reach)."""
    for endpoint in train_eps:
        for policy in engine.policies_selecting(endpoint, INGRESS):
            for rule in policy.ingress:
                for peer in rule.peers:
                    selector = peer.pod_selector
                    if selector is None or not selector.valid or selector.is_empty:
                        continue
                    if any(matches(selector, w.labels) for w in data):
                        return True
    return False
