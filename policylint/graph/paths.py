"""Shortest multi-hop paths and blast radius.

A *path* is a chain of allowed connections: start -> workload -> … -> end. Each step is a *hop*
that the policies allow on at least one port (or on one of the ports asked for). Only workloads
are stepped through: an external address range may start or end a path, never sit in its middle
(the policies say nothing about what an address outside the cluster forwards).

Searches are breadth-first over atoms (`rows.py`): an atom's endpoints are interchangeable, so a
path through an atom may use any of them; the first by endpoint order stands for it. Atoms are
visited in order and each distinct row is expanded once, at its first (shortest) depth, so the
path chosen among equally short ones is always the same.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from policylint.engine.bits import positions
from policylint.engine.ports import PortSet

if TYPE_CHECKING:
    from policylint.engine.endpoints import Endpoint
    from policylint.graph.rows import Cells, Rows

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
    (who can come to them), within `max_hops` (None: no limit), on connections that allow at
    least one of `ports` (None: any port)."""

    def __init__(self, rows: Rows, starts: Iterable[Endpoint], direction: str = FORWARD,
                 max_hops: int | None = None, ports: PortSet | None = None) -> None:
        self.rows = rows
        self.starts = sorted(set(starts))
        self.direction = direction
        self.max_hops = max_hops
        self.ports = ports
        self._start_set = {e.index for e in self.starts}
        self.distance: dict[int, int] = {e.atom: 0 for e in self.starts}  # atom -> hops
        self.parent: dict[int, int] = {}  # atom -> the atom it was reached from
        self._usable: dict[int, Cells] = {}
        # Forward: (row, depth, atom) in the order rows were expanded, for a start's siblings.
        self._expanded: list[tuple[int, int, int]] = []
        self.seen = 0
        for atom in self.distance:
            self.seen |= 1 << atom
        if direction == FORWARD:
            self._forward()
        else:
            self._backward()

    def _cells(self, row: int) -> Cells:
        """A row's cells that allow one of the ports asked for, with the ports cut to those."""
        found = self._usable.get(row)
        if found is None:
            cells = self.rows.rows[row]
            if self.ports is not None:
                cells = [(p & self.ports, b) for p, b in cells if not (p & self.ports).is_empty]
            found = self._usable[row] = cells
        return found

    def _expands(self, atom: int) -> bool:
        """A start is left from whatever it is; anything else only when it is a workload."""
        return self.distance.get(atom) == 0 or not (self.rows.external >> atom) & 1

    def _forward(self) -> None:
        row_of = self.rows.row_of
        done: set[int] = set()
        frontier = sorted(self.distance)
        depth = 0
        while frontier and (self.max_hops is None or depth < self.max_hops):
            depth += 1
            following: list[int] = []
            self.rows.prefetch(a for a in frontier if self._expands(a))
            for atom in frontier:
                if not self._expands(atom):
                    continue
                row = row_of(atom)
                if row in done:
                    continue
                done.add(row)
                self._expanded.append((row, depth - 1, atom))
                for _, bits in self._cells(row):
                    new = bits & ~self.seen
                    if new:
                        self.seen |= new
                        for found in positions(new):
                            self.distance[found] = depth
                            self.parent[found] = atom
                            following.append(found)
            frontier = sorted(following)

    def _backward(self) -> None:
        columns = self.rows.columns()
        row_atoms = self.rows.row_atoms
        frontier = sorted(self.distance)
        depth = 0
        while frontier and (self.max_hops is None or depth < self.max_hops):
            depth += 1
            following: list[int] = []
            for atom in frontier:
                if not self._expands(atom):
                    continue
                for row, ports in columns[atom]:
                    if self.ports is not None and (ports & self.ports).is_empty:
                        continue
                    new = row_atoms[row] & ~self.seen
                    if new:
                        self.seen |= new
                        for found in positions(new):
                            self.distance[found] = depth
                            self.parent[found] = atom
                            following.append(found)
            frontier = sorted(following)

    # -- answers --------------------------------------------------------------------------------

    def reached(self) -> list[Reached]:
        """Every endpoint other than the starts that a path within the limit reaches, with one
        shortest path each, in endpoint order."""
        found: list[Reached] = []
        for atom in self.distance:
            for endpoint in self.rows.atom_endpoints[atom]:
                path = self.path_to(endpoint)
                if path is not None:
                    found.append(Reached(endpoint, path))
        found.sort(key=lambda r: r.endpoint.index)
        return found

    def path_to(self, endpoint: Endpoint, *, from_others: bool = False) -> Path | None:
        """A shortest path between the starts and `endpoint` (from them when forward, to them when
        backward), or None when none is within the limit (or `endpoint` is a start). With
        `from_others`, a start that shares its atom with another start is answered as well: from
        the other starts (its atom's other starts may stand in for it)."""
        if endpoint.index in self._start_set and not (from_others and self._has_sibling_start(endpoint)):
            return None
        atom = endpoint.atom
        distance = self.distance.get(atom)
        if distance is None:
            return None
        if distance == 0:
            chain = self._sibling_chain(atom)
            if chain is None:
                return None
        else:
            chain = [atom]
            while chain[-1] in self.parent:
                chain.append(self.parent[chain[-1]])
            chain.reverse()
        return self._path(chain, endpoint)

    def _has_sibling_start(self, endpoint: Endpoint) -> bool:
        """Whether another start shares the endpoint's atom."""
        return any(e.index in self._start_set and e.index != endpoint.index
                   for e in self.rows.atom_endpoints[endpoint.atom])

    def _sibling_chain(self, atom: int) -> list[int] | None:
        """For an endpoint that shares its atom with a start: it is reached over a connection into
        the atom like any other (from the start itself when the atom may reach itself)."""
        best: tuple[int, int] | None = None  # (depth of the atom it is reached from, that atom)
        if self.direction == FORWARD:
            for row, depth, source in self._expanded:
                if any((bits >> atom) & 1 for _, bits in self._cells(row)):
                    best = (depth, source)
                    break
        else:
            for _, bits in self._cells(self.rows.row_of(atom)):
                for other in positions(bits & self.seen):
                    d = self.distance[other]
                    if self._expands(other) and (best is None or (d, other) < best):
                        best = (d, other)
        if best is None or (self.max_hops is not None and best[0] + 1 > self.max_hops):
            return None
        chain = [best[1]]
        while chain[-1] in self.parent:
            chain.append(self.parent[chain[-1]])
        chain.reverse()
        return chain + [atom]

    def _path(self, chain: list[int], endpoint: Endpoint) -> Path:
        members_of = self.rows.atom_endpoints
        start = next(e for e in members_of[chain[0]] if e.index in self._start_set and e is not endpoint)
        avoid = {start.index, endpoint.index}
        members = [start] + [_stand_in(members_of[a], avoid) for a in chain[1:-1]] + [endpoint]
        if self.direction == BACKWARD:
            members.reverse()
        hops = []
        for a, b in zip(members, members[1:]):
            ports = self.rows.ports(a.atom, b.atom)
            assert ports is not None
            hops.append(Hop(a, b, ports if self.ports is None else ports & self.ports))
        return Path(tuple(hops))


