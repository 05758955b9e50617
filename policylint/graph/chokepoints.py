"""Chokepoints: the workloads every path from the starts to a target goes through.

A reviewer who has found a path from the internet to a training job asks next where to cut it:
which workload, locked down, would leave no path at all. That is a dominator question. On the
networkx graph of `build.py`, with a root joined to the starts' groups, a group dominates the
target's group when every path from the root to it goes through that group; networkx's
`immediate_dominators` gives the chain from the target back to the root, and the groups on it
(hubs left out, the starts' groups too) are the chokepoints, nearest the starts first.

Paths here follow the rules of the searches (`paths.py`): external ranges start or end a path,
never sit in its middle, and with a port constraint a hop must allow one of its ports. Length is
not bounded: a chokepoint is on every path of any length, so also on every short one. A group with
several members (replica types of a job, workloads under the same policies) is a chokepoint as a
whole: every path goes through one of its members, which are interchangeable, so locking down one
of them leaves a path through another.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from policylint.graph.build import DESTINATIONS, GROUP, SOURCES

if TYPE_CHECKING:
    from policylint.engine.endpoints import Endpoint
    from policylint.engine.ports import PortSet
    from policylint.graph.build import ConnectivityGraph

_ROOT = -1  # build.py's nodes are 0, 1, 2, …; -2, -3, … stand for targets apart from their group


@dataclass(frozen=True, slots=True)
class Chokepoints:
    """Every path from the starts to `target` goes through a member of each group of `through`,
    in this order (nearest the starts first); empty when no single group is unavoidable."""

    target: Endpoint
    through: tuple[tuple[Endpoint, ...], ...]


def chokepoints(graph: ConnectivityGraph, sources: Iterable[Endpoint], targets: Iterable[Endpoint],
                ports: PortSet | None = None) -> list[Chokepoints]:
    """For each target some start reaches (in endpoint order, starts left out), its chokepoints."""
    import networkx as nx

    starts = sorted(set(sources))
    start_groups = {graph.node_of(s).index for s in starts}
    whole = graph.graph
    kind = whole.nodes
    usable = nx.DiGraph()
    usable.add_node(_ROOT)
    usable.add_edges_from((_ROOT, g) for g in sorted(start_groups))
    for node in graph.nodes:
        if node.external and node.index not in start_groups:
            continue  # an address range ends a path: nothing leaves it in the middle
        usable.add_edges_from((node.index, row) for row in whole.succ[node.index])
    # A target in a start's group is reached through that group's in-edges, not through the root's
    # edge to it: it gets a node of its own, with the group's in-edges and nothing out.
    alone: dict[int, int] = {}
    for target in targets:
        group = graph.node_of(target).index
        if group in start_groups:
            alone.setdefault(group, -2 - len(alone))
    for u, v, data in whole.edges(data=True):
        if kind[u]["kind"] == SOURCES:
            if ports is None or not data["ports"].intersection(ports).is_empty:
                usable.add_edge(u, v)
        elif kind[u]["kind"] == DESTINATIONS:
            usable.add_edge(u, v)
            if v in alone:
                usable.add_edge(u, alone[v])
    dominators = nx.immediate_dominators(usable, _ROOT)
    found = []
    for target in sorted(set(targets) - set(starts)):
        group = graph.node_of(target).index
        group = alone.get(group, group)
        if group not in dominators:
            continue  # no path
        chain = []
        node = dominators[group]
        while node != _ROOT:
            if node >= 0 and kind[node]["kind"] == GROUP and node not in start_groups:
                chain.append(graph.nodes[node].endpoints)
            node = dominators[node]
        found.append(Chokepoints(target, tuple(reversed(chain))))
    return found
