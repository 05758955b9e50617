"""The diff as JSON: `policylint.diff/v1`, schema in policylint/schemas/diff-v1.schema.json.

One entry per pair (tools want pairs; the line grouping is for people). Every list is sorted and
nothing depends on time or on the machine, so the same input gives the same bytes.
"""
from __future__ import annotations

from typing import Any

from policylint import __version__
from policylint.diff.model import (CHANGE_KINDS, Because, ConnectionChange, DiffResult, EndpointRef, Location,
                                   ObjectChanges, ObjectRef, SideSummary)
from policylint.engine.ports import PortSet
from policylint.findings import Severity
from policylint.report.escape import json_dumps
from policylint.report.json_format import finding_to_dict

SCHEMA = "policylint.diff/v1"
_SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)


def render(result: DiffResult) -> str:
    return json_dumps(to_dict(result), indent=2) + "\n"


def to_dict(result: DiffResult) -> dict[str, Any]:
    gates = result.gates
    document = {
        "schema": SCHEMA,
        "tool": {"name": "policylint", "version": __version__},
        "old": _side(result.old),
        "new": _side(result.new),
        "summary": {
            "connections": {kind: result.count(kind) for kind in CHANGE_KINDS},
            "workloads": result.workloads.counts(),
            "policies": result.policies.counts(),
            "namespaces": result.namespaces.counts(),
            "findings": {
                "introduced": _by_severity(result.introduced),
                "fixed": _by_severity(result.fixed),
            },
        },
        "gates": {
            "fail_on_new": gates.fail_on_new.label if gates.fail_on_new is not None else None,
            "fail_on_widened": gates.fail_on_widened,
            "failed": result.failed,
            "reasons": result.failures,
        },
        "endpoints": [_endpoint(e) for e in _endpoints(result)],
        "connections": _connections(result.connections),
        "workloads": _objects(result.workloads),
        "policies": _objects(result.policies),
        "namespaces": _objects(result.namespaces),
        "findings": {
            "introduced": [finding_to_dict(f) for f in result.introduced],
            "fixed": [finding_to_dict(f) for f in result.fixed],
        },
    }
    if result.exposure:  # only when some changed: documents of other changes stay as they were
        document["exposure"] = [{"change": c.change, "endpoint": c.endpoint, "direction": c.direction,
                                 "peer": c.peer, "description": c.description, "old": c.old.to_json(),
                                 "new": c.new.to_json()} for c in result.exposure]
    return document


def _side(side: SideSummary) -> dict[str, Any]:
    return {
        "label": side.label,
        "revision": side.revision,
        "absent": list(side.absent),
        "files": side.files,
        "namespaces": side.namespaces,
        "workloads": side.workloads,
        "policies": side.policies,
        "not_evaluated": [
            {"kind": i.kind, "api_version": i.api_version, "namespace": i.namespace, "name": i.name,
             **_location(i.location)}
            for i in side.not_evaluated
        ],
    }


def _by_severity(findings) -> dict[str, int]:
    return {sev.label: sum(1 for f in findings if f.severity == sev) for sev in _SEVERITIES}


def _endpoints(result: DiffResult) -> list[EndpointRef]:
    seen = {e for c in result.connections for e in (c.src, c.dst)}
    return sorted(seen, key=EndpointRef.sort_key)


def _endpoint(e: EndpointRef) -> dict[str, Any]:
    if e.is_external:
        return {"id": e.id, "kind": e.kind, "cidrs": list(e.cidrs)}
    return {"id": e.id, "kind": e.kind, "namespace": e.namespace, "name": e.name, "labels": dict(e.labels)}


def _connections(changes: tuple[ConnectionChange, ...]) -> list[dict[str, Any]]:
    """One entry per pair. The 300,000 pairs of a change to the cluster DNS policy of a large
    cluster share a few explanations and port sets: each becomes a dict once, and the writer
    (report/json_indent.py) writes a dict it meets again from the text it made the first time."""
    ports: dict[PortSet, dict[str, Any]] = {}
    reasons: dict[int, dict[str, Any]] = {}  # by the Because object's id: the changes hold them
    deltas: dict[tuple[PortSet, PortSet], tuple[dict[str, Any], dict[str, Any]]] = {}

    def as_json(p: PortSet) -> dict[str, Any]:
        found = ports.get(p)
        if found is None:
            found = ports[p] = p.to_json()
        return found

    entries = []
    for c in changes:
        because = reasons.get(id(c.because))
        if because is None:
            because = reasons[id(c.because)] = _because(c.because)
        delta = deltas.get((c.old, c.new))
        if delta is None:
            delta = deltas[(c.old, c.new)] = (as_json(c.gained), as_json(c.lost))
        entries.append({
            "change": c.change,
            "from": c.src.id,
            "to": c.dst.id,
            "old_ports": as_json(c.old),
            "new_ports": as_json(c.new),
            "gained_ports": delta[0],
            "lost_ports": delta[1],
            "because": because,
        })
    return entries


def _location(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"version": location.version, "file": location.path, "line": location.line}


def _because(b: Because) -> dict[str, Any]:
    return {
        "rules": [{"policy": r.policy, "rule": r.rule, "edited": r.edited, **_location(r.location)} for r in b.rules],
        "isolation": [
            {
                "direction": i.direction,
                "old": [{"policy": p.policy, **_location(p.location)} for p in i.old],
                "new": [{"policy": p.policy, **_location(p.location)} for p in i.new],
            }
            for i in b.isolation
        ],
        "depends_on_invalid": list(b.depends_on_invalid),
    } | ({"tier_rules": [{"policy": r.policy, "rule": r.rule, "name": r.name, "tier": r.tier, "verdict": r.verdict,
                          "edited": r.edited, **_location(r.location)} for r in b.tier_rules]} if b.tier_rules else {})


def _object(ref: ObjectRef) -> dict[str, Any]:
    return {"id": ref.id, "kind": ref.kind, "location": _location(ref.location), "labels": dict(ref.labels)}


def _objects(changes: ObjectChanges) -> dict[str, Any]:
    return {
        "added": [_object(r) for r in changes.added],
        "removed": [_object(r) for r in changes.removed],
        "changed": [
            {
                "id": e.id,
                "kind": e.kind,
                "old": _location(e.old.location),
                "new": _location(e.new.location),
                "fields": [{"field": name, "old": before, "new": after} for name, before, after in e.fields],
            }
            for e in changes.changed
        ],
    }
