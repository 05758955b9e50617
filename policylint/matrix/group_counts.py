"""How many endpoints of a bitset of atoms fall in each namespace: what `--aggregate namespace`
adds up, without listing the endpoints.

Every atom (a pod class or an external range) belongs to one group: a class lies in one
namespace, a range in the external group. Endpoints are numbered by id, so a namespace's atoms
are one run of consecutive positions, and counting a bitset per group is one popcount per run:
O(atoms / 64) machine work plus one Python step per run, whatever the number of endpoints set.
Atoms that stand for other than one endpoint (several workloads in one class, or endpoints left
out by `--to`) are corrected one by one; there are none in a cluster export.

A cell's bitset recurs in many rows (the destinations every source may reach), so counts are
memoised by value (hashing a 150,000-bit int takes microseconds; counting it, a millisecond), up to
`_KEPT_BYTES` of bitsets at a time.
"""
from __future__ import annotations

from typing import Any

from policylint.engine.bits import positions

EXTERNAL_GROUP = "(external)"

Counts = tuple[tuple[int, int], ...]  # (group index, endpoints) with endpoints > 0, by group index

# Bitsets memoised at once, in bytes: at 150,000 atoms one is about 19 kB, and a 150,000-pod
# export has about 5,500 distinct cells (a cap of 4,096 entries made it count most of them again).
_KEPT_BYTES = 256 << 20


def group_of(endpoint) -> str:
    return endpoint.namespace or EXTERNAL_GROUP


def group_sort_key(group: str) -> tuple[bool, str]:
    """Namespaces by name, the external group last."""
    return (group == EXTERNAL_GROUP, group)


class GroupCounts:
    """Endpoints per group of the atoms in a bitset, for one engine and one `--to` filter.

    `names` lists the groups in output order (namespaces by name, the external group last);
    `counts` and `groups` answer in indexes into it."""

    def __init__(self, engine: Any, wanted: set[int] | None) -> None:
        atom_endpoints = engine.atom_endpoints()
        self.names: list[str] = sorted({group_of(m[0]) for m in atom_endpoints if m}, key=group_sort_key)
        self.index: dict[str, int] = {g: i for i, g in enumerate(self.names)}
        index = self.index
        self._atom_group: list[int] = [index[group_of(m[0])] if m else -1 for m in atom_endpoints]
        # Weight of an atom: its endpoints (those `--to` asked for). Atoms of weight 1 are counted
        # by popcount; the others are corrected by `weight - 1` each.
        self._extra: dict[int, int] = {}
        for atom, members in enumerate(atom_endpoints):
            weight = len(members) if wanted is None else sum(1 for e in members if e.index in wanted)
            if weight != 1 and members:
                self._extra[atom] = weight - 1
        self._heavy = _from_positions(list(self._extra))
        # Runs of consecutive atoms of one group: (group, first byte, end byte, shift, mask).
        runs: list[tuple[int, int, int, int, int]] = []
        atom_group = self._atom_group
        start = 0
        for atom in range(1, len(atom_group) + 1):
            if atom == len(atom_group) or atom_group[atom] != atom_group[start]:
                if atom_group[start] >= 0:
                    runs.append((atom_group[start], start >> 3, (atom + 7) >> 3, start & 7, (1 << (atom - start)) - 1))
                start = atom
        self._runs = runs
        self._bytes = (len(atom_group) + 7) >> 3
        self._memo: dict[int, Counts] = {}
        self._group_memo: dict[int, frozenset[int]] = {}
        self._kept = max(1024, _KEPT_BYTES // (self._bytes + 64))  # entries per memo

    def counts(self, bits: int) -> Counts:
        """(group index, number of endpoints) of the atoms in `bits`, for the groups with any."""
        found = self._memo.get(bits)
        if found is None:
            if len(self._memo) >= self._kept:
                self._memo.clear()
            found = self._memo[bits] = self._count(bits)
        return found

    def groups(self, bits: int) -> frozenset[int]:
        """The groups with an endpoint among the atoms in `bits`."""
        found = self._group_memo.get(bits)
        if found is None:
            if len(self._group_memo) >= self._kept:
                self._group_memo.clear()
            found = self._group_memo[bits] = frozenset(g for g, _ in self.counts(bits))
        return found

    def _count(self, bits: int) -> Counts:
        tally: dict[int, int] = {}
        atom_group = self._atom_group
        if bits.bit_count() * 4 < len(self._runs):  # sparse: walk the atoms
            for atom in positions(bits):
                group = atom_group[atom] if atom < len(atom_group) else -1
                if group >= 0:
                    tally[group] = tally.get(group, 0) + 1
        else:
            data = bits.to_bytes(max(self._bytes, (bits.bit_length() + 7) >> 3), "little")
            for group, first, end, shift, mask in self._runs:
                n = ((int.from_bytes(data[first:end], "little") >> shift) & mask).bit_count()
                if n:
                    tally[group] = tally.get(group, 0) + n
        heavy = bits & self._heavy
        if heavy:
            extra = self._extra
            for atom in positions(heavy):
                group = atom_group[atom]
                tally[group] += extra[atom]
        return tuple(sorted((g, n) for g, n in tally.items() if n > 0))


def _from_positions(atoms: list[int]) -> int:
    """The bitset of these positions, built in one pass (OR-ing them one by one is quadratic)."""
    if not atoms:
        return 0
    data = bytearray((max(atoms) >> 3) + 1)
    for atom in atoms:
        data[atom >> 3] |= 1 << (atom & 7)
    return int.from_bytes(data, "little")
