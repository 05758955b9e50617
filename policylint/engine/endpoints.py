"""Endpoints: the things connectivity is computed between.

An endpoint is either a workload (all pods of a Pod, controller or job replica type — they are
identical for policy purposes) or an external address range. Workloads that no policy could tell
apart (same namespace, labels, named container ports and pod IPs) share one *class*; the engine
computes on classes and only expands to endpoints when it reports.

External address space is cut into the ranges the policies can distinguish: every edge of a valid
ipBlock `cidr` and `except` starts a new range, and every known pod IP is carved out (that address
is a pod, not the outside world). Inside one range every ipBlock answers the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Mapping

from policylint.engine.ipset import IPRange, partition
from policylint.model.types import Cluster, ContainerPort, IPAddress, Workload

EXTERNAL = "External"


@dataclass(frozen=True, slots=True, order=True)
class Endpoint:
    """A workload or an external range. Ordered by `index`: workloads by id, then ranges by address.

    `namespace`, `name`, `labels`, `ports` and `is_external` are set when the endpoint is made
    (from the workload; None, None, {}, None and True for a range): plain attributes, because rules
    read them in their innermost loops."""

    index: int
    id: str
    kind: str = field(compare=False)  # the workload kind, or "External"
    atom: int = field(compare=False)  # bit position in the engine's endpoint bitsets
    workload: Workload | None = field(default=None, compare=False, repr=False)
    range: IPRange | None = field(default=None, compare=False)
    namespace: str | None = field(default=None, compare=False, repr=False)
    name: str | None = field(default=None, compare=False, repr=False)
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    # Container ports, for named-port resolution; None for an external range.
    ports: tuple[ContainerPort, ...] | None = field(default=None, compare=False, repr=False)
    is_external: bool = field(default=True, compare=False, repr=False)  # an address range, not a workload

    @classmethod
    def of_workload(cls, index: int, id: str, atom: int, workload: Workload) -> Endpoint:
        return cls(index, id, workload.kind, atom, workload, None, workload.namespace, workload.name,
                   workload.labels, workload.ports, False)

    @property
    def cidrs(self) -> tuple[str, ...]:
        return self.range.cidrs() if self.range is not None else ()

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class PodClass:
    """Workloads that every selector and ipBlock treats alike."""

    namespace: str
    labels: Mapping[str, str] = field(hash=False)
    named_ports: tuple[ContainerPort, ...]  # only named ports matter to policies
    pod_ips: tuple[IPAddress, ...]
    host_network: bool = False


def class_key(workload: Workload, host_network: bool = False) -> tuple:
    """What policies can tell workloads apart by. Cluster-wide policies also see hostNetwork
    (such pods are never their subjects nor matched by their pod peers), so with them the flag
    is part of the key."""
    named = tuple(sorted((p.name, p.protocol, p.port) for p in workload.ports if p.name))
    ips = tuple(sorted((ip.version, int(ip)) for ip in workload.pod_ips))
    key = (workload.namespace, tuple(sorted(workload.labels.items())), named, ips)
    return key + (workload.host_network,) if host_network else key


@dataclass(slots=True)
class EndpointSpace:
    """The endpoints and the atoms they fall into: pod classes first, then external ranges."""

    classes: list[PodClass]
    class_of: list[int]  # endpoint index (workloads only) -> class index
    endpoints: list[Endpoint]
    ranges: list[IPRange]  # external ranges, atom = len(classes) + position


def unique_ids(workloads: list[Workload]) -> list[str]:
    """Workload ids, with `#2`, `#3`… on repeats (the same object given twice stays two endpoints)."""
    return _numbered([w.id for w in workloads])


def _numbered(ids: list[str]) -> list[str]:
    """`unique_ids` of workloads with these ids."""
    seen: dict[str, int] = {}
    found = []
    for text in ids:
        n = seen[text] = seen.get(text, 0) + 1
        found.append(text if n == 1 else f"{text}#{n}")
    return found


def external_ranges(cluster: Cluster) -> list[IPRange]:
    cuts: dict[int, set[int]] = {4: set(), 6: set()}
    holes: dict[int, set[int]] = {4: set(), 6: set()}
    for block in valid_ip_blocks(cluster):
        for network in [block.network] + [e.network for e in block.excepts]:
            if network is None:
                continue
            r = IPRange.of_network(network)
            cuts[r.version].update((r.first, r.last + 1))
    for network in tier_networks(cluster):
        r = IPRange.of_network(network)
        cuts[r.version].update((r.first, r.last + 1))
    for workload in cluster.workloads:
        for ip in workload.pod_ips:
            holes[ip.version].add(int(ip))
    return [r for version in (4, 6) for r in partition(version, cuts[version], holes[version])]


def valid_ip_blocks(cluster: Cluster) -> Iterator:
    for policy in cluster.evaluated_policies:
        for rule in policy.ingress + policy.egress:
            for peer in rule.peers:
                block = peer.ip_block
                if peer.valid and block is not None and block.valid and block.network is not None:
                    yield block


def tier_networks(cluster: Cluster) -> Iterator:
    """The CIDRs of the `networks` peers of cluster-wide policies (they cut the address space too)."""
    for policy in cluster.tier_policies:
        for rule in policy.egress:
            for peer in rule.peers:
                yield from peer.networks


def build_space(cluster: Cluster) -> EndpointSpace:
    # Each workload's id made once (it is written from its fields at each use), then sorted by
    # it; the sort is stable, as sorting the workloads by id is.
    named = sorted(zip([w.id for w in cluster.workloads], range(len(cluster.workloads)), cluster.workloads))
    workloads = [w for _, _, w in named]
    ids = _numbered([text for text, _, _ in named])
    keys: dict[tuple, int] = {}
    classes: list[PodClass] = []
    class_of: list[int] = []
    tiers = bool(cluster.tier_policies)
    for w in workloads:
        key = class_key(w, tiers)
        if key not in keys:
            keys[key] = len(classes)
            classes.append(PodClass(w.namespace, w.labels, tuple(p for p in w.ports if p.name), w.pod_ips,
                                    w.host_network))
        class_of.append(keys[key])
    endpoints = [Endpoint.of_workload(i, ids[i], class_of[i], w) for i, w in enumerate(workloads)]
    ranges = external_ranges(cluster)
    base = len(endpoints)
    for j, r in enumerate(ranges):
        endpoints.append(Endpoint(base + j, r.text, EXTERNAL, len(classes) + j, None, r))
    return EndpointSpace(classes, class_of, endpoints, ranges)
