"""Fold pairs into lines a reviewer can read: "4 sources → 3 destinations (12 pairs)".

Pairs are folded only when they share everything a line says about them — namespace, kind of
change, old and new ports, and the reasons — so a line never claims something for a pair that
is not true of it. Within such a set, sources with the same destinations form one line (or
destinations with the same sources, whichever gives fewer lines): a complete bipartite block,
so the line stands for exactly |sources| × |destinations| pairs.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from policylint.diff.model import CHANGE_KINDS, Because, ConnectionChange, EndpointRef
from policylint.engine.ports import PortSet


@dataclass(frozen=True, slots=True)
class Line:
    namespace: str
    change: str
    sources: tuple[EndpointRef, ...]
    destinations: tuple[EndpointRef, ...]
    old: PortSet
    new: PortSet
    because: Because

    @property
    def pairs(self) -> int:
        return len(self.sources) * len(self.destinations)

    @property
    def gained(self) -> PortSet:
        return self.new - self.old

    @property
    def lost(self) -> PortSet:
        return self.old - self.new

    def sort_key(self) -> tuple:
        return (self.namespace, CHANGE_KINDS.index(self.change), self.sources[0].sort_key(),
                self.destinations[0].sort_key())


def group(changes: tuple[ConnectionChange, ...] | list[ConnectionChange]) -> list[Line]:
    buckets: dict[tuple, list[ConnectionChange]] = defaultdict(list)
    for c in changes:
        buckets[(c.namespace, c.change, c.old, c.new, c.because)].append(c)
    lines: list[Line] = []
    for (namespace, change, old, new, because), members in buckets.items():
        for sources, destinations in _blocks(members):
            lines.append(Line(namespace, change, sources, destinations, old, new, because))
    lines.sort(key=Line.sort_key)
    return lines


def _blocks(members: list[ConnectionChange]) -> list[tuple[tuple[EndpointRef, ...], tuple[EndpointRef, ...]]]:
    by_source = _fold(members, lambda c: (c.src, c.dst))
    by_destination = [(s, d) for d, s in _fold(members, lambda c: (c.dst, c.src))]
    return by_source if len(by_source) <= len(by_destination) else by_destination


def _fold(members: list[ConnectionChange], ends) -> list[tuple[tuple[EndpointRef, ...], tuple[EndpointRef, ...]]]:
    """Group the first ends that share exactly the same set of second ends."""
    seconds: dict[EndpointRef, set[EndpointRef]] = defaultdict(set)
    for c in members:
        first, second = ends(c)
        seconds[first].add(second)
    firsts: dict[frozenset[EndpointRef], list[EndpointRef]] = defaultdict(list)
    for first, others in seconds.items():
        firsts[frozenset(others)].append(first)
    return [
        (tuple(sorted(group, key=EndpointRef.sort_key)), tuple(sorted(others, key=EndpointRef.sort_key)))
        for others, group in firsts.items()
    ]
