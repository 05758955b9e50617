"""Python ints as bitsets: the engine's representation of "a set of endpoints"."""
from __future__ import annotations

from typing import Iterator


def iter_bits(bits: int) -> Iterator[int]:
    """Positions of the set bits, ascending.

    Scanning the binary text with `str.find` is fast for sparse and dense sets alike, where
    peeling the lowest bit off a 10,000-bit int costs a full-width operation per member.
    """
    if bits <= 0:
        return
    text = format(bits, "b")[::-1]
    i = text.find("1")
    while i >= 0:
        yield i
        i = text.find("1", i + 1)


def has(bits: int, position: int) -> bool:
    return (bits >> position) & 1 == 1


def span(first: int, count: int) -> int:
    """Bits first .. first+count-1."""
    return ((1 << count) - 1) << first if count > 0 else 0


_BYTE_BITS = [tuple(j for j in range(8) if b >> j & 1) for b in range(256)]


def positions(bits: int) -> list[int]:
    """Positions of the set bits, ascending, as a list: iter_bits without a generator's cost per
    member, for dense sets (a matrix row is often half full)."""
    if bits <= 0:
        return []
    table = _BYTE_BITS
    data = bits.to_bytes((bits.bit_length() + 7) >> 3, "little")
    return [i << 3 | j for i, byte in enumerate(data) if byte for j in table[byte]]
