"""Shared by the cluster-wide policy rules (PL601-PL605): the engine's tier view of each pod
class, grouped so that classes with the same rule lists are judged once. Not a rule."""
from __future__ import annotations

from typing import Iterator

from policylint.engine.bits import iter_bits
from policylint.model.types import EGRESS, INGRESS


def tiers_of(ctx):
    """The engine's tier evaluation, or None when the input has no cluster-wide policy."""
    if not ctx.cluster.tier_policies:
        return None
    return ctx.engine.tiers


def classes(bits: int, engine) -> Iterator[int]:
    """Pod classes in a bitset."""
    return iter_bits(bits & engine._compiler.pods)


def representative(engine, cls: int):
    """An endpoint of a pod class (the first in id order), for messages."""
    return engine.atom_endpoints()[cls][0]


def sample(engine, bits: int, limit: int = 3) -> str:
    names = [representative(engine, c).id for c in classes(bits, engine)]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def decides_anything(cells, sure: int, maybe: int, ports_by_atoms) -> bool:
    """Whether a rule matching `sure | maybe` with these (atoms, ports) parts still finds undecided
    ports in some cell."""
    hit = sure | maybe
    for state, bits in cells:
        x = bits & hit
        if not x:
            continue
        for part_bits, ports in ports_by_atoms:
            if x & part_bits and not (state[0] & ports).is_empty:
                return True
    return False


DIRECTIONS = (INGRESS, EGRESS)
