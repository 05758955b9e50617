"""Python ints as bitsets: the engine's representation of "a set of endpoints"."""
from __future__ import annotations

import sys
from array import array
from collections import deque
from functools import reduce
from itertools import compress, repeat
from operator import or_
from typing import Iterator, Sequence


def iter_bits(bits: int) -> Iterator[int]:
    """Positions of the set bits, ascending.

    Scanning the binary text with `str.find` is fast for sparse and dense sets alike, where
    peeling the lowest bit off a 10,000-bit int costs a full-width operation per member. The text
    starts at the lowest member: a policy's pods far up a 150,000-pod numbering are a few bits,
    and writing the 150,000 zeros below them as text was most of the work.
    """
    if bits <= 0:
        return
    low = (bits & -bits).bit_length() - 1
    text = format(bits >> low, "b")[::-1]
    i = text.find("1")
    while i >= 0:
        yield low + i
        i = text.find("1", i + 1)


def has(bits: int, position: int) -> bool:
    return (bits >> position) & 1 == 1


def span(first: int, count: int) -> int:
    """Bits first .. first+count-1."""
    return ((1 << count) - 1) << first if count > 0 else 0


_ZERO_ONE = bytes.maketrans(b"01", b"\x00\x01")


def positions(bits: int) -> list[int]:
    """Positions of the set bits, ascending, as a list: iter_bits without a generator's cost per
    member, for dense sets (a matrix row is often half full) and sparse ones alike.

    A sparse set far up the numbering (a peer naming a few pods of a 150,000-pod cluster) is read
    as 64-bit words, the empty ones skipped at C speed; reading it byte by byte in Python cost
    a millisecond per set whatever its size. A denser one is read from its binary text, lowest
    bit first, by `itertools.compress`: no Python step per member or per byte."""
    if bits <= 0:
        return []
    if bits.bit_count() <= 8 and bits.bit_length() <= 4096:  # a few members in a narrow set:
        found = []  # peeled off one by one, each step a few small-int operations
        while bits:
            low = bits & -bits
            found.append(low.bit_length() - 1)
            bits ^= low
        return found
    skipped = (bits & -bits).bit_length() - 1 >> 6  # the empty words below the lowest member
    if skipped:
        bits >>= skipped << 6
    words = (bits.bit_length() + 63) >> 6
    if bits.bit_count() * 16 < words << 6:
        found: list[int] = []
        append = found.append
        packed = array("Q", bits.to_bytes(words << 3, "little"))
        if sys.byteorder == "big":
            packed.byteswap()
        for i in [i for i, word in enumerate(packed) if word]:
            word, base = packed[i], (i + skipped) << 6
            while word:
                low = word & -word
                append(base + low.bit_length() - 1)
                word ^= low
        return found
    flags = format(bits, "b").encode()[::-1].translate(_ZERO_ONE)  # bit i is flags[i]
    first = skipped << 6
    return list(compress(range(first, first + len(flags)), flags))


def from_positions(positions: Sequence[int]) -> int:
    """Ascending positions as an int bitset, built as bytes (ORing one bit at a time into an int
    copies the int each time: quadratic in the highest position). A narrow set (below 1,024) is
    ORed at C speed, each int a few machine words; a wider one with a member in every eight
    positions or more is built as one flag byte per position, set at C speed and read as binary
    text; a sparser one, one Python step per member."""
    if not positions:
        return 0
    top = positions[-1]
    if top < 1024:  # a narrow set: its bits ORed in C, each a few machine words
        return reduce(or_, map(_ONE.__lshift__, positions), 0)
    if len(positions) << 3 > top:
        flags = bytearray(top + 1)
        deque(map(flags.__setitem__, positions, repeat(1)), 0)
        return int(flags[::-1].translate(_FLAG_TEXT), 2)
    data = bytearray((top >> 3) + 1)
    for i in positions:
        data[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(data, "little")


_ONE = 1
_FLAG_TEXT = bytes.maketrans(b"\x00\x01", b"01")
