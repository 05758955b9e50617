"""The connectivity engine: which ports each endpoint may use towards each other endpoint.

A connection S -> D is allowed on a port iff S's egress side allows it (or S is not isolated for
egress) and D's ingress side allows it (or D is not isolated for ingress); an external range has
no side of its own. Each side is precomputed per pod class as a few (atoms, port spec) groups —
the union of the rules of the policies that isolate it, merged by port spec — so a single pair is
answered by a handful of bit tests, and a whole matrix row by ANDing groups together.
"""
from __future__ import annotations

from collections import deque
from itertools import count, repeat
from typing import Callable, Iterable, Iterator

from policylint.engine.bits import from_positions, has, iter_bits, positions
from policylint.engine.blocks import Blocks, add_into, from_blocks, intersection, meets, to_blocks, union, union_within, without
from policylint.engine.compile import CompiledPolicy, CompiledRule, Compiler
from policylint.engine.endpoints import Endpoint, build_space
from policylint.engine.ipset import parse_address_or_network
from policylint.engine.ports import ALL_PORTS, ALL_SPEC, EMPTY_PORTS, PortSet, PortSpec, resolve_names
from policylint.model.types import EGRESS, INGRESS, Cluster, NetworkPolicy, Peer, Rule, Service, Workload

SERVICE_SUFFIX = "[Service]"
Groups = dict[PortSpec, int]  # port spec -> atoms on the other side


