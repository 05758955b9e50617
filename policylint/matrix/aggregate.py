"""`--aggregate namespace`: one `Row` per pair of namespaces.

Never pair by pair: a 150,000-pod export allows about 10^9 pairs. Sources whose rows the engine
computes alike (same namespace, same row key) are taken once with their number
(`MatrixView.source_groups`). A row's destinations (the union of its layers, which the engine
makes from a few sets per row, `Engine.matrix_layer_blocks`) are counted per namespace from their
blocks and added to their source namespace's tally a block at a time, each block's counts packed
in one int (`GroupCounts.add`): a row reaches hundreds of namespaces, and a tally per namespace
and row was most of the aggregation at that size. Within a source namespace, the ports of a
(cell, ports) that recurs in many rows are taken once. The work is then about
(distinct rows x their blocks) + (source namespaces x distinct cells in them x namespaces they
reach) + the output.
"""
from __future__ import annotations

from typing import Any, Iterable, NamedTuple

from policylint.engine.blocks import intersection, to_blocks, union
from policylint.matrix.group_counts import EXTERNAL_GROUP, GroupCounts, group_of
from policylint.matrix.view import MatrixView

__all__ = ["EXTERNAL_GROUP", "Row", "aggregate_rows", "aggregate_unknown_rows", "group_of", "group_order"]


class Row(NamedTuple):
    """One line of output: a pair of endpoints, or of groups when aggregated. A named tuple, not
    a frozen dataclass: a 150,000-pod export has 370,000 namespace pairs, and a frozen
    dataclass's fields, set one by one, cost about half a second there."""

    src: str
    dst: str
    ports: Any  # PortSet
    invalid: bool  # rests on a policy the API server would reject
    pairs: int  # endpoint pairs the line stands for


def group_order(key: tuple[str, str]) -> tuple:
    """Namespaces by name, the external group last, on both sides."""
    return (key[0] == EXTERNAL_GROUP, key[0], key[1] == EXTERNAL_GROUP, key[1])


def aggregate_rows(view: MatrixView) -> list[Row]:
    """One Row per (source namespace, destination namespace): the union of the ports of its pairs,
    whether any rests on an invalid policy, and how many endpoint pairs it stands for."""
    return _aggregate(view, view.source_groups(), view.engine.invalid_destination_atoms())


def aggregate_unknown_rows(view: MatrixView) -> list[Row]:
    """The same grouping of the ports no answer can be given for offline (cluster-wide rules with
    nodes, domainNames or networks peers; MatrixView.unknown_rows): one Row per pair of
    namespaces with such ports, never counted among the allowed ones. Empty, at no cost, for
    inputs without such rules."""
    return _aggregate(view, ((src, False, 1, [[(ports, to_blocks(bits)) for ports, bits in items]], None)
                             for src, items in view.unknown_rows()), 0)


def _aggregate(view: MatrixView, source_rows: Iterable, invalid_atoms: int) -> list[Row]:
    """Group `(source, source_invalid, sources it stands for, [lists of (ports, destination atoms
    as blocks) items], the union of those atoms or None)` rows by namespace pair, in output order
    (group_order). A row's items may overlap (layers, `Engine.matrix_layer_blocks`): the pairs are
    counted on their union, and the ports of a namespace pair are the union of those of the items
    that reach it. A list of items that recurs (the same object) is taken once per source
    namespace."""
    counter = GroupCounts(view.engine, view.wanted)
    names, index = counter.names, counter.index
    invalid_blocks = to_blocks(invalid_atoms)
    # source group -> (pairs, invalid groups, ports, seen): pairs is the packed tally
    # (GroupCounts.add) of each row's union of destinations times the sources it stands for;
    # ports maps (id(counts), id(ports)) -> (counts, ports) for each item; `seen`: the lists of
    # items already taken, by identity (rows of a namespace share most of them, the engine's own
    # objects; an entry keeps its list alive, so the ids stay theirs).
    entries: dict[int, tuple[dict, set, dict, dict]] = {}
    for src, source_invalid, multiplicity, chunks, reached_blocks in source_rows:
        if reached_blocks is None:
            found = [blocks for chunk in chunks for _, blocks in chunk]
            if not found:
                continue
            reached_blocks = found[0] if len(found) == 1 else union(found)
        pairs, invalid_groups, port_entries, seen = entries.setdefault(index[group_of(src)], ({}, set(), {}, {}))
        counter.add(reached_blocks, pairs, multiplicity)
        if source_invalid:
            invalid_groups |= counter.groups(reached_blocks)
        elif invalid_blocks:
            invalid = intersection(reached_blocks, invalid_blocks)
            if invalid:
                invalid_groups |= counter.groups(invalid)  # the groups of some of the reached destinations
        for chunk in chunks:
            if id(chunk) in seen:
                continue
            seen[id(chunk)] = chunk
            for ports, blocks in chunk:
                item_counts = counter.counts_of_kept(blocks)
                port_key = (id(item_counts), id(ports))
                if port_key not in port_entries:
                    port_entries[port_key] = (item_counts, ports)
    rows: list[Row] = []
    unions: dict[tuple[int, ...], tuple[tuple, Any]] = {}  # ids of distinct port sets -> (them, union)
    for source_group in sorted(entries):
        pairs, invalid_groups, port_entries, _ = entries.pop(source_group)
        # The loop below runs once per (distinct item, namespace it reaches), and the one after once
        # per namespace pair of the output: the bulk of the work for a large cluster, whose output
        # is quadratic in its namespaces.
        port_sets: dict[int, Any] = {}  # a PortSet, or a tuple of distinct ones (the engine interns them)
        port_sets_get = port_sets.get
        for item_counts, ports in port_entries.values():
            for group, _ in item_counts:
                known = port_sets_get(group)
                if known is None:
                    port_sets[group] = ports
                elif known is not ports and not (isinstance(known, tuple) and any(k is ports for k in known)):
                    port_sets[group] = (*known, ports) if isinstance(known, tuple) else (known, ports)
        source = names[source_group]
        for group, count in counter.totals(pairs):
            found = port_sets[group]
            if isinstance(found, tuple):
                key = tuple(sorted(id(p) for p in found))
                known_union = unions.get(key)
                if known_union is None:
                    union_ports = found[0]
                    for ports in found[1:]:
                        union_ports = union_ports | ports
                    known_union = unions[key] = (found, union_ports)
                found = known_union[1]
            rows.append(Row(source, names[group], found, group in invalid_groups, count))
    return rows
