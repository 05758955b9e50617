"""The engine's connectivity as a directed networkx graph over groups of endpoints.

A node is a *group*: endpoints (workloads, job replica types, external ranges) with the same
allowed ports towards every endpoint and from every endpoint. Members of a group are
interchangeable for every path question: an edge g -> h means that every member of g may
connect to every member of h on the edge's ports, and a self-loop g -> g that every member may
connect to every other. Grouping is exact, not an approximation, and it keeps the graph small
where the matrix is not: the 2,400 endpoints of a 10,000-pod benchmark cluster have 650,000
allowed pairs but form about 800 groups.

The rows come from `Engine.matrix_cells` (the engine's public answer, so every policy kind the
engine evaluates is in the graph), which computes a row once for the sources that share it.
Columns are read off the distinct rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policylint.engine.bits import positions

if TYPE_CHECKING:
    import networkx as nx

    from policylint.engine.connectivity import Engine
    from policylint.engine.endpoints import Endpoint
    from policylint.engine.ports import PortSet


@dataclass(frozen=True, slots=True)
class Node:
    """A group of interchangeable endpoints, in endpoint order."""

    index: int
    endpoints: tuple[Endpoint, ...]
    external: bool  # address ranges (never mixed with workloads in one group)

    @property
    def id(self) -> str:
        return self.endpoints[0].id


class ConnectivityGraph:
    """The graph and the way back from endpoints to nodes.

    `graph` is a `networkx.DiGraph` on node indexes; each edge has `ports` (a PortSet)."""

    def __init__(self, engine: Engine, graph: nx.DiGraph, nodes: list[Node], node_of: list[int]) -> None:
        self.engine = engine
        self.graph = graph
        self.nodes = nodes
        self._node_of = node_of  # endpoint index -> node index

    def node_of(self, endpoint: Endpoint) -> Node:
        return self.nodes[self._node_of[endpoint.index]]

    def ports(self, src: Node, dst: Node) -> PortSet | None:
        data = self.graph.get_edge_data(src.index, dst.index)
        return None if data is None else data["ports"]

    def successors(self, node: Node) -> list[tuple[Node, PortSet]]:
        """Out-edges in node order (deterministic paths)."""
        adjacency = self.graph.succ[node.index]
        return [(self.nodes[i], adjacency[i]["ports"]) for i in sorted(adjacency)]

    def predecessors(self, node: Node) -> list[tuple[Node, PortSet]]:
        adjacency = self.graph.pred[node.index]
        return [(self.nodes[i], adjacency[i]["ports"]) for i in sorted(adjacency)]

    @property
    def edge_count(self) -> int:
        return self.graph.number_of_edges()


def build_graph(engine: Engine) -> ConnectivityGraph:
    import networkx as nx

    atom_endpoints = engine.atom_endpoints()
    representatives = [members[0] for members in atom_endpoints if members]
    # Distinct rows, by content: the engine's port sets are interned, so identity stands for the
    # ports; equal rows usually come as the very same list and are compared once per source.
    rows: list[list[tuple[Any, int]]] = []
    row_index: dict[tuple, int] = {}
    row_of_atom = [0] * len(atom_endpoints)
    for src, cells in engine.matrix_cells(sources=representatives):
        key = tuple((id(ports), bits) for ports, bits in cells)
        index = row_index.get(key)
        if index is None:
            index = row_index[key] = len(rows)
            rows.append(cells)
        row_of_atom[src.atom] = index
    # Column of each atom: which rows reach it, on which ports (ports are interned by the engine).
    columns: list[list[tuple[int, int]]] = [[] for _ in atom_endpoints]
    for index, cells in enumerate(rows):
        for ports, bits in cells:
            entry = (index, id(ports))
            for atom in positions(bits):
                columns[atom].append(entry)
    keys: dict[tuple, int] = {}
    atom_group: list[int] = [0] * len(atom_endpoints)
    members: list[list[Endpoint]] = []
    # Atoms in order of their first endpoint, so that node numbers follow endpoint order.
    for atom in sorted(range(len(atom_endpoints)), key=lambda a: atom_endpoints[a][0].index):
        first = atom_endpoints[atom][0]
        key = (first.is_external, row_of_atom[atom], tuple(columns[atom]))
        group = keys.get(key)
        if group is None:
            group = keys[key] = len(members)
            members.append([])
        atom_group[atom] = group
        members[group].extend(atom_endpoints[atom])
    nodes = [Node(i, tuple(sorted(m)), m[0].is_external) for i, m in enumerate(members)]
    node_of = [0] * len(engine.endpoints)
    for node in nodes:
        for e in node.endpoints:
            node_of[e.index] = node.index
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(nodes)))
    # One list of (target group, ports) per distinct row, shared by the groups with that row.
    targets: dict[int, list[tuple[int, Any]]] = {}
    for node in nodes:
        row = row_of_atom[node.endpoints[0].atom]
        found = targets.get(row)
        if found is None:
            seen: dict[int, Any] = {}
            for ports, bits in rows[row]:
                for atom in positions(bits):
                    seen.setdefault(atom_group[atom], ports)
            found = targets[row] = sorted(seen.items())
        graph.add_edges_from((node.index, group, {"ports": ports}) for group, ports in found)
    return ConnectivityGraph(engine, graph, nodes, node_of)


EXTRAS_KEY = "graph"


def shared_graph(extras: dict[str, Any], engine: Engine) -> ConnectivityGraph:
    """The graph of `engine`, built once per analysis and shared by the rules that ask for it."""
    cached = extras.get(EXTRAS_KEY)
    if isinstance(cached, ConnectivityGraph) and cached.engine is engine:
        return cached
    graph = extras[EXTRAS_KEY] = build_graph(engine)
    return graph
