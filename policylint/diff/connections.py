"""Which pairs of endpoints gained or lost ports between two versions.

Workloads are matched by endpoint id. External ranges cannot be: each version cuts the address
space at the edges of its own ipBlocks, so "0.0.0.0/0 except 10.0.0.0/8" and "0.0.0.0/0" have
different ranges. Both versions are therefore compared on the common refinement of their
partitions (every edge of either side), where each piece lies inside exactly one range of each
version; then, per workload and direction, adjacent pieces with the same change are merged back
into the largest range over which the change is uniform. The diff thus reports "gained
10.0.0.0/8", not the pieces either side happened to cut.

An address that is a known pod IP (`status.podIP`) in one version is that pod there, not the
outside world: it is compared as the pod (a workload pair, or a workload added or removed), and
left out of the external comparison.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Iterable, Iterator

from policylint.diff.scope import Touched
from policylint.engine.endpoints import Endpoint
from policylint.engine.ipset import family_max
from policylint.engine.ports import EMPTY_PORTS, PortSet

OUT, IN = "out", "in"  # workload -> external range, external range -> workload


@dataclass(slots=True)
class SideMatrix:
    """One version's allowed connections, keyed so that the other version can be looked up."""

    pods: dict[tuple[str, str], PortSet] = field(default_factory=dict)
    external: dict[str, dict[str, dict[int, PortSet]]] = field(
        default_factory=lambda: {OUT: {}, IN: {}})  # direction -> workload id -> range position -> ports
    ranges: list[Endpoint] = field(default_factory=list)  # external endpoints, in address order
    workloads: dict[str, Endpoint] = field(default_factory=dict)


# A matrix row costs about as much as this many single pairs (an `allowed_ports` each): the
# rows towards a few touched destinations are asked pair by pair when that is cheaper.
ROW_IN_PAIRS = 50


def side_matrix(engine: Any, only: Touched | None = None, pairwise: bool | None = None) -> SideMatrix:
    """The version's connections; with `only`, just the pairs from a touched source or to a
    touched destination (see scope.py for why the others cannot have changed). `pairwise`: ask
    the pairs towards the touched destinations one by one (True) or as matrix rows (False); by
    default whichever costs less (both give the same pairs: tests compare them)."""
    m = SideMatrix()
    m.ranges = sorted((e for e in engine.endpoints if e.is_external), key=lambda e: (e.range.version, e.range.first))
    m.workloads = {e.id: e for e in engine.endpoints if not e.is_external}
    position = {e.index: i for i, e in enumerate(m.ranges)}
    out, into = m.external[OUT], m.external[IN]
    if only is None:
        pairs: Iterable[tuple[Endpoint, Endpoint, PortSet]] = engine.matrix()
    else:
        rows = [e for e in m.workloads.values() if e.id in only.sources]
        columns = [e for e in m.workloads.values() if e.id in only.destinations]
        others = [e for e in engine.endpoints if e.is_external or e.id not in only.sources]
        pairs = chain(engine.matrix(sources=rows) if rows else (),
                      _towards(engine, others, columns, pairwise) if columns else ())
    for src, dst, ports in pairs:
        if src.is_external:
            into.setdefault(dst.id, {})[position[src.index]] = ports
        elif dst.is_external:
            out.setdefault(src.id, {})[position[dst.index]] = ports
        else:
            m.pods[(src.id, dst.id)] = ports
    return m


def _towards(engine: Any, sources: list[Endpoint], destinations: list[Endpoint],
             pairwise: bool | None) -> Iterable[tuple[Endpoint, Endpoint, PortSet]]:
    """Every pair with something allowed from `sources` to `destinations`.

    The matrix computes a source's whole row (shared by the sources of one row key) and keeps
    the destinations asked for: a change to the cluster DNS policy touches two destinations,
    and every pod of the cluster is a source with a row of its own (about 0.5 ms each), where
    asking each pair costs a few µs. `allowed_ports` is the engine's answer for one pair, the
    same as its matrix's (both equal to the reference evaluator under the engine's tests)."""
    # Sources with equal side keys have equal rows (`Engine.side_keys` is finer than its row key,
    # and costs a few look-ups where a row key may first work out which peer sets a row can meet).
    keys = [engine.side_keys(s) for s in sources]
    if pairwise is None:
        rows = len(set(keys))  # at least the distinct rows: the guess leans towards pairs
        pairwise = len(sources) * len(destinations) <= ROW_IN_PAIRS * rows
    if not pairwise:
        return engine.matrix(sources=sources, destinations=destinations)
    return _pairs(engine, sources, keys, destinations)


