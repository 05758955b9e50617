"""The engine's connectivity as a directed networkx graph whose size stays linear in practice.

Nodes of three kinds (the node attribute `kind`):

- `group`: endpoints (workloads, job replica types, external ranges) that no connection tells
  apart — the same allowed ports towards every endpoint and from every endpoint, and equally
  marked as resting on invalid policies. Members of a group are interchangeable for every path
  question.
- `sources`: one per distinct matrix row (`rows.py`); every group has one edge to its row's node.
- `destinations`: one per distinct set of destinations a row's cell holds; it has an edge to
  each group it holds.

An edge `sources -> destinations` is a cell of the row and carries its `ports` (a PortSet); a
row's cells are disjoint, one per port set. So a member of group g may connect to a member of
group h (any member, itself included when g is h, as the matrix lists it) on ports P exactly
when g -> row -> set -> h with P on the middle edge: one hop of connectivity is three edges here, and a graph question walks every
third node (`targets`, `pairs_graph`).

Why not one edge per pair of groups: dense connectivity makes those edges grow with the square of
the groups — 2.2 million at 50,000 pods and 23.7 million at 150,000 — while the rows and their
cells repeat the same few destination sets (on the 150,000-pod benchmark export 11,724 groups,
7,017 rows and 5,914 sets: 1.7 million edges in all). `pairs_graph` still gives that graph for
a cluster small enough to want it.

Groups are the cells of the partition of atoms by their row and by their membership of every
destination set: two atoms in the same sets are in the same cell of every row, so they have the
same column; and two atoms with the same column are in the same sets, since each set is some
row's cell for one port set. Numbering follows endpoint order (groups by their first endpoint,
then hubs by the first group that reaches them), so the graph does not depend on which rows a
search computed first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from policylint.engine.bits import positions
from policylint.graph.rows import Rows

if TYPE_CHECKING:
    import networkx as nx

    from policylint.engine.connectivity import Engine
    from policylint.engine.endpoints import Endpoint
    from policylint.engine.ports import PortSet

GROUP, SOURCES, DESTINATIONS = "group", "sources", "destinations"


@dataclass(frozen=True, slots=True)
class Node:
    """A group of interchangeable endpoints, in endpoint order."""

    index: int
    endpoints: tuple[Endpoint, ...]
    external: bool  # address ranges (never mixed with workloads in one group)
    invalid_as_source: bool  # every answer from a member rests on a policy the API server rejects
    invalid_as_destination: bool  # every answer towards a member does

    @property
    def id(self) -> str:
        return self.endpoints[0].id


class ConnectivityGraph:
    """The graph and the way back from endpoints to groups.

    `graph` is a `networkx.DiGraph` on ints: groups are `0 … len(nodes) - 1` (the index of their
    `Node`), then the `sources` and `destinations` hubs; each `sources -> destinations` edge has
    `ports`."""

    def __init__(self, engine: Engine, graph: nx.DiGraph, nodes: list[Node], node_of: list[int]) -> None:
        self.engine = engine
        self.graph = graph
        self.nodes = nodes
        self._node_of = node_of  # endpoint index -> group index

    def node_of(self, endpoint: Endpoint) -> Node:
        return self.nodes[self._node_of[endpoint.index]]

    def targets(self, src: Node) -> Iterator[tuple[Node, PortSet]]:
        """The groups a member of `src` may connect to, with the ports (`src` itself when its
        members may connect to one another), by cell, each cell's groups in order."""
        succ, nodes = self.graph.succ, self.nodes
        for row in succ[src.index]:
            for cell, data in succ[row].items():
                ports = data["ports"]
                for group in succ[cell]:
                    yield nodes[group], ports

    def ports(self, src: Node, dst: Node) -> PortSet | None:
        """What a member of `src` may send to a member of `dst` (None: nothing)."""
        succ = self.graph.succ
        for row in succ[src.index]:
            for cell, data in succ[row].items():
                if dst.index in succ[cell]:
                    return data["ports"]
        return None

    def pair_count(self) -> int:
        """The edges `pairs_graph` would have, counted without making it."""
        succ = self.graph.succ
        return sum(len(succ[cell]) for node in self.nodes for row in succ[node.index] for cell in succ[row])

    def pairs_graph(self) -> nx.DiGraph:
        """One edge per pair of groups, with `ports`: the same connectivity, quadratic in the
        groups (for small clusters and for tools that want one hop as one edge)."""
        import networkx as nx

        pairs = nx.DiGraph()
        pairs.add_nodes_from(range(len(self.nodes)))
        for node in self.nodes:
            pairs.add_edges_from((node.index, dst.index, {"ports": ports}) for dst, ports in self.targets(node))
        return pairs


