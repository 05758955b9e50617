"""Port sets and IP ranges: the engine's arithmetic, against plain Python sets and by hand."""
from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policylint.engine.ipset import IPRange, block_ranges, parse_address_or_network, partition
from policylint.engine.ports import ALL_PORTS, EMPTY_PORTS, PortSet, PortSpec, parse_port_filter, rule_port_spec
from policylint.model.types import ContainerPort

# A small universe at both ends of the port range keeps set comparisons cheap and exact.
UNIVERSE = list(range(1, 16)) + list(range(65528, 65536))
PROTOCOLS = ("TCP", "UDP", "SCTP")

intervals = st.lists(st.tuples(st.sampled_from(UNIVERSE), st.sampled_from(UNIVERSE)).map(sorted).map(tuple), max_size=4)
port_sets = st.fixed_dictionaries({p: intervals for p in PROTOCOLS}).map(PortSet.of)


def members(ports: PortSet) -> set[tuple[str, int]]:
    return {(p, n) for p in PROTOCOLS for n in UNIVERSE if ports.contains(p, n)}


def explicit(ports: PortSet) -> set[tuple[str, int]]:
    """Members read straight off the intervals (not through `contains`)."""
    return {(p, n) for p in PROTOCOLS for lo, hi in ports.intervals(p) for n in range(lo, hi + 1) if n in UNIVERSE}


@given(port_sets, port_sets)
def test_port_set_operations_are_set_operations(a: PortSet, b: PortSet) -> None:
    assert members(a) == explicit(a)
    assert members(a | b) == members(a) | members(b)
    assert members(a & b) == members(a) & members(b)
    assert members(a - b) == members(a) - members(b)
    assert (a - a).is_empty and (a - EMPTY_PORTS) == a and (EMPTY_PORTS - a).is_empty and (a - ALL_PORTS).is_empty
    assert members(ALL_PORTS - a) == members(ALL_PORTS) - members(a)
    assert (a | b) == (b | a) and hash(a | b) == hash(b | a)
    for ports in (a, b, a | b, a & b, a - b):
        for p in PROTOCOLS:
            spans = ports.intervals(p)
            # Normalised: sorted, disjoint and not even adjacent.
            assert all(lo <= hi for lo, hi in spans)
            assert all(x[1] + 1 < y[0] for x, y in zip(spans, spans[1:]))


def test_port_set_basics() -> None:
    assert ALL_PORTS.is_all and not ALL_PORTS.is_empty and EMPTY_PORTS.is_empty
    assert PortSet.of({"TCP": [(80, 81), (82, 90), (443, 443)]}).to_json() == {
        "TCP": [[80, 90], [443, 443]], "UDP": [], "SCTP": []}
    assert (ALL_PORTS - PortSet.single("UDP", 53)).to_json()["UDP"] == [[1, 52], [54, 65535]]
    assert not ALL_PORTS.contains("ICMP", 1)
    assert PortSet.of({"TCP": [(80, 80)], "UDP": [(1, 65535)]}).describe() == "TCP 80; UDP all"


def test_rule_port_spec_and_named_resolution() -> None:
    from tests.strategies import cluster_from_text

    cluster = cluster_from_text("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  ingress:
  - ports: [{port: 80}, {protocol: UDP}, {port: web}, {protocol: SCTP, port: web}, {port: 0}]
""")
    spec = rule_port_spec(cluster.policies[0].ingress[0].ports)
    # port 0 is invalid and adds nothing; `web` waits for a destination.
    assert spec.static == PortSet.of({"TCP": [(80, 80)], "UDP": [(1, 65535)]})
    assert spec.named == (("web", "SCTP"), ("web", "TCP"))
    destination = (ContainerPort("web", 8080, "TCP"), ContainerPort("web", 9000, "UDP"), ContainerPort(None, 7, "TCP"))
    assert spec.resolve(destination) == PortSet.of({"TCP": [(80, 80), (8080, 8080)], "UDP": [(1, 65535)]})
    assert spec.resolve(None) == spec.static
    assert rule_port_spec(()) == PortSpec(ALL_PORTS)


def test_parse_port_filter() -> None:
    assert parse_port_filter("80") == (None, 80)
    assert parse_port_filter("udp/53") == ("UDP", 53)
    for bad in ("0", "65536", "http", "ICMP/1", "TCP/"):
        with pytest.raises(ValueError):
            parse_port_filter(bad)


def test_ip_ranges_by_hand() -> None:
    # 10.0.0.0/24 minus 10.0.0.0/26 and 10.0.0.128/25 leaves 10.0.0.64/26 only.
    net = ipaddress.ip_network
    left = block_ranges(net("10.0.0.0/24"), [net("10.0.0.0/26"), net("10.0.0.128/25")])
    assert [(r.text, r.cidrs()) for r in left] == [("10.0.0.64-10.0.0.127", ("10.0.0.64/26",))]
    # Overlapping excepts, and an except of the other family (ignored here; the model marks it).
    left = block_ranges(net("10.0.0.0/29"), [net("10.0.0.2/31"), net("10.0.0.2/32"), net("fd00::/8")])
    assert [r.text for r in left] == ["10.0.0.0-10.0.0.1", "10.0.0.4-10.0.0.7"]
    assert IPRange(4, int(ipaddress.IPv4Address("10.0.0.1")), int(ipaddress.IPv4Address("10.0.0.6"))).cidrs() == (
        "10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32")
    # A partition of a tiny IPv4 space would be unreadable; check the holes and cuts on IPv6 ints.
    parts = partition(6, cuts=[16, 32], holes=[20])
    assert [(r.first, r.last) for r in parts] == [(0, 15), (16, 19), (21, 31), (32, (1 << 128) - 1)]
    assert parse_address_or_network("10.1.2.3/16") == IPRange.of_network(net("10.1.0.0/16"))
    assert parse_address_or_network("fd00::1").text == "fd00::1-fd00::1"
    assert parse_address_or_network("web") is None
