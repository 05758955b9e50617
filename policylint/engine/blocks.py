"""Bitsets cut into blocks: {block number: the block's bits}, for work on sets far narrower than
the atom numbering.

An engine bitset is one Python int over every atom, so any operation on it costs the width of the
cluster — at 150,000 pods, 18 KB per AND or OR however few members the sets have. A policy's pods
are usually one namespace, a few consecutive atoms: as blocks, such a set is one small int, and an
operation between two sets touches only the blocks both have. Only blocks with members are kept,
so a set is empty exactly when its dict is.
"""
from __future__ import annotations

SHIFT = 12  # 4,096 atoms a block
_BYTES = (1 << SHIFT) >> 3

Blocks = dict[int, int]


def to_blocks(bits: int) -> Blocks:
    """The set's non-empty blocks."""
    if bits <= 0:
        return {}
    if bits.bit_length() <= 1 << SHIFT:
        return {0: bits}
    # Start at the lowest member's block, found at C speed: a set is usually a namespace's few
    # atoms far up the numbering, and a loop over every block below them cost the cluster's width
    # per set (half a second over a 150,000-pod export's groups).
    first = ((bits & -bits).bit_length() - 1) >> SHIFT
    if first:
        bits >>= first << SHIFT
    data = bits.to_bytes((bits.bit_length() + 7) >> 3, "little")
    found: Blocks = {}
    for block in range((len(data) + _BYTES - 1) // _BYTES):
        chunk = data[block * _BYTES:(block + 1) * _BYTES]
        if chunk.count(0) != len(chunk):
            found[first + block] = int.from_bytes(chunk, "little")
    return found


def from_blocks(blocks: Blocks) -> int:
    """The set as one int over the whole numbering."""
    if not blocks:
        return 0
    if len(blocks) == 1:
        (block, local), = blocks.items()
        return local << (block << SHIFT)
    top = max(blocks)
    data = bytearray((top + 1) * _BYTES)
    for block, local in blocks.items():
        start = block * _BYTES
        data[start:start + _BYTES] = local.to_bytes(_BYTES, "little")
    return int.from_bytes(data, "little")


def intersection(a: Blocks, b: Blocks) -> Blocks:
    if len(b) < len(a):
        a, b = b, a
    found: Blocks = {}
    for block, local in a.items():
        other = b.get(block)
        if other is not None:
            both = local & other
            if both:
                found[block] = both
    return found


def key(blocks: Blocks) -> object:
    """A hashable key, equal for equal sets whatever order their blocks were added in."""
    return next(iter(blocks.items())) if len(blocks) == 1 else tuple(sorted(blocks.items()))


def meets(a: Blocks, b: Blocks) -> bool:
    """Whether the sets have a member in common."""
    if len(b) < len(a):
        a, b = b, a
    for block, local in a.items():
        other = b.get(block)
        if other is not None and other & local:
            return True
    return False


def union(sets: list[Blocks]) -> Blocks:
    """The union of `sets`, as a new dict (the sets are left as they are). `add_into` inlined:
    a matrix row's union is of a hundred sets of a block or three each, and a call per set cost
    more than the ORs."""
    found: Blocks = {}
    get = found.get
    for blocks in sets:
        for block, local in blocks.items():
            known = get(block)
            found[block] = local if known is None else known | local
    return found


def union_within(sets: list[Blocks], within: Blocks) -> Blocks:
    """The union of `sets`, each met with `within`: one call for many sets (a row's ingress groups
    are hundreds of sets of a block or two each, and a call per set cost more than the ANDs)."""
    found: Blocks = {}
    get = within.get
    for blocks in sets:
        for block, local in blocks.items():
            other = get(block)
            if other is not None:
                meet = other & local
                if meet:
                    known = found.get(block)
                    found[block] = meet if known is None else known | meet
    return found


def add_into(into: Blocks, more: Blocks) -> None:
    """into |= more."""
    for block, local in more.items():
        known = into.get(block)
        into[block] = local if known is None else known | local


def without(a: Blocks, part: Blocks) -> Blocks:
    """a less `part`, a subset of a."""
    found = dict(a)
    for block, local in part.items():
        rest = found[block] ^ local
        if rest:
            found[block] = rest
        else:
            del found[block]
    return found
