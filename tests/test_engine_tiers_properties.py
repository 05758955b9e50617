"""The engine against the reference evaluator on random mixes of NetworkPolicies and cluster-wide
policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy).

Every ordered pair of pods, and every pod against external addresses at each CIDR edge, for every
protocol at every port boundary the manifests mention: the engine's allowed ports and unknown
ports must be exactly where the reference says allowed and unknown, in the matrix, the matrix's
unknown cells and the pair query alike.
"""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given

from policylint.engine import EMPTY_PORTS, Engine
from tests import reference_evaluator as reference
from tests.strategies import PROTOCOLS, GenCluster, clusters
from tests.test_engine_properties import sample_addresses, sample_ports


def verdict(allowed, unknown, protocol: str, port: int) -> str:
    if allowed.contains(protocol, port):
        assert not unknown.contains(protocol, port)
        return reference.ALLOWED
    return reference.UNKNOWN if unknown.contains(protocol, port) else reference.DENIED


@given(clusters(max_pods=4, max_policies=2, max_tier_policies=3))
def test_tiered_engine_agrees_with_reference(gen: GenCluster) -> None:
    cluster = gen.cluster()
    assert len(cluster.tier_policies) == len(gen.tier_policies)
    engine = Engine(cluster)
    matrix = {(s.id, d.id): ports for s, d, ports in engine.matrix()}
    unknown_matrix = {}
    for src in engine.endpoints:
        for ports, bits in engine.unknown_cells(src):
            for dst in engine.cell_endpoints(bits):
                unknown_matrix[(src.id, dst.id)] = ports
    ports = sample_ports(gen)
    pods = [e for e in engine.endpoints if not e.is_external]
    for src in pods:
        for dst in pods:
            allowed = matrix.get((src.id, dst.id), EMPTY_PORTS)
            unknown = unknown_matrix.get((src.id, dst.id), EMPTY_PORTS)
            assert allowed == engine.allowed_ports(src, dst)
            assert unknown == engine.unknown_ports(src, dst)
            for protocol in PROTOCOLS:
                for port in ports:
                    want = reference.decision(cluster, src.workload, dst.workload, protocol, port)
                    got = verdict(allowed, unknown, protocol, port)
                    assert got == want, (src.id, dst.id, protocol, port, gen.text())
    pod_ips = {ip for w in cluster.workloads for ip in w.pod_ips}
    for address in sample_addresses(gen, pod_ips):
        external, = engine.resolve(str(address))
        for pod in pods:
            for a, b, src_obj, dst_obj in ((pod, external, pod.workload, address), (external, pod, address, pod.workload)):
                allowed = matrix.get((a.id, b.id), EMPTY_PORTS)
                unknown = unknown_matrix.get((a.id, b.id), EMPTY_PORTS)
                assert allowed == engine.allowed_ports(a, b)
                for protocol in PROTOCOLS:
                    for port in ports:
                        want = reference.decision(cluster, src_obj, dst_obj, protocol, port)
                        got = verdict(allowed, unknown, protocol, port)
                        assert got == want, (a.id, b.id, protocol, port, gen.text())


@given(clusters(max_pods=4, max_policies=3, max_tier_policies=2))
def test_sides_compose(gen: GenCluster) -> None:
    """A pair's allowed ports are what both sides allow; its unknown ports what both sides may
    allow and not both surely do."""
    engine = Engine(gen.cluster())
    pods = [e for e in engine.endpoints if not e.is_external]
    for src in pods:
        for dst in pods:
            eg, ig = engine.egress_ports(src, dst), engine.ingress_ports(src, dst)
            assert engine.allowed_ports(src, dst) == eg & ig
            eu = engine.side_unknown_ports("Egress", src, dst)
            iu = engine.side_unknown_ports("Ingress", src, dst)
            assert engine.unknown_ports(src, dst) == ((eg | eu) & (ig | iu)) - (eg & ig)


def _without_invalid_parts(policy):
    """The policy as it would be with what the API server rejects taken out: an invalid policy is
    gone; a rule with an invalid action is gone; invalid peers and ports are gone, and a rule
    left with no peer, or with ports that were all invalid, is gone (it matched nothing)."""
    if not policy.valid:
        return None

    def clean(rules):
        kept = []
        for rule in rules:
            peers = tuple(p for p in rule.peers if p.valid)
            ports = tuple(p for p in rule.ports if p.valid)
            if not rule.verdict or not peers or (rule.ports and not ports):
                continue
            kept.append(replace(rule, peers=peers, ports=ports))
        return tuple(kept)

    return replace(policy, ingress=clean(policy.ingress), egress=clean(policy.egress))


@given(clusters(max_pods=4, max_policies=2, max_tier_policies=3))
def test_invalid_tier_parts_match_nothing(gen: GenCluster) -> None:
    """What the API server would reject in a cluster-wide policy matches nothing: the engine gives
    the same allowed and unknown ports as for the cluster with every rejected part taken out —
    never "every peer" or "every port" from a part that was thrown away."""
    cluster = gen.cluster()
    cleaned = [p for p in map(_without_invalid_parts, cluster.tier_policies) if p is not None]
    full, clean = Engine(cluster), Engine(replace(cluster, tier_policies=cleaned))
    # External ranges are cut at the addresses policies mention, so they differ between the two:
    # pods are compared pair by pair, addresses at every edge either side mentions.
    pods = [e for e in full.endpoints if not e.is_external]
    clean_pods = [e for e in clean.endpoints if not e.is_external]
    assert [e.id for e in pods] == [e.id for e in clean_pods]
    pairs = [(a, c, b, d) for a, b in zip(pods, clean_pods) for c, d in zip(pods, clean_pods)]
    pod_ips = {ip for w in cluster.workloads for ip in w.pod_ips}
    for address in sample_addresses(gen, pod_ips):
        external, = full.resolve(str(address))
        clean_external, = clean.resolve(str(address))
        for a, b in zip(pods, clean_pods):
            pairs += [(a, external, b, clean_external), (external, a, clean_external, b)]
    for a, c, b, d in pairs:
        assert full.allowed_ports(a, c) == clean.allowed_ports(b, d), (a.id, c.id, gen.text())
        assert full.unknown_ports(a, c) == clean.unknown_ports(b, d), (a.id, c.id, gen.text())
