"""The engine's connectivity as a directed networkx graph over groups of endpoints.

A node is a *group*: endpoints (workloads, job replica types, external ranges) with the same
allowed ports towards every endpoint and from every endpoint. Members of a group are
interchangeable for every path question: an edge g -> h means that every member of g may
connect to every member of h on the edge's ports, and a self-loop g -> g that every member may
connect to every other. Grouping is exact, not an approximation, and it keeps the graph smaller
than the matrix: the 2,400 endpoints of a 10,000-pod benchmark cluster have 650,000 allowed pairs
but form about 800 groups with 124,000 edges. Dense connectivity still makes the edges grow with
the square of the groups, so the commands and rules search the distinct rows instead
(`rows.py`); this graph is for tools that want a networkx graph of the whole cluster.

Groups are read off the distinct rows (`rows.py`) and their columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policylint.engine.bits import positions
from policylint.graph.rows import Rows

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

    @property
    def edge_count(self) -> int:
        return self.graph.number_of_edges()


def build_graph(engine: Engine, rows: Rows | None = None) -> ConnectivityGraph:
    import networkx as nx

    rows = rows if rows is not None else Rows(engine)
    rows.complete()
    atom_endpoints = rows.atom_endpoints
    columns = rows.columns()
    keys: dict[tuple, int] = {}
    atom_group: list[int] = [0] * len(atom_endpoints)
    members: list[list[Endpoint]] = []
    # Atoms in order of their first endpoint, so that node numbers follow endpoint order. Ports
    # are interned by the engine: identity stands for them in the keys.
    for atom in sorted(range(len(atom_endpoints)), key=lambda a: atom_endpoints[a][0].index):
        first = atom_endpoints[atom][0]
        column = tuple((row, id(ports)) for row, ports in columns[atom])
        key = (first.is_external, rows.row_of(atom), column)
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
    targets: dict[int, list[tuple[int, Any]]] = {}  # row -> [(target group, ports)], shared by its groups
    for node in nodes:
        row = rows.row_of(node.endpoints[0].atom)
        found = targets.get(row)
        if found is None:
            seen: dict[int, Any] = {}
            for ports, bits in rows.rows[row]:
                for atom in positions(bits):
                    seen.setdefault(atom_group[atom], ports)
            found = targets[row] = sorted(seen.items())
        graph.add_edges_from((node.index, group, {"ports": ports}) for group, ports in found)
    return ConnectivityGraph(engine, graph, nodes, node_of)
