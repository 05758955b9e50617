"""The matrix as distinct rows over atoms: what path searches walk.

An atom is one of the engine's pod classes or external ranges (`Engine.atom_endpoints`): its
endpoints are interchangeable for every policy. Each atom's row — (ports, destination atoms)
cells, from `Engine.matrix_cell_blocks`, the engine's public answer — is computed when a search first
needs it and kept once per distinct row: the workloads of a namespace under the same policies
share one. A breadth-first layer is then a
few bitset operations per distinct row, however dense the connectivity: a blast radius on a
10,000-pod cluster costs milliseconds, where a graph with one edge per allowed pair would hold
hundreds of thousands of edges.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from policylint.engine.bits import positions
from policylint.engine.blocks import Blocks, from_blocks
from policylint.engine.blocks import key as blocks_key

if TYPE_CHECKING:
    from policylint.engine.connectivity import Engine
    from policylint.engine.endpoints import Endpoint
    from policylint.engine.ports import PortSet

Cells = list[tuple[Any, int]]  # (PortSet, destination atoms)


class Rows:
    """Rows by atom, computed when first asked for (a search from a few starts touches a few
    rows), or all at once for backward searches and the whole-cluster graph (`complete`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.atom_endpoints: list[list[Endpoint]] = engine.atom_endpoints()
        self.rows: list[Cells] = []
        self._row_of: list[int | None] = [None] * len(self.atom_endpoints)
        self._index: dict[tuple, int] = {}
        self.external = 0
        for atom, members in enumerate(self.atom_endpoints):
            if members and members[0].is_external:
                self.external |= 1 << atom
        self._complete = False
        self._row_atoms: list[int] | None = None
        self._columns: list[list[tuple[int, Any]]] | None = None
        # Destination sets by value: rows have dozens of cells, mostly the same few sets (on a
        # 50,000-pod export 78,000 cells hold 1,500 distinct ones). The engine gives each cell as
        # blocks (engine/blocks.py); each distinct one becomes an int over every atom once, keyed
        # by its blocks: turning every cell into an int (18 KB at 150,000 pods) and hashing it
        # to find the one kept was most of the rows' cost.
        self._bitsets: dict[object, int] = {}

    def _bits_of(self, blocks: Blocks) -> int:
        """The cell's atoms as an int, one object per distinct set."""
        key = blocks_key(blocks)
        found = self._bitsets.get(key)
        if found is None:
            found = self._bitsets[key] = from_blocks(blocks)
        return found

    def _compute(self, atoms: list[int]) -> None:
        # One source per engine row key (sources with equal keys have equal rows): the engine then
        # computes each row once and holds one at a time, where a list of sources whose keys recur
        # far apart made it keep every recurring row until its last source.
        same_key: dict[tuple, list[int]] = {}
        for atom in atoms:
            same_key.setdefault(self.engine.row_key(self.atom_endpoints[atom][0]), []).append(atom)
        members = {group[0]: group for group in same_key.values()}
        representatives = [self.atom_endpoints[first][0] for first in members]
        bits_of = self._bits_of
        for src, cells in self.engine.matrix_cell_blocks(sources=representatives, any_order=True):
            kept = [(ports, bits_of(blocks)) for ports, blocks in cells]
            # Port sets are interned by the engine and equal sets of atoms are one int here:
            # identity stands for both.
            key = tuple((id(ports), id(bits)) for ports, bits in kept)
            row = self._index.get(key)
            if row is None:
                row = self._index[key] = len(self.rows)
                self.rows.append(kept)
            for atom in members[src.atom]:
                self._row_of[atom] = row

    def prefetch(self, atoms: Iterable[int]) -> None:
        """Compute the rows of these atoms together: the engine then computes a shared row once."""
        missing = [a for a in atoms if self._row_of[a] is None]
        if missing:
            self._compute(missing)

    def row_of(self, atom: int) -> int:
        """The index of an atom's row in `rows`."""
        row = self._row_of[atom]
        if row is None:
            self._compute([atom])
            row = self._row_of[atom]
            assert row is not None
        return row

    def cells(self, atom: int) -> Cells:
        return self.rows[self.row_of(atom)]

    def complete(self) -> None:
        """Compute every row (the engine computes a row once for the sources that share it)."""
        if not self._complete:
            missing = [a for a, row in enumerate(self._row_of) if row is None]
            if missing:
                self._compute(missing)
            self._complete = True

    @property
    def row_atoms(self) -> list[int]:
        """Row -> the atoms that have it (every row computed)."""
        if self._row_atoms is None:
            self.complete()
            found = [0] * len(self.rows)
            for atom, row in enumerate(self._row_of):
                found[row] |= 1 << atom  # type: ignore[index]
            self._row_atoms = found
        return self._row_atoms

    def columns(self) -> list[list[tuple[int, Any]]]:
        """Atom -> the rows that reach it, with the ports (every row computed: backward searches)."""
        if self._columns is None:
            self.complete()
            columns: list[list[tuple[int, Any]]] = [[] for _ in self.atom_endpoints]
            for row, cells in enumerate(self.rows):
                for ports, bits in cells:
                    for atom in positions(bits):
                        columns[atom].append((row, ports))
            self._columns = columns
        return self._columns

    def ports(self, src: int, dst: int) -> PortSet | None:
        """What atom `src` may send to atom `dst` (None: nothing)."""
        for ports, bits in self.cells(src):
            if (bits >> dst) & 1:
                return ports
        return None


def shared_rows(extras: dict[str, Any], engine: Engine) -> Rows:
    """The rows of `engine`, computed once per analysis and shared by the rules that ask."""
    cached = extras.get("graph-rows")
    if isinstance(cached, Rows) and cached.engine is engine:
        return cached
    rows = extras["graph-rows"] = Rows(engine)
    return rows
