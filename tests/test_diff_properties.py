"""The diff against the reference evaluator, on random pairs of versions.

For two random clusters (the second one sharing some of the first's namespaces, workloads or
policies), every (source, destination, protocol, port) probe that the reference evaluator answers
differently in the two versions must be in the diff with exactly those answers, and every probe it
answers alike must not be reported as changed — for workload pairs and for external addresses,
including the edges of every range either version cuts. The pruned computation (only the pairs a
change can touch) must equal the exhaustive one.
"""
from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from policylint.diff.compute import compute_diff
from policylint.diff.model import DiffResult
from policylint.diff.sides import Side
from policylint.engine.ipset import family_max
from policylint.load import LoadResult
from policylint.analysis import Analysis
from tests import reference_evaluator as reference
from tests.strategies import GenCluster, clusters

PROTOCOLS = ("TCP", "UDP", "SCTP")


def side(label: str, gen: GenCluster) -> Side:
    return Side(label, Analysis(LoadResult(), gen.cluster()))


@st.composite
def versions(draw) -> tuple[GenCluster, GenCluster]:
    a, b = draw(clusters()), draw(clusters())
    # Each part of the new version is the old one's or another one: namespaces relabelled,
    # workloads relabelled, added or removed (ids are w0, w1, … in both), policies rewritten.
    new = GenCluster(
        namespaces=draw(st.sampled_from([a.namespaces, b.namespaces])),
        workloads=draw(st.sampled_from([a.workloads, a.workloads, b.workloads])),
        policies=draw(st.sampled_from([b.policies, b.policies, a.policies, a.policies[:-1]])),
    )
    return a, new


def _probes(old: GenCluster, new: GenCluster) -> list[tuple[str, int]]:
    ports = sorted(p for p in old.mentioned_ports() | new.mentioned_ports() | {1, 65535} if 1 <= p <= 65535)
    return [(protocol, port) for protocol in PROTOCOLS for port in ports]


def _addresses(result_sides: tuple[Side, Side], result: DiffResult,
               gens: tuple[GenCluster, GenCluster]) -> list[ipaddress._BaseAddress]:
    """Both edges of every cidr and except the manifests of either version write, of every range
    of both versions and of the diff, and their neighbours; minus known pod IPs, which are pods
    rather than external addresses. (The manifests' own edges are probed too, so that a range the
    engine failed to cut cannot hide a change.)"""
    values: set[tuple[int, int]] = set()
    for gen in gens:
        for network in gen.mentioned_networks():
            first, last = int(network.network_address), int(network.broadcast_address)
            values.update((network.version, v) for v in (first - 1, first, last, last + 1))
    for s in result_sides:
        for e in s.engine.endpoints:
            if e.is_external:
                r = e.range
                values.update((r.version, v) for v in (r.first - 1, r.first, r.last, r.last + 1))
    for c in result.connections:
        for e in (c.src, c.dst):
            if e.is_external:
                values.update((e.version, v) for v in (e.first - 1, e.first, e.last, e.last + 1))
    pod_ips = {(ip.version, int(ip)) for s in result_sides for w in s.cluster.workloads for ip in w.pod_ips}
    out = []
    for version, value in sorted(values - pod_ips):
        if 0 <= value <= family_max(version):
            out.append(ipaddress.ip_address(value) if version == 4 else ipaddress.IPv6Address(value))
    return out


def _reported(result: DiffResult, src: str | None, dst: str | None, address=None):
    """The one diff entry covering (src, dst), `address` standing in for an external end."""
    found = []
    for c in result.connections:
        if address is not None:
            external, workload = (c.src, c.dst.id) if src is None else (c.dst, c.src.id)
            if not external.is_external or workload != (dst if src is None else src):
                continue
            if external.version == address.version and external.first <= int(address) <= external.last:
                found.append(c)
        elif c.src.id == src and c.dst.id == dst:
            found.append(c)
    assert len(found) <= 1, found
    return found[0] if found else None


@given(versions())
def test_the_diff_is_exactly_where_the_reference_evaluator_changes_its_answer(pair) -> None:
    old_gen, new_gen = pair
    old, new = side("old", old_gen), side("new", new_gen)
    # Exposure has its own property test (tests/test_exposure_properties.py); left out here, where
    # it would be most of the time.
    result = compute_diff(old, new, exposure=False)
    # Recomputing only the pairs a change can touch (scope.py) loses nothing:
    assert result == compute_diff(old, new, everything=True, exposure=False)
    assert all(c.old != c.new for c in result.connections)
    probes = _probes(old_gen, new_gen)
    workloads = {s.label: {e.id: e.workload for e in s.engine.endpoints if not e.is_external} for s in (old, new)}
    ids = sorted(workloads[old.label].keys() | workloads[new.label].keys())

    def answers(s: Side, a, b, protocol: str, port: int) -> bool:
        if a is None or b is None:
            return False  # the workload does not exist in that version
        return reference.allowed(s.cluster, a, b, protocol, port)

    for src in ids:
        for dst in ids:
            entry = _reported(result, src, dst)
            for protocol, port in probes:
                before = answers(old, workloads[old.label].get(src), workloads[old.label].get(dst), protocol, port)
                after = answers(new, workloads[new.label].get(src), workloads[new.label].get(dst), protocol, port)
                if entry is None:
                    assert before == after, (src, dst, protocol, port)
                else:
                    assert entry.old.contains(protocol, port) == before, (src, dst, protocol, port)
                    assert entry.new.contains(protocol, port) == after, (src, dst, protocol, port)

    for address in _addresses((old, new), result, (old_gen, new_gen)):
        for workload in ids:
            for outgoing in (True, False):
                src, dst = (workload, None) if outgoing else (None, workload)
                entry = _reported(result, src, dst, address)
                for protocol, port in probes:
                    def answer(s: Side) -> bool:
                        w = workloads[s.label].get(workload)
                        return answers(s, w, address, protocol, port) if outgoing else \
                            answers(s, address, w, protocol, port)

                    before, after = answer(old), answer(new)
                    if entry is None:
                        assert before == after, (workload, str(address), outgoing, protocol, port)
                    else:
                        assert entry.old.contains(protocol, port) == before, (workload, str(address), protocol, port)
                        assert entry.new.contains(protocol, port) == after, (workload, str(address), protocol, port)
