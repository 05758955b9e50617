"""Objects added, removed and edited between two versions, and findings introduced and fixed.

Objects are matched by identity (a workload by its endpoint id, a policy by namespace/name, a
namespace by name), never by file or line, so moving a manifest to another file is no change.
Findings likewise are matched by (code, object, field path, message): an edit that only shifts
lines does not show a finding as fixed and introduced again.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping

from policylint.diff.model import NEW, OLD, Location, ObjectChanges, ObjectEdit, ObjectRef
from policylint.diff.sides import Side
from policylint.diff.scope import policies_by_id, tier_policies_by_id
from policylint.findings import Finding
from policylint.model.types import NAMESPACE_NAME_LABEL, NetworkPolicy

NOT_SHOWN_LABELS = {NAMESPACE_NAME_LABEL}  # set by the API server; equal to the name, never a change


def _location(side: Side, version: str, source: Any) -> Location | None:
    if source.node is None and source.fallback is None:
        return None  # synthesised without a position
    path, line = side.where(source.span)
    return Location(version, path, line)


def _labels(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k not in NOT_SHOWN_LABELS))


def label_edit(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[str, str, str] | None:
    """("labels", what went away, what came) — only the labels that differ."""
    before, after = dict(_labels(old)), dict(_labels(new))
    gone = [f"{k}={v}" for k, v in sorted(before.items()) if after.get(k) != v]
    came = [f"{k}={v}" for k, v in sorted(after.items()) if before.get(k) != v]
    if not gone and not came:
        return None
    return ("labels", ", ".join(gone), ", ".join(came))


def _diff(old: dict[str, tuple[Any, Any]], new: dict[str, tuple[Any, Any]], edits: Any) -> ObjectChanges:
    """`old`, `new`: key -> (its ObjectRef, or a function that makes it, and the object)."""
    added = tuple(_ref(new[k][0]) for k in sorted(new.keys() - old.keys()))
    removed = tuple(_ref(old[k][0]) for k in sorted(old.keys() - new.keys()))
    changed = []
    for key in sorted(old.keys() & new.keys()):
        fields = tuple(edits(old[key][1], new[key][1]))
        if fields:
            before, after = _ref(old[key][0]), _ref(new[key][0])
            changed.append(ObjectEdit(key, after.kind, before, after, fields))
    return ObjectChanges(added, removed, tuple(changed))


def _ref(ref: Any) -> ObjectRef:
    return ref if isinstance(ref, ObjectRef) else ref()


# -- workloads ------------------------------------------------------------------------------------

def _workloads(side: Side, version: str) -> dict[str, tuple[Any, Any]]:
    # A reference (with its position) is made only for the workloads shown: in a cluster export
    # there are 150,000, and a small change shows a few.
    def ref(endpoint: Any, w: Any) -> Any:
        return lambda: ObjectRef(endpoint.id, w.kind, _location(side, version, w.object_source), _labels(w.labels))

    return {e.id: (ref(e, e.workload), e.workload) for e in side.engine.endpoints if e.workload is not None}


def _named_ports(workload: Any) -> str:
    return ", ".join(f"{p.name}={p.port}/{p.protocol}" for p in sorted(workload.ports, key=lambda p: (p.name or "", p.port))
                     if p.name)


def _workload_edits(old: Any, new: Any) -> Iterable[tuple[str, str, str]]:
    # Equal values first (most workloads of a large input are unchanged), words only for a change.
    labels = label_edit(old.labels, new.labels) if old.labels != new.labels else None
    if labels:
        yield labels
    if old.ports != new.ports and _named_ports(old) != _named_ports(new):
        yield ("named ports", _named_ports(old), _named_ports(new))
    if old.pod_ips != new.pod_ips:
        before = ", ".join(sorted(str(ip) for ip in old.pod_ips))
        after = ", ".join(sorted(str(ip) for ip in new.pod_ips))
        if before != after:
            yield ("pod IPs", before, after)


def workload_changes(old: Side, new: Side) -> ObjectChanges:
    return _diff(_workloads(old, OLD), _workloads(new, NEW), _workload_edits)


# -- policies -------------------------------------------------------------------------------------

def _policies(side: Side, version: str) -> dict[str, tuple[ObjectRef, Any]]:
    found = {i: (ObjectRef(i, "NetworkPolicy", _location(side, version, p.source)), p)
             for i, p in policies_by_id(side).items()}
    # Cluster-wide policies, by "Kind name" (a namespace/name never has a space).
    found.update((i, (ObjectRef(i, p.kind, _location(side, version, p.source)), p))
                 for i, p in tier_policies_by_id(side).items())
    return found


def _spec(policy: Any) -> Any:
    node = policy.source.node
    return node.get("spec") if isinstance(node, dict) else None


def _policy_edits(old: Any, new: Any) -> Iterable[tuple[str, str, str]]:
    # Positions are not part of a YMap's value: equal specs compare equal wherever they sit.
    if _spec(old) != _spec(new):
        yield ("spec", "", "")


def policy_changes(old: Side, new: Side) -> ObjectChanges:
    return _diff(_policies(old, OLD), _policies(new, NEW), _policy_edits)


# -- namespaces -----------------------------------------------------------------------------------

def _namespaces(side: Side, version: str) -> dict[str, tuple[ObjectRef, Any]]:
    out = {}
    for name, ns in side.cluster.namespaces.items():
        location = _location(side, version, ns.source) if ns.declared else None
        out[name] = (ObjectRef(name, "Namespace", location, _labels(ns.labels)), ns)
    return out


def _namespace_edits(old: Any, new: Any) -> Iterable[tuple[str, str, str]]:
    labels = label_edit(old.labels, new.labels)
    if labels:
        yield labels


def namespace_changes(old: Side, new: Side) -> ObjectChanges:
    return _diff(_namespaces(old, OLD), _namespaces(new, NEW), _namespace_edits)


# -- findings -------------------------------------------------------------------------------------

def finding_key(f: Finding) -> tuple[str, str, str, str]:
    return (f.code, f.object, f.field_path, f.message)


def finding_changes(old: list[Finding], new: list[Finding]) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """(introduced, fixed). A multiset difference: two equal findings in NEW against one in OLD
    is one introduced."""
    return _only_in(new, Counter(map(finding_key, old))), _only_in(old, Counter(map(finding_key, new)))


def _only_in(findings: list[Finding], other: Counter) -> tuple[Finding, ...]:
    remaining = Counter(other)
    out = []
    for f in findings:
        key = finding_key(f)
        if remaining[key]:
            remaining[key] -= 1
        else:
            out.append(f)
    return tuple(out)
