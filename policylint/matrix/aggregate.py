"""`--aggregate namespace`: one `Row` per pair of namespaces."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

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
    return _aggregate(view, view.rows(), view.engine.invalid_destination_atoms())


def aggregate_unknown_rows(view: MatrixView) -> list[Row]:
    """The same grouping of the ports no answer can be given for offline (cluster-wide rules with
    nodes, domainNames or networks peers; MatrixView.unknown_rows): one Row per pair of
    namespaces with such ports, never counted among the allowed ones. Empty, at no cost, for
    inputs without such rules."""
    return _aggregate(view, ((src, False, items) for src, items in view.unknown_rows()), 0)


def _aggregate(view: MatrixView, source_rows: Iterable, invalid_atoms: int) -> list[Row]:
    """Group `(source, source_invalid, [(ports, destination atoms)])` rows by namespace pair.

    N namespaces that all reach each other make N^2 groups, so a group holds little: its port
    sets (the engine shares one object per distinct set; a tuple only when a group sees more
    than one), its pair count and the invalid flag, in three flat dicts."""
    engine, wanted = view.engine, view.wanted
    port_sets: dict[tuple[str, str], Any] = {}  # a PortSet, or a tuple of distinct ones
    pairs: dict[tuple[str, str], int] = {}
    invalid: set[tuple[str, str]] = set()
    for src, source_invalid, items in source_rows:
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
                key = (source_group, group)
                known = port_sets.get(key)
                if known is None:
                    port_sets[key] = ports
                    pairs[key] = count
                else:
                    if known is not ports and not (isinstance(known, tuple) and any(k is ports for k in known)):
                        port_sets[key] = (*known, ports) if isinstance(known, tuple) else (known, ports)
                    pairs[key] += count
                if source_invalid or group in invalid_groups:
                    invalid.add(key)
    rows = []
    for key in sorted(port_sets, key=group_order):
        found = port_sets[key]
        union = found
        if isinstance(found, tuple):
            union = found[0]
            for ports in found[1:]:
                union = union | ports
        rows.append(Row(key[0], key[1], union, key in invalid, pairs[key]))
    return rows
