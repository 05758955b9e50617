"""The connectivity part of the HTML page's data: endpoints, a namespace-level summary and every
workload pair in a compact form the page expands on demand.

A pair list is quadratic, so the page never receives one: each source's row is the engine's
*cells* (a port set and the destinations allowed exactly those ports), and each cell's
destinations are written as ranges of endpoint indexes. Endpoints are sorted by id, so the
workloads of a namespace are contiguous and a rule that admits "every pod of namespace X" is one
range. Port sets are numbered once in a table (a big cluster repeats a handful of them).
"""
from __future__ import annotations

from typing import Any

EXTERNAL_GROUP = "(external)"
# Pairs up to which every reach explanation is embedded (beyond it, the page shows the policies
# isolating each side and the `policylint reach` command to ask for the rest).
EXPLAIN_PAIRS = 2500


def endpoint_data(e: Any) -> list[Any]:
    """[id, group, kind, name, detail]; detail is the CIDRs of an external range."""
    if e.is_external:
        return [e.id, EXTERNAL_GROUP, "External", e.id, " ".join(e.cidrs)]
    kind = e.kind if e.workload is None or e.workload.group is None else f"{e.kind}/{e.workload.group}"
    return [e.id, e.namespace, kind, e.name, ""]


def _ranges(indexes: list[int]) -> list[int]:
    """Sorted indexes as flat [start, end, start, end, …] (inclusive)."""
    out: list[int] = []
    for i in indexes:
        if out and out[-1] == i - 1:
            out[-1] = i
        else:
            out += [i, i]
    return out


class _PortTable:
    def __init__(self) -> None:
        self.index: dict[tuple[Any, bool], int] = {}
        self.rows: list[list[Any]] = []

    def id(self, ports: Any, invalid: bool) -> int:
        key = (ports, invalid)
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.rows)
            self.rows.append([ports.describe(), ports.to_json(), invalid])
        return found


def connectivity_data(engine: Any, explain_pairs: int = EXPLAIN_PAIRS,
                      cells_of: dict[int, Any] | None = None) -> dict[str, Any]:
    """The page's connectivity data; `cells_of`, when given, receives each source's row of cells
    (endpoint index -> [(ports, destination atoms)]) for the views that need rows again."""
    from bisect import bisect_right

    from policylint.engine.bits import positions

    endpoints = list(engine.endpoints)
    group_of = [EXTERNAL_GROUP if e.is_external else e.namespace for e in endpoints]
    groups = sorted(set(group_of), key=lambda g: (g == EXTERNAL_GROUP, g))
    group_index = {g: i for i, g in enumerate(groups)}
    sizes = [0] * len(groups)
    for g in group_of:
        sizes[group_index[g]] += 1
    # Endpoints are sorted by id ("ns/name[Kind]", then the ranges), so each group is one run of
    # indexes: a range of destination indexes is counted per group by cutting it at run starts.
    starts = [i for i in range(len(endpoints)) if i == 0 or group_of[i] != group_of[i - 1]]
    run_group = [group_index[group_of[i]] for i in starts]
    single = engine.single_endpoint_atoms()
    table = _PortTable()
    invalid_atoms = engine.invalid_destination_atoms()
    rows: list[list[Any]] = []
    summary: dict[tuple[int, int], list[Any]] = {}  # (src group, dst group) -> [ports union, pairs, invalid]

    def count(sg: int, ranges: list[int], ports: Any, invalid: bool) -> None:
        for k in range(0, len(ranges), 2):
            lo, hi = ranges[k], ranges[k + 1]
            while lo <= hi:
                run = bisect_right(starts, lo) - 1
                end = min(hi, starts[run + 1] - 1 if run + 1 < len(starts) else hi)
                key = (sg, run_group[run])
                entry = summary.get(key)
                if entry is None:
                    summary[key] = [{id(ports): ports}, end - lo + 1, invalid]
                else:
                    entry[0][id(ports)] = ports  # distinct sets, united once at the end
                    entry[1] += end - lo + 1
                    entry[2] = entry[2] or invalid
                lo = end + 1

    for src, cells in engine.matrix_cells():
        if cells_of is not None:
            cells_of[src.index] = cells
        if not cells:
            continue
        source_invalid = engine.invalid_as_source(src)
        row: list[Any] = [src.index]
        sg = group_index[group_of[src.index]]
        for ports, bits in cells:
            parts = [(source_invalid, bits)] if source_invalid or not bits & invalid_atoms else \
                [(True, bits & invalid_atoms), (False, bits & ~invalid_atoms)]
            for invalid, part in parts:
                if not part:
                    continue
                if single is not None:
                    indexes = [single[a] for a in positions(part)]
                else:
                    indexes = sorted(e.index for e in engine.cell_endpoints(part))
                if not indexes:
                    continue
                ranges = _ranges(indexes)
                row += [table.id(ports, invalid), ranges]
                count(sg, ranges, ports, invalid)
        if len(row) > 1:
            rows.append(row)
    namespace_rows = [[s, d, table.id(_union(v[0].values()), False), v[1], v[2]] for (s, d), v in sorted(summary.items())]
    policies: dict[str, int] = {}
    data = {
        "endpoints": [endpoint_data(e) for e in endpoints],
        "groups": [[g, sizes[i]] for i, g in enumerate(groups)],
        "ports": table.rows,
        "rows": rows,
        "summary": namespace_rows,
        "isolation": [_isolation(engine, e, policies) for e in endpoints],
    }
    data["policies"] = list(policies)
    data["explanations"] = _explanations(engine, endpoints, explain_pairs)
    return data


def _union(port_sets: Any) -> Any:
    union = None
    for ports in port_sets:
        union = ports if union is None else union | ports
    return union


def _isolation(engine: Any, e: Any, policies: dict[str, int]) -> list[list[int]]:
    """Per endpoint: [[egress policies], [ingress policies]] as indexes into `policies`
    ("id (file:line)", numbered as first seen); empty for a range."""
    if e.is_external:
        return [[], []]
    from policylint.load.nodes import where

    return [[policies.setdefault(f"{p.id} ({where(p.source.span)})", len(policies)) for p in engine.policies_selecting(e, d)]
            for d in ("Egress", "Ingress")]


def _explanations(engine: Any, endpoints: list[Any], budget: int) -> dict[str, Any] | None:
    """The `reach` explanation of every pair with a workload end, as lines of a shared string
    table (the lines repeat a lot), when there are at most `budget` such pairs; else None."""
    external = sum(1 for e in endpoints if e.is_external)
    if len(endpoints) ** 2 - external ** 2 > budget:
        return None
    pairs = [(s, d) for s in endpoints for d in endpoints if not (s.is_external and d.is_external)]
    strings: dict[str, int] = {}
    table: dict[str, list[int]] = {}
    for s, d in pairs:
        lines = engine.explain(s, d, None, None).lines()
        table[f"{s.index},{d.index}"] = [strings.setdefault(line, len(strings)) for line in lines]
    return {"strings": list(strings), "pairs": table}
