"""The benchmark's standard cluster sizes: (total pods, NetworkPolicy objects).

Kept apart from the generator so that the timing script, the README and anyone scripting
the benchmark name the same sizes.
"""
from __future__ import annotations

from typing import NamedTuple


class Size(NamedTuple):
    pods: int
    policies: int


SIZES: dict[str, Size] = {
    "tiny": Size(50, 10),
    "small": Size(500, 100),
    "medium": Size(2_500, 500),
    "large": Size(10_000, 2_000),
    "xl": Size(20_000, 4_000),
}

DEFAULT_SEED = 1
