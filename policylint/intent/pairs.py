"""The skeleton every PL50x connectivity rule follows: decide on classes, explain one pair, blame
the side, group by the place blamed, emit one finding per place.

1. **Decide** with the engine's bitsets: a source's cells towards a mask of destination atoms
   (`Engine.cells_towards`, and each side alone with `egress_cells`/`ingress_cells`), reduced to
   the atoms reached on the ports a destination wants (`WantedAtoms.reached`). Nothing here walks
   pairs of pods: cost is per source class times the handful of cells of its row.
2. **Explain** one representative pair of a blocked group on one port (`Engine.explain`).
3. **Blame** the denying side of that pair (`blame.blame_side`), which picks the place to point at.
4. **Group** by that place (`reach.Groups`) and **emit** one finding per place.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from policylint.engine.bits import from_positions, iter_bits
from policylint.engine.blocks import Blocks, to_blocks
from policylint.engine.ports import PortSet
from policylint.findings import Finding
from policylint.intent.blame import SideBlame, blame_side
from policylint.intent.rule_helpers import Group, Groups
from policylint.model.types import EGRESS

if TYPE_CHECKING:
    from policylint.engine.endpoints import Endpoint


class WantedAtoms:
    """Destination endpoints grouped by the ports a client wants on them, as atom masks: a port
    set (None: any port) -> the atoms of the endpoints that want it."""

    def __init__(self, endpoints: Iterable[Endpoint], wanted: Callable[[Endpoint], PortSet | None]) -> None:
        # Positions first, each mask made once: ORing one bit at a time into a growing int copies
        # it each time, quadratic in the tens of thousands of training pods of a cluster export.
        atoms: dict[PortSet | None, list[int]] = {}
        self.want_of = wanted
        for e in endpoints:
            atoms.setdefault(wanted(e), []).append(e.atom)
        self.groups = [(key, from_positions(sorted(found))) for key, found in atoms.items()]
        self.mask = 0
        for _, mask in self.groups:
            self.mask |= mask
        self._block_groups: list[tuple[PortSet | None, Blocks]] | None = None
        self._hits: dict[tuple[int, int], bool] = {}

    def block_groups(self) -> list[tuple[PortSet | None, Blocks]]:
        """`groups` with each mask as blocks (engine/blocks.py), made once."""
        if self._block_groups is None:
            self._block_groups = [(want, to_blocks(mask)) for want, mask in self.groups]
        return self._block_groups

    def reached(self, cells: Iterable[tuple[PortSet, int]]) -> int:
        """The atoms reached by `cells` on a port they want."""
        found = 0
        for ports, bits in cells:
            for index, (want, mask) in enumerate(self.groups):
                hit = bits & mask
                if hit and self._overlaps(ports, index, want):
                    found |= hit
        return found

    def _overlaps(self, ports: PortSet, index: int, want: PortSet | None) -> bool:
        key = (id(ports), index)  # engine port sets are interned: identity is equality
        found = self._hits.get(key)
        if found is None:
            found = self._hits[key] = (not ports.is_empty) if want is None else not (ports & want).is_empty
        return found


@dataclass(frozen=True, slots=True)
class Representative:
    """One pair standing for a blocked group, the port to explain it on, and the side to blame."""

    src: Endpoint
    dst: Endpoint
    protocol: str
    port: int
    direction: str  # EGRESS: the source's side; INGRESS: the destination's side


class Blamer:
    """Explains representative pairs, memoised per (classes, port, side): a blocked class of
    many pods costs one explanation."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._cache: dict[tuple, SideBlame] = {}

    def blame(self, pair: Representative, other_text: str | None = None) -> SideBlame:
        key = (pair.src.index, pair.dst.index, pair.protocol, pair.port, pair.direction, other_text)
        found = self._cache.get(key)
        if found is None:
            explanation = self.engine.explain(pair.src, pair.dst, pair.protocol, pair.port)
            is_egress = pair.direction == EGRESS
            side = explanation.egress if is_egress else explanation.ingress
            found = self._cache[key] = blame_side(side, pair.dst if is_egress else pair.src, other_text)
        return found


def add(groups: Groups, blamed: SideBlame, *discriminator: object, also: str = "", **items) -> Group:
    """File a blamed side under its place (and a discriminator, such as the side's name)."""
    group = groups.get(blamed.anchor, blamed.reason + also, *discriminator)
    group.add(related=blamed.related, **items)
    return group


def emit(ctx, groups: Groups, message: Callable[[tuple, Group], str]) -> Iterator[Finding]:
    for key, group in groups.items():
        yield ctx.finding(group.anchor.span, message(key, group), related=group.related,
                          object=group.anchor.object, field_path=group.anchor.field_path)


class Mesh:
    """A job's replica types that exchange collective traffic, as endpoints and one atom mask.
    `row(src)` is the engine's row from one source towards the mesh, computed once per source
    class: (ports, atoms) cells."""

    def __init__(self, engine, workloads: Iterable) -> None:
        self.engine = engine
        self.members = [(w, engine.endpoint_of(w)) for w in workloads]
        self.mask = 0
        self._by_atom: dict[int, list[tuple]] = {}
        for w, e in self.members:
            self.mask |= 1 << e.atom
            self._by_atom.setdefault(e.atom, []).append((w, e))
        self._rows: dict[tuple[int, int], list[tuple[PortSet, int]]] = {}

    def towards(self, src: Endpoint, mask: int | None = None) -> int:
        """The destination atoms a source is paired with: the mesh (or `mask`), less its own atom
        when that atom is a single pod (no loopback pair)."""
        mask = self.mask if mask is None else mask
        workload = src.workload
        if workload is not None and workload.replicas <= 1 and len(self.engine.atom_endpoints()[src.atom]) == 1:
            mask &= ~(1 << src.atom)
        return mask

    def row(self, src: Endpoint, mask: int | None = None) -> list[tuple[PortSet, int]]:
        mask = self.towards(src, mask)
        key = (src.atom, mask)
        found = self._rows.get(key)
        if found is None:
            found = self._rows[key] = self.engine.cells_towards(src, mask)
        return found

    def endpoints_in(self, bits: int) -> Iterator[tuple]:
        """(workload, endpoint) of the mesh members whose atoms are in `bits`, in atom order."""
        for atom in iter_bits(bits & self.mask):
            yield from self._by_atom.get(atom, ())

    def cell_of(self, row: list[tuple[PortSet, int]], atom: int) -> PortSet | None:
        """The ports a row allows towards one atom (cells are disjoint); None when none."""
        for ports, bits in row:
            if (bits >> atom) & 1:
                return ports
        return None
