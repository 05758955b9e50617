"""`--aggregate namespace`: one `Row` per pair of namespaces."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policylint.matrix.view import MatrixView

EXTERNAL_GROUP = "(external)"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of output: a pair of endpoints, or of groups when aggregated."""

    src: str
    dst: str
    ports: Any  # PortSet
    invalid: bool  # rests on a policy the API server would reject
    pairs: int  # endpoint pairs the line stands for


def group_of(endpoint) -> str:
    return endpoint.namespace or EXTERNAL_GROUP


def group_order(key: tuple[str, str]) -> tuple:
    """Namespaces by name, the external group last, on both sides."""
    return (key[0] == EXTERNAL_GROUP, key[0], key[1] == EXTERNAL_GROUP, key[1])


def aggregate_rows(view: MatrixView) -> list[Row]:
    """One Row per (source namespace, destination namespace): the union of the ports of its pairs,
    whether any rests on an invalid policy, and how many endpoint pairs it stands for."""
    engine, wanted = view.engine, view.wanted
    invalid_atoms = engine.invalid_destination_atoms()
    # (source group, destination group) -> [distinct port sets by identity, pairs, invalid]
    groups: dict[tuple[str, str], list] = {}
    for src, source_invalid, items in view.rows():
        source_group = group_of(src)
        for ports, bits in items:
            counts: dict[str, int] = {}
            invalid_groups: set[str] = set()
            for e in engine.cell_endpoints(bits, wanted):
                group = group_of(e)
                counts[group] = counts.get(group, 0) + 1
            if not source_invalid and bits & invalid_atoms:
                invalid_groups = {group_of(e) for e in engine.cell_endpoints(bits & invalid_atoms, wanted)}
            for group, count in counts.items():
                entry = groups.get((source_group, group))
                if entry is None:
                    entry = groups[(source_group, group)] = [{}, 0, False]
                entry[0][id(ports)] = ports
                entry[1] += count
                entry[2] = entry[2] or source_invalid or group in invalid_groups
    rows = []
    for key in sorted(groups, key=group_order):
        port_sets, pairs, invalid = groups[key]
        union = None
        for ports in port_sets.values():
            union = ports if union is None else union | ports
        rows.append(Row(key[0], key[1], union, invalid, pairs))
    return rows
