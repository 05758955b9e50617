"""Sets of (protocol, port) as sorted inclusive intervals, and the resolution of policy ports.

A policy names ports as single numbers, inclusive ranges (`port`..`endPort`), whole protocols
or container-port names. Intervals keep every one of these cheap: "all TCP ports" is one pair,
not 65,535 members, and union/intersection walk two short sorted lists.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from policylint.model.types import PROTOCOLS, ContainerPort, PolicyPort

MIN_PORT = 1
MAX_PORT = 65535

Intervals = tuple[tuple[int, int], ...]


def _normalise(intervals: Iterable[tuple[int, int]]) -> Intervals:
    """Sort, clip to the port range and merge overlapping or adjacent intervals."""
    if type(intervals) is not list and type(intervals) is not tuple:
        intervals = list(intervals)
    if not intervals:
        return ()
    if len(intervals) == 1:  # the common case: one number or one range
        lo, hi = intervals[0]
        lo, hi = max(lo, MIN_PORT), min(hi, MAX_PORT)
        return ((lo, hi),) if lo <= hi else ()
    merged: list[list[int]] = []
    for lo, hi in sorted((max(lo, MIN_PORT), min(hi, MAX_PORT)) for lo, hi in intervals):
        if lo > hi:
            continue
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def _intersect(a: Intervals, b: Intervals) -> Intervals:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


_WHOLE: Intervals = ((MIN_PORT, MAX_PORT),)


def _either(a: Intervals, b: Intervals) -> Intervals:
    """The union of two normalised interval tuples."""
    if not b or a == b or a == _WHOLE:
        return a
    if not a or b == _WHOLE:
        return b
    return _normalise(a + b)


def _both(a: Intervals, b: Intervals) -> Intervals:
    """The intersection of two normalised interval tuples."""
    if not a or not b:
        return ()
    if a == b or b == _WHOLE:
        return a
    if a == _WHOLE:
        return b
    return _intersect(a, b)


def _minus(a: Intervals, b: Intervals) -> Intervals:
    """The difference of two normalised interval tuples."""
    if not a or not b:
        return a
    if a == b or b == _WHOLE:
        return ()
    return _intersect(a, _complement(b))


def _complement(a: Intervals) -> Intervals:
    out: list[tuple[int, int]] = []
    start = MIN_PORT
    for lo, hi in a:
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= MAX_PORT:
        out.append((start, MAX_PORT))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PortSet:
    """An immutable set of (protocol, port): one normalised interval tuple per protocol."""

    tcp: Intervals = ()
    udp: Intervals = ()
    sctp: Intervals = ()
    _hash: int | None = field(default=None, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        # Kept once computed: port sets key the engine's tables, and hashing nested tuples in
        # Python ran millions of times on a 150,000-pod cluster. The value is the one the
        # dataclass would compute.
        known = self._hash
        if known is None:
            known = hash((self.tcp, self.udp, self.sctp))
            object.__setattr__(self, "_hash", known)
        return known

    @classmethod
    def of(cls, by_protocol: Mapping[str, Iterable[tuple[int, int]]]) -> PortSet:
        return cls(*(_normalise(by_protocol.get(p, ())) for p in PROTOCOLS))

    @classmethod
    def single(cls, protocol: str, lo: int, hi: int | None = None) -> PortSet:
        """`of({protocol: [(lo, hi)]})`, made directly: every port entry of every rule is one."""
        lo, hi = max(lo, MIN_PORT), min(lo if hi is None else hi, MAX_PORT)
        part = ((lo, hi),) if lo <= hi else ()
        return cls(*(part if p == protocol else () for p in PROTOCOLS))

    @classmethod
    def whole_protocol(cls, protocol: str) -> PortSet:
        return cls.of({protocol: [(MIN_PORT, MAX_PORT)]})

    def intervals(self, protocol: str) -> Intervals:
        return (self.tcp, self.udp, self.sctp)[PROTOCOLS.index(protocol)]

    def _parts(self) -> tuple[Intervals, Intervals, Intervals]:
        return (self.tcp, self.udp, self.sctp)

    @property
    def is_empty(self) -> bool:
        return not (self.tcp or self.udp or self.sctp)

    @property
    def is_all(self) -> bool:
        return self == ALL_PORTS

    def contains(self, protocol: str, port: int) -> bool:
        if protocol not in PROTOCOLS:
            return False
        for lo, hi in self.intervals(protocol):
            if lo <= port <= hi:
                return True
            if lo > port:
                return False
        return False

    def union(self, other: PortSet) -> PortSet:
        if other is self or self.is_empty:
            return other
        if other.is_empty:
            return self
        # Per protocol, the parts are already normalised: only two non-empty, different,
        # partial parts need merging.
        return PortSet(_either(self.tcp, other.tcp), _either(self.udp, other.udp), _either(self.sctp, other.sctp))

    def intersection(self, other: PortSet) -> PortSet:
        if self is ALL_PORTS:
            return other
        if other is ALL_PORTS or other is self:
            return self
        return PortSet(_both(self.tcp, other.tcp), _both(self.udp, other.udp), _both(self.sctp, other.sctp))

    def difference(self, other: PortSet) -> PortSet:
        # Diffs subtract hundreds of thousands of port sets, mostly empty, whole or equal ones.
        if other is self:
            return EMPTY_PORTS
        if self.is_empty or other.is_empty:
            return self
        return PortSet(_minus(self.tcp, other.tcp), _minus(self.udp, other.udp), _minus(self.sctp, other.sctp))

    __or__ = union
    __and__ = intersection
    __sub__ = difference

    def to_json(self) -> dict[str, list[list[int]]]:
        return {p: [[lo, hi] for lo, hi in self.intervals(p)] for p in PROTOCOLS}

    def describe(self) -> str:
        """`TCP 80, 443-450; UDP all` — for text output."""
        if self.is_empty:
            return "nothing"
        if self.is_all:
            return "all ports"
        parts = []
        for protocol in PROTOCOLS:
            intervals = self.intervals(protocol)
            if not intervals:
                continue
            if intervals == ((MIN_PORT, MAX_PORT),):
                parts.append(f"{protocol} all")
            else:
                parts.append(protocol + " " + ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in intervals))
        return "; ".join(parts)

    def __str__(self) -> str:
        return self.describe()


EMPTY_PORTS = PortSet()
ALL_PORTS = PortSet(*(((MIN_PORT, MAX_PORT),),) * len(PROTOCOLS))


@dataclass(frozen=True, slots=True)
class PortSpec:
    """What one rule's `ports` allows before the destination is known.

    `static` holds the numeric and whole-protocol entries; `named` the (name, protocol) pairs
    that only a destination pod's container ports can turn into numbers.
    """

    static: PortSet
    named: tuple[tuple[str, str], ...] = ()
    _hash: int | None = field(default=None, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        # Kept once computed, as PortSet's: specs key the ingress tables of every source class.
        known = self._hash
        if known is None:
            known = hash((self.static, self.named))
            object.__setattr__(self, "_hash", known)
        return known

    def resolve(self, destination_ports: tuple[ContainerPort, ...] | None) -> PortSet:
        """The ports allowed towards a destination (None: an external address, which has no names)."""
        if not self.named or not destination_ports:
            return self.static
        extra = resolve_names(self.named, destination_ports)
        return self.static if extra is EMPTY_PORTS else self.static.union(extra)


def resolve_names(named: tuple[tuple[str, str], ...], destination_ports: tuple[ContainerPort, ...] | None) -> PortSet:
    """The numbers that the (name, protocol) pairs `named` stand for on a destination with these
    container ports: a spec's named part alone (EMPTY_PORTS when none of them is there)."""
    by_protocol: dict[str, list[tuple[int, int]]] = {}
    for cp in destination_ports or ():
        if cp.name is not None and (cp.name, cp.protocol) in named:
            by_protocol.setdefault(cp.protocol, []).append((cp.port, cp.port))
    return PortSet.of(by_protocol) if by_protocol else EMPTY_PORTS


