"""IP address sets as inclusive integer intervals, one family at a time.

IPv4 and IPv6 are separate spaces (a v4 ipBlock never matches a v6 address), so every value
here carries its family. Integers make range arithmetic exact and cheap; `ipaddress` is only
used at the edges, to parse and to print.
"""
from __future__ import annotations

import ipaddress
import sys
from array import array
from dataclasses import dataclass
from typing import Iterable

from policylint.model.types import IPAddress, IPNetwork

FAMILY_BITS = {4: 32, 6: 128}


def family_max(version: int) -> int:
    return (1 << FAMILY_BITS[version]) - 1


def address(version: int, value: int) -> IPAddress:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


def address_text(version: int, value: int) -> str:
    """`str(address(version, value))` without making the address: an external range's id and
    CIDRs are a few dozen addresses, and `ipaddress` spent thousands of bytecodes on each IPv6
    one. The text is the same: IPv6 in lowercase hex without leading zeros, the first longest
    run of two or more zero groups written `::`. IPv4-mapped IPv6 addresses (::ffff:0:0/96) are
    left to `ipaddress`, as Python 3.13 writes them otherwise than 3.11."""
    if version == 4:
        return "%d.%d.%d.%d" % tuple(value.to_bytes(4, "big"))
    if value >> 32 == 0xFFFF:
        return str(address(6, value))
    groups = array("H", value.to_bytes(16, "big"))
    if sys.byteorder == "little":
        groups.byteswap()
    text = ":%x:%x:%x:%x:%x:%x:%x:%x:" % tuple(groups)
    # The longest run first: the first place that n zero groups are found is then the first of
    # the longest runs.
    for n in range(8, 1, -1):
        at = text.find(_ZERO_RUNS[n])
        if at >= 0:
            return text[1:at] + "::" + text[at + 2 * n + 1:-1]
    return text[1:-1]


_ZERO_RUNS = [":" + "0:" * n for n in range(9)]  # n zero groups, with the colons around them


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
        return f"{address_text(self.version, self.first)}-{address_text(self.version, self.last)}"

    def contains(self, value: IPAddress) -> bool:
        return value.version == self.version and self.first <= int(value) <= self.last

    def overlaps(self, other: IPRange) -> bool:
        return self.version == other.version and self.first <= other.last and other.first <= self.last

    def cidrs(self) -> tuple[str, ...]:
        """The fewest CIDRs that cover exactly this range, as `ipaddress.summarize_address_range`
        gives them: from the first address, each time the largest block aligned there that
        ends within the range."""
        width = FAMILY_BITS[self.version]
        first, last, found = self.first, self.last, []
        while first <= last:
            size = min(width if first == 0 else (first & -first).bit_length() - 1, (last - first + 1).bit_length() - 1)
            found.append(f"{address_text(self.version, first)}/{width - size}")
            first += 1 << size
        return tuple(found)


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
