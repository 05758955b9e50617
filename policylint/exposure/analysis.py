"""Exposure: what each workload allows to and from peers that the input does not contain.

For a workload and a direction the hypothetical space is cut into regions (space.py), one
representative pod per region is added to a copy of the input and the engine answers for it
(probes.py). The regions are then described as claims as wide as the answers allow
(`_widen`): a region grows by dropping a requirement whenever every region it would take in gets
at least the same ports, so a rule's "namespaces matching team=research" reads as that, not as
the pieces the other policies cut it into. External addresses come from the engine's own ranges.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from policylint.budget import Budget
from policylint.engine.ports import EMPTY_PORTS, PortSet
from policylint.exposure.constraints import Conjunction, KeyConstraint
from policylint.exposure.model import INBOUND, MATCHING, NAMED, NEW, OUTBOUND, Claim, Peer
from policylint.exposure.probes import Probes
from policylint.exposure.space import NAME, Region, Space
from policylint.model.types import EGRESS, INGRESS

SIDE = {INBOUND: INGRESS, OUTBOUND: EGRESS}


@dataclass(frozen=True, slots=True)
class Cell:
    region: Region
    ports: PortSet


def analyse(engine, endpoints: Iterable | None = None,
            directions: Iterable[str] = (INBOUND, OUTBOUND), budget=None) -> list[Claim]:
    """Every claim for the given workload endpoints (all by default), sorted.

    `budget` (with a `spend(units)` method that raises past its limit) bounds the work: the
    regions are cut from every selector that bears on a class, and describing them compares each
    with the others, which can grow far faster than the input (docs/exposure.md). Rules pass one
    and report PL025 when it runs out; commands a user asked for (`matrix --exposure`) pass none."""
    directions = tuple(directions)
    budget = budget if budget is not None else Budget(None)  # no limit
    planned = _plan(engine, endpoints, directions, budget)
    budget.ensure(_least_work(engine, planned))
    space = Space(engine.cluster, engine.namespace_names())
    probes = Probes(space)
    plans: list[tuple[list, str, list[tuple[Region, object]], tuple]] = []
    # Classes selected by the same policies cut the space alike: the regions (and their
    # representatives) are made once per distinct list (in a cluster export every pod is a class
    # of its own, and the replicas of one workload share their policies).
    cut: dict[tuple, list[tuple[Region, object]]] = {}
    for members, direction, policies, key in planned:
        regions = cut.get(key)
        if regions is None:
            # charged as they are cut (the same total): a large cut stops as soon as it is over
            cells = space.regions(space.splitters(policies, SIDE[direction]),
                                  lambda count: budget.spend(REGION_UNITS * count))
            regions = cut[key] = [(r, probes.add(r)) for r in cells]
        plans.append((members, direction, regions, key))
    from policylint.engine import Engine

    engines = []
    for batch in range(len(probes.batches)) if plans else ():
        # An engine over the whole input plus one batch of representatives: about ten units of
        # work per workload (a unit is one overlap test of the description below, a few µs).
        budget.spend(ENGINE_UNITS_PER_WORKLOAD * len(engine.cluster.workloads))
        engines.append(Engine(probes.cluster(batch)))
    claims: list[Claim] = []
    described: dict[tuple, list] = {}  # the same regions with the same ports read the same
    for members, direction, regions, key in plans:
        workload = members[0]
        allowed: list[Cell] = []
        unknown: list[Cell] = []
        for region, probe in regions:
            probed = engines[probe.batch]
            w, p = probed.endpoint(workload.id), probed.endpoint(probe.id)
            src, dst = (p, w) if direction == INBOUND else (w, p)
            allowed.append(Cell(region, probed.allowed_ports(src, dst)))
            unknown.append(Cell(region, probed.unknown_ports(src, dst)))
        answers = (key, tuple(c.ports for c in allowed), tuple(c.ports for c in unknown))
        peers = described.get(answers)
        if peers is None:
            peers = [(peer, ports, EMPTY_PORTS) for peer, ports in describe_cells(space, allowed, budget)]
            peers += [(peer, EMPTY_PORTS, ports) for peer, ports in describe_cells(space, unknown, budget)]
            described[answers] = peers
        peers = peers + _addresses(engine, workload, direction)
        for member in members:
            claims.extend(Claim(member.id, direction, peer, ports, unknown_ports) for peer, ports, unknown_ports in peers)
    claims.sort(key=Claim.sort_key)
    return claims


# -- describing regions ----------------------------------------------------------------------

@dataclass(slots=True)
class _Draft:
    namespace: str | None  # an input namespace, or None for new namespaces
    ns: Conjunction
    pod: Conjunction
    ports: PortSet
    scope: str = NEW


ENGINE_UNITS_PER_WORKLOAD = 10
REGION_UNITS = 20  # cutting a region out of the selectors and adding its representative pod


def _plan(engine, endpoints: Iterable | None, directions: tuple[str, ...], budget=None
          ) -> list[tuple[list, str, list, tuple]]:
    """(members of a class, direction, the policies isolating it there, the key of that list) for
    every workload class of the endpoints (all by default), classes in order.

    With a `budget`, planning stops with its verdict as soon as the lower bound of the plan so far
    (`_least_work`) passes it: a plan of every class of a 150,000-pod export is not needed to
    tell that a few hundred policy lists will not fit (the same verdict, before the plan)."""
    targets = [e for e in (engine.endpoints if endpoints is None else endpoints) if not e.is_external]
    by_atom: dict[int, list] = {}
    for e in targets:
        by_atom.setdefault(e.atom, []).append(e)
    limit = getattr(budget, "limit", None)
    room = None if limit is None else limit - budget.spent
    per_list = len(engine.namespace_names()) * REGION_UNITS
    work = ENGINE_UNITS_PER_WORKLOAD * len(engine.cluster.workloads)
    keys: set[tuple] = set()
    planned = []
    for atom in sorted(by_atom):
        members = by_atom[atom]
        for direction in directions:
            policies = engine.policies_selecting(members[0], SIDE[direction])
            key = (direction, tuple(id(p) for p in policies))
            planned.append((members, direction, policies, key))
            if key not in keys:
                keys.add(key)
                work += per_list
        if room is not None and keys and work > room:
            budget.ensure(work)  # raises: the bound of what is planned so far passes the budget
    return planned


def _least_work(engine, planned: list) -> int:
    """Units the analysis of `planned` surely spends: every distinct policy list cuts each input
    namespace into one region at least, and one engine at least is built over the input."""
    keys = len({key for *_, key in planned})
    if not keys:
        return 0
    return keys * len(engine.namespace_names()) * REGION_UNITS + ENGINE_UNITS_PER_WORKLOAD * len(engine.cluster.workloads)


def least_work(engine, endpoints: Iterable | None = None, directions: Iterable[str] = (INBOUND, OUTBOUND),
               beyond: int | None = None) -> int:
    """What `analyse` of the same arguments surely spends of a budget (a lower bound, cheap to
    compute): whoever runs several analyses on one budget can tell at once that it will not do.

    With `beyond` (the room left in that budget), the count stops as soon as the bound passes it
    and returns what it has counted so far, a number above `beyond`: enough to tell that the
    analysis will not fit, without planning all of it (in a cluster export of 150,000 pods the
    plan walks every class, and a few hundred policy lists already pass any reasonable budget)."""
    directions = tuple(directions)
    targets = [e for e in (engine.endpoints if endpoints is None else endpoints) if not e.is_external]
    first: dict[int, object] = {}  # one member per class: the policies selecting a class are its members'
    for e in targets:
        first.setdefault(e.atom, e)
    if not first or not directions:
        return 0
    per_list = len(engine.namespace_names()) * REGION_UNITS
    work = ENGINE_UNITS_PER_WORKLOAD * len(engine.cluster.workloads)
    keys: set[tuple] = set()
    for member in first.values():
        for direction in directions:
            key = (direction, tuple(id(p) for p in engine.policies_selecting(member, SIDE[direction])))
            if key not in keys:
                keys.add(key)
                work += per_list
        if beyond is not None and work > beyond:
            return work
    return work


def describe_cells(space: Space, cells: list[Cell], budget=None) -> list[tuple[Peer, PortSet]]:
    """Claims (peer, ports) equivalent to the cells: a pod of any region gets exactly the union of
    the ports of the claims that describe it."""
    shorter = _Shorter(cells)
    budget = budget if budget is not None else Budget(None)  # no limit
    drafts = _merge_equal([_widen(space, shorter, c, budget) for c in cells if not c.ports.is_empty])
    for draft in drafts:
        if draft.namespace is None and _every_input_namespace_too(space, cells, draft):
            draft.scope = MATCHING
    drafts = _subtract_covered(space, drafts)
    return [(_peer(space, d), d.ports) for d in drafts]


def _overlaps(space: Space, a: Region, namespace: str | None, ns: Conjunction, pod: Conjunction) -> bool:
    if a.namespace != namespace:
        return False
    if a.pod.meet(pod) is None:
        return False
    return namespace is not None or space.meet_new(a.ns, ns)


def _covers(ports: PortSet, wanted: PortSet) -> bool:
    return wanted.difference(ports).is_empty


class _Shorter:
    """The regions of a namespace whose cells give fewer ports than a given set.

    Cells share a handful of distinct port sets while there may be thousands of cells (one per
    region), so the regions are grouped by namespace and port set once, and each (port set, wanted)
    comparison is made once: a scan of every cell per cell was quadratic in the cells (27 million
    port-set differences for 10,000 cells on a kubeflow/manifests checkout)."""

    def __init__(self, cells: list[Cell]) -> None:
        self._groups: dict[str | None, dict[PortSet, list[Region]]] = {}
        for c in cells:
            self._groups.setdefault(c.region.namespace, {}).setdefault(c.ports, []).append(c.region)
        self._found: dict[tuple[str | None, PortSet], list[Region]] = {}

    def than(self, namespace: str | None, wanted: PortSet) -> list[Region]:
        key = (namespace, wanted)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = [region for ports, regions in self._groups.get(namespace, {}).items()
                                        if not _covers(ports, wanted) for region in regions]
        return found


def _widen(space: Space, shorter: _Shorter, cell: Cell, budget) -> _Draft:
    region = cell.region
    ns, pod = region.ns, region.pod

    # Only the regions that give fewer ports can stop the claim from growing over them.
    short = shorter.than(region.namespace, cell.ports)
    budget.spend(len(short) * (len(pod.keys) + len(ns.keys)))  # the overlap tests below, at most

    def holds(ns_: Conjunction, pod_: Conjunction) -> bool:
        return not any(_overlaps(space, r, region.namespace, ns_, pod_) for r in short)

    for key, _ in pod.keys:
        candidate = pod.without(key)
        if holds(ns, candidate):
            pod = candidate
    if region.namespace is None:
        for key, _ in ns.keys:
            candidate = ns.without(key)
            if holds(candidate, pod):
                ns = candidate
        ns = _shown_namespace_selector(space, ns)
    return _Draft(region.namespace, ns, pod, cell.ports)


def _shown_namespace_selector(space: Space, ns: Conjunction) -> Conjunction:
    """A new namespace's selector without the implied "its name is none of the input's"."""
    name = ns.get(NAME)
    if name.inclusive:
        return ns
    rest = name.values - space.existing
    shown = KeyConstraint(name.absent, False, rest)
    if not name.absent and not rest:
        shown = KeyConstraint(True, False, frozenset())  # every namespace has a name
    return Conjunction.of({**dict(ns.keys), NAME: shown})


