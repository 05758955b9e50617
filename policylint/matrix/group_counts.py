"""How many endpoints of a set of atoms fall in each namespace: what `--aggregate namespace`
adds up, without listing the endpoints.

Every atom (a pod class or an external range) belongs to one group: a class lies in one
namespace, a range in the external group. Endpoints are numbered by id, so a namespace's atoms
are one run of consecutive positions, and counting a set per group is one popcount per run.
Atoms that stand for other than one endpoint (several workloads in one class, or endpoints left
out by `--to`) are corrected one by one; there are none in a cluster export.

Sets come as blocks (engine/blocks.py, 4,096 atoms each), as the engine's rows make them: a
cell of a 150,000-pod cluster is usually a namespace or a few, a block or two, and counting it
costs the runs of those blocks, not the width of the cluster (turning every cell into an int
over every atom, then hashing and counting that, was most of the aggregation at that size).
Counts are memoised per cell and per block (a cell recurs in many rows: the destinations every
source may reach), up to `_KEPT_BYTES` of keys at a time. The engine hands out the same objects
for a cell that recurs (its layers are shared between rows), so a cell is looked up by identity
first: at 150,000 pods the rows hold two million cells, four thousand of them distinct, and
making each one's key (sorting its blocks) cost more than the counting.
"""
from __future__ import annotations

import sys
from array import array
from itertools import compress
from typing import Any

from policylint.engine.bits import from_positions, positions
from policylint.engine.blocks import SHIFT, Blocks, to_blocks
from policylint.engine.blocks import key as blocks_key

EXTERNAL_GROUP = "(external)"

Counts = tuple[tuple[int, int], ...]  # (group index, endpoints) with endpoints > 0, by group index

# Memoised keys at once, in bytes of their blocks (a block holds up to 512 bytes): enough for
# every distinct cell of a 150,000-pod export, bounded for any input.
_KEPT_BYTES = 128 << 20
_BLOCK_BYTES = ((1 << SHIFT) >> 3) + 64

# Bits a group's count takes in a packed tally (`add`): a count is at most endpoints squared,
# below 2**64 for any input that fits in memory. Fields are read and written as array("Q").
_FIELD_BYTES = 8
_FIELD = 8 * _FIELD_BYTES


def group_of(endpoint) -> str:
    return endpoint.namespace or EXTERNAL_GROUP


def group_sort_key(group: str) -> tuple[bool, str]:
    """Namespaces by name, the external group last."""
    return (group == EXTERNAL_GROUP, group)