class Engine:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        space = build_space(cluster)
        self._space = space
        self.endpoints: list[Endpoint] = space.endpoints
        self._by_id = {e.id: e for e in self.endpoints}
        self._by_object = {id(e.workload): e for e in self.endpoints if e.workload is not None}
        # atom -> endpoints (several workloads may share a class; a range is one endpoint)
        self._atom_endpoints: list[list[Endpoint]] = [[] for _ in range(len(space.classes) + len(space.ranges))]
        for e in self.endpoints:
            self._atom_endpoints[e.atom].append(e)
        self._named_ports = [c.named_ports for c in space.classes]
        self._compiler = compiler = Compiler(cluster, space)
        self.policies: list[CompiledPolicy] = [compiler.compile_policy(i, p) for i, p in enumerate(cluster.evaluated_policies)]
        self._policy_index = {id(p): i for i, p in enumerate(cluster.evaluated_policies)}
        self._compiled_rules = {id(r.rule): r for cp in self.policies for r in cp.ingress + cp.egress}
        self._isolated = {INGRESS: 0, EGRESS: 0}
        self._tainted = {INGRESS: 0, EGRESS: 0}
        self._groups: dict[str, list[Groups]] = {d: [{} for _ in space.classes] for d in (INGRESS, EGRESS)}
        self._selecting: dict[str, list[list[int]]] = {d: [[] for _ in space.classes] for d in (INGRESS, EGRESS)}
        for cp in self.policies:
            self._add_policy(cp)
        self._build_groups()
        # Per-atom tests asked for every source (row keys, `invalid_as_source`): as bytes, one
        # index each; a shift of an int over every atom cost the cluster's width per test.
        self._egress_isolated = _table(self._isolated[EGRESS], compiler.atoms)
        self._memo = _PortMemo()
        # Cluster-wide policies (engine/tiers.py): only when the input has some, so that the
        # answers for NetworkPolicies alone are computed exactly as they always were.
        self._tiers = None
        if cluster.tier_policies:
            from policylint.engine.tiers import TierEngine

            self._tiers = TierEngine(self)
            for d in (INGRESS, EGRESS):
                self._tainted[d] |= self._tiers.tainted[d]
        self._egress_tainted = _table(self._tainted[EGRESS], compiler.atoms)
        self._resolved: dict[tuple[int, int], tuple[PortSpec, PortSet]] = {}
        self._membership: list[tuple[int, ...]] | None = None  # see _membership_of
        self._peer_groups: list[list[tuple[PortSpec, int]]] = []  # each peer set's ingress groups
        self._block_cache: dict[int, tuple[int, Blocks]] = {}  # id(bitset) -> (it, its blocks), see _blocks
        self._plans: dict[int, list[tuple[PortSpec, list[Blocks]]]] = {}  # see _plan
        self._member_tuples: dict[tuple[int, ...], tuple[int, ...]] = {}  # interned tuples of peer sets
        self._row_members_of: dict[tuple[int, int], tuple[int, ...]] = {}  # see _row_members
        self._peer_reached: dict[tuple[int, int], bool] = {}  # (id(egress side), peer set) -> may meet
        self._reach_of: dict[int, Blocks] = {}  # id(egress side) -> where it may go, see _egress_reach
        self._spec_block_parts: dict[int, tuple[PortSpec, list[tuple[Blocks | None, PortSet]]]] = {}
        self._part_blocks: dict[int, tuple[PortSpec, dict[int, list[tuple[int, int]]]]] = {}  # see _meet_parts
        self._peer_cell_cache: dict[int, list[tuple[PortSet, Blocks]]] = {}  # see _peer_cells
        self._peer_reach_cache: dict[int, Blocks] = {}  # see _peer_reach
        self._anyone: list[tuple[PortSet, Blocks]] | None = None  # see _anyone_layer
        self._open_states: dict[tuple[int, ...], _Refinement] = {}  # see _open_state
        self._unisolated: int | None = None  # see _admitting_anyone
        self._egress_keys: dict[int, frozenset] = {}  # id(egress groups of a class) -> its row key part
        self._spec_parts: dict[int, tuple[PortSpec, list[tuple[int, PortSet]]]] = {}
        self._signatures: list[tuple[tuple, int]] | None = None
        self._signatures_holding: dict[tuple[str, str], list[int]] = {}
        self._named_on: dict[tuple[tuple[tuple[str, str], ...], int], PortSet] = {}  # see _parts
        # Whether atom order is endpoint order (each class one workload, numbered in id order):
        # then a row read off a single bitset needs no sorting.
        atoms = [e.atom for e in self.endpoints]
        self._atoms_in_order = all(a < b for a, b in zip(atoms, atoms[1:]))

    def _add_policy(self, cp: CompiledPolicy) -> None:
        if not cp.policy.pod_selector.valid:
            # The selector is unreadable, so which pods it was meant for is unknown: every pod of
            # its namespace may be affected.
            scope = self._compiler.classes_in_namespace.get(cp.policy.namespace, 0)
            for d in cp.policy.policy_types:
                self._tainted[d] |= scope
        for direction in (INGRESS, EGRESS):
            if not cp.isolates(direction) or not cp.selected:
                continue
            self._isolated[direction] |= cp.selected
            if cp.invalid_for(direction):
                self._tainted[direction] |= cp.selected
            _append_to_each(map(self._selecting[direction].__getitem__, positions(cp.selected)), cp.index)

    def _build_groups(self) -> None:
        """Each class's side: the union of the rules of the policies that select it, per port spec.

        Classes selected by the same policies have the same side, so it is built once per distinct
        list of policies and shared (never mutated afterwards). In a cluster export every pod is a
        class of its own (its IP and per-pod labels), and one union of bitsets over all atoms per
        class would take gigabytes at 150,000 pods; the distinct lists number about the workloads.
        """
        for direction in (INGRESS, EGRESS):
            shared: dict[tuple[int, ...], tuple[list[int], Groups]] = {}
            selecting = self._selecting[direction]
            groups_of = self._groups[direction]
            for c, indices in enumerate(selecting):
                if not indices:
                    continue
                key = tuple(indices)
                found = shared.get(key)
                if found is None:
                    groups: Groups = {}
                    for i in indices:
                        for r in self.policies[i].rules(direction):
                            if r.bits:
                                known = groups.get(r.spec)  # one rule alone: share its bitset
                                groups[r.spec] = r.bits if known is None else known | r.bits
                    found = shared[key] = (indices, groups)
                selecting[c], groups_of[c] = found

    # -- lookups -------------------------------------------------------------------------------

    def endpoint(self, id: str) -> Endpoint | None:
        return self._by_id.get(id)

    def endpoint_of(self, workload: Workload) -> Endpoint:
        return self._by_object[id(workload)]

    def resolve(self, text: str) -> list[Endpoint]:
        """An exact endpoint id; `ns/name[Service]` (the pods the Service selects);
        `ns/name` (every workload of that name: a job's replica types);
        `ns/*` (every workload of a namespace); or an address / CIDR: the pods with an IP inside
        and the external ranges it touches."""
        text = text.strip()
        exact = self._by_id.get(text)
        if exact is not None:
            return [exact]
        service = self.service(text)
        if service is not None:
            return sorted(self.endpoint_of(w) for w in self.cluster.service_pods(service))
        if text.endswith("/*") and text.count("/") == 1:
            return [e for e in self.endpoints if e.workload is not None and e.namespace == text[:-2]]
        named = [e for e in self.endpoints if e.workload is not None and f"{e.namespace}/{e.name}" == text]
        if named:
            return named
        query = parse_address_or_network(text)
        if query is None:
            return []
        found = [
            e for e in self.endpoints
            if e.workload is not None and any(query.contains(ip) for ip in e.workload.pod_ips)
        ]
        for atom in iter_bits(self._compiler.overlapping_range_bits(query)):
            found.extend(self._atom_endpoints[atom])
        return sorted(found)

    def service(self, text: str) -> Service | None:
        """The Service named `ns/name[Service]`, or None when `text` names none."""
        text = text.strip()
        if not text.endswith(SERVICE_SUFFIX) or text.count("/") != 1:
            return None
        namespace, name = text[: -len(SERVICE_SUFFIX)].split("/")
        return self.cluster.service(namespace, name)

    def _atom(self, item: Endpoint | Workload) -> int:
        if isinstance(item, Endpoint):
            return item.atom
        return self._by_object[id(item)].atom

    def _workloads(self, bits: int) -> list[Workload]:
        return [e.workload for a in iter_bits(bits & self._compiler.pods) for e in self._atom_endpoints[a]
                if e.workload is not None]

    def compiled(self, policy: NetworkPolicy) -> CompiledPolicy:
        return self.policies[self._policy_index[id(policy)]]

    def compiled_rule(self, policy: NetworkPolicy, rule: Rule) -> CompiledRule:
        found = self._compiled_rules.get(id(rule))
        if found is not None and found.rule is rule:
            return found
        cp = self.compiled(policy)
        return next(r for r in cp.rules(rule.direction) if r.rule is rule)

    def selected_by(self, policy: NetworkPolicy) -> list[Workload]:
        return sorted(self._workloads(self.compiled(policy).selected), key=lambda w: self.endpoint_of(w).index)

    def policies_selecting(self, workload: Endpoint | Workload, direction: str) -> list[NetworkPolicy]:
        """The policies that select the workload and isolate it in `direction`."""
        if isinstance(workload, Endpoint) and workload.is_external:
            return []
        return [self.policies[i].policy for i in self._selecting[direction][self._atom(workload)]]

    def isolated(self, workload: Endpoint | Workload, direction: str) -> bool:
        if isinstance(workload, Endpoint) and workload.is_external:
            return False
        return has(self._isolated[direction], self._atom(workload))

    def peer_bits(self, policy: NetworkPolicy, peer: Peer) -> int:
        return self._compiler.peer_bits(policy.namespace, peer)

    def peer_workloads(self, policy: NetworkPolicy, peer: Peer) -> list[Workload]:
        """Workloads a peer matches, by selectors or by a known pod IP inside its ipBlock."""
        return sorted(self._workloads(self.peer_bits(policy, peer)), key=lambda w: self.endpoint_of(w).index)

    def peer_endpoints(self, policy: NetworkPolicy, peer: Peer) -> list[Endpoint]:
        """Everything a peer matches: workloads and external ranges."""
        return [e for a in iter_bits(self.peer_bits(policy, peer)) for e in self._atom_endpoints[a]]

    # -- one pair ------------------------------------------------------------------------------

    def resolve_spec(self, spec: PortSpec, destination: Endpoint) -> PortSet:
        """A rule's ports made concrete on a destination (named ports need its container ports)."""
        return self._resolve_atom(spec, destination.atom)

    def _side(self, direction: str, pod: Endpoint, other: Endpoint, destination: Endpoint) -> PortSet:
        if self._tiers is not None:
            src, dst = (pod, other) if direction == EGRESS else (other, pod)
            return self._tiers.side(direction, src.atom, dst.atom)[0]
        if pod.is_external or not (self._isolated[direction] >> pod.atom) & 1:
            return ALL_PORTS
        result = EMPTY_PORTS
        atom = other.atom
        either = self._memo.either
        for spec, bits in self._groups[direction][pod.atom].items():
            if (bits >> atom) & 1:
                ports = self._resolve_atom(spec, destination.atom)
                result = ports if result is EMPTY_PORTS else either(result, ports)
        return result

    def egress_ports(self, src: Endpoint, dst: Endpoint) -> PortSet:
        """What src's egress side allows towards dst (everything when src is external or not isolated)."""
        return self._side(EGRESS, src, dst, dst)

    def ingress_ports(self, src: Endpoint, dst: Endpoint) -> PortSet:
        """What dst's ingress side allows from src (everything when dst is external or not isolated)."""
        return self._side(INGRESS, dst, src, dst)

    @property
    def has_tiers(self) -> bool:
        """Whether the input has cluster-wide policies (AdminNetworkPolicy and its kin)."""
        return self._tiers is not None

    @property
    def tiers(self):
        """The tier evaluation (engine/tiers.py), or None without cluster-wide policies."""
        return self._tiers

    def unknown_ports(self, src: Endpoint, dst: Endpoint) -> PortSet:
        """Ports whose answer for the pair cannot be known offline (a `nodes` or `domainNames`
        peer, a `networks` peer against a pod of unknown IP, might decide them): neither in
        `allowed_ports` nor denied. Always empty without cluster-wide policies."""
        if self._tiers is None or (src.is_external and dst.is_external):
            return EMPTY_PORTS
        return self._tiers.unknown(src.atom, dst.atom)

    def side_unknown_ports(self, direction: str, src: Endpoint, dst: Endpoint) -> PortSet:
        """The unknown ports of one side (egress at src, ingress at dst)."""
        if self._tiers is None:
            return EMPTY_PORTS
        return self._tiers.side(direction, src.atom, dst.atom)[1]

    def unknown_cells(self, src: Endpoint, destinations: Iterable[Endpoint] | None = None) -> list[tuple[PortSet, int]]:
        """A source's unknown ports as cells (ports -> destination atoms), like `matrix_cells`."""
        if self._tiers is None:
            return []
        mask = self._compiler.all
        if destinations is not None:
            mask = 0
            for e in destinations:
                mask |= 1 << e.atom
        return self._tiers.unknown_cells(src.atom, mask)

    def allowed_ports(self, src: Endpoint, dst: Endpoint) -> PortSet:
        if self._tiers is not None:
            if src.is_external and dst.is_external:
                return EMPTY_PORTS
            return self._tiers.allowed(src.atom, dst.atom)
        # Both sides are canonical port sets (see _PortMemo): their intersection is memoised.
        return self._memo.both(self._side(EGRESS, src, dst, dst), self._side(INGRESS, dst, src, dst))

    # -- one source towards many destinations, side by side -----------------------------------

    def cells_towards(self, src: Endpoint, mask: int) -> list[tuple[PortSet, int]]:
        """Both sides together: the destination atoms in `mask` that src reaches, as disjoint
        (ports, atoms) cells (see matrix_cells)."""
        return self._cells(src.atom, mask)

    def egress_cells(self, src: Endpoint, mask: int) -> list[tuple[PortSet, int]]:
        """src's egress side alone: the destination atoms in `mask` it lets out to, as (ports,
        atoms) pieces that may overlap; ports are resolved on each destination."""
        if self._tiers is not None:
            return self._tier_side(0, src, mask)
        c = self._compiler
        if src.atom >= c.classes:
            return [(ALL_PORTS, mask & c.pods)] if mask & c.pods else []
        if not _in(self._egress_isolated, src.atom):
            return [(ALL_PORTS, mask & c.all)] if mask & c.all else []
        return self._pieces(self._egress_of(src.atom), mask)

    def ingress_cells(self, src: Endpoint, mask: int) -> list[tuple[PortSet, int]]:
        """The destinations' ingress sides alone: the atoms in `mask` whose ingress admits src, as
        (ports, atoms) pieces that may overlap."""
        if self._tiers is not None:
            return self._tier_side(1, src, mask)
        return [(ports, from_blocks(blocks)) for ports, blocks in self._ingress_pieces(src, mask)]

    # The same answers with each cell's atoms as blocks (engine/blocks.py), for callers that meet
    # the cells with masks of their own: as ints, every cell and every such AND costs the width
    # of the cluster however few pods it holds.

    def cells_towards_blocks(self, src: Endpoint, mask: int) -> list[tuple[PortSet, Blocks]]:
        """`cells_towards`, each cell's atoms as blocks."""
        return self._cell_blocks_any(src.atom, mask)

    def egress_cells_blocks(self, src: Endpoint, mask: int) -> list[tuple[PortSet, Blocks]]:
        """`egress_cells`, each piece's atoms as blocks."""
        return [(ports, to_blocks(bits)) for ports, bits in self.egress_cells(src, mask)]

    def ingress_cells_blocks(self, src: Endpoint, mask: int) -> list[tuple[PortSet, Blocks]]:
        """`ingress_cells`, each piece's atoms as blocks."""
        if self._tiers is not None:
            return [(ports, to_blocks(bits)) for ports, bits in self._tier_side(1, src, mask)]
        return self._ingress_pieces(src, mask)

    def _ingress_pieces(self, src: Endpoint, mask: int) -> list[tuple[PortSet, Blocks]]:
        unisolated = mask & self._admitting_anyone()
        pieces = [(ALL_PORTS, to_blocks(unisolated))] if unisolated else []
        mask_blocks = to_blocks(mask)
        for spec, groups in self._ingress_plan(src.atom):
            found = union_within(groups, mask_blocks)
            if not found:
                continue
            for part, ports in self._block_parts(spec):
                x = found if part is None else intersection(found, part)
                if x and ports is not EMPTY_PORTS:
                    pieces.append((ports, x))
        return pieces

    def _tier_side(self, which: int, src: Endpoint, mask: int) -> list[tuple[PortSet, int]]:
        """One side's cells through the tiers (admin, NetworkPolicy, baseline): the allowed ports;
        ports the tiers cannot judge offline are not counted as allowed."""
        return [(allowed, bits & mask) for (allowed, _unknown), bits in self._tiers.row(src.atom)[which]
                if bits & mask and allowed is not EMPTY_PORTS]

    def _pieces(self, groups: Iterable[tuple[PortSpec, int]], mask: int) -> list[tuple[PortSet, int]]:
        out = []
        for spec, bits in groups:
            bits &= mask
            if not bits:
                continue
            for part, ports in self._parts(spec):
                x = bits & part
                if x and ports is not EMPTY_PORTS:
                    out.append((ports, x))
        return out

    def rule_ports(self, policy: NetworkPolicy, rule: Rule, src: Endpoint, dst: Endpoint) -> PortSet:
        """What one rule allows for the pair: nothing unless its policy isolates the pod side of
        the rule's direction and selects that pod, and a peer matches the other side."""
        cp = self.compiled(policy)
        pod, other = (dst, src) if rule.direction == INGRESS else (src, dst)
        if pod.is_external or not cp.isolates(rule.direction) or not has(cp.selected, pod.atom):
            return EMPTY_PORTS
        compiled = self.compiled_rule(policy, rule)
        if not has(compiled.bits, other.atom):
            return EMPTY_PORTS
        return self.resolve_spec(compiled.spec, dst)

    def invalid_policies_on(self, direction: str, pod: Endpoint) -> list[NetworkPolicy]:
        """Policies with invalid parts that bear on one pod side: they isolate it in `direction`,
        or their unreadable podSelector might have selected it."""
        if pod.is_external or not has(self._tainted[direction], pod.atom):
            return []
        return [
            cp.policy for cp in self.policies
            if cp.invalid_for(direction) and cp.isolates(direction) and (
                has(cp.selected, pod.atom)
                or (not cp.policy.pod_selector.valid and cp.policy.namespace == pod.namespace))
        ]

    def depends_on_invalid(self, src: Endpoint, dst: Endpoint) -> bool:
        """Whether the answer for the pair rests on a policy the API server would reject."""
        # Only pod classes are ever tainted, so external atoms need no special case.
        return bool((self._tainted[EGRESS] >> src.atom) & 1 or (self._tainted[INGRESS] >> dst.atom) & 1)

    def explain(self, src: Endpoint, dst: Endpoint, protocol: str | None, port: int | None):
        """Why the pair is allowed or denied on (protocol, port); None for either means "any"."""
        from policylint.engine.explain import explain

        return explain(self, src, dst, protocol, port)

    # -- the matrix ----------------------------------------------------------------------------

    def matrix(self, *, sources: Iterable[Endpoint] | None = None,
               destinations: Iterable[Endpoint] | None = None) -> Iterator[tuple[Endpoint, Endpoint, PortSet]]:
        """Every pair with something allowed, sorted by (source, destination); never
        external -> external, which no NetworkPolicy governs."""
        for src, row in self.matrix_rows(sources=sources, destinations=destinations):
            for dst, ports in row:
                yield src, dst, ports

    def matrix_rows(self, *, sources: Iterable[Endpoint] | None = None,
                    destinations: Iterable[Endpoint] | None = None
                    ) -> Iterator[tuple[Endpoint, list[tuple[Endpoint, PortSet]]]]:
        """The matrix one source at a time: (source, [(destination, ports), …] sorted by
        destination), only sources with something allowed. Port sets are interned: equal sets
        are the same object. Only one row is alive at a time, whatever the size of the matrix."""
        if destinations is not None:
            destinations = list(destinations)
        wanted = self.wanted_indexes(destinations) if destinations is not None else None
        for src, cells in self.matrix_cells(sources=sources, destinations=destinations):
            row = self.expand_cells(cells, wanted)
            if row:
                yield src, row

    def matrix_cells(self, *, sources: Iterable[Endpoint] | None = None,
                     destinations: Iterable[Endpoint] | None = None
                     ) -> Iterator[tuple[Endpoint, list[tuple[PortSet, int]]]]:
        """Each source's row as *cells*: (allowed ports, the destination atoms allowed exactly
        those ports), disjoint bitsets, each port set once. A row is a handful of cells however many destinations
        it has, so counting and aggregating need not expand it pair by pair."""
        return self._source_rows(sources, destinations, self._cells)

    def matrix_cells_counted(self, *, sources: Iterable[Endpoint] | None = None,
                             destinations: Iterable[Endpoint] | None = None
                             ) -> Iterator[tuple[Endpoint, list[tuple[PortSet, int]], int]]:
        """`matrix_cells`, each row with the number of later sources that get the same list of
        cells (sources with equal row keys share one list, computed once): what a caller derives
        from a row's cells it can keep for exactly as long as they recur."""
        return self._source_rows(sources, destinations, self._cells, counted=True)

    def matrix_cell_blocks(self, *, sources: Iterable[Endpoint] | None = None,
                           destinations: Iterable[Endpoint] | None = None, any_order: bool = False
                           ) -> Iterator[tuple[Endpoint, list[tuple[PortSet, Blocks]]]]:
        """`matrix_cells` with each cell's atoms as blocks, for callers that count or walk the
        cells rather than meet them with whole-width sets (see `cells_towards_blocks`). With
        `any_order`, the cells of a row may come in another order than `matrix_cells` gives them
        (the same cells), which lets a row whose source is not isolated for egress be made from
        each peer set's own cells (`_open_row`)."""
        return self._source_rows(sources, destinations, self._cells_any_order if any_order else self._cell_blocks_any)

    def matrix_layer_blocks(self, *, sources: Iterable[Endpoint] | None = None,
                            destinations: Iterable[Endpoint] | None = None
                            ) -> Iterator[tuple[Endpoint, tuple[list[list[tuple[PortSet, Blocks]]], Blocks | None]]]:
        """Each source's row as *layers*: (ports, destination atoms as blocks) that may overlap,
        a destination's ports being the union of the layers that hold it, for callers that add
        rows up per group of destinations. A row comes as (chunks, reached): its layers in lists
        that recur between rows as the same objects (a caller that takes each list once per group
        of rows skips most of the layers), and their union, the destinations reached, or None when
        the caller must make it. A row whose source is not isolated for egress is its ingress side
        unrefined (`_open_layers`): a list per peer set the source belongs to, and the union made
        from one kept union per set (a few ORs where the layers are hundreds). The others are
        their cells, one list. The lists and layers are the engine's own: never changed by the
        caller; the union is a new dict."""
        return self._source_rows(sources, destinations, self._layers_of)

    def _layers_of(self, s: int, mask: int) -> tuple[list[list[tuple[PortSet, Blocks]]], Blocks | None]:
        if not self._open_egress_row(s, mask):
            return [self._cell_blocks_any(s, mask)], None
        return self._open_layers(s)

    def _peer_reach(self, index: int) -> Blocks:
        """The union of one peer set's cells (`_peer_cells`), kept for the engine's life."""
        found = self._peer_reach_cache.get(index)
        if found is None:
            found = self._peer_reach_cache[index] = union([blocks for _, blocks in self._peer_cells(index)])
        return found

    def _open_egress_row(self, s: int, mask: int) -> bool:
        """Whether the row asked for is a pod class's not isolated for egress, towards every atom,
        without cluster-wide policies: its ingress side alone (`_open_layers`, `_open_row`)."""
        c = self._compiler
        return self._tiers is None and mask is c.all and s < c.classes and not _in(self._egress_isolated, s)

    def _source_rows(self, sources: Iterable[Endpoint] | None, destinations: Iterable[Endpoint] | None,
                     cells_of: Callable[[int, int], list], counted: bool = False) -> Iterator[tuple]:
        source_list = sorted(set(sources)) if sources is not None else self.endpoints
        mask = self._compiler.all
        if destinations is not None:
            mask = 0
            for e in destinations:
                mask |= 1 << e.atom
        # Sources with the same row key get the same cells, computed once.
        # Only keys that recur are kept, so a cluster of distinct rows still holds one row at a time.
        keys = [self._row_key(src.atom) for src in source_list]
        left: dict[tuple, int] = {}
        for key in keys:
            left[key] = left.get(key, 0) + 1
        shared: dict[tuple, list] = {}
        for src, key in zip(source_list, keys):
            cells = shared.get(key)
            if cells is None:
                cells = cells_of(src.atom, mask)
                if left[key] > 1:
                    shared[key] = cells
            later = left[key] = left[key] - 1
            if not later:
                shared.pop(key, None)
            yield (src, cells, later) if counted else (src, cells)

    def row_key(self, src: Endpoint) -> tuple:
        """A key equal for sources whose rows are equal, whatever the mask: `cells_towards` and
        `egress_cells` of sources with equal keys are the same. Their `ingress_cells` may differ
        (the key leaves out peer sets the source's egress cannot reach): see `side_keys`."""
        return self._row_key(src.atom)

    def side_keys(self, src: Endpoint) -> tuple[object, object]:
        """Keys for each side alone: sources with equal first keys have equal `egress_cells`,
        sources with equal second keys equal `ingress_cells`, whatever the mask."""
        if self._tiers is not None:
            return ("atom", src.atom), ("atom", src.atom)
        return self._egress_key(src.atom), id(self._membership_of(src.atom))

    def _row_key(self, s: int) -> tuple:
        """What `_cells(s, mask)` depends on besides the mask: the source's egress groups (or that
        it is external or not isolated) and the peer sets that admit it where its egress may go
        (`_row_members`). Sources with equal keys have equal rows; in a real cluster most do (the
        workloads of a namespace under the same policies). With cluster-wide policies the row also
        depends on the tiers (engine/tiers.py): then each atom is its own key, as before rows were
        shared."""
        if self._tiers is not None:
            return ("atom", s)
        return self._egress_key(s), id(self._row_members(s))

    def _egress_key(self, s: int) -> object:
        """What the egress side of source atom s depends on: its egress groups, or that it is
        external or not isolated for egress."""
        c = self._compiler
        if s >= c.classes:
            egress: object = "external"
        elif _in(self._egress_isolated, s):
            # Specs compare by value. The groups are shared per list of selecting policies and
            # live as long as the engine, so their key is made once per list (hashing bitsets over
            # every atom per call cost more than the rows it saved).
            groups = self._groups[EGRESS][s]
            egress = self._egress_keys.get(id(groups))
            if egress is None:
                egress = self._egress_keys[id(groups)] = frozenset(groups.items())
        else:
            egress = "open"
        return egress

    def wanted_indexes(self, destinations: Iterable[Endpoint]) -> set[int] | None:
        """The endpoint indexes to keep when expanding cells computed for `destinations`: None when
        the atom mask says it all (no destination shares its class with an endpoint not asked for)."""
        destinations = list(destinations)
        wanted = {e.index for e in destinations}
        if all(len(self._atom_endpoints[e.atom]) == 1 for e in destinations):
            return None  # the atom mask already says it all
        return wanted

    def cell_endpoints(self, bits: int, wanted: set[int] | None = None) -> list[Endpoint]:
        """The endpoints of the atoms in `bits` (in atom order), optionally only those in `wanted`."""
        atom_endpoints = self._atom_endpoints
        found = [e for a in iter_bits(bits) for e in atom_endpoints[a]]
        return [e for e in found if e.index in wanted] if wanted else found

    def atom_endpoints(self) -> list[list[Endpoint]]:
        """Atom -> its endpoints (several workloads may share a class), for renderers."""
        return self._atom_endpoints

    def single_endpoint_atoms(self) -> list[int] | None:
        """Atom -> endpoint index when every atom is exactly one endpoint and atom order is
        endpoint order (then a bitset's atoms, in order, are its endpoints, in order); else None."""
        if not self._atoms_in_order:
            return None
        return [endpoints[0].index for endpoints in self._atom_endpoints]

    def namespace_names(self) -> list[str]:
        """Every namespace the engine knows: declared ones and those only used by workloads."""
        return list(self._compiler.namespace_names)

    def namespace_atoms(self, namespace: str) -> int:
        """The atoms (pod classes) of a namespace."""
        return self._compiler.classes_in_namespace.get(namespace, 0)

    def invalid_as_source(self, src: Endpoint) -> bool:
        """Whether every answer from `src` rests on a policy the API server would reject."""
        return _in(self._egress_tainted, src.atom)

    def invalid_destination_atoms(self) -> int:
        """Atoms whose answers as a destination rest on a policy the API server would reject."""
        return self._tainted[INGRESS]

    def expand_cells(self, cells: list[tuple[PortSet, int]], wanted: set[int] | None = None
                     ) -> list[tuple[Endpoint, PortSet]]:
        """A row's cells as (destination endpoint, ports), sorted by destination."""
        atom_endpoints = self._atom_endpoints
        out: list[tuple[Endpoint, PortSet]] = []
        for ports, bits in cells:
            out.extend((e, ports) for a in iter_bits(bits) for e in atom_endpoints[a])
        if wanted:
            out = [item for item in out if item[0].index in wanted]
        if len(cells) > 1 or not self._atoms_in_order:
            out.sort(key=_first_index)
        return out

    def _cells(self, s: int, mask: int) -> list[tuple[PortSet, int]]:
        """Destination atoms by allowed ports, for source atom s (see matrix_cells)."""
        if self._tiers is not None:
            return self._tiers.cells(s, mask)
        return [(ports, from_blocks(blocks)) for ports, blocks in self._cell_blocks(s, mask)]

    def _cells_any_order(self, s: int, mask: int) -> list[tuple[PortSet, Blocks]]:
        return self._open_row(s) if self._open_egress_row(s, mask) else self._cell_blocks_any(s, mask)

    def _open_row(self, s: int) -> list[tuple[PortSet, Blocks]]:
        """The row of pod class s, not isolated for egress, towards every atom, as cells in an
        order of their own. Its egress lets everything out, so the row is its ingress side: every
        destination that admits anyone on every port, then each peer set holding s with the
        destinations and ports its groups admit (`_peer_cells`, made once per peer set, shared by
        every source in it), refined together. The same destinations and ports as
        `_cell_blocks`, which crosses every spec's groups with their parts for each source: in a
        cluster export two thirds of the distinct rows are such, and each held a hundred specs."""
        by_id = self._memo.by_id
        return [(by_id[k], blocks) for k, blocks in self._open_state(self._membership_of(s)).cells.items()]

    def _open_state(self, members: tuple[int, ...]) -> _Refinement:
        """The refinement of the destinations that admit anyone and the cells of these peer sets,
        kept per tuple of peer sets (a bounded number): a tuple's is its prefix's, copied, with
        its last set's cells added. Sources of a namespace share most of their peer sets, and
        their tuples (ascending) share prefixes: at 50,000 pods the open rows' 250,000 peer-set
        cells are 6,000 once each prefix is refined once. The states are never changed once kept."""
        states = self._open_states
        found = states.get(members)
        if found is None:
            if members:
                found = self._open_state(members[:-1]).copy()
                self._refine(found, ((id(ports), blocks) for ports, blocks in self._peer_cells(members[-1])), owned=False)
            else:
                found = self._refine(_Refinement(), ((id(ports), blocks) for ports, blocks in self._anyone_layer()),
                                     owned=False)
            if len(states) >= _STATES_KEPT:
                states.pop(next(iter(states)))
            states[members] = found
        return found

    def _open_layers(self, s: int) -> tuple[list[list[tuple[PortSet, Blocks]]], Blocks]:
        """`_open_row` before it is refined, as (chunks, their union): the destinations that admit
        anyone, then each peer set's cells. They may overlap; the lists are the engine's own."""
        membership = self._membership_of(s)
        anyone = self._anyone_layer()
        chunks = [anyone] if anyone else []
        chunks.extend(map(self._peer_cells, membership))
        sets = list(map(self._peer_reach, membership))
        sets.extend(blocks for _, blocks in anyone)
        return chunks, union(sets)

    def _anyone_layer(self) -> list[tuple[PortSet, Blocks]]:
        """The destinations that admit anyone, on every port (none: an empty list), kept."""
        if self._anyone is None:
            anyone = self._blocks(self._admitting_anyone())
            self._anyone = [(ALL_PORTS, anyone)] if anyone else []
        return self._anyone

    def _peer_cells(self, index: int) -> list[tuple[PortSet, Blocks]]:
        """(ports, destinations) cells of one peer set: the destinations its groups admit a
        member to, with the ports each spec resolves to there; disjoint, kept for the engine's life."""
        found = self._peer_cell_cache.get(index)
        if found is None:
            layers: dict[int, Blocks] = {}
            for spec, bits in self._peer_groups[index]:
                admitted = self._blocks(bits)
                for part, ports in self._block_parts(spec):
                    y = admitted if part is None else intersection(admitted, part)
                    if y and ports is not EMPTY_PORTS:
                        layer = layers.get(id(ports))
                        if layer is None:
                            layers[id(ports)] = dict(y)
                        else:
                            add_into(layer, y)
            found = self._refined(layers.items(), owned=True) if layers else []
            self._peer_cell_cache[index] = found
        return found

    def _cell_blocks_any(self, s: int, mask: int) -> list[tuple[PortSet, Blocks]]:
        """`_cells` as blocks, through the tiers when the input has cluster-wide policies."""
        if self._tiers is not None:
            return [(ports, to_blocks(bits)) for ports, bits in self._tiers.cells(s, mask)]
        return self._cell_blocks(s, mask)

    def _cell_blocks(self, s: int, mask: int) -> list[tuple[PortSet, Blocks]]:
        """`_cells` without the tiers, each cell's atoms as blocks.

        The egress groups of s and the ingress groups that admit s are crossed; each pair of
        groups contributes its port intersection to the destinations both cover. A spec with
        named ports resolves differently per destination, but only per set of named container
        ports, of which a cluster has few: `_parts` splits the destinations by those once.
        Contributions are gathered per port set, then refined into disjoint cells. Port sets are
        canonical, so they are keyed by identity (hashing a PortSet runs Python code).

        The work is done on sets cut into blocks (engine/blocks.py): a rule's pods are usually
        one namespace, a few consecutive atoms, and an operation on two such sets then touches a
        block or two instead of the whole numbering — on an int over every atom each AND and OR
        cost the cluster's width, which made a row cost the cluster's size times its rules.
        Only the finished cells are turned back into ints (by `_cells`, for callers that want
        ints). The steps are those of the plain algorithm on whole sets, so the cells and their
        order are the same."""
        c = self._compiler
        everything = c.all
        whole = mask is everything
        mask_blocks = None if whole else to_blocks(mask)
        ingress = [(ALL_SPEC, [self._blocks(self._admitting_anyone())])]
        ingress.extend(self._plan(self._row_members(s)))
        memo = self._memo
        both_ports = memo.both
        parts = self._block_parts
        layers: dict[int, Blocks] = {}  # id(ports) -> destinations
        blocks_of = self._blocks
        for espec, ebits in self._egress_of(s):
            eblocks = blocks_of(ebits)
            if not whole:
                eblocks = intersection(eblocks, mask_blocks)
                if not eblocks:
                    continue
            open_egress = whole and ebits is everything  # then every ingress group is whole
            eparts = parts(espec)
            for ispec, groups in ingress:
                if open_egress:
                    # one group alone is used as it is: `both` is never changed below
                    both = groups[0] if len(groups) == 1 else union(groups)
                else:
                    both = union_within(groups, eblocks)
                if not both:
                    continue
                iparts = parts(ispec)
                for eb, eports in eparts:
                    x = both if eb is None else intersection(both, eb)
                    if not x:
                        continue
                    pieces = (((x if ib is None else intersection(x, ib)), iports) for ib, iports in iparts
                              ) if len(iparts) <= 2 else self._meet_parts(x, ispec)
                    for y, iports in pieces:
                        if y:
                            ports = both_ports(eports, iports)
                            if ports is not EMPTY_PORTS:
                                key = id(ports)
                                layer = layers.get(key)
                                if layer is None:
                                    layers[key] = dict(y)
                                else:
                                    add_into(layer, y)
        by_id = memo.by_id
        if len(layers) <= 1:
            return [(by_id[k], blocks) for k, blocks in layers.items()]
        return self._refined(layers.items(), owned=True)

    def _refined(self, layers: Iterable[tuple[int, Blocks]], owned: bool) -> list[tuple[PortSet, Blocks]]:
        """Disjoint cells from (id(ports), destinations) layers taken in order: a destination in
        several layers gets the union of their ports. A key may recur. `owned`: the layers' dicts
        are the caller's to give away (else a layer kept whole is copied)."""
        by_id = self._memo.by_id
        return [(by_id[k], blocks) for k, blocks in self._refine(_Refinement(), layers, owned).cells.items()]

    def _refine(self, state: _Refinement, layers: Iterable[tuple[int, Blocks]], owned: bool) -> _Refinement:
        """`state` with `layers` refined into it (see `_refined`); returns it."""
        memo = self._memo
        by_id = memo.by_id
        # The cells a layer's overlap can meet are found through `where` (block
        # -> keys of the cells that may have atoms there; a superset, as cells only shrink in
        # place) and visited in the cells' own order (`since`: when each key last entered the
        # dict), which is the order a walk over every cell would meet them in: an open row has
        # a hundred cells, of which an overlap of a block or two meets a few. A cell that gains
        # atoms during the walk gains them from the overlap, which loses them at once, so a cell
        # not found at the start has nothing the walk would take.
        either = memo.either
        all_key = id(ALL_PORTS)
        cells, covered, where, since = state.cells, state.covered, state.where, state.since
        stamp = count(state.stamps).__next__
        for key, bits in layers:
            overlap = intersection(bits, covered)
            fresh = bits
            if overlap:
                fresh = without(bits, overlap)
                ports = by_id[key]
                found: set[int] = set()
                for block in overlap:
                    found.update(where.get(block, ()))
                for known in sorted((k for k in found if k in cells), key=since.__getitem__):
                    have = cells.get(known)
                    if have is None:
                        continue
                    if len(overlap) == 1:  # the usual case, without a call: one block left
                        (block, local), = overlap.items()
                        other = have.get(block)
                        if other is None or not other & local:
                            continue
                        inter = {block: other & local}
                    else:
                        inter = intersection(overlap, have)
                        if not inter:
                            continue
                    overlap = without(overlap, inter)
                    if known != key and known != all_key:
                        merged = id(either(by_id[known], ports))
                        if merged != known:
                            rest = without(have, inter)
                            if rest:
                                cells[known] = rest
                            else:
                                del cells[known]
                            target = cells.get(merged)
                            if target is None:
                                cells[merged] = inter
                                since[merged] = stamp()
                            else:
                                add_into(target, inter)
                            for block in inter:
                                where[block].add(merged)
                    if not overlap:
                        break
            add_into(covered, bits)
            if fresh:
                target = cells.get(key)
                if target is None:
                    cells[key] = fresh if owned or fresh is not bits else dict(bits)
                    since[key] = stamp()
                else:
                    add_into(target, fresh)
                for block in fresh:
                    known_here = where.get(block)
                    if known_here is None:
                        where[block] = {key}
                    else:
                        known_here.add(key)
        state.stamps = stamp()
        return state

    def _blocks(self, bits: int) -> Blocks:
        """A bitset the engine keeps (a group, a part, a side) as blocks, made once."""
        key = id(bits)
        found = self._block_cache.get(key)
        if found is None or found[0] is not bits:  # the entry keeps bits alive: its id stays unique
            found = self._block_cache[key] = (bits, to_blocks(bits))
        return found[1]

    def _block_parts(self, spec: PortSpec) -> list[tuple[Blocks | None, PortSet]]:
        """`_parts` as blocks; None for a part holding every atom (nothing to intersect)."""
        key = id(spec)
        cached = self._spec_block_parts.get(key)
        if cached is not None and cached[0] is spec:  # keyed by identity; the entry keeps spec alive
            return cached[1]
        everything = self._compiler.all
        found = [(None if bits is everything else self._blocks(bits), ports) for bits, ports in self._parts(spec)]
        self._spec_block_parts[key] = (spec, found)
        return found

    def _row_members(self, s: int) -> tuple[int, ...]:
        """The peer sets holding source atom s (`_membership_of`) that can add to its row: those
        with a group of destinations that s's egress side may reach at all. Any other set's groups
        meet none of s's egress groups, so they add nothing to any cell; sources that differ only
        in such sets have equal rows. In a cluster export a pod belongs to the peer sets of many
        policies its own egress never reaches (another namespace's "from these pods" rules), and
        keying rows by the whole membership made three times as many rows as there are distinct
        ones. The row's plan is built from these sets alone, so that equal keys give the same
        cells in the same order, and a row crosses fewer groups."""
        membership = self._membership_of(s)
        c = self._compiler
        if s < c.classes and not _in(self._egress_isolated, s):
            return membership  # egress open: every group may be reached
        side = self._groups[EGRESS][s] if s < c.classes else None
        key = (id(side), id(membership))  # both live as long as the engine: ids stay unique
        found = self._row_members_of.get(key)
        if found is None:
            reach = self._egress_reach(s, side)
            peer_groups, reached, blocks = self._peer_groups, self._peer_reached, self._blocks
            kept = []
            for index in membership:
                hit = reached.get((id(side), index))
                if hit is None:
                    hit = reached[(id(side), index)] = any(meets(blocks(bits), reach) for _, bits in peer_groups[index])
                if hit:
                    kept.append(index)
            members = tuple(kept)
            found = self._row_members_of[key] = self._member_tuples.setdefault(members, members)
        return found

    def _egress_reach(self, s: int, side: Groups | None) -> Blocks:
        """Every destination source atom s's egress side lets out to (s external or isolated for
        egress), as blocks; made once per egress side."""
        key = id(side)
        found = self._reach_of.get(key)
        if found is None:
            if side is None:
                bits = self._compiler.pods
            else:
                bits = 0
                for group in side.values():
                    bits |= group
            found = self._reach_of[key] = to_blocks(bits)
        return found

    def _meet_parts(self, x: Blocks, spec: PortSpec) -> list[tuple[Blocks, PortSet]]:
        """[(x ∩ part, its ports)] for the parts of `spec` that x meets, in the parts' order. A
        spec with named ports has a part per set of named container ports that changes it, often
        dozens, while x is a block or two: the parts are found through the blocks of x."""
        key = id(spec)
        cached = self._part_blocks.get(key)
        if cached is None or cached[0] is not spec:  # keyed by identity; the entry keeps spec alive
            by_block: dict[int, list[tuple[int, int]]] = {}
            for i, (part, _ports) in enumerate(self._block_parts(spec)):
                for block, local in (part or self._blocks(self._compiler.all)).items():
                    by_block.setdefault(block, []).append((i, local))
            cached = self._part_blocks[key] = (spec, by_block)
        by_block = cached[1]
        met: dict[int, Blocks] = {}
        for block, local in x.items():
            for i, part_local in by_block.get(block, ()):
                both = local & part_local
                if both:
                    piece = met.get(i)
                    if piece is None:
                        met[i] = {block: both}
                    else:
                        piece[block] = both
        parts = self._block_parts(spec)
        return [(met[i], parts[i][1]) for i in sorted(met)]

    def _ingress_plan(self, s: int) -> list[tuple[PortSpec, list[Blocks]]]:
        """The ingress groups that admit source atom s (`_plan` of its membership)."""
        return self._plan(self._membership_of(s))

    def _plan(self, members: tuple[int, ...]) -> list[tuple[PortSpec, list[Blocks]]]:
        """The ingress groups of these peer sets, per spec in the order specs first occur (the
        order `_ingress_from`'s table has), each as the list of its peer sets' groups in blocks:
        their union is the table's entry, never made. Kept per tuple of peer sets, a bounded
        number (the tuples are interned: equal ones are the same object)."""
        key = id(members)  # interned tuples live as long as the engine: ids stay unique
        plans = self._plans
        plan = plans.pop(key, None)
        if plan is None:
            order: dict[PortSpec, list[Blocks]] = {}
            blocks = self._blocks
            for index in members:
                for spec, bits in self._peer_groups[index]:
                    known = order.get(spec)
                    if known is None:
                        order[spec] = [blocks(bits)]
                    else:
                        known.append(blocks(bits))
            plan = list(order.items())
            if len(plans) >= _PLANS_KEPT:
                plans.pop(next(iter(plans)))
        plans[key] = plan  # (re)inserted last: the most recently used
        return plan

    def _egress_of(self, s: int) -> Iterable[tuple[PortSpec, int]]:
        """Source atom s's egress side as groups: an external range may send to every pod, a pod
        not isolated for egress to every atom; else its groups of rules."""
        c = self._compiler
        if s >= c.classes:
            return ((ALL_SPEC, c.pods),)
        if not _in(self._egress_isolated, s):
            return ((ALL_SPEC, c.all),)
        return self._groups[EGRESS][s].items()

    def _admitting_anyone(self) -> int:
        """The destinations whose ingress admits anyone: pods not isolated for ingress, and every
        external range (no NetworkPolicy governs a range's side). Made once."""
        if self._unisolated is None:
            c = self._compiler
            self._unisolated = (c.pods & ~self._isolated[INGRESS]) | c.external
        return self._unisolated

    def _parts(self, spec: PortSpec) -> list[tuple[int, PortSet]]:
        """A spec resolved on every atom, as (atoms, canonical ports) covering all atoms: one part
        for a spec without names, else one per set of named container ports that changes it."""
        key = id(spec)
        cached = self._spec_parts.get(key)
        if cached is not None and cached[0] is spec:  # keyed by identity; the entry keeps spec alive
            return cached[1]
        static = self._memo.canon(spec.static)
        everything = self._compiler.all
        result: list[tuple[int, PortSet]] = []
        if spec.named:
            # Only the signatures that hold one of the spec's names can resolve it to more than
            # its static ports; they are visited in the signatures' order, as a walk over all
            # would meet them (a cluster has dozens of signatures, a spec a name or two).
            # A name's numbers on a signature are found once per (names, signature) and joined
            # to each spec's static ports through the memo: specs differ by their static ports
            # far more often than by their names.
            signatures, holding = self._port_signatures(), self._signatures_holding
            named_on, either = self._named_on, self._memo.either
            for i in sorted({i for name in spec.named for i in holding.get(name, ())}):
                named_ports, bits = signatures[i]
                key = (spec.named, i)
                extra = named_on.get(key)
                if extra is None:
                    extra = named_on[key] = self._memo.canon(resolve_names(spec.named, named_ports))
                resolved = static if extra is EMPTY_PORTS else either(static, extra)
                if resolved is not static:
                    result.append((bits, resolved))
                    everything &= ~bits
        if everything:
            result.insert(0, (everything, static))
        self._spec_parts[key] = (spec, result)
        return result

    def _port_signatures(self) -> list[tuple[tuple, int]]:
        """(named container ports, the classes that have exactly those), in order of their first
        class; `_signatures_holding` indexes them by (name, protocol)."""
        if self._signatures is None:
            # Positions first, each set made once: ORing one bit at a time into a growing int
            # copies it each time (a second of a 150,000-pod check).
            classes: dict[tuple, list[int]] = {}
            for i, named in enumerate(self._named_ports):
                if named:
                    classes.setdefault(named, []).append(i)
            self._signatures = [(named, from_positions(found)) for named, found in classes.items()]
            holding: dict[tuple[str, str], list[int]] = {}
            for i, (named, _) in enumerate(self._signatures):
                for name in {(cp.name, cp.protocol) for cp in named if cp.name is not None}:
                    holding.setdefault(name, []).append(i)
            self._signatures_holding = holding
        return self._signatures

    def _resolve_atom(self, spec: PortSpec, atom: int) -> PortSet:
        """A spec resolved on a destination atom, as a canonical PortSet (see _PortMemo)."""
        if not spec.named or atom >= self._compiler.classes:
            return self._memo.canon(spec.static)
        # Keyed by identity (hashing a spec is not free); the entry keeps the spec alive so that
        # its id cannot be reused by another object.
        key = (id(spec), atom)
        cached = self._resolved.get(key)
        if cached is None or cached[0] is not spec:
            cached = self._resolved[key] = (spec, self._memo.canon(spec.resolve(self._named_ports[atom])))
        return cached[1]

    def _ingress_from(self, s: int) -> Groups:
        """The ingress rules that admit source atom s: port spec -> destination classes."""
        return {spec: from_blocks(union(groups)) for spec, groups in self._ingress_plan(s)}

    def _membership_of(self, s: int) -> tuple[int, ...]:
        """The peer sets (indexes into `_peer_groups`) that hold atom s, one shared tuple per
        distinct membership (so that its identity keys rows, see `_row_key`)."""
        if self._membership is None:
            by_peers: dict[int, Groups] = {}
            for cp in self.policies:
                if not cp.isolates(INGRESS) or not cp.selected:
                    continue
                for r in cp.ingress:
                    if r.bits:
                        groups = by_peers.setdefault(r.bits, {})
                        known = groups.get(r.spec)  # one policy alone: share its bitset
                        groups[r.spec] = cp.selected if known is None else known | cp.selected
            lists: list[list[int]] = [[] for _ in range(self._compiler.atoms)]
            for index, peers in enumerate(by_peers):
                _append_to_each(map(lists.__getitem__, positions(peers)), index)
            shared = self._member_tuples
            self._membership = [shared.setdefault(key, key) for key in map(tuple, lists)]
            self._peer_groups = [list(groups.items()) for groups in by_peers.values()]
        return self._membership[s]