def _merge_equal(drafts: list[_Draft]) -> list[_Draft]:
    """One claim per region (ports joined), then siblings with the same ports joined into one
    when their union is a single selector: `team=a` and `team notin (a, b)` with the same ports
    are `team notin (b)`."""
    merged: dict[tuple, _Draft] = {}
    for d in drafts:
        key = (d.namespace, d.ns, d.pod)
        if key in merged:
            merged[key].ports = merged[key].ports.union(d.ports)
        else:
            merged[key] = d
    out = list(merged.values())
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(out):
            for j in range(i + 1, len(out)):
                b = out[j]
                if a.namespace != b.namespace or a.ports != b.ports:
                    continue
                joined = None
                if a.ns == b.ns:
                    pod = a.pod.join_one(b.pod)
                    joined = None if pod is None else _Draft(a.namespace, a.ns, pod, a.ports)
                elif a.pod == b.pod:
                    ns = a.ns.join_one(b.ns)
                    joined = None if ns is None else _Draft(a.namespace, ns, a.pod, a.ports)
                if joined is not None:
                    out[i] = joined
                    del out[j]
                    changed = True
                    break
            if changed:
                break
    return out


def _every_input_namespace_too(space: Space, cells: list[Cell], draft: _Draft) -> bool:
    """Whether the input's namespaces that match the draft's selector get its ports too (then
    the claim is about every matching namespace, not only new ones)."""
    for name, labels in space.labels.items():
        if not draft.ns.matches(labels):
            continue
        if not all(_covers(c.ports, draft.ports) for c in cells
                   if c.region.namespace == name and c.region.pod.meet(draft.pod) is not None):
            return False
    return True


