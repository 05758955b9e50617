"""Shortest multi-hop paths and blast radius on the connectivity graph.

A *path* is a chain of allowed connections: start -> workload -> … -> end. Each step is a *hop*
that the policies allow on at least one port (or on one of the ports asked for). Only workloads
are stepped through: an external address range may start or end a path, never sit in its middle
(the policies say nothing about what an address outside the cluster forwards).

Searches are breadth-first over the graph's groups (`build.py`): members of a group are
interchangeable, so a path through a group may use any member; the first member by endpoint
order stands for it. Neighbours are visited in node order, so the path chosen among equally short
ones is always the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from policylint.engine.ports import PortSet

if TYPE_CHECKING:
    from policylint.engine.endpoints import Endpoint
    from policylint.graph.build import ConnectivityGraph, Node

FORWARD, BACKWARD = "forward", "backward"

# Ports where a workload commonly offers a shell or runs code for whoever connects: what an
# attacker moving laterally looks for first (`--port lateral`).
LATERAL_PORTS: tuple[tuple[str, int, str], ...] = (
    ("TCP", 22, "ssh (MPI and DeepSpeed launchers)"),
    ("TCP", 2375, "Docker API"),
    ("TCP", 2376, "Docker API over TLS"),
    ("TCP", 3389, "RDP"),
    ("TCP", 5985, "WinRM"),
    ("TCP", 5986, "WinRM over TLS"),
    ("TCP", 6379, "Redis, Ray GCS"),
    ("TCP", 8265, "Ray dashboard and job submission"),
    ("TCP", 8888, "Jupyter"),
    ("TCP", 10001, "Ray client"),
    ("TCP", 23456, "PyTorchJob rendezvous"),
    ("TCP", 29400, "torch elastic c10d rendezvous"),
    ("TCP", 29500, "torchrun rendezvous"),
)
PRESETS = {"lateral": LATERAL_PORTS}


def preset_ports(name: str) -> PortSet:
    by_protocol: dict[str, list[tuple[int, int]]] = {}
    for protocol, port, _ in PRESETS[name]:
        by_protocol.setdefault(protocol, []).append((port, port))
    return PortSet.of(by_protocol)


@dataclass(frozen=True, slots=True)
class Hop:
    src: Endpoint
    dst: Endpoint
    ports: PortSet  # what the policies allow for the pair (within the ports asked for, if any)


@dataclass(frozen=True, slots=True)
class Path:
    hops: tuple[Hop, ...]

    @property
    def start(self) -> Endpoint:
        return self.hops[0].src

    @property
    def end(self) -> Endpoint:
        return self.hops[-1].dst

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return (self.start,) + tuple(h.dst for h in self.hops)

    def __len__(self) -> int:
        return len(self.hops)


@dataclass(frozen=True, slots=True)
class Reached:
    """An endpoint found by a search, with one shortest path (from a start, or to a target)."""

    endpoint: Endpoint
    path: Path


class Search:
    """Breadth-first search from a set of endpoints, forward (where can they go) or backward
    (who can come to them), within `max_hops` (None: no limit), on edges that allow at least one
    of `ports` (None: any port)."""

    def __init__(self, graph: ConnectivityGraph, starts: Iterable[Endpoint], direction: str = FORWARD,
                 max_hops: int | None = None, ports: PortSet | None = None) -> None:
        self.graph = graph
        self.starts = sorted(set(starts))
        self.direction = direction
        self.max_hops = max_hops
        self.ports = ports
        self._start_set = {e.index for e in self.starts}
        start_nodes = sorted({graph.node_of(e).index for e in self.starts})
        self.distance: dict[int, int] = {n: 0 for n in start_nodes}
        self.parent: dict[int, int] = {}
        self._run(start_nodes)

    def _neighbours(self, node: Node) -> list[tuple[Node, PortSet]]:
        found = self.graph.successors(node) if self.direction == FORWARD else self.graph.predecessors(node)
        if self.ports is None:
            return found
        return [(n, p & self.ports) for n, p in found if not (p & self.ports).is_empty]

    def _expands(self, node: Node) -> bool:
        """A start is left from whatever it is; anything else only when it is a workload."""
        return self.distance.get(node.index) == 0 or not node.external

    def _run(self, frontier: list[int]) -> None:
        nodes = self.graph.nodes
        depth = 0
        while frontier and (self.max_hops is None or depth < self.max_hops):
            depth += 1
            following: list[int] = []
            for index in frontier:
                node = nodes[index]
                if not self._expands(node):
                    continue
                for other, _ in self._neighbours(node):
                    if other.index not in self.distance:
                        self.distance[other.index] = depth
                        self.parent[other.index] = index
                        following.append(other.index)
            frontier = following

    # -- answers --------------------------------------------------------------------------------

    def reached(self) -> list[Reached]:
        """Every endpoint other than the starts that a path within the limit reaches, with one
        shortest path each, in endpoint order."""
        found: list[Reached] = []
        for node_index in sorted(self.distance):
            for endpoint in self.graph.nodes[node_index].endpoints:
                if endpoint.index in self._start_set:
                    continue
                path = self.path_to(endpoint)
                if path is not None:
                    found.append(Reached(endpoint, path))
        found.sort(key=lambda r: r.endpoint.index)
        return found

    def path_to(self, endpoint: Endpoint) -> Path | None:
        """A shortest path between the starts and `endpoint` (from them when forward, to them when
        backward), or None when none is within the limit (or `endpoint` is a start)."""
        if endpoint.index in self._start_set:
            return None
        node = self.graph.node_of(endpoint)
        chain = self._chain(node)
        if chain is None:
            return None
        return self._path(chain, endpoint)

    def _chain(self, node: Node) -> list[int] | None:
        """Node indexes from a start node to `node` (in search order)."""
        distance = self.distance.get(node.index)
        if distance is None:
            return None
        if distance == 0:
            # `node` holds a start, but the endpoint asked for is another member: it is reached
            # over an edge into its group like any other (a self-loop when a sibling starts).
            best: tuple[int, int] | None = None
            for other, _ in self._in_neighbours(node):
                d = self.distance.get(other.index)
                if d is not None and self._expands(other) and (best is None or (d, other.index) < best):
                    best = (d, other.index)
            if best is None or (self.max_hops is not None and best[0] + 1 > self.max_hops):
                return None
            chain = self._chain(self.graph.nodes[best[1]]) if best[0] > 0 else [best[1]]
            return None if chain is None else chain + [node.index]
        chain = [node.index]
        while chain[-1] in self.parent:
            chain.append(self.parent[chain[-1]])
        return list(reversed(chain))

    def _in_neighbours(self, node: Node) -> list[tuple[Node, PortSet]]:
        """Neighbours that lead into `node` in search order."""
        found = self.graph.predecessors(node) if self.direction == FORWARD else self.graph.successors(node)
        if self.ports is None:
            return found
        return [(n, p) for n, p in found if not (p & self.ports).is_empty]

    def _path(self, chain: list[int], endpoint: Endpoint) -> Path:
        nodes = self.graph.nodes
        first = nodes[chain[0]]
        start = next(e for e in first.endpoints if e.index in self._start_set)
        avoid = {start.index, endpoint.index}
        members = [start] + [_stand_in(nodes[i], avoid) for i in chain[1:-1]] + [endpoint]
        if self.direction == BACKWARD:
            members.reverse()
        hops = []
        for a, b in zip(members, members[1:]):
            ports = self.graph.ports(self.graph.node_of(a), self.graph.node_of(b))
            assert ports is not None
            hops.append(Hop(a, b, ports if self.ports is None else ports & self.ports))
        return Path(tuple(hops))


def _stand_in(node: Node, avoid: set[int]) -> Endpoint:
    """The member that stands for a group in the middle of a path: the first one that is not an
    end of the path (any member would do)."""
    return next((e for e in node.endpoints if e.index not in avoid), node.endpoints[0])


def shortest_paths(graph: ConnectivityGraph, sources: Iterable[Endpoint], targets: Iterable[Endpoint],
                   max_hops: int | None = None, ports: PortSet | None = None) -> list[Path]:
    """For each target (in endpoint order), one shortest path from any source within the limit."""
    search = Search(graph, sources, FORWARD, max_hops, ports)
    found = []
    for target in sorted(set(targets)):
        path = search.path_to(target)
        if path is not None:
            found.append(path)
    return found