def _stand_in(members: list[Endpoint], avoid: set[int]) -> Endpoint:
    """The endpoint that stands for an atom in the middle of a path: the first one that is not an
    end of the path (any would do)."""
    return next((e for e in members if e.index not in avoid), members[0])


def shortest_paths(rows: Rows, sources: Iterable[Endpoint], targets: Iterable[Endpoint],
                   max_hops: int | None = None, ports: PortSet | None = None) -> list[Path]:
    """For each target (in endpoint order), one shortest path within the limit from any source
    other than itself: `--from training --to training` asks how the replicas reach each other."""
    sources = sorted(set(sources))
    search = Search(rows, sources, FORWARD, max_hops, ports)
    others = _OtherStarts(rows, sources, max_hops, ports)
    found = []
    for target in sorted(set(targets)):
        path = search.path_to(target, from_others=True)
        if path is None and target in others:
            path = others.path_to(target)
        if path is not None:
            found.append(path)
    return found


class _OtherStarts:
    """Shortest paths to a start from the other starts, for a start alone in its atom (one that
    shares its atom is answered by the search from every start, `Search.path_to`).

    One search per start would cost as many searches as starts. Instead the start atoms are
    numbered and, for each bit of that number, searched from in two halves (bit 0, bit 1): any
    two distinct atoms differ in some bit, so every other start lies in a half that a start's own
    atom is not in, and the shortest of the paths from those halves is the shortest from the
    other starts. 2 x log2(start atoms) searches at most, each made when first needed."""

    def __init__(self, rows: Rows, sources: list[Endpoint], max_hops: int | None, ports: PortSet | None) -> None:
        self.rows, self.sources, self.max_hops, self.ports = rows, sources, max_hops, ports
        self.number = {atom: i for i, atom in enumerate(sorted({e.atom for e in sources}))}
        per_atom = Counter(e.atom for e in sources)
        self.alone = {e.index for e in sources if per_atom[e.atom] == 1}
        self._searches: dict[tuple[int, int], Search] = {}

    def __contains__(self, endpoint: Endpoint) -> bool:
        return endpoint.index in self.alone

    def path_to(self, target: Endpoint) -> Path | None:
        mine = self.number[target.atom]
        best: Path | None = None
        for bit in range(max(len(self.number) - 1, 0).bit_length()):
            side = 1 - (mine >> bit & 1)  # the half target's atom is not in
            path = self._search(bit, side).path_to(target)
            if path is not None and (best is None or len(path) < len(best)):
                best = path
        return best

    def _search(self, bit: int, side: int) -> Search:
        found = self._searches.get((bit, side))
        if found is None:
            half = [e for e in self.sources if (self.number[e.atom] >> bit & 1) == side]
            found = self._searches[(bit, side)] = Search(self.rows, half, FORWARD, self.max_hops, self.ports)
        return found
