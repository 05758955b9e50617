"""Label selectors, compiled once and matched against whole populations as bitsets.

A cluster has thousands of pods but far fewer distinct label sets, and a policy set has
thousands of selectors built from a small vocabulary of (key, value) pairs. So instead of
testing every selector against every label set, `LabelIndex` inverts the population once —
(key, value) -> members having it, key -> members having the key — and a selector becomes a
handful of `int` ANDs and ORs over those bitsets.
"""
from __future__ import annotations

from array import array
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

    A pair held by few members far up the numbering (a pod's own name or hash label: in a cluster
    export nearly every pod has one) is kept as their positions, not as a bitset whose size is
    that of its highest member: at 150,000 pods those bitsets were most of the index. It becomes
    a bitset when a selector asks for it (`_pair_bits`)."""

    def __init__(self, members: Sequence[Mapping[str, str]]) -> None:
        self.size = len(members)
        self.all = (1 << self.size) - 1
        pairs: dict[tuple[str, str], list[int]] = {}
        keys: dict[str, list[int]] = {}
        for i, labels in enumerate(members):
            for key, value in labels.items():
                pairs.setdefault((key, value), []).append(i)
                keys.setdefault(key, []).append(i)
        self._by_pair: dict[tuple[str, str], int | array] = {pair: _packed(found) for pair, found in pairs.items()}
        self._by_key: dict[str, int] = {key: from_positions(found) for key, found in keys.items()}
        self._cache: dict[SelectorKey, int] = {}

    def _pair_bits(self, key: str, value: str) -> int:
        found = self._by_pair.get((key, value), 0)
        return found if isinstance(found, int) else from_positions(found)

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
                bits &= self._by_key.get(req.key, 0)
            elif req.operator == "DoesNotExist":
                bits &= ~self._by_key.get(req.key, 0)
            else:
                return 0
        return bits & self.all


def _packed(positions: list[int]) -> int | array:
    """Ascending member positions as a bitset, or as the positions themselves (4 bytes each) where
    that is far smaller than the bitset (highest position / 8 bytes)."""
    if len(positions) * 64 < positions[-1]:
        return array("I", positions)
    return from_positions(positions)