class GroupCounts:
    """Endpoints per group of the atoms in a set (as blocks), for one engine and one `--to` filter.

    `names` lists the groups in output order (namespaces by name, the external group last);
    `counts` and `groups` answer in indexes into it."""

    def __init__(self, engine: Any, wanted: set[int] | None) -> None:
        atom_endpoints = engine.atom_endpoints()
        self.names: list[str] = sorted({group_of(m[0]) for m in atom_endpoints if m}, key=group_sort_key)
        self.index: dict[str, int] = {g: i for i, g in enumerate(self.names)}
        index = self.index
        atom_group = self._atom_group = [index[group_of(m[0])] if m else -1 for m in atom_endpoints]
        # Weight of an atom: its endpoints (those `--to` asked for). Atoms of weight 1 are counted
        # by popcount; the others are corrected by `weight - 1` each.
        self._extra: dict[int, int] = {}
        for atom, members in enumerate(atom_endpoints):
            weight = len(members) if wanted is None else sum(1 for e in members if e.index in wanted)
            if weight != 1 and members:
                self._extra[atom] = weight - 1
        self._heavy: Blocks = to_blocks(from_positions(sorted(self._extra)))
        # Runs of consecutive atoms of one group, cut at block edges:
        # block -> [(group, first atom within the block, mask of the run's length)].
        runs: dict[int, list[tuple[int, int, int]]] = {}
        start = 0
        for atom in range(1, len(atom_group) + 1):
            if atom == len(atom_group) or atom_group[atom] != atom_group[start] or not atom & ((1 << SHIFT) - 1):
                if atom_group[start] >= 0:
                    runs.setdefault(start >> SHIFT, []).append(
                        (atom_group[start], start & ((1 << SHIFT) - 1), (1 << (atom - start)) - 1))
                start = atom
        self._runs = runs
        # block -> the lowest group index among its runs: where its packed counts start
        self._first_group: dict[int, int] = {block: min(r[0] for r in found) for block, found in runs.items()}
        self._packed: dict[tuple[int, int], int] = {}
        self._memo: dict[object, Counts] = {}
        self._by_id: dict[int, tuple[Blocks, Counts]] = {}  # id(blocks) -> (blocks, counts); keeps blocks alive
        self._block_memo: dict[tuple[int, int], Counts] = {}
        self._group_memo: dict[int, tuple[Counts, frozenset[int]]] = {}
        self._kept_bytes = 0

    def counts_of_kept(self, blocks: Blocks) -> Counts:
        """`counts` of a set that is never changed afterwards and may recur as the same object
        (an engine cell): remembered by identity as well."""
        known = self._by_id.get(id(blocks))
        if known is not None:  # the entry keeps its blocks alive, so the id is still theirs
            return known[1]
        found = self.counts(blocks)
        self._keep(len(blocks))
        self._by_id[id(blocks)] = (blocks, found)
        return found

    def counts(self, blocks: Blocks) -> Counts:
        """(group index, number of endpoints) of the atoms in `blocks`, for the groups with any."""
        key = blocks_key(blocks)
        found = self._memo.get(key)
        if found is None:
            self._keep(len(blocks))
            if len(blocks) == 1:
                found = self._block_counts(*key)  # type: ignore[misc]
            else:
                tally: dict[int, int] = {}
                for block, local in key:  # type: ignore[union-attr]
                    for group, n in self._block_counts(block, local):
                        tally[group] = tally.get(group, 0) + n
                found = tuple(sorted(tally.items()))
            self._memo[key] = found
        return found

    def groups(self, blocks: Blocks) -> frozenset[int]:
        """The groups with an endpoint among the atoms in `blocks`."""
        counts = self.counts(blocks)
        found = self._group_memo.get(id(counts))
        if found is None or found[0] is not counts:  # the entry keeps counts alive: its id stays unique
            found = self._group_memo[id(counts)] = (counts, frozenset(g for g, _ in counts))
        return found[1]

    def add(self, blocks: Blocks, tally: dict[int, int], multiplicity: int = 1) -> None:
        """Add `multiplicity` times the endpoints per group of the atoms in `blocks` into `tally`,
        kept per block as packed ints (`totals` reads it out). A row of a large cluster reaches
        hundreds of namespaces in a few dozen blocks: adding each block's counts as one int
        (_FIELD bits a group, from the block's first group) costs one addition a block where a
        tally per group cost one a namespace, and no list of counts is made per row."""
        packed, get = self._packed, tally.get
        for block, local in blocks.items():
            found = packed.get((block, local))
            if found is None:
                self._keep(1)
                found = packed[(block, local)] = self._pack(block, local)
            if multiplicity != 1:
                found *= multiplicity
            known = get(block)
            tally[block] = found if known is None else known + found

    def totals(self, tally: dict[int, int]) -> list[tuple[int, int]]:
        """(group index, endpoints) of a tally made by `add`, for the groups with any, by group."""
        first_group = self._first_group
        whole = 0
        for block, packed in tally.items():
            whole += packed << (_FIELD * first_group.get(block, 0))
        values = _unpacked(whole, len(self.names))
        return [(group, values[group]) for group in compress(range(len(values)), values)]

    def _pack(self, block: int, local: int) -> int:
        """The counts of one block's atoms as one int: group g's count in bits
        [_FIELD * (g - first group of the block), ...)."""
        counts = self._count(block, local)
        if not counts:
            return 0
        first = self._first_group[block]
        values = array("Q", bytes(_FIELD_BYTES * (counts[-1][0] - first + 1)))
        for group, n in counts:
            values[group - first] = n
        if sys.byteorder == "big":
            values.byteswap()
        return int.from_bytes(values.tobytes(), "little")

    def _keep(self, blocks: int) -> None:
        """Make room for a key of this many blocks (the memos are emptied when full)."""
        self._kept_bytes += blocks * _BLOCK_BYTES
        if self._kept_bytes > _KEPT_BYTES:
            self._memo.clear()
            self._by_id.clear()
            self._block_memo.clear()
            self._group_memo.clear()
            self._packed.clear()
            self._kept_bytes = blocks * _BLOCK_BYTES

    def _block_counts(self, block: int, local: int) -> Counts:
        found = self._block_memo.get((block, local))
        if found is None:
            found = self._block_memo[(block, local)] = self._count(block, local)
        return found

    def _count(self, block: int, local: int) -> Counts:
        tally: dict[int, int] = {}
        base = block << SHIFT
        runs = self._runs.get(block, ())
        if local.bit_count() * 4 < len(runs):  # sparse: walk the atoms
            atom_group = self._atom_group
            for atom in positions(local):
                group = atom_group[base + atom] if base + atom < len(atom_group) else -1
                if group >= 0:
                    tally[group] = tally.get(group, 0) + 1
        else:
            for group, first, mask in runs:
                n = ((local >> first) & mask).bit_count()
                if n:
                    tally[group] = tally.get(group, 0) + n
        heavy = local & self._heavy.get(block, 0)
        if heavy:
            extra, atom_group = self._extra, self._atom_group
            for atom in positions(heavy):
                group = atom_group[base + atom]
                tally[group] += extra[base + atom]
        return tuple(sorted((g, n) for g, n in tally.items() if n > 0))


def _unpacked(whole: int, fields: int) -> array:
    """The _FIELD-bit fields of `whole`, lowest first."""
    values = array("Q", whole.to_bytes(_FIELD_BYTES * fields, "little"))
    if sys.byteorder == "big":
        values.byteswap()
    return values
