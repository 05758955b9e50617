"""The HTML page's data for `diff`: the changed pairs (with the rules responsible), the objects
and findings that changed, and the new version's connectivity to mark the changes on. Built from
the result's JSON document, so the page says what the `policylint.diff/v1` contract says, plus
the port sets written out for people."""
from __future__ import annotations

import json
from typing import Any

from policylint.report.html.connectivity import EXPLAIN_PAIRS, EXTERNAL_GROUP, connectivity_data, sorted_groups
from policylint.report.html.data import SourceLines, finding_data


def _because(entry: dict[str, Any]) -> list[str]:
    lines = []
    because = entry["because"]
    for r in because["rules"]:
        edited = ", edited by the change" if r["edited"] else ""
        lines.append(f"{r['version']}: {r['policy']} {r['rule']} ({r['file']}:{r['line']}){edited}")
    for change in because["isolation"]:
        def names(refs: list[dict[str, Any]]) -> str:
            return ", ".join(f"{p['policy']} ({p['file']}:{p['line']})" for p in refs) or "not isolated"
        lines.append(f"{change['direction']} isolation: was {names(change['old'])}; now {names(change['new'])}")
    for version in because["depends_on_invalid"]:
        lines.append(f"{version}: rests on a policy with parts the API server would reject")
    return lines


def _objects(section: dict[str, Any]) -> list[list[str]]:
    out = []
    for what in ("added", "removed"):
        for o in section[what]:
            where = o.get("location") or {}
            out.append([what, o["kind"], o["id"], f"{where.get('file', '')}:{where.get('line', '')}" if where else ""])
    for o in section["changed"]:
        fields = "; ".join(f"{f['field']}: {f['old']} -> {f['new']}" if f["old"] or f["new"] else f["field"]
                           for f in o["fields"])
        out.append(["changed", o["kind"], o["id"], fields])
    return out


def _no_connectivity(rows: list[list[Any]], groups: list[str]) -> dict[str, Any]:
    """The connectivity data of the page with the diff's endpoints and nothing allowed: the views
    still draw (the changes on them) when the new version's engine is not at hand."""
    sizes = {g: sum(1 for r in rows if r[1] == g) for g in groups}
    return {"endpoints": rows, "groups": [[g, sizes[g]] for g in groups], "ports": [], "rows": [], "cells": [],
            "sets": [], "summary": [], "isolation": [[[], []] for _ in rows], "policies": [], "explanations": None}


def diff_data(result: Any, new_engine: Any = None, explain_pairs: int = EXPLAIN_PAIRS) -> dict[str, Any]:
    """The diff page's data. With the new version's engine, its connectivity is drawn (heat map,
    graph, reach explanations) and the changes are marked on it; namespaces that only the old
    version has are shown empty, so that every change has a cell."""
    from policylint.diff.render_json import render

    doc = json.loads(render(result))
    endpoints = doc["endpoints"]
    index = {e["id"]: i for i, e in enumerate(endpoints)}
    rows = []
    for e in endpoints:
        external = e["kind"] == "External"
        rows.append([e["id"], EXTERNAL_GROUP if external else e["namespace"], e["kind"],
                     e["id"] if external else e["name"], " ".join(e.get("cidrs", []))])
    groups = sorted_groups(r[1] for r in rows)
    changes = []
    for entry, change in zip(doc["connections"], result.connections):
        changes.append([entry["change"], index[entry["from"]], index[entry["to"]], change.old.describe(),
                        change.new.describe(), change.gained.describe(), change.lost.describe(), _because(entry)])
    sources = SourceLines()
    findings = [dict(finding_data(f, sources), diff="introduced") for f in result.introduced]
    findings += [dict(finding_data(f, sources), diff="fixed") for f in result.fixed]
    connectivity = _no_connectivity(rows, groups) if new_engine is None else \
        connectivity_data(new_engine, explain_pairs, extra_groups=[g for g in groups if g != EXTERNAL_GROUP])
    return {
        "mode": "diff",
        "tool": doc["tool"]["version"],
        "sides": {"old": doc["old"], "new": doc["new"]},
        "summary": doc["summary"],
        "gates": doc["gates"],
        "endpoints": rows,
        "changes": changes,
        "connectivity": connectivity,
        "objects": {k: _objects(doc[k]) for k in ("workloads", "policies", "namespaces")},
        "findings": findings,
    }
