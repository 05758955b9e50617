"""The fast engine against the reference evaluator, on random clusters.

Clusters are generated as manifest text and go through the real loader and model. Every ordered
pair of pods, and every pod against external addresses at each cidr/except edge (and one past
it), is checked for every protocol at every port boundary the manifests mention.
"""
from __future__ import annotations

import ipaddress

from hypothesis import given

from policylint.engine import EMPTY_PORTS, Engine
from policylint.engine.ipset import family_max
from tests import reference_evaluator as reference
from tests.strategies import PROTOCOLS, GenCluster, clusters


def sample_ports(gen: GenCluster) -> list[int]:
    ports = {1, 65535}
    for p in gen.mentioned_ports():
        ports.update({p - 1, p, p + 1})
    return sorted(p for p in ports if 1 <= p <= 65535)


def sample_addresses(gen: GenCluster, pod_ips: set) -> list:
    """Each cidr's and except's first and last address, one before and one after; the extremes."""
    values: set[tuple[int, int]] = {(4, 0), (4, family_max(4)), (6, 0), (6, family_max(6))}
    for network in gen.mentioned_networks():
        first, last = int(network.network_address), int(network.broadcast_address)
        for v in (first - 1, first, last, last + 1):
            if 0 <= v <= family_max(network.version):
                values.add((network.version, v))
    addresses = [ipaddress.IPv4Address(v) if fam == 4 else ipaddress.IPv6Address(v) for fam, v in sorted(values)]
    # A known pod IP is that pod, not an external address; pods are checked pair by pair.
    return [a for a in addresses if a not in pod_ips]


def matrix_of(engine: Engine) -> dict[tuple[str, str], object]:
    return {(s.id, d.id): ports for s, d, ports in engine.matrix()}


@given(clusters())
def test_engine_agrees_with_reference(gen: GenCluster) -> None:
    cluster = gen.cluster()
    engine = Engine(cluster)
    matrix = matrix_of(engine)
    ports = sample_ports(gen)
    pods = [e for e in engine.endpoints if not e.is_external]
    assert len(pods) == len(cluster.workloads)
    for src in pods:
        for dst in pods:
            allowed = matrix.get((src.id, dst.id), EMPTY_PORTS)
            assert allowed == engine.allowed_ports(src, dst)  # the matrix and the pair query agree
            for protocol in PROTOCOLS:
                for port in ports:
                    expected = reference.allowed(cluster, src.workload, dst.workload, protocol, port)
                    assert allowed.contains(protocol, port) == expected, (src.id, dst.id, protocol, port, gen.text())
    pod_ips = {ip for w in cluster.workloads for ip in w.pod_ips}
    for address in sample_addresses(gen, pod_ips):
        found = engine.resolve(str(address))
        assert len(found) == 1 and found[0].is_external and found[0].range.contains(address), (address, found)
        external = found[0]
        for pod in pods:
            outbound = matrix.get((pod.id, external.id), EMPTY_PORTS)
            inbound = matrix.get((external.id, pod.id), EMPTY_PORTS)
            for protocol in PROTOCOLS:
                for port in ports:
                    want_out = reference.allowed(cluster, pod.workload, address, protocol, port)
                    want_in = reference.allowed(cluster, address, pod.workload, protocol, port)
                    assert outbound.contains(protocol, port) == want_out, (pod.id, str(address), protocol, port, gen.text())
                    assert inbound.contains(protocol, port) == want_in, (str(address), pod.id, protocol, port, gen.text())


@given(clusters())
def test_invalid_parts_match_nothing(gen: GenCluster) -> None:
    """An invalid peer or port is the same as not being there, except that its rule still counts
    for isolation: never "everyone" or "all ports". Compare against the cluster with every invalid
    part removed (rules left without peers or ports dropped whole, defaulted policyTypes pinned)."""
    cluster = gen.cluster()
    # The generator's validity flags agree with the model's: both tests rest on them.
    for generated, policy in zip(gen.policies, cluster.policies):
        assert policy.pod_selector.valid == generated.selector_valid
        for gen_rules, rules in ((generated.ingress or [], policy.ingress), (generated.egress or [], policy.egress)):
            for gen_rule, rule in zip(gen_rules, rules):
                assert [p.valid for p in rule.peers] == [i.valid for i in gen_rule.peers or []]
                assert [p.valid for p in rule.ports] == [i.valid for i in gen_rule.ports or []]
    full = Engine(cluster)
    clean = Engine(gen.cluster(sanitise=True))
    pod_ids = [e.id for e in full.endpoints if not e.is_external]
    assert pod_ids == [e.id for e in clean.endpoints if not e.is_external]
    full_matrix = matrix_of(full)
    clean_matrix = matrix_of(clean)
    for s in pod_ids:
        for d in pod_ids:
            assert full_matrix.get((s, d), EMPTY_PORTS) == clean_matrix.get((s, d), EMPTY_PORTS), (s, d, gen.text())
    pod_ips = {ip for w in cluster.workloads for ip in w.pod_ips}
    for address in sample_addresses(gen, pod_ips):
        a, = full.resolve(str(address))
        b, = clean.resolve(str(address))
        for pod in pod_ids:
            assert full_matrix.get((pod, a.id), EMPTY_PORTS) == clean_matrix.get((pod, b.id), EMPTY_PORTS)
            assert full_matrix.get((a.id, pod), EMPTY_PORTS) == clean_matrix.get((b.id, pod), EMPTY_PORTS)


@given(clusters())
def test_matrix_is_sorted_and_partition_is_exact(gen: GenCluster) -> None:
    engine = Engine(gen.cluster())
    rows = list(engine.matrix())
    keys = [(s.index, d.index) for s, d, _ in rows]
    assert keys == sorted(set(keys))
    assert all(not ports.is_empty for _, _, ports in rows)
    assert not any(s.is_external and d.is_external for s, d, _ in rows)
    # External ranges tile each family, minus exactly the known pod IPs.
    pod_ips = {(ip.version, int(ip)) for w in engine.cluster.workloads for ip in w.pod_ips}
    for version in (4, 6):
        ranges = [e.range for e in engine.endpoints if e.is_external and e.range.version == version]
        covered = sum(r.last - r.first + 1 for r in ranges)
        assert covered + sum(1 for v, _ in pod_ips if v == version) == family_max(version) + 1
        assert all(a.last < b.first for a, b in zip(ranges, ranges[1:]))
        for r in ranges:
            assert r.cidrs()[0].startswith(str(r.first_address))



@given(clusters())
def test_engine_agrees_with_reference_when_ingress_plans_are_evicted(gen: GenCluster) -> None:
    """The ingress plans (per distinct peer-set membership) are kept in a bounded cache: with room
    for one plan only, rows recompute them, and no answer may change."""
    import policylint.engine.connectivity as connectivity

    cluster = gen.cluster()
    kept = connectivity._PLANS_KEPT
    connectivity._PLANS_KEPT = 1
    try:
        engine = Engine(cluster)
        matrix = matrix_of(engine)
    finally:
        connectivity._PLANS_KEPT = kept
    ports = sample_ports(gen)
    pods = [e for e in engine.endpoints if not e.is_external]
    for src in pods:
        for dst in pods:
            allowed = matrix.get((src.id, dst.id), EMPTY_PORTS)
            for protocol in PROTOCOLS:
                for port in ports:
                    expected = reference.allowed(cluster, src.workload, dst.workload, protocol, port)
                    assert allowed.contains(protocol, port) == expected, (src.id, dst.id, protocol, port, gen.text())
