"""Representative pods for regions of the hypothetical space, added to a copy of the input.

The engine itself then answers for each representative, so exposure follows every policy kind
the engine evaluates (NetworkPolicy and the cluster-wide tiers) with no second transcription of
their semantics: inside a region every selector answers alike (space.py), so what holds for the
representative holds for every pod the region describes. A representative has no named container
ports and no known IP, like a pod that is not deployed yet.
"""
from __future__ import annotations

from dataclasses import dataclass

from policylint.exposure.constraints import Conjunction, fresh_value
from policylint.exposure.space import NAME, Region, Space
from policylint.load.nodes import Span
from policylint.model.types import Cluster, Namespace, Source, Workload

PROBE_STEM = "exposure-probe"


@dataclass(frozen=True, slots=True)
class Probe:
    namespace: str
    name: str
    batch: int  # which copy of the input holds it (two new namespaces of one name need two)

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"


class Probes:
    """Representatives, one per distinct (namespace, labels), and the namespaces they need."""

    def __init__(self, space: Space) -> None:
        self.space = space
        cluster = space.cluster
        mentioned: dict[str, set[str]] = {}
        for labels in [w.labels for w in cluster.workloads] + [dict(m) for m in space.labels.values()]:
            for k, v in labels.items():
                mentioned.setdefault(k, set()).add(v)
        for conj in _all_conjunctions(cluster):
            for key, c in conj.keys:
                mentioned.setdefault(key, set()).update(c.values)
        self.mentioned = mentioned
        self._names_taken = set(space.existing) | mentioned.get(NAME, set())
        self._new_namespaces: dict[tuple, tuple[str, int]] = {}
        # per batch: new namespace name -> labels; batch 0 also holds every probe in an input namespace
        self.batches: list[dict[str, dict[str, str]]] = [{}]
        self._pods: dict[tuple, Probe] = {}
        self._workload_names = {(w.namespace, w.name) for w in cluster.workloads}
        self._ids = {w.id for w in cluster.workloads}
        self.workloads: list[list[Workload]] = [[]]
        # A region cut for many workloads alike (space.py shares its cuts) has one representative:
        # making up its labels is most of the cost of adding it. Regions are told apart by the
        # identity of their selectors (hashing them by value cost more than it saved); the region
        # is kept beside its probe, so that those identities stay taken.
        self._by_region: dict[tuple, tuple[Region, Probe]] = {}

    def add(self, region: Region) -> Probe:
        in_input = region.namespace is not None  # then `ns` says nothing
        key = (region.namespace, None if in_input else id(region.ns), id(region.pod))
        known = self._by_region.get(key)
        if known is not None and known[0].pod is region.pod and (in_input or known[0].ns is region.ns):
            return known[1]
        probe = self._add(region)
        self._by_region[key] = (region, probe)
        return probe

    def _add(self, region: Region) -> Probe:
        namespace, batch = (region.namespace, 0) if region.namespace is not None else self._namespace(region.ns)
        labels = region.pod.example(taken=self.mentioned)
        key = (namespace, batch, tuple(sorted(labels.items())))
        probe = self._pods.get(key)
        if probe is None:
            n = len(self._pods) + 1
            name = f"{PROBE_STEM}-{n}"
            while (namespace, name) in self._workload_names or f"{namespace}/{name}" in self._ids:
                n += 1000
                name = f"{PROBE_STEM}-{n}"
            probe = self._pods[key] = Probe(namespace, name, batch)
            self.workloads[batch].append(_pod(namespace, name, labels))
        return probe

    def _namespace(self, ns: Conjunction) -> tuple[str, int]:
        labels = ns.without(NAME).example(taken=self.mentioned)
        name_constraint = ns.get(NAME)
        pinned = min(name_constraint.values) if name_constraint.inclusive else None
        key = (tuple(sorted(labels.items())), pinned)
        found = self._new_namespaces.get(key)
        if found is None:
            name = pinned if pinned is not None else fresh_value(self._names_taken, "new-namespace")
            self._names_taken.add(name)
            batch = next((i for i, b in enumerate(self.batches) if name not in b), None)
            if batch is None:
                batch = len(self.batches)
                self.batches.append({})
                self.workloads.append([])
            self.batches[batch][name] = {**labels, NAME: name}
            found = self._new_namespaces[key] = (name, batch)
        return found

    def cluster(self, batch: int) -> Cluster:
        """A copy of the input with one batch of representatives and their new namespaces."""
        base = self.space.cluster
        namespaces = dict(base.namespaces)
        for name, labels in self.batches[batch].items():
            namespaces[name] = Namespace(name, labels, True, _source(f"Namespace {name}"))
        return base.with_pods(namespaces, self.workloads[batch])


def _source(label: str) -> Source:
    return Source(None, "", label, Span("<exposure>", 1, 1, 1, 1))


def _pod(namespace: str, name: str, labels: dict[str, str]) -> Workload:
    source = _source(f"Pod {namespace}/{name}")
    return Workload("Pod", namespace, name, None, labels, (), 1, False, (), {}, source, source)


def _all_conjunctions(cluster: Cluster):
    from policylint.exposure.constraints import selector_conjunction

    for policy in cluster.evaluated_policies:  # operators' policies select and admit pods too
        yield selector_conjunction(policy.pod_selector) or Conjunction()
        for rule in policy.ingress + policy.egress:
            for peer in rule.peers:
                for sel in (peer.pod_selector, peer.namespace_selector):
                    if sel is not None:
                        yield selector_conjunction(sel) or Conjunction()
    for policy in cluster.tier_policies:
        for sel in (policy.subject.namespace_selector, policy.subject.pod_selector):
            if sel is not None:
                yield selector_conjunction(sel) or Conjunction()
        for rule in policy.ingress + policy.egress:
            for peer in rule.peers:
                for sel in (peer.namespace_selector, peer.pod_selector):
                    if sel is not None:
                        yield selector_conjunction(sel) or Conjunction()
