"""Exposure gained and lost: what workloads allow to and from peers the input does not contain
(policylint.exposure), between the two versions.

A pull request that opens the training pods to every namespace changes no pair of the input when
no other namespace is in it; its exposure changes all the same, and that is what this reports.

Each version's claims are compared with the other's by what they describe, not by their words:
a new claim *gains* the ports that no old claim describing all of its peers gave them, and an old
claim *loses* the ports that no new claim describing all of its peers still gives. A change that
only re-cuts descriptions (one claim becomes two narrower ones with the same ports) is therefore
no change. An entry whose ports a wider entry of the same kind already reports is left out.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Mapping

from policylint.engine.ports import EMPTY_PORTS, PortSet
from policylint.exposure.constraints import Conjunction, KeyConstraint
from policylint.exposure.model import MATCHING, NAMED, NEW, Claim, Peer
from policylint.model.types import NAMESPACE_NAME_LABEL


@dataclass(frozen=True, slots=True)
class ExposureChange:
    change: str  # added or widened (ports gained), removed or narrowed (ports lost)
    endpoint: str
    direction: str  # ingress (the peer connects to the workload) or egress
    description: str
    peer: dict[str, Any]  # the claim's peer, as in the matrix JSON
    old: PortSet  # what every peer so described had
    new: PortSet  # what every peer so described has

    def sort_key(self) -> tuple:
        return (self.endpoint, self.direction != "ingress", self.peer.get("kind") != "pods", self.description,
                self.change)


# The work the exposure analysis may do for one diff (both sides): beyond it the diff says the
# exposure changes were not computed (as PL406 reports PL025) rather than stall the review.
EXPOSURE_BUDGET = 4_000_000


def exposure_changes(old, new, only: set[str] | None, budget=None) -> tuple[ExposureChange, ...]:
    """Gained and lost exposure of the workloads a change can touch (all when `only` is None)."""
    from policylint.diff.compute import classify

    if budget is not None and budget.limit is not None:
        # both sides share it: stop at once when together they surely pass it (counting no
        # further than that takes: at 150,000 pods a few hundred classes of thousands tell)
        from policylint.exposure import least_work

        room = budget.limit - budget.spent
        need = least_work(old.engine, _chosen(old, only), beyond=room)
        if need <= room:
            need += least_work(new.engine, _chosen(new, only), beyond=room - need)
        budget.ensure(need)
    before, old_labels = _claims(old, only, budget)
    after, new_labels = _claims(new, only, budget)
    changes: list[ExposureChange] = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key, []), after.get(key, [])
        gained = []
        for claim in now:
            had = _given(was, claim.peer, old_labels)
            if not (claim.ports - had).is_empty:
                gained.append((claim, had & claim.ports, claim.ports | (had & claim.ports), claim.ports - had))
        lost = []
        for claim in was:
            has = _given(now, claim.peer, new_labels)
            if not (claim.ports - has).is_empty:
                lost.append((claim, claim.ports, has & claim.ports, claim.ports - has))
        for entries, labels in ((gained, new_labels), (lost, old_labels)):
            for claim, old_ports, new_ports, delta in entries:
                if any(other is not claim and _within(claim.peer, other.peer, labels) and (delta - other_delta).is_empty
                       and not _within(other.peer, claim.peer, labels)
                       for other, _, _, other_delta in entries):
                    continue  # a wider entry says it
                changes.append(ExposureChange(classify(old_ports, new_ports), key[0], key[1], claim.peer.describe(),
                                              claim.peer.to_json(), old_ports, new_ports))
    return tuple(sorted(changes, key=ExposureChange.sort_key))


def _claims(side, only: set[str] | None, budget=None) -> tuple[dict[tuple[str, str], list[Claim]], dict[str, Mapping[str, str]]]:
    from policylint.exposure import analyse

    engine = side.engine
    chosen = _chosen(side, only)
    grouped: dict[tuple[str, str], list[Claim]] = {}
    for claim in analyse(engine, chosen, budget=budget) if chosen else []:
        if not claim.ports.is_empty:
            grouped.setdefault((claim.endpoint, claim.direction), []).append(claim)
    cluster = engine.cluster
    labels = {n: cluster.namespaces[n].labels if n in cluster.namespaces else {NAMESPACE_NAME_LABEL: n}
              for n in engine.namespace_names()}
    return grouped, labels


def _chosen(side, only: set[str] | None) -> list:
    return [e for e in side.engine.endpoints if not e.is_external and (only is None or e.id in only)]


def _given(claims: list[Claim], peer: Peer, labels: Mapping[str, Mapping[str, str]]) -> PortSet:
    """The ports that `claims` give to every peer `peer` describes (those of the claims whose
    description holds all of them; `labels`: the namespaces of the claims' version)."""
    ports = EMPTY_PORTS
    for claim in claims:
        if _within(peer, claim.peer, labels):
            ports = ports | claim.ports
    return ports


def _within(inner: Peer, outer: Peer, labels: Mapping[str, Mapping[str, str]]) -> bool:
    """Whether every peer `inner` describes is one `outer` describes (`labels`: the namespaces of
    the version `outer` comes from). When unsure, False: a change is then reported, never hidden."""
    if inner.kind != outer.kind:
        return False
    if inner.kind == "addresses":
        return _covers([ipaddress.ip_network(c) for c in outer.cidrs], [ipaddress.ip_network(c) for c in inner.cidrs])
    if not inner.pod_selector.within(outer.pod_selector):
        return False
    if outer.scope == NAMED:
        return inner.scope == NAMED and inner.namespace == outer.namespace
    if inner.scope == NAMED:
        if inner.namespace in labels:  # a namespace of outer's version: its labels decide
            return outer.scope == MATCHING and outer.namespace_selector.matches(labels[inner.namespace])
        only_name = Conjunction.of({NAMESPACE_NAME_LABEL: KeyConstraint(False, True, frozenset({inner.namespace}))})
        return only_name.within(outer.namespace_selector)  # a new namespace: any labels but its name
    if outer.scope == NEW and inner.scope == MATCHING:
        return False
    return inner.namespace_selector.within(outer.namespace_selector)


def _covers(outer: list, inner: list) -> bool:
    for network in inner:
        rest = [network]
        for o in outer:
            rest = [piece for r in rest for piece in (
                [r] if r.version != o.version or not r.overlaps(o) else [] if r.subnet_of(o) else list(r.address_exclude(o)))]
        if rest:
            return False
    return True
