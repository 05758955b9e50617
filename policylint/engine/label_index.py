"""Label selectors, compiled once and matched against whole populations as bitsets.

A cluster has thousands of pods but far fewer distinct label sets, and a policy set has
thousands of selectors built from a small vocabulary of (key, value) pairs. So instead of
testing every selector against every label set, `LabelIndex` inverts the population once —
(key, value) -> members having it, key -> members having the key — and a selector becomes a
handful of `int` ANDs and ORs over those bitsets.
"""
from __future__ import annotations

from array import array
from collections import defaultdict
from typing import Mapping, Sequence

from policylint.engine.bits import from_positions
from policylint.model.types import LabelSelector

SelectorKey = tuple  # (match_labels, expressions, valid): what a selector means, without its position


def selector_key(selector: LabelSelector) -> SelectorKey:
    return (selector.match_labels, selector.expressions, selector.valid)


def matches(selector: LabelSelector | None, labels: Mapping[str, str]) -> bool:
    """One selector against one label set (for explanations; bulk work goes through LabelIndex)."""
    if selector is None:
        return True
    if not selector.valid:
        return False  # the API server would reject it: it selects nothing, never everything
    for key, value in selector.match_labels:
        if labels.get(key) != value:
            return False
    for req in selector.expressions:
        present = req.key in labels
        if req.operator == "In":
            ok = present and labels[req.key] in req.values
        elif req.operator == "NotIn":
            ok = not present or labels[req.key] not in req.values
        elif req.operator == "Exists":
            ok = present
        elif req.operator == "DoesNotExist":
            ok = not present
        else:
            ok = False
        if not ok:
            return False
    return True


class LabelIndex:
    """Members (label sets) numbered 0..n-1, inverted for selector matching by bitset.

    Each pair is kept as its members' positions (4 bytes each) and made a bitset when a selector
    first asks for it, and a key's members are found when an Exists or DoesNotExist first names
    it: selectors name a few of the pairs and keys a population has, and making every one a
    bitset was most of the index's work. A pair held by few members far up the numbering (a
    pod's own name or hash label: in a cluster export nearly every pod has one) stays positions
    even then, not a bitset whose size is that of its highest member: at 150,000 pods those
    bitsets were most of the index (`_pair_bits`)."""

    def __init__(self, members: Sequence[Mapping[str, str]]) -> None:
        self.size = len(members)
        self.all = (1 << self.size) - 1
        self._members = members
        pairs: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
        for i, labels in enumerate(members):
            for pair in labels.items():
                pairs[pair].append(i)
        self._by_pair: dict[tuple[str, str], int | array] = {pair: array("I", found) for pair, found in pairs.items()}
        self._by_key: dict[str, int] = {}  # made for the keys that Exists and DoesNotExist name
        self._cache: dict[SelectorKey, int] = {}

    def _pair_bits(self, key: str, value: str) -> int:
        return _bits(self._by_pair, (key, value))

    def _key_bits(self, key: str) -> int:
        found = self._by_key.get(key)
        if found is None:
            found = self._by_key[key] = from_positions([i for i, labels in enumerate(self._members) if key in labels])
        return found

    def match(self, selector: LabelSelector | None) -> int:
        """Bitset of members the selector matches; None (no selector) matches all."""
        if selector is None:
            return self.all
        key = selector_key(selector)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._compute(selector)
        return cached

    def _compute(self, selector: LabelSelector) -> int:
        if not selector.valid:
            return 0
        bits = self.all
        for key, value in selector.match_labels:
            bits &= self._pair_bits(key, value)
        for req in selector.expressions:
            if not bits:
                break
            if req.operator == "In":
                having = 0
                for value in req.values:
                    having |= self._pair_bits(req.key, value)
                bits &= having
            elif req.operator == "NotIn":
                for value in req.values:
                    bits &= ~self._pair_bits(req.key, value)
            elif req.operator == "Exists":
                bits &= self._key_bits(req.key)
            elif req.operator == "DoesNotExist":
                bits &= ~self._key_bits(req.key)
            else:
                return 0
        return bits & self.all


def _bits(table: dict, key: object) -> int:
    """The members of table[key] as a bitset (none when absent), kept in the table in place of
    the positions unless they are far fewer than its size (highest position / 8 bytes)."""
    found = table.get(key, 0)
    if isinstance(found, int):
        return found
    bits = from_positions(found)
    if len(found) * 64 >= found[-1]:
        table[key] = bits
    return bits