def build_graph(engine: Engine, rows: Rows | None = None) -> ConnectivityGraph:
    import networkx as nx

    rows = rows if rows is not None else Rows(engine)
    rows.complete()
    atom_endpoints = rows.atom_endpoints
    # Distinct destination sets, numbered as first met (`Rows` keeps equal sets as one int), and
    # each set's lowest atom: a row's sets are disjoint, so it orders a row's cells whatever order
    # the engine gave them in (rows may come with their cells in any order).
    set_number: dict[int, int] = {}
    lowest: dict[int, int] = {}
    sets_of: list[list[int]] = [[] for _ in atom_endpoints]  # atom -> the sets holding it, ascending
    for cells in rows.rows:
        for _, bits in cells:
            if id(bits) not in set_number:
                number = set_number[id(bits)] = len(set_number)
                lowest[id(bits)] = (bits & -bits).bit_length()
                for atom in positions(bits):
                    sets_of[atom].append(number)
    # Rows with the same cells in another order are one row here.
    same_cells: dict[frozenset, int] = {}
    canonical = [same_cells.setdefault(frozenset((id(p), id(b)) for p, b in cells), row)
                 for row, cells in enumerate(rows.rows)]
    row_of = [canonical[rows.row_of(atom)] for atom in range(len(atom_endpoints))]
    # A set of positions: testing an int over every atom once per atom costs the square.
    invalid_destinations = set(positions(engine.invalid_destination_atoms()))
    keys: dict[tuple, int] = {}
    members: list[list[Endpoint]] = []
    group_sets: list[list[int]] = []
    group_row: list[int] = []
    flags: list[tuple[bool, bool, bool]] = []
    for atom in sorted(range(len(atom_endpoints)), key=lambda a: atom_endpoints[a][0].index):
        first = atom_endpoints[atom][0]
        flag = (first.is_external, engine.invalid_as_source(first), atom in invalid_destinations)
        key = (flag, row_of[atom], tuple(sets_of[atom]))
        group = keys.get(key)
        if group is None:
            group = keys[key] = len(members)
            members.append([])
            group_sets.append(sets_of[atom])
            group_row.append(row_of[atom])
            flags.append(flag)
        members[group].extend(atom_endpoints[atom])
    nodes = [Node(i, tuple(sorted(m)), *flags[i]) for i, m in enumerate(members)]
    node_of = [0] * len(engine.endpoints)
    for node in nodes:
        for e in node.endpoints:
            node_of[e.index] = node.index

    # Hubs numbered by the first group that reaches them.
    row_hub: dict[int, int] = {}
    for row in group_row:
        row_hub.setdefault(row, len(nodes) + len(row_hub))
    set_hub: dict[int, int] = {}
    first_set = len(nodes) + len(row_hub)
    cells_of = {row: sorted(rows.rows[row], key=lambda cell: lowest[id(cell[1])]) for row in row_hub}
    for row in row_hub:
        for _, bits in cells_of[row]:
            set_hub.setdefault(set_number[id(bits)], first_set + len(set_hub))
    held: dict[int, list[int]] = {number: [] for number in set_hub}  # set -> its groups, ascending
    for group, numbers in enumerate(group_sets):
        for number in numbers:
            held[number].append(group)

    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(nodes)), kind=GROUP)
    graph.add_nodes_from(row_hub.values(), kind=SOURCES)
    graph.add_nodes_from(set_hub.values(), kind=DESTINATIONS)
    graph.add_edges_from((group, row_hub[row]) for group, row in enumerate(group_row))
    for row, hub in row_hub.items():
        graph.add_edges_from((hub, set_hub[set_number[id(bits)]], {"ports": ports}) for ports, bits in cells_of[row])
    for number, hub in set_hub.items():
        graph.add_edges_from((hub, group) for group in held[number])
    return ConnectivityGraph(engine, graph, nodes, node_of)



def describe(graph: ConnectivityGraph) -> dict[str, Any]:
    """Sizes, for benchmarks and reports."""
    kinds = {GROUP: 0, SOURCES: 0, DESTINATIONS: 0}
    for _, kind in graph.graph.nodes(data="kind"):
        kinds[kind] += 1
    return {"groups": kinds[GROUP], "sources": kinds[SOURCES], "destinations": kinds[DESTINATIONS],
            "edges": graph.graph.number_of_edges(), "group pairs": graph.pair_count()}
