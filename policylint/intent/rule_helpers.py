"""Small building blocks shared by the PL5xx rules: endpoints of workloads, wanted ports, public
address ranges, and the grouping of many blocked pairs into one finding per blocking place."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator

from policylint.engine.ports import PortSet
from policylint.findings import Related
from policylint.intent.blame import MAX_RELATED, Anchor
from policylint.intent.frameworks import TrainingJob
from policylint.listing import listing
from policylint.model.types import Workload

if TYPE_CHECKING:
    from policylint.engine.endpoints import Endpoint

# Addresses that are not "the internet": RFC 1918, CGNAT, loopback, link-local, multicast,
# reserved, and their IPv6 counterparts. Everything else counts as public.
_NOT_PUBLIC = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "224.0.0.0/3",
    "::/8", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
)]


def has_public_addresses(endpoint: Endpoint) -> bool:
    """Whether an external range holds at least one publicly routable address."""
    r = endpoint.range
    if r is None:
        return False
    cursor = r.first
    for network in sorted((n for n in _NOT_PUBLIC if n.version == r.version), key=lambda n: int(n.network_address)):
        lo, hi = int(network.network_address), int(network.broadcast_address)
        if hi < cursor:
            continue
        if lo > cursor:
            return cursor <= r.last
        cursor = hi + 1
        if cursor > r.last:
            return False
    return cursor <= r.last


def public_atoms(engine) -> int:
    """The engine's external ranges that hold public addresses, as one bitset: a rule computes
    it once (O(external ranges)) and then tests each peer against all of them with one AND."""
    bits = 0
    for endpoint in engine.endpoints:
        if endpoint.is_external and has_public_addresses(endpoint):
            bits |= 1 << endpoint.atom
    return bits


def wanted_ports(workload: Workload, exclude: Iterable[int] = ()) -> PortSet | None:
    """The ports a client would use on this workload: its container ports (minus `exclude`, the
    framework's own ports), or None when it declares none (then any port counts)."""
    skipped = set(exclude)
    by_protocol: dict[str, list[tuple[int, int]]] = {}
    for port in workload.ports:
        if port.port not in skipped:
            by_protocol.setdefault(port.protocol, []).append((port.port, port.port))
    return PortSet.of(by_protocol) if by_protocol else None


def reaches(allowed: PortSet, wanted: PortSet | None) -> bool:
    return not allowed.is_empty if wanted is None else not (allowed & wanted).is_empty


def first_port(ports: PortSet | None, default: tuple[str, int] = ("TCP", 80)) -> tuple[str, int]:
    if ports is not None:
        for protocol in ("TCP", "UDP", "SCTP"):
            intervals = ports.intervals(protocol)
            if intervals:
                return protocol, intervals[0][0]
    return default


def training_workloads(jobs: Iterable[TrainingJob]) -> Iterator[Workload]:
    """The workloads of every replica type of these jobs: what the training rules declare they
    read (rule_api.RuleSpec.reads)."""
    for job in jobs:
        for replica in job.replicas:
            yield replica.workload


def group_of(workload: Workload) -> str:
    """`Worker` for a job's replica type, else the workload kind."""
    return workload.group or workload.kind


def limited(items: list[str], limit: int = 6) -> str:
    """`a, b, c and 4 more`."""
    return listing(items, limit)


def job_names(jobs: Iterable[TrainingJob], limit: int = 3) -> str:
    return listing(sorted({j.label for j in jobs}), limit)


def endpoint_names(endpoints: Iterable[Endpoint], limit: int = 3) -> str:
    return listing(sorted({e.id for e in endpoints}), limit)


@dataclass(slots=True)
class Group:
    """Everything blocked at one place, to become one finding."""

    anchor: Anchor
    reason: str
    related: list[Related] = field(default_factory=list)
    _related_keys: set[tuple] = field(default_factory=set)
    jobs: dict[tuple, TrainingJob] = field(default_factory=dict)
    items: list[str] = field(default_factory=list)
    _item_keys: set[str] = field(default_factory=set)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)

    def add(self, job: TrainingJob | None = None, item: str | None = None, endpoint: Endpoint | None = None,
            related: Iterable[Related] = ()) -> None:
        if job is not None:
            self.jobs.setdefault(job.key, job)
        if item is not None and item not in self._item_keys:
            self._item_keys.add(item)
            self.items.append(item)
        if endpoint is not None:
            self.endpoints.setdefault(endpoint.id, endpoint)
        for r in related:
            key = (r.span, r.message)
            if key not in self._related_keys and len(self.related) < MAX_RELATED:
                self._related_keys.add(key)
                self.related.append(r)


class Groups:
    """Groups keyed by where they point (and a discriminator such as the direction)."""

    def __init__(self) -> None:
        self._groups: dict[tuple, Group] = {}

    def get(self, anchor: Anchor, reason: str, *extra: object) -> Group:
        key = (anchor.span.path, anchor.span.line, anchor.span.column, anchor.field_path, *extra)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = Group(anchor, reason)
        return group

    def items(self) -> list[tuple[tuple, Group]]:
        return sorted(self._groups.items(), key=lambda kv: tuple(str(k) for k in kv[0]))


def mesh_pairs(job: TrainingJob) -> list[tuple[Workload, Workload]]:
    """Ordered pairs of the job's replica types that exchange collective traffic; a type with
    more than one pod is paired with itself (pod i to pod j), a single pod is not (loopback)."""
    mesh = job.mesh
    return [(a, b) for a in mesh for b in mesh if a is not b or a.replicas > 1]


def pair_text(a: Workload, b: Workload) -> str:
    return f"{group_of(a)} -> {group_of(b)}"
