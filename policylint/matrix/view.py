"""The matrix with the command's filters applied (--from, --to, --port, --namespace)."""
from __future__ import annotations

from typing import Any

from policylint.engine.bits import positions
from policylint.engine.blocks import intersection, to_blocks


class MatrixView:
    """The matrix with the command's filters applied, one source row at a time.

    A row comes from the engine as *cells* ((ports, destination atoms), see Engine.matrix_cells):
    the port and namespace filters act on whole cells, and only rendering expands them into
    destinations. Nothing here holds more than one row of pairs."""

    def __init__(self, engine, sources, destinations, namespace: str | None,
                 port_filter: tuple[str | None, int] | None) -> None:
        self.engine = engine
        self.sources = sources
        self.destinations = destinations
        self.namespace = namespace
        self.port_filter = port_filter
        self.wanted = engine.wanted_indexes(destinations) if destinations is not None else None
        self._namespace_atoms = engine.namespace_atoms(namespace) if namespace else 0
        self._namespace_blocks = to_blocks(self._namespace_atoms)
        self._invalid_atoms = engine.invalid_destination_atoms()
        self._allows: dict[int, bool] = {}
        # atom -> its only endpoint's index, when every atom is one endpoint in endpoint order
        self._single = engine.single_endpoint_atoms() if self.wanted is None else None
        self._by_atom: dict[int, tuple[list[str], list[str]]] = {}  # id(prefix) -> (it, per atom)
        # The lines of rows whose cells later sources share (see `rows` and `lines`):
        # id(cells) -> (cells, later sources, {(source_invalid, render, id(prefix)): lines})
        self._row_cells: list | None = None
        self._row_later = 0
        self._kept: dict[int, tuple[list, dict[tuple, list[str]]]] = {}

    def _port_ok(self, ports) -> bool:
        known = self._allows.get(id(ports))
        if known is None:
            known = self._allows[id(ports)] = port_allows(ports, *self.port_filter)  # type: ignore[misc]
        return known

    def rows(self):
        """(source, source_invalid, [(ports, destination atoms)]) for every source with something left."""
        engine = self.engine
        for src, cells, later in engine.matrix_cells_counted(sources=self.sources, destinations=self.destinations):
            items = self._filtered(src, cells)
            if items:
                # Sources with equal row keys share one list of cells: `lines` keeps what it
                # makes of an unfiltered one until the last of them.
                if items is cells:
                    self._row_cells, self._row_later = cells, later
                yield src, engine.invalid_as_source(src), items
            if not later:
                self._kept.pop(id(cells), None)
            self._row_cells = None

    def source_groups(self):
        """(source, source_invalid, n, chunks, reached) for one source of each set of n sources
        with equal rows, in the same namespace and equally invalid as sources: the row's
        (ports, destination atoms as blocks) items in lists that may recur between rows as the
        same objects (`Engine.matrix_layer_blocks`), which may overlap (a destination's ports are
        the union of those holding it), and the union of their atoms, or None when the caller must
        make it. The engine's row key tells equal rows without computing them, so a cluster of
        150,000 pods in a few thousand distinct rows costs a few thousand rows (`--aggregate`)."""
        engine = self.engine
        sources = sorted(set(self.sources)) if self.sources is not None else engine.endpoints
        tally: dict[tuple, list] = {}
        for src in sources:
            key = (src.namespace, engine.invalid_as_source(src), engine.row_key(src))
            found = tally.get(key)
            if found is None:
                tally[key] = [src, 1]
            else:
                found[1] += 1
        number = {src: n for src, n in tally.values()}
        del tally
        if self.port_filter is not None:
            # A port filter keeps a destination by the union of its ports: then the cells.
            for src, cells in engine.matrix_cell_blocks(sources=list(number), destinations=self.destinations,
                                                         any_order=True):
                items = self._filtered_blocks(src, cells)
                if items:
                    yield src, engine.invalid_as_source(src), number[src], [items], None
            return
        # Layers (which may overlap) add up as well as cells.
        cut = self.namespace
        for src, (chunks, reached) in engine.matrix_layer_blocks(sources=list(number), destinations=self.destinations):
            if cut and src.namespace != cut:
                items = self._filtered_blocks(src, [item for chunk in chunks for item in chunk])
                chunks = [items] if items else []
                if reached is not None:
                    reached = intersection(reached, self._namespace_blocks)
            if any(chunks):
                yield src, engine.invalid_as_source(src), number[src], chunks, reached

    def _filtered(self, src, cells: list) -> list:
        """A row's cells under the port and namespace filters."""
        items = self._by_port(cells)
        if items and self.namespace and src.namespace != self.namespace:
            items = [(p, b & self._namespace_atoms) for p, b in items if b & self._namespace_atoms]
        return items

    def _filtered_blocks(self, src, cells: list) -> list:
        """`_filtered` for cells whose atoms are blocks (engine/blocks.py)."""
        items = self._by_port(cells)
        if items and self.namespace and src.namespace != self.namespace:
            within = self._namespace_blocks
            items = [(p, x) for p, x in ((p, intersection(b, within)) for p, b in items) if x]
        return items

    def _by_port(self, cells: list) -> list:
        """The cells whose ports pass --port (all of them without it)."""
        if cells and self.port_filter is not None:
            return [(p, b) for p, b in cells if self._port_ok(p)]
        return cells

    def may_have_unknown(self) -> bool:
        """Whether the input has cluster-wide rules whose peers cannot be judged offline (nodes,
        domainNames, networks against pods without IPs): only then can `unknown_rows` yield, and
        only then do the formats with a fixed layout (CSV) add their `unknown` column."""
        from policylint.caveats import offline_rules

        return bool(self.engine.has_tiers and offline_rules(self.engine.cluster))

    def unknown_rows(self):
        """(source, [(ports, destination atoms)]) of the ports that cannot be judged offline
        (cluster-wide policy rules with nodes, domainNames or networks peers), filtered like `rows`.
        Empty, at no cost, when the input has no such rule."""
        engine = self.engine
        if not self.may_have_unknown():
            return
        sources = sorted(set(self.sources)) if self.sources is not None else engine.endpoints
        for src in sources:
            items = self._filtered(src, engine.unknown_cells(src, self.destinations))
            if items:
                yield src, items

    def lines(self, items, source_invalid: bool, render, prefix: list[str]) -> list[str]:
        """A row's lines, sorted by destination: prefix[destination index] + render(ports, invalid).

        `render` is asked once per (ports, invalid) by the caller's cache, so a row of thousands
        of pairs costs one look-up and one concatenation per pair. For the row `rows` has just
        given, when later sources share its cells, the lines are kept for them (`render` and
        `prefix` are the caller's same objects from row to row); the list is shared: callers
        never change it."""
        if items is not self._row_cells:
            return self._lines(items, source_invalid, render, prefix)
        found = self._kept.get(id(items))
        key = (source_invalid, render, id(prefix))
        if found is not None and found[0] is items:
            known = found[1].get(key)
            if known is None:
                known = found[1][key] = self._lines(items, source_invalid, render, prefix)
            return known
        made = self._lines(items, source_invalid, render, prefix)
        if self._row_later:
            self._kept[id(items)] = (items, {key: made})
        return made

    def _lines(self, items, source_invalid: bool, render, prefix: list[str]) -> list[str]:
        engine, invalid_atoms = self.engine, self._invalid_atoms
        tail_of: dict[int, Any] = {}  # destination atom -> tail
        for ports, bits in items:
            if source_invalid or not bits & invalid_atoms:
                tail_of.update(dict.fromkeys(positions(bits), render(ports, source_invalid)))
                continue
            for flag, part in ((True, bits & invalid_atoms), (False, bits & ~invalid_atoms)):
                if part:
                    tail_of.update(dict.fromkeys(positions(part), render(ports, flag)))
        order = sorted(tail_of)
        if self._single is not None:  # one endpoint per atom, atoms in endpoint order
            by_atom = self._prefix_by_atom(prefix)
            return list(map(str.__add__, map(by_atom.__getitem__, order), map(tail_of.__getitem__, order)))
        wanted, atom_endpoints = self.wanted, engine.atom_endpoints()
        found = [(e.index, prefix[e.index] + tail_of[a]) for a in order for e in atom_endpoints[a]
                 if wanted is None or e.index in wanted]
        found.sort()
        return [line for _, line in found]

    def _prefix_by_atom(self, prefix: list[str]) -> list[str]:
        """prefix[the endpoint of each atom] (`_single`), made once per prefix list."""
        found = self._by_atom.get(id(prefix))
        if found is None or found[0] is not prefix:  # the entry keeps prefix alive: its id stays unique
            found = self._by_atom[id(prefix)] = (prefix, list(map(prefix.__getitem__, self._single)))
        return found[1]


def port_allows(ports, protocol: str | None, number: int) -> bool:
    """Whether `ports` holds `number` for `protocol` (any protocol when None): the --port filter."""
    if protocol is not None:
        return ports.contains(protocol, number)
    return any(ports.contains(p, number) for p in ("TCP", "UDP", "SCTP"))


def shown_endpoints(engine, sources, destinations, namespace: str | None) -> list:
    """The endpoints the output lists (JSON's `endpoints`, DOT's nodes) under the filters."""
    if sources is None and destinations is None and not namespace:
        return list(engine.endpoints)
    chosen = set(sources or []) | set(destinations or [])
    if sources is None or destinations is None:
        chosen |= set(engine.endpoints)
    if namespace:
        chosen = {e for e in chosen if e.is_external or e.namespace == namespace} | set(sources or []) | set(destinations or [])
    return sorted(chosen)
