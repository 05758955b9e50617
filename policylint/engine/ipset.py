"""IP address sets as inclusive integer intervals, one family at a time.

IPv4 and IPv6 are separate spaces (a v4 ipBlock never matches a v6 address), so every value
here carries its family. Integers make range arithmetic exact and cheap; `ipaddress` is only
used at the edges, to parse and to print.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable

from policylint.model.types import IPAddress, IPNetwork

FAMILY_BITS = {4: 32, 6: 128}


def family_max(version: int) -> int:
    return (1 << FAMILY_BITS[version]) - 1


def address(version: int, value: int) -> IPAddress:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


@dataclass(frozen=True, slots=True, order=True)
class IPRange:
    """An inclusive range of addresses of one family."""

    version: int
    first: int
    last: int

    @classmethod
    def of_network(cls, network: IPNetwork) -> IPRange:
        return cls(network.version, int(network.network_address), int(network.broadcast_address))

    @classmethod
    def of_address(cls, value: IPAddress) -> IPRange:
        return cls(value.version, int(value), int(value))

    @property
    def first_address(self) -> IPAddress:
        return address(self.version, self.first)

    @property
    def last_address(self) -> IPAddress:
        return address(self.version, self.last)

    @property
    def text(self) -> str:
        """The endpoint id of an external range: `10.0.0.0-10.255.255.255`."""
        return f"{self.first_address}-{self.last_address}"

    def contains(self, value: IPAddress) -> bool:
        return value.version == self.version and self.first <= int(value) <= self.last

    def overlaps(self, other: IPRange) -> bool:
        return self.version == other.version and self.first <= other.last and other.first <= self.last

    def cidrs(self) -> tuple[str, ...]:
        """The fewest CIDRs that cover exactly this range."""
        return tuple(str(n) for n in ipaddress.summarize_address_range(self.first_address, self.last_address))


def block_ranges(network: IPNetwork, excepts: Iterable[IPNetwork]) -> tuple[IPRange, ...]:
    """The addresses of `cidr` minus every `except`, as sorted disjoint ranges."""
    base = IPRange.of_network(network)
    holes = sorted(IPRange.of_network(e) for e in excepts if e.version == network.version)
    out: list[IPRange] = []
    start = base.first
    for hole in holes:
        if hole.last < start or hole.first > base.last:
            continue
        if hole.first > start:
            out.append(IPRange(base.version, start, hole.first - 1))
        start = max(start, hole.last + 1)
    if start <= base.last:
        out.append(IPRange(base.version, start, base.last))
    return tuple(out)


def partition(version: int, cuts: Iterable[int], holes: Iterable[int]) -> list[IPRange]:
    """Split a whole family at `cuts` (each the first address of a new range), leaving out `holes`.

    Holes are single addresses (known pod IPs): they belong to pods, not to the outside world.
    """
    top = family_max(version)
    hole_set = set(holes)
    points = {0}
    for cut in cuts:
        if 0 < cut <= top:
            points.add(cut)
    for hole in hole_set:
        points.add(hole)
        if hole + 1 <= top:
            points.add(hole + 1)
    starts = sorted(points)
    ranges: list[IPRange] = []
    for i, first in enumerate(starts):
        last = starts[i + 1] - 1 if i + 1 < len(starts) else top
        if first == last and first in hole_set:
            continue
        ranges.append(IPRange(version, first, last))
    return ranges


def parse_address_or_network(text: str) -> IPRange | None:
    """An address or a CIDR typed by a user (host bits allowed), as a range; None if neither."""
    try:
        if "/" in text:
            return IPRange.of_network(ipaddress.ip_network(text, strict=False))
        return IPRange.of_address(ipaddress.ip_address(text))
    except ValueError:
        return None
