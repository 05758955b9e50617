"""The space of peers the input does not contain, cut into regions that every policy treats alike.

A hypothetical pod is a namespace (one of the input's, whose labels are known, or a new one with
any labels besides `kubernetes.io/metadata.name`, which is its name) and its own labels. What a
workload allows towards it depends only on which selectors it satisfies: the peers of the
workload's own rules, and the subjects of the policies that could select the pod itself
(NetworkPolicies of its namespace, the subjects of cluster-wide policies). `regions` splits the
space by exactly those selectors (see `constraints.refine`), so inside a region every selector
answers alike and one representative pod answers for all of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from policylint.exposure.constraints import (
    Conjunction,
    KeyConstraint,
    is_namespace_name,
    refine,
    selector_conjunction,
)
from policylint.model.types import EGRESS, INGRESS, NAMESPACE_NAME_LABEL, Cluster

NAME = NAMESPACE_NAME_LABEL


def _ignore(count: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Splitter:
    """A pod selector and where it applies: the pods of namespace `namespace` (a podSelector-only
    NetworkPolicy peer, a NetworkPolicy's own podSelector), or of the namespaces `ns` matches."""

    namespace: str | None
    ns: Conjunction | None
    pod: Conjunction | None


@dataclass(frozen=True, slots=True)
class Region:
    """Pods with labels in `pod`, in namespace `namespace` (one of the input's) or, when it is
    None, in a namespace not in the input whose labels are in `ns`."""

    namespace: str | None
    ns: Conjunction
    pod: Conjunction


class Space:
    """The input's namespaces and the selectors that cut the space of hypothetical peers."""

    def __init__(self, cluster: Cluster, namespace_names: Iterable[str]) -> None:
        self.cluster = cluster
        # Namespaces as the engine sees them: a namespace used but not declared has only its name.
        self.labels: dict[str, Mapping[str, str]] = {
            n: cluster.namespaces[n].labels if n in cluster.namespaces else {NAME: n} for n in namespace_names}
        self.existing = frozenset(self.labels)
        # A namespace not in the input: it has a name label, and its name is none of the input's.
        self.base = Conjunction.of({NAME: KeyConstraint(False, False, self.existing)})
        self.np_subjects: dict[str, list[Conjunction | None]] = {}
        # Cuts by their list of selectors: most namespaces are cut alike for every workload (by
        # their own policies' subjects alone), and refining is most of the analysis' time.
        self._cuts: dict[tuple, list[Conjunction]] = {}
        for policy in cluster.evaluated_policies:  # operators' policies isolate pods too
            self.np_subjects.setdefault(policy.namespace, []).append(selector_conjunction(policy.pod_selector))
        self.tier_splitters: list[Splitter] = []
        for policy in cluster.tier_policies:
            if not policy.valid or not policy.subject.valid:
                continue
            subject = policy.subject
            self.tier_splitters.append(Splitter(None, selector_conjunction(subject.namespace_selector),
                                                selector_conjunction(subject.pod_selector)))
            for rule in policy.ingress + policy.egress:
                for peer in rule.peers:
                    if not peer.valid or peer.kind not in ("namespaces", "pods"):
                        continue
                    pod = selector_conjunction(peer.pod_selector) if peer.kind == "pods" else Conjunction()
                    self.tier_splitters.append(Splitter(None, selector_conjunction(peer.namespace_selector), pod))

    def splitters(self, policies: Iterable, direction: str) -> list[Splitter]:
        """The selectors that decide what a workload selected by `policies` (its NetworkPolicies
        isolating it in `direction`) allows towards a hypothetical pod."""
        found: list[Splitter] = []
        for policy in policies:
            for rule in policy.rules(direction):
                for peer in rule.peers:
                    if not peer.valid or peer.ip_block is not None:
                        continue
                    pod = selector_conjunction(peer.pod_selector)
                    if peer.namespace_selector is None:
                        found.append(Splitter(policy.namespace, None, pod))
                    else:
                        found.append(Splitter(None, selector_conjunction(peer.namespace_selector), pod))
        return found + self.tier_splitters

    def regions(self, splitters: list[Splitter], made: Callable[[int], None] = _ignore) -> list[Region]:
        """Every region of the hypothetical space: per namespace of the input, its pods cut by
        the selectors that apply there; then new namespaces cut by the namespace selectors, and
        their pods by the pod selectors that apply in each.

        `made(n)` is told of the regions as they are cut, a namespace at a time, so that a work
        budget can stop a cut of thousands of namespaces early rather than after it is done."""
        out: list[Region] = []
        for name in sorted(self.labels):
            labels = self.labels[name]
            pods = [s.pod for s in splitters if _applies(s, name, labels)]
            pods += self.np_subjects.get(name, [])
            cells = self._cut(Conjunction(), pods)
            made(len(cells))
            out.extend(Region(name, Conjunction(), cell) for cell in cells)
        ns_cells = self._cut(self.base, [s.ns for s in splitters if s.namespace is None])
        for cell in ns_cells:
            cell = self.new_namespace(cell)
            if cell is None:
                continue
            pods = [s.pod for s in splitters if s.namespace is None and s.ns is not None and cell.within(s.ns)]
            cells = self._cut(Conjunction(), pods)
            made(len(cells))
            out.extend(Region(None, cell, pod) for pod in cells)
        return out

    def _cut(self, whole: Conjunction, splitters: list[Conjunction | None]) -> list[Conjunction]:
        key = (whole, *splitters)
        cells = self._cuts.get(key)
        if cells is None:
            cells = self._cuts[key] = refine([whole], splitters)
        return cells

    def new_namespace(self, cell: Conjunction) -> Conjunction | None:
        """A namespace cell restricted to what a new namespace can be (None if it cannot): not
        an input namespace's name, and a valid namespace name where the cell lists names."""
        cell = cell.meet(self.base)
        if cell is None:
            return None
        name = cell.get(NAME)
        if name.inclusive:
            names = frozenset(v for v in name.values if is_namespace_name(v))
            if not names:
                return None
            cell = Conjunction.of({**dict(cell.keys), NAME: KeyConstraint(False, True, names)})
        return cell

    def meet_new(self, a: Conjunction, b: Conjunction) -> bool:
        """Whether some new namespace satisfies both."""
        met = a.meet(b)
        return met is not None and self.new_namespace(met) is not None


def _applies(splitter: Splitter, namespace: str, labels: Mapping[str, str]) -> bool:
    if splitter.namespace is not None:
        return splitter.namespace == namespace
    return splitter.ns is not None and splitter.ns.matches(labels)


DIRECTIONS = {"ingress": INGRESS, "egress": EGRESS}