def _contains(space: Space, outer: _Draft, inner: _Draft) -> bool:
    if not inner.pod.within(outer.pod):
        return False
    if outer.namespace is not None:
        return inner.namespace == outer.namespace
    if inner.namespace is not None:
        return outer.scope == MATCHING and outer.ns.matches(space.labels[inner.namespace])
    inner_ns = space.new_namespace(inner.ns)
    return inner_ns is None or inner_ns.within(outer.ns)


def _subtract_covered(space: Space, drafts: list[_Draft]) -> list[_Draft]:
    """Drop the claims whose ports the claims describing more pods already give them all. A
    claim that adds some ports keeps all of its own: each claim stays a whole statement about
    its pods ("TCP 22 and 6000"), not a remainder ("every port but TCP 6000")."""
    out = []
    for d in drafts:
        covered = EMPTY_PORTS
        for other in drafts:
            if other is not d and _contains(space, other, d) and not _contains(space, d, other):
                covered = covered.union(other.ports)
        if not d.ports.difference(covered).is_empty:
            out.append(d)
    return out


def _peer(space: Space, d: _Draft) -> Peer:
    if d.namespace is not None:
        return Peer("pods", NAMED, d.namespace, True, pod_selector=d.pod)
    name = d.ns.get(NAME)
    if name.inclusive and len(name.values) == 1 and not name.absent and len(d.ns.keys) == 1:
        # "kubernetes.io/metadata.name=x" names one namespace (not in the input: a region of new
        # namespaces never holds an input namespace's name)
        return Peer("pods", NAMED, min(name.values), False, pod_selector=d.pod)
    return Peer("pods", d.scope, namespace_selector=d.ns, pod_selector=d.pod)