class _Refinement:
    """Disjoint cells being refined from layers (Engine._refine): id(ports) -> destinations,
    the destinations covered so far, block -> keys of the cells that may hold atoms there, and
    when each key last entered the cells (their order)."""

    __slots__ = ("cells", "covered", "where", "since", "stamps")

    def __init__(self) -> None:
        self.cells: dict[int, Blocks] = {}
        self.covered: Blocks = {}
        self.where: dict[int, set[int]] = {}
        self.since: dict[int, int] = {}
        self.stamps = 0

    def copy(self) -> _Refinement:
        """A copy to refine further (the refinement changes cells, covered and where in place)."""
        other = _Refinement()
        other.cells = {key: dict(blocks) for key, blocks in self.cells.items()}
        other.covered = dict(self.covered)
        other.where = {block: set(keys) for block, keys in self.where.items()}
        other.since = dict(self.since)
        other.stamps = self.stamps
        return other


_STATES_KEPT = 1024  # refinements of open rows kept at once (see Engine._open_state), oldest out first
_PLANS_KEPT = 4096  # ingress plans kept at once (see Engine._plan): references, no new bitsets


def _append_to_each(lists: Iterable[list], item: object) -> None:
    """Append `item` to each list, the loop in C: a policy selects, and a peer set holds, up to
    every class of the cluster."""
    deque(map(list.append, lists, repeat(item)), 0)


