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
    # A change to a policy every pod goes through lists 300,000 pairs that share a handful of
    # explanations and endpoints: each distinct object is hashed by value once (`_Canon`), and
    # the pairs are grouped by the numbers of their values, which equal objects share.
    reasons, ends = _Canon(), _Canon()
    buckets: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    first: dict[tuple, ConnectionChange] = {}
    for c in changes:
        key = (c.namespace, c.change, c.old, c.new, reasons.number(c.because))
        members = buckets[key]
        if not members:
            first[key] = c
        members.append((ends.number(c.src), ends.number(c.dst)))
    lines: list[Line] = []
    for key, members in buckets.items():
        namespace, change, old, new, _ = key
        for sources, destinations in _blocks(members, ends.values):
            lines.append(Line(namespace, change, sources, destinations, old, new, first[key].because))
    lines.sort(key=Line.sort_key)
    return lines


class _Canon:
    """A number per distinct value, looked up by the object's identity first."""

    def __init__(self) -> None:
        self._by_id: dict[int, int] = {}
        self._by_value: dict[object, int] = {}
        self.values: list = []  # number -> the first object with that value

    def number(self, item: object) -> int:
        found = self._by_id.get(id(item))  # the objects live as long as the changes: ids stay unique
        if found is None:
            found = self._by_value.get(item)
            if found is None:
                found = self._by_value[item] = len(self.values)
                self.values.append(item)
            self._by_id[id(item)] = found
        return found


def _blocks(members: list[tuple[int, int]], refs: list[EndpointRef]
            ) -> list[tuple[tuple[EndpointRef, ...], tuple[EndpointRef, ...]]]:
    by_source = _fold(members, refs, 0)
    by_destination = [(s, d) for d, s in _fold(members, refs, 1)]
    return by_source if len(by_source) <= len(by_destination) else by_destination


def _fold(members: list[tuple[int, int]], refs: list[EndpointRef], by: int
          ) -> list[tuple[tuple[EndpointRef, ...], tuple[EndpointRef, ...]]]:
    """Group the first ends (sources when `by` is 0, else destinations) that share exactly the
    same set of second ends."""
    seconds: dict[int, set[int]] = defaultdict(set)
    for pair in members:
        seconds[pair[by]].add(pair[1 - by])
    firsts: dict[frozenset[int], list[int]] = defaultdict(list)
    for one, others in seconds.items():
        firsts[frozenset(others)].append(one)
    key = EndpointRef.sort_key
    return [
        (tuple(sorted((refs[i] for i in group), key=key)), tuple(sorted((refs[i] for i in others), key=key)))
        for others, group in firsts.items()
    ]