ALL_SPEC = PortSpec(ALL_PORTS)


def port_entry_spec(entry: PolicyPort) -> PortSpec:
    """One `ports` item. An invalid entry matches nothing: it must never become "all ports"."""
    if not entry.valid or entry.protocol not in PROTOCOLS:
        return PortSpec(EMPTY_PORTS)
    if entry.port is None:
        return PortSpec(PortSet.whole_protocol(entry.protocol))
    if isinstance(entry.port, str):
        return PortSpec(EMPTY_PORTS, ((entry.port, entry.protocol),))
    end = entry.end_port if entry.end_port is not None else entry.port
    return PortSpec(PortSet.single(entry.protocol, entry.port, end))


def rule_port_spec(entries: tuple[PolicyPort, ...]) -> PortSpec:
    """A rule's `ports`: absent or empty means every port of every protocol."""
    if not entries:
        return ALL_SPEC
    static = EMPTY_PORTS
    named: list[tuple[str, str]] = []
    for entry in entries:
        spec = port_entry_spec(entry)
        static = static.union(spec.static)
        named.extend(n for n in spec.named if n not in named)
    return PortSpec(static, tuple(sorted(named)))


def parse_port_filter(text: str) -> tuple[str | None, int]:
    """`TCP/80`, `udp/53` or `80` (any protocol) for command-line filters."""
    protocol, slash, number = text.rpartition("/")
    if not slash:
        protocol = ""
    if not number.isdigit() or not MIN_PORT <= int(number) <= MAX_PORT:
        raise ValueError(f"invalid port {text!r}: expected N or PROTOCOL/N with N in 1-65535")
    proto = protocol.upper() or None
    if proto is not None and proto not in PROTOCOLS:
        raise ValueError(f"invalid protocol in {text!r}: expected TCP, UDP or SCTP")
    return proto, int(number)