def _table(bits: int, size: int) -> bytes:
    """A bitset as bytes, for `_in`."""
    return bits.to_bytes((max(size, bits.bit_length()) + 7) >> 3, "little")


def _in(table: bytes, position: int) -> bool:
    return bool(table[position >> 3] >> (position & 7) & 1)


def _first_index(item: tuple[Endpoint, PortSet]) -> int:
    return item[0].index


class _PortMemo:
    """Interned port sets with memoised union and intersection.

    A matrix row combines the same few port sets for thousands of destinations; interning makes
    equal sets the same object, so results are cached by identity without hashing intervals.
    """

    def __init__(self) -> None:
        self._canon: dict[PortSet, PortSet] = {ALL_PORTS: ALL_PORTS, EMPTY_PORTS: EMPTY_PORTS}
        self.by_id: dict[int, PortSet] = {id(ALL_PORTS): ALL_PORTS, id(EMPTY_PORTS): EMPTY_PORTS}
        self._and: dict[tuple[int, int], PortSet] = {}
        self._or: dict[tuple[int, int], PortSet] = {}
        self._minus: dict[tuple[int, int], PortSet] = {}

    def canon(self, ports: PortSet) -> PortSet:
        found = self._canon.setdefault(ports, ports)
        if found is ports:
            self.by_id[id(ports)] = ports
        return found

    def both(self, a: PortSet, b: PortSet) -> PortSet:
        if a is ALL_PORTS:
            return b
        if b is ALL_PORTS or a is b:
            return a
        key = (id(a), id(b))
        found = self._and.get(key)
        if found is None:
            found = self._and[key] = self.canon(a & b)
        return found

    def minus(self, a: PortSet, b: PortSet) -> PortSet:
        if b is EMPTY_PORTS or a is EMPTY_PORTS:
            return a
        if a is b or b is ALL_PORTS:
            return EMPTY_PORTS
        key = (id(a), id(b))
        found = self._minus.get(key)
        if found is None:
            found = self._minus[key] = self.canon(a - b)
        return found

    def either(self, a: PortSet, b: PortSet) -> PortSet:
        key = (id(a), id(b))
        found = self._or.get(key)
        if found is None:
            found = self._or[key] = self.canon(a | b)
        return found