def _pairs(engine: Any, sources: list[Endpoint], keys: list[tuple], destinations: list[Endpoint]
           ) -> Iterator[tuple[Endpoint, Endpoint, PortSet]]:
    """`allowed_ports` of every pair, asked once per (side keys, destination): sources with equal
    keys have equal rows, so the same ports towards each destination. The sources of a cluster
    export share far fewer keys than there are sources (a ninth at 50,000 pods), and one pair's
    answer costs a few shifts over every atom."""
    known: dict[tuple[tuple, int], PortSet] = {}
    for src, key in zip(sources, keys):
        for dst in destinations:
            at = (key, dst.index)
            ports = known.get(at)
            if ports is None:
                ports = known[at] = engine.allowed_ports(src, dst)
            if not ports.is_empty:
                yield src, dst, ports


@dataclass(frozen=True, slots=True)
class Piece:
    """A piece of the common refinement: inside range `old` of the old version and `new` of the
    new one (positions in `SideMatrix.ranges`)."""

    version: int
    first: int
    last: int
    old: int
    new: int


def refinement(old: list[Endpoint], new: list[Endpoint]) -> list[Piece]:
    pieces: list[Piece] = []
    for version in (4, 6):
        olds = [(e.range.first, e.range.last, i) for i, e in enumerate(old) if e.range.version == version]
        news = [(e.range.first, e.range.last, i) for i, e in enumerate(new) if e.range.version == version]
        points = sorted({p for first, last, _ in olds + news for p in (first, last + 1)})
        top = family_max(version)
        oi = ni = 0
        for a, b in zip(points, points[1:]):
            last = min(b - 1, top)
            while oi < len(olds) and olds[oi][1] < a:
                oi += 1
            while ni < len(news) and news[ni][1] < a:
                ni += 1
            o = olds[oi][2] if oi < len(olds) and olds[oi][0] <= a else None
            n = news[ni][2] if ni < len(news) and news[ni][0] <= a else None
            if o is not None and n is not None:
                pieces.append(Piece(version, a, last, o, n))
    return pieces


@dataclass(slots=True)
class RangeChange:
    """A workload's change towards (OUT) or from (IN) one merged external range."""

    workload: str
    direction: str
    version: int
    first: int
    last: int
    old: PortSet
    new: PortSet
    positions: list[tuple[int, int]]  # (old, new) ranges the merged range spans


def pod_changes(old: SideMatrix, new: SideMatrix) -> Iterator[tuple[str, str, PortSet, PortSet]]:
    """(source id, destination id, old ports, new ports) for every workload pair that changed."""
    for key in sorted(old.pods.keys() | new.pods.keys()):
        before = old.pods.get(key, EMPTY_PORTS)
        after = new.pods.get(key, EMPTY_PORTS)
        if before != after:
            yield key[0], key[1], before, after


def external_changes(old: SideMatrix, new: SideMatrix, pieces: list[Piece],
                     only: Touched | None = None) -> Iterator[RangeChange]:
    same_cut = [(e.range.version, e.range.first, e.range.last) for e in old.ranges] == \
               [(e.range.version, e.range.first, e.range.last) for e in new.ranges]
    workloads = old.workloads.keys() | new.workloads.keys()
    for workload in sorted(workloads if only is None else workloads & only.either):
        for direction in (OUT, IN):
            if only is not None and workload not in (only.sources if direction == OUT else only.destinations):
                continue  # that side of it is the same in both versions
            before = old.external[direction].get(workload, {})
            after = new.external[direction].get(workload, {})
            if same_cut and before == after:
                continue  # the common case: nothing to walk
            yield from _walk(workload, direction, before, after, pieces)


def _walk(workload: str, direction: str, before: dict[int, PortSet], after: dict[int, PortSet],
          pieces: list[Piece]) -> Iterator[RangeChange]:
    run: RangeChange | None = None
    for piece in pieces:
        was = before.get(piece.old, EMPTY_PORTS)
        now = after.get(piece.new, EMPTY_PORTS)
        if was == now:
            if run is not None:
                yield run
                run = None
            continue
        if run is not None and run.version == piece.version and run.last + 1 == piece.first \
                and run.old == was and run.new == now:
            run.last = piece.last
            if (piece.old, piece.new) not in run.positions:
                run.positions.append((piece.old, piece.new))
            continue
        if run is not None:
            yield run
        run = RangeChange(workload, direction, piece.version, piece.first, piece.last, was, now,
                          [(piece.old, piece.new)])
    if run is not None:
        yield run
