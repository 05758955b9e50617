"""Verify the config's connectivity expectations with the engine.

An expectation names a source and a destination — a role, a namespace and pod selection, or an
address range — optional ports, and `allow: true|false`:

- `allow: true` with `ports`: every listed port is allowed for every (source, destination) pair;
  without `ports`: every pair can connect on at least one port;
- `allow: false` with `ports`: no listed port is allowed for any pair; without `ports`: no pair
  can connect at all.

When the destination is a Service, `ports` are the Service's ports (by number or by the Service
port's name), and no `ports` means all of them; each is judged on the pod port its `targetPort`
gives on each selected workload, since that is the port policies see.

Pairs are endpoints (a workload's pods, or an external address range). A single pod is not
paired with itself, and two external ranges are never paired (no NetworkPolicy governs that).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from policylint.engine.bits import iter_bits
from policylint.engine.ports import ALL_PORTS, EMPTY_PORTS, PortSet
from policylint.findings import Related
from policylint.intent.blame import Anchor, allowing_related, blame
from policylint.intent.roles import Matcher, RoleTable
from policylint.intent.spec import Expectation, PeerSpec
from policylint.load.nodes import where
from policylint.model.types import NAMESPACE_NAME_LABEL, Cluster, Service, ServicePort

if TYPE_CHECKING:
    from policylint.engine.connectivity import Engine
    from policylint.engine.endpoints import Endpoint


@dataclass(frozen=True, slots=True)
class Failure:
    src: Endpoint
    dst: Endpoint
    ports: PortSet  # missing (allow: true) or offending (allow: false)
    unresolved: tuple[str, ...] = ()  # named ports the destination does not have


@dataclass(slots=True)
class Outcome:
    expectation: Expectation
    sources: list[Endpoint]
    destinations: list[Endpoint]
    pairs: int = 0
    failures: list[Failure] = field(default_factory=list)  # all, or the first `keep` (see verify)
    failed: int = 0  # how many pairs fail, whatever was kept
    problem: str | None = None  # why the expectation cannot be checked, besides an unmatched side

    @property
    def unmatched(self) -> str | None:
        """`from`/`to` when that side matches nothing in the input."""
        if not self.sources:
            return "from"
        if not self.destinations:
            return "to"
        return None

    @property
    def met(self) -> bool:
        return self.unmatched is None and self.problem is None and not self.failures


def resolve_peer(engine: Engine, cluster: Cluster, roles: RoleTable, peer: PeerSpec) -> list[Endpoint]:
    if peer.role is not None:
        return sorted(engine.endpoint_of(w) for w in roles.members(peer.role))
    if peer.cidr is not None:
        return engine.resolve(peer.cidr)
    if peer.service is not None:
        return engine.resolve(f"{peer.service}[Service]")
    assert peer.selection is not None
    matcher = Matcher("expectation", peer.selection.namespace_selector, peer.selection.pod_selector)
    found = []
    for workload in cluster.workloads:
        namespace = cluster.namespaces.get(workload.namespace)
        ns_labels = namespace.labels if namespace is not None else {NAMESPACE_NAME_LABEL: workload.namespace}
        if matcher.matches(ns_labels, workload.labels):
            found.append(engine.endpoint_of(workload))
    return sorted(found)


def verify(engine: Engine, cluster: Cluster, roles: RoleTable, expectation: Expectation,
           keep: int | None = None) -> Outcome:
    """Judge every (source, destination) pair, a source's row at a time from the engine's cells:
    destinations in one cell with the same container ports are judged once. With `keep`, only
    the first `keep` failures (in source, destination order) are kept and the rest are counted
    with bit counts, so the cost is O(sources × cells × port groups), not O(pairs)."""
    sources = resolve_peer(engine, cluster, roles, expectation.source)
    destinations = resolve_peer(engine, cluster, roles, expectation.destination)
    outcome = Outcome(expectation, sources, destinations)
    if outcome.unmatched:
        return outcome
    service = engine.service(f"{expectation.destination.service}[Service]") if expectation.destination.service else None
    if service is not None and expectation.ports is not None and not _service_ports(expectation, service):
        outcome.problem = (f"Service {service.namespace}/{service.name} has none of the ports {expectation.ports_text} "
                           f"(its ports: {', '.join(p.describe() for p in service.ports) or 'none'}); "
                           f"for a Service, `ports` are the Service's ports")
        return outcome
    by_port_sets = service is not None or (expectation.ports is not None and bool(expectation.ports.named))
    table = _Destinations(destinations, by_port_sets)
    for src in sources:
        mask = table.mask if not src.is_external else table.mask & table.pods
        own = src.atom if (src.workload is None or src.workload.replicas <= 1) and table.has(src) else None
        cells = engine.cells_towards(src, mask)
        if not expectation.allow and engine.has_tiers:
            # Ports nobody can judge offline may be allowed: `allow: false` cannot be shown to hold.
            cells = _union_cells(cells, engine.tiers.unknown_cells(src.atom, mask))
        covered = 0
        for _, bits in cells:
            covered |= bits
        if mask & ~covered:
            cells = cells + [(EMPTY_PORTS, mask & ~covered)]
        for ports, bits in cells:
            for group_mask, rep, extra in table.groups:
                hit = bits & group_mask
                if not hit:
                    continue
                count = table.count(hit, extra) - (1 if own is not None and (hit >> own) & 1 else 0)
                if count <= 0:
                    continue
                outcome.pairs += count
                judged = (_judge(expectation, src, rep, ports) if service is None
                          else _judge_service(expectation, service, src, rep, ports))
                if judged is None:
                    continue
                outcome.failed += count
                if keep is None or len(outcome.failures) < keep:
                    for dst in table.endpoints(hit):
                        if dst is src and own is not None:
                            continue
                        outcome.failures.append(Failure(src, dst, judged.ports, judged.unresolved))
    outcome.failures.sort(key=lambda f: (f.src.index, f.dst.index))
    if keep is not None:
        del outcome.failures[keep:]
    return outcome


def _union_cells(first: list[tuple[PortSet, int]], second: list[tuple[PortSet, int]]) -> list[tuple[PortSet, int]]:
    """Two lists of disjoint cells as one, each atom with the union of its ports in both."""
    merged: list[tuple[PortSet, int]] = []
    seen = 0
    for ports, bits in first:
        seen |= bits
        rest = bits
        for other, other_bits in second:
            both = rest & other_bits
            if both:
                merged.append((ports | other, both))
                rest &= ~both
        if rest:
            merged.append((ports, rest))
    merged.extend((other, bits & ~seen) for other, bits in second if bits & ~seen)
    return merged


class _Destinations:
    """An expectation's destinations as atom masks, grouped by what judging them depends on: their
    named container ports, when named ports or a Service's target ports are involved. Named ports
    are part of a pod class, so an atom is in exactly one group."""

    def __init__(self, destinations: list[Endpoint], by_port_sets: bool) -> None:
        self._by_atom: dict[int, list[Endpoint]] = {}
        self.mask = 0
        self.pods = 0
        grouped: dict[tuple, tuple[int, Endpoint]] = {}
        for d in destinations:
            self._by_atom.setdefault(d.atom, []).append(d)
            self.mask |= 1 << d.atom
            if not d.is_external:
                self.pods |= 1 << d.atom
            named = tuple(p for p in d.ports or () if p.name) if by_port_sets else ()
            bits, rep = grouped.get((named, d.is_external), (0, d))
            grouped[(named, d.is_external)] = (bits | (1 << d.atom), rep)
        # an atom holding several destinations counts one pair for each
        extra = {a: len(ds) - 1 for a, ds in self._by_atom.items() if len(ds) > 1}
        self.groups = [(bits, rep, extra) for bits, rep in grouped.values()]
        self._indexes = {d.index for d in destinations}

    def has(self, endpoint: Endpoint) -> bool:
        return endpoint.index in self._indexes

    @staticmethod
    def count(bits: int, extra: dict[int, int]) -> int:
        return bits.bit_count() + sum(n for a, n in extra.items() if (bits >> a) & 1)

    def endpoints(self, bits: int) -> Iterator[Endpoint]:
        for atom in iter_bits(bits):
            yield from self._by_atom.get(atom, ())


def _judge(expectation: Expectation, src: Endpoint, dst: Endpoint, allowed: PortSet) -> Failure | None:
    spec = expectation.ports
    if expectation.allow:
        if spec is None:
            return None if not allowed.is_empty else Failure(src, dst, ALL_PORTS)
        required = spec.resolve(dst.ports)
        names = {(cp.name, cp.protocol) for cp in dst.ports or () if cp.name}
        unresolved = tuple(f"{protocol}/{name}" for name, protocol in spec.named if (name, protocol) not in names)
        missing = required - allowed
        return None if missing.is_empty and not unresolved else Failure(src, dst, missing, unresolved)
    required = ALL_PORTS if spec is None else spec.resolve(dst.ports)
    offending = allowed & required
    return None if offending.is_empty else Failure(src, dst, offending)


def _service_ports(expectation: Expectation, service: Service) -> list[ServicePort]:
    """The Service ports an expectation is about: those its `ports` name (by number or by the
    Service port's name), or all of them."""
    spec = expectation.ports
    if spec is None:
        return list(service.ports)
    return [p for p in service.ports if spec.static.contains(p.protocol, p.port) or (p.name, p.protocol) in spec.named]


def _judge_service(expectation: Expectation, service: Service, src: Endpoint, dst: Endpoint,
                   allowed: PortSet) -> Failure | None:
    """Like `_judge`, with the ports translated: each Service port lands on the pod port its
    targetPort gives on `dst`, and that is the port the policies must allow (or must not)."""
    required = EMPTY_PORTS
    unresolved = []
    for sp in _service_ports(expectation, service):
        target = sp.target_on(dst.ports or ())
        if target is None:
            unresolved.append(f"{sp.protocol}/{sp.target_port} (targetPort of Service port {sp.port})")
        else:
            required = required | PortSet.single(sp.protocol, target)
    if expectation.allow:
        missing = required - allowed
        return None if missing.is_empty and not unresolved else Failure(src, dst, missing, tuple(unresolved))
    offending = allowed & required
    return None if offending.is_empty else Failure(src, dst, offending)


@dataclass(frozen=True, slots=True)
class Report:
    """What a finding about a broken expectation says, and where."""

    anchor: Anchor
    message: str
    related: tuple[Related, ...]


def report(engine: Engine, outcome: Outcome) -> Report:
    expectation = outcome.expectation
    name = expectation.name
    anchor = Anchor(expectation.span, f"expectation {name!r}", f"expectations[{expectation.index}]")
    side = outcome.unmatched
    if side is not None:
        peer = expectation.source if side == "from" else expectation.destination
        span = peer.span or expectation.span
        return Report(Anchor(span, anchor.object, f"{anchor.field_path}.{side}"),
                      f"expectation {name!r} cannot be checked: `{side}` ({peer.describe()}) matches nothing "
                      f"in the input", ())
    if outcome.problem is not None:
        return Report(anchor, f"expectation {name!r} cannot be checked: {outcome.problem}", ())
    first = outcome.failures[0]
    more = outcome.failed - 1
    tail = f" (and {more} more of {outcome.pairs} pairs)" if more else ""
    if expectation.allow:
        if first.unresolved and first.ports.is_empty:
            return Report(anchor, f"expectation {name!r} not met: {first.dst.id} has no container port "
                                  f"{', '.join(first.unresolved)}{tail}", ())
        protocol, port = _first(first.ports)
        explanation = engine.explain(first.src, first.dst, protocol, port)
        sides = blame(explanation)
        what = "nothing is allowed" if expectation.ports is None else f"{protocol}/{port} is denied"
        reasons = "; ".join(f"blocked by {b.where}: {b.reason} ({where(b.anchor.span)})" for b in sides)
        related = tuple(Related(b.anchor.span, f"{b.where}: {b.reason}") for b in sides)
        related += tuple(r for b in sides for r in b.related if r not in related)
        return Report(anchor, f"expectation {name!r} not met: {first.src.id} -> {first.dst.id}: {what}: "
                              f"{reasons}{tail}", related)
    protocol, port = _first(first.ports)
    explanation = engine.explain(first.src, first.dst, protocol, port)
    if explanation.unknown:
        steps = [s for side in (explanation.egress, explanation.ingress) if side.trace is not None
                 for s in side.trace.admin + side.trace.baseline if s.verdict == "unknown"
                 and s.ports.contains(protocol, port)]
        related = tuple(Related(s.rule.source.span, f"{s.tier.lower()} tier: {s.policy.id} {s.rule.label} "
                                f"matches {s.peer.describe() if s.peer else 'a peer'}, which cannot be judged offline")
                        for s in steps)
        how = "; ".join(f"{r.message} ({where(r.span)})" for r in related)
        return Report(anchor, f"expectation {name!r} not met: {first.src.id} -> {first.dst.id} may be allowed on "
                              f"{protocol}/{port} (unknown offline): {how}{tail}", related)
    related = allowing_related(explanation)
    how = "; ".join(f"{r.message} ({where(r.span)})" for r in related) or "no policy applies"
    return Report(anchor, f"expectation {name!r} not met: {first.src.id} -> {first.dst.id} is allowed on "
                          f"{first.ports.describe()}: {how}{tail}", related)


def _first(ports: PortSet) -> tuple[str, int]:
    for protocol in ("TCP", "UDP", "SCTP"):
        intervals = ports.intervals(protocol)
        if intervals:
            return protocol, intervals[0][0]
    return "TCP", 1
