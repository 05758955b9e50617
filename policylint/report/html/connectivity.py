"""The connectivity part of the HTML page's data: endpoints, a namespace-level summary and every
workload pair in a compact form the page expands on demand.

A pair list is quadratic, so the page never receives one: each source's row is the engine's
*cells* (a port set and the destinations allowed exactly those ports), and each cell's
destinations are written as ranges of endpoint indexes; sources of one pod class share one row. Endpoints are sorted by id, so the
workloads of a namespace are contiguous and a rule that admits "every pod of namespace X" is one
range. Port sets are numbered once in a table (a big cluster repeats a handful of them).
"""
from __future__ import annotations

import re
from typing import Any

from policylint.matrix.group_counts import EXTERNAL_GROUP, group_sort_key

# Pairs up to which every reach explanation is embedded (beyond it, the page shows the policies
# isolating each side and the `policylint reach` command to ask for the rest).
EXPLAIN_PAIRS = 2500


def endpoint_data(e: Any) -> list[Any]:
    """[id, group, kind, name, detail]; detail is the CIDRs of an external range."""
    if e.is_external:
        return [e.id, EXTERNAL_GROUP, "External", e.id, " ".join(e.cidrs)]
    kind = e.kind if e.workload is None or e.workload.group is None else f"{e.kind}/{e.workload.group}"
    return [e.id, e.namespace, kind, e.name, ""]


_RUN = re.compile("1+")


def _ranges(index_bits: int) -> list[int]:
    """The set bits of an endpoint-index bitset as flat [start, end, start, end, …] (inclusive),
    found by a regular expression over its binary text: C speed, not a step per pair."""
    out: list[int] = []
    for run in _RUN.finditer(format(index_bits, "b")[::-1]):
        out += [run.start(), run.end() - 1]
    return out


class _IndexBits:
    """A cell's destination atoms as a bitset of endpoint indexes. Usually the identity (one
    endpoint per atom, in the same order); otherwise the OR of each atom's endpoints."""

    def __init__(self, engine: Any) -> None:
        atom_endpoints = engine.atom_endpoints()
        self.identity = all(len(eps) == 1 and eps[0].index == a for a, eps in enumerate(atom_endpoints))
        self.masks = None if self.identity else [sum(1 << e.index for e in eps) for eps in atom_endpoints]

    def __call__(self, bits: int) -> int:
        if self.identity:
            return bits
        from policylint.engine.bits import positions

        masks, out = self.masks, 0
        for a in positions(bits):
            out |= masks[a]
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
            self.rows.append([ports.describe(), ports.to_json(), invalid, ports])
        return found


def sorted_groups(names: Any) -> list[str]:
    """Namespaces in name order, the external ranges last."""
    return sorted(set(names), key=group_sort_key)


