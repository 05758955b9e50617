"""The label index against one-by-one matching, on populations large enough that rare pairs are
kept as positions rather than bitsets (`label_index._bits`); and `bits.positions` on sparse and
dense sets."""
from __future__ import annotations

import random
from array import array

from hypothesis import given
from hypothesis import strategies as st

from policylint.engine.bits import from_positions, iter_bits, positions
from policylint.engine.label_index import LabelIndex, matches
from policylint.model.types import LabelSelector, Requirement, Source

SOURCE = Source(None, "", "")
KEYS = ("app", "role", "tier")
VALUES = ("a", "b", "c")
SIZE = 300  # over 64 members, so that a pair held by a few high members is stored sparse

def population(seed: int) -> list[dict[str, str]]:
    """A few shared labels each, plus (for some) a label of its own or of a small group, as a
    pod's name or template hash is in a cluster export. Drawn from a seed: hypothesis shrinks the
    seed and the selectors, and generating 300 label sets through it would be slow."""
    rng = random.Random(seed)
    members = []
    for i in range(SIZE):
        labels = {key: rng.choice(VALUES) for key in KEYS if rng.random() < 0.6}
        kind = rng.random()
        if kind < 0.3:
            labels["pod-name"] = f"p{i}"
        elif kind < 0.6:
            labels["pod-name"] = f"g{i // 7}"
        members.append(labels)
    return members


values = st.sampled_from(VALUES + ("p0", "p150", "p299", "g3", "g42", "x"))
requirements = st.builds(
    Requirement,
    st.sampled_from(KEYS + ("pod-name", "absent")),
    st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")),
    st.lists(values, min_size=1, max_size=3).map(tuple),
)
selectors = st.builds(
    lambda labels, expressions: LabelSelector(tuple(sorted(labels.items())), tuple(expressions), True, SOURCE),
    st.dictionaries(st.sampled_from(KEYS + ("pod-name",)), values, max_size=2),
    st.lists(requirements, max_size=2),
)


@given(st.integers(0, 2**32), st.lists(selectors, min_size=1, max_size=4))
def test_index_matches_selectors_one_by_one(seed: int, chosen: list[LabelSelector]) -> None:
    members = population(seed)
    index = LabelIndex(members)
    for selector in chosen:
        expected = [i for i, m in enumerate(members) if matches(selector, m)]
        assert list(iter_bits(index.match(selector))) == expected


def test_rare_high_pair_by_hand() -> None:
    """One member far up the numbering holds a pair: stored as its position, matched exactly."""
    members = [{"app": "web"} for _ in range(1000)]
    members[900] = {"app": "web", "pod-name": "web-900"}
    index = LabelIndex(members)
    one = LabelSelector((("pod-name", "web-900"),), (), True, SOURCE)
    assert list(iter_bits(index.match(one))) == [900]
    others = LabelSelector((("app", "web"),), (Requirement("pod-name", "NotIn", ("web-900",)),), True, SOURCE)
    assert list(iter_bits(index.match(others))) == [i for i in range(1000) if i != 900]
    either = LabelSelector((), (Requirement("pod-name", "In", ("web-900", "web-1")),), True, SOURCE)
    assert list(iter_bits(index.match(either))) == [900]


@given(st.lists(st.integers(0, 5000), max_size=60), st.integers(0, 3),
       st.sampled_from([0, 1, 63, 64, 4097, 150_001]))
def test_positions_lists_the_set_bits(members: list[int], dense_words: int, far: int) -> None:
    """Sparse sets (read by 64-bit words) and dense ones (read by bytes) list the same bits as
    iter_bits and as the members they were built from, also when the whole set lies far up the
    numbering (both skip what lies below its lowest member)."""
    bits = 0
    for m in members:
        bits |= 1 << m
    bits |= (1 << 64 * dense_words) - 1  # a dense run at the bottom moves the set between paths
    expected = [far + m for m in sorted(set(members) | set(range(64 * dense_words)))]
    bits <<= far
    assert positions(bits) == list(iter_bits(bits)) == expected


@given(st.lists(st.integers(0, 5000), max_size=60), st.integers(0, 3),
       st.sampled_from([0, 1, 63, 64, 4097, 150_001]))
def test_from_positions_sets_the_listed_bits(members: list[int], dense_words: int, far: int) -> None:
    """Sparse lists (one step per member) and dense ones (flag bytes read as binary text) make
    the int whose set bits are the members, also far up the numbering."""
    found = sorted({far + m for m in members} | {far + m for m in range(64 * dense_words)})
    expected = 0
    for m in found:
        expected |= 1 << m
    assert from_positions(found) == expected
    assert from_positions(array("I", found)) == expected
