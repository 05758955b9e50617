"""Which workloads a change can affect, so that only their rows and columns are recomputed.

A pair (S, D) is decided by the policies that select S (egress) or D (ingress), their rules, and
what those rules match: S's and D's labels, namespace labels, named container ports and pod IPs.
When neither S nor D is *touched* — not selected by a policy that was added, removed or edited
(in either version), with the same labels, named ports and pod IPs in both, in a namespace with
the same labels in both — every one of those inputs is the same in both versions, and so is the
answer for every port, towards every address. Only pairs with a touched end need comparing; on a
large cluster with a small change that is a few rows and columns instead of millions of pairs.

A NetworkPolicy decides only the sides it isolates: one that isolates egress alone (in both
versions) changes what the pods it selects may send, never what they may receive, so those pods
are touched as sources only — a small change to one namespace's egress is then its pods' rows,
not also every other pod's row towards them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from policylint.diff.sides import Side
from policylint.engine.endpoints import class_key, unique_ids
from policylint.model.types import EGRESS, INGRESS


@dataclass(slots=True)
class Touched:
    """Endpoint ids of the workloads whose rows (`sources`: what they may send) and whose columns
    (`destinations`: what they may receive) may differ between the versions."""

    sources: set[str] = field(default_factory=set)
    destinations: set[str] = field(default_factory=set)

    def add(self, ids: Iterable[str]) -> None:
        ids = set(ids)
        self.sources |= ids
        self.destinations |= ids

    @property
    def either(self) -> set[str]:
        return self.sources | self.destinations


def touched(old: Side, new: Side, changed_policies: Iterable[str]) -> Touched:
    """The workloads whose connectivity may differ between the versions, as sources and as
    destinations."""
    changed = set(changed_policies)
    found = Touched()
    for side in (old, new):
        engine = side.engine
        for uid, policy in policies_by_id(side).items():
            if uid in changed:
                selected = [engine.endpoint_of(w).id for w in engine.selected_by(policy)]
                if policy.isolates(EGRESS):
                    found.sources.update(selected)
                if policy.isolates(INGRESS):
                    found.destinations.update(selected)
    # A cluster-wide policy added, removed or edited touches the pods it applies to, in either version.
    old_tiers, new_tiers = tier_policies_by_id(old), tier_policies_by_id(new)
    for key in old_tiers.keys() | new_tiers.keys():
        a, b = old_tiers.get(key), new_tiers.get(key)
        if a is not None and b is not None and _spec(a) == _spec(b):
            continue
        for side, policy in ((old, a), (new, b)):
            tiers = side.engine.tiers
            if policy is not None and tiers is not None:
                found.add(e.id for e in side.engine.cell_endpoints(tiers.subjects[id(policy)]))
    before, after = _workloads(old), _workloads(new)
    found.add(wid for wid in before.keys() | after.keys()
              if wid not in before or wid not in after or _differ(before[wid], after[wid]))
    namespaces = {n for n in old.cluster.namespaces.keys() | new.cluster.namespaces.keys()
                  if _labels(old, n) != _labels(new, n)}
    if namespaces:
        found.add(wid for workloads in (before, after) for wid, w in workloads.items() if w.namespace in namespaces)
    return found


def policies_by_id(side: Side) -> dict:
    """Policies by namespace/name; a policy given twice is `ns/name#2`, as workloads are."""
    policies = sorted(side.cluster.policies, key=lambda p: p.id)
    return dict(zip(unique_ids(policies), policies))


def tier_policies_by_id(side: Side) -> dict:
    """Cluster-wide policies by "Kind name"; one given twice is "Kind name#2"."""
    policies = sorted(side.cluster.tier_policies, key=lambda p: p.id)
    return dict(zip(unique_ids(policies), policies))


def _spec(policy) -> object:
    node = policy.source.node
    return node.get("spec") if isinstance(node, dict) else None


def _workloads(side: Side) -> dict:
    return {e.id: e.workload for e in side.engine.endpoints if e.workload is not None}


def _differ(a, b) -> bool:
    """Whether policies can tell the two versions of a workload apart (their class keys differ).
    The fields the key is made of are compared as they are first: equal fields make equal keys,
    and in a large input almost every workload is unchanged (sorting each one's labels, ports and
    addresses into a key was most of the time of `touched`)."""
    if a.namespace == b.namespace and a.labels == b.labels and a.ports == b.ports and a.pod_ips == b.pod_ips:
        return False
    return class_key(a) != class_key(b)


def _labels(side: Side, namespace: str) -> dict | None:
    ns = side.cluster.namespaces.get(namespace)
    return dict(ns.labels) if ns is not None else None