def connectivity_data(engine: Any, explain_pairs: int = EXPLAIN_PAIRS,
                      cells_of: dict[int, Any] | None = None, extra_groups: Any = ()) -> dict[str, Any]:
    """The page's connectivity data; `cells_of`, when given, receives each source's row of cells
    (endpoint index -> [(ports, destination atoms)]) for the views that need rows again.
    `extra_groups` are namespaces to show with no endpoint (a diff's namespaces that are gone)."""
    from bisect import bisect_right

    endpoints = list(engine.endpoints)
    group_of = [EXTERNAL_GROUP if e.is_external else e.namespace for e in endpoints]
    groups = sorted_groups([*group_of, *extra_groups])
    group_index = {g: i for i, g in enumerate(groups)}
    sizes = [0] * len(groups)
    for g in group_of:
        sizes[group_index[g]] += 1
    # Endpoints are sorted by id ("ns/name[Kind]", then the ranges), so each group is one run of
    # indexes: a range of destination indexes is counted per group by cutting it at run starts.
    starts = [i for i in range(len(endpoints)) if i == 0 or group_of[i] != group_of[i - 1]]
    run_group = [group_index[group_of[i]] for i in starts]
    index_bits = _IndexBits(engine)
    table = _PortTable()
    shared: dict[int, list[Any]] = {}  # id(cells) -> the row written for them (classes share cells)
    row_texts: list[list[Any]] = []
    invalid_atoms = engine.invalid_destination_atoms()
    rows: list[list[Any]] = []
    summary: dict[tuple[int, int], list[Any]] = {}  # (src group, dst group) -> [ports union, pairs, invalid]

    def spread(ranges: list[int]) -> list[tuple[int, int]]:
        """A destination set's pairs per group: (group, endpoints), cutting each range at the
        runs of the groups."""
        out: dict[int, int] = {}
        for j in range(0, len(ranges), 2):
            lo, hi = ranges[j], ranges[j + 1]
            while lo <= hi:
                run = bisect_right(starts, lo) - 1
                end = min(hi, starts[run + 1] - 1 if run + 1 < len(starts) else hi)
                out[run_group[run]] = out.get(run_group[run], 0) + end - lo + 1
                lo = end + 1
        return list(out.items())

    # Distinct destination sets, numbered: a big cluster's rows repeat a few sets ("every pod of
    # namespace X", "the DNS pods"), so each is cut into ranges and groups once.
    set_index: dict[int, int] = {}
    set_ranges: list[list[int]] = []
    set_spread: list[list[tuple[int, int]]] = []

    def destination_set(part: int) -> int:
        found = set_index.get(part)
        if found is None:
            ranges = _ranges(index_bits(part))
            found = set_index[part] = len(set_ranges)
            set_ranges.append(ranges)
            set_spread.append(spread(ranges))
        return found

    def row_spread(row: list[int]) -> list[tuple[int, int, Any, bool]]:
        out = []
        for k in range(0, len(row), 2):
            _, _, invalid, ports = table.rows[row[k]]
            out.extend((group, pairs, ports, invalid) for group, pairs in set_spread[row[k + 1]])
        return out

    def count(sg: int, spread_row: list[tuple[int, int, Any, bool]]) -> None:
        for dg, pairs, ports, invalid in spread_row:
            entry = summary.get((sg, dg))
            if entry is None:
                summary[(sg, dg)] = [{id(ports): ports}, pairs, invalid]
            else:
                entry[0][id(ports)] = ports  # distinct sets, united once at the end
                entry[1] += pairs
                entry[2] = entry[2] or invalid

    for src, cells in engine.matrix_cells():
        if cells_of is not None:
            cells_of[src.index] = cells
        if not cells:
            continue
        source_invalid = engine.invalid_as_source(src)
        sg = group_index[group_of[src.index]]
        known = shared.get(id(cells))
        if known is not None and known[0] == source_invalid:
            row = known[1]
        else:
            row = []
            for ports, bits in cells:
                parts = [(source_invalid, bits)] if source_invalid or not bits & invalid_atoms else \
                    [(True, bits & invalid_atoms), (False, bits & ~invalid_atoms)]
                for invalid, part in parts:
                    if part:
                        row += [table.id(ports, invalid), destination_set(part)]
            if not row:
                continue
            # the entry holds `cells` so that its id is not reused by a later row while we look it up
            known = shared[id(cells)] = [source_invalid, row, len(row_texts), row_spread(row), cells]
            row_texts.append(row)
        count(sg, known[3])
        rows.append([src.index, known[2]])
    namespace_rows = [[s, d, table.id(_union(v[0].values()), False), v[1], v[2]] for (s, d), v in sorted(summary.items())]
    policies: dict[str, int] = {}
    unknown = _unknown(engine, table)  # before "ports" is written: it numbers port sets of its own
    data = {
        "endpoints": [endpoint_data(e) for e in endpoints],
        "groups": [[g, sizes[i]] for i, g in enumerate(groups)],
        "ports": [r[:3] for r in table.rows],
        "rows": rows,
        "cells": row_texts,
        "sets": set_ranges,
        "summary": namespace_rows,
        "isolation": [_isolation(engine, e, policies) for e in endpoints],
    }
    data["policies"] = list(policies)
    data["explanations"] = _explanations(engine, endpoints, explain_pairs)
    if unknown:
        data["unknown"] = unknown
    return data


def _unknown(engine: Any, table: _PortTable) -> list[list[int]]:
    """[source index, destination index, port id] of the ports no answer can be given for offline
    (cluster-wide rules with nodes, domainNames or networks peers): never among the allowed pairs,
    listed apart as in the matrix's other formats. Empty without such rules, at no cost."""
    from policylint.caveats import offline_rules

    if not engine.has_tiers or not offline_rules(engine.cluster):
        return []
    out = []
    for src in engine.endpoints:
        for ports, bits in engine.unknown_cells(src):
            out.extend([src.index, dst.index, table.id(ports, False)] for dst in engine.cell_endpoints(bits))
    out.sort()
    return out


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
