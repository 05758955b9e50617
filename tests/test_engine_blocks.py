"""Blocked bitsets (engine/blocks.py) against the plain int operations they stand for."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from policylint.engine.blocks import SHIFT, add_into, from_blocks, intersection, meets, to_blocks, union, union_within, without

# Sets over a few blocks, members clustered as a namespace's pods are, and the block edges hit.
_EDGE = 1 << SHIFT
positions = st.lists(st.one_of(st.integers(0, 4 * _EDGE), st.sampled_from([0, _EDGE - 1, _EDGE, 3 * _EDGE + 1])),
                     max_size=40)
bitsets = positions.map(lambda found: sum(1 << p for p in set(found)))


@given(bitsets)
def test_blocks_round_trip_and_keep_only_members(bits: int) -> None:
    blocks = to_blocks(bits)
    assert from_blocks(blocks) == bits
    assert all(local for local in blocks.values())  # an empty set is an empty dict
    assert all(0 < local < 1 << _EDGE for local in blocks.values())


@given(bitsets, bitsets)
def test_operations_equal_those_on_whole_ints(a: int, b: int) -> None:
    ab, bb = to_blocks(a), to_blocks(b)
    assert from_blocks(intersection(ab, bb)) == a & b
    assert bool(intersection(ab, bb)) == bool(a & b)
    assert meets(ab, bb) == meets(bb, ab) == bool(a & b)
    merged = dict(ab)
    add_into(merged, bb)
    assert from_blocks(merged) == a | b
    assert from_blocks(union([ab, bb])) == a | b
    part = to_blocks(a & b)
    assert from_blocks(without(ab, part)) == a & ~b
    assert ab == to_blocks(a)  # operands are never changed


@given(st.lists(bitsets, max_size=5), bitsets)
def test_union_within_equals_the_union_of_the_meets(sets: list[int], within: int) -> None:
    expected = 0
    for bits in sets:
        expected |= bits & within
    assert from_blocks(union_within([to_blocks(b) for b in sets], to_blocks(within))) == expected