# -- addresses -------------------------------------------------------------------------------

def _addresses(engine, workload, direction: str) -> list[tuple[Peer, PortSet, PortSet]]:
    """External ranges by the ports they get, adjacent ranges joined, as CIDRs."""
    from policylint.engine.ipset import IPRange

    runs: list[tuple[IPRange, PortSet, PortSet]] = []
    for e in engine.endpoints:
        if not e.is_external:
            continue
        src, dst = (e, workload) if direction == INBOUND else (workload, e)
        ports, unknown = engine.allowed_ports(src, dst), engine.unknown_ports(src, dst)
        if ports.is_empty and unknown.is_empty:
            continue
        r = e.range
        if runs:
            last, last_ports, last_unknown = runs[-1]
            if last.version == r.version and last.last + 1 == r.first and last_ports == ports and last_unknown == unknown:
                runs[-1] = (IPRange(r.version, last.first, r.last), ports, unknown)
                continue
        runs.append((r, ports, unknown))
    grouped: dict[tuple, list[str]] = {}
    values: dict[tuple, tuple[PortSet, PortSet]] = {}
    for r, ports, unknown in runs:
        key = (ports, unknown)
        grouped.setdefault(key, []).extend(r.cidrs())
        values[key] = (ports, unknown)
    return [(Peer("addresses", cidrs=tuple(cidrs), summary=_summary(cidrs)), *values[key])
            for key, cidrs in grouped.items()]


def _summary(cidrs: list[str]) -> tuple[str, tuple[str, ...]] | None:
    """The same addresses as one CIDR with exceptions, when that is shorter: `10.0.0.0/8 except
    10.1.0.0/16` rather than the eight CIDRs around the hole."""
    import ipaddress

    networks = [ipaddress.ip_network(c) for c in cidrs]
    if len(networks) < 2 or len({n.version for n in networks}) != 1:
        return None
    first = min(int(n.network_address) for n in networks)
    last = max(int(n.broadcast_address) for n in networks)
    bits = networks[0].max_prefixlen
    prefix = bits - (first ^ last).bit_length()
    enclosing = ipaddress.ip_network((first >> (bits - prefix) << (bits - prefix), prefix))
    holes = [enclosing]
    for n in networks:
        holes = [piece for h in holes for piece in ([h] if not h.overlaps(n) else
                                                   ([] if h.subnet_of(n) else list(h.address_exclude(n))))]
    holes.sort()
    if len(holes) + 1 >= len(networks):
        return None
    return str(enclosing), tuple(str(h) for h in ipaddress.collapse_addresses(holes))
