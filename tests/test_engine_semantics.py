"""Hand-checked semantics: one subtlety per test, a small manifest, and the expected verdict
derived from the specification (the reasoning is in the comments). Each verdict is asserted for
the fast engine and for the reference evaluator alike.
"""
from __future__ import annotations

import ipaddress

from policylint.engine import ALL_PORTS, EMPTY_PORTS, Engine, PortSet
from policylint.model.types import EGRESS, INGRESS
from tests import reference_evaluator as reference
from tests.strategies import cluster_from_text

PODS = """
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {team: blue}}
---
apiVersion: v1
kind: Namespace
metadata: {name: "y", labels: {team: red}}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec:
  containers:
  - name: c
    ports:
    - {name: web, containerPort: 8080}
    - {name: dns, containerPort: 53, protocol: UDP}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b, env: prod}}
spec:
  containers:
  - name: c
    ports:
    - {name: web, containerPort: 9090}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: x, labels: {app: c, tier: back}}
spec:
  containers:
  - name: c
    ports:
    - {name: web, containerPort: 53, protocol: UDP}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: x, labels: {app: db}}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: "y", labels: {app: db}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: "y", labels: {app: web}}
status: {podIP: 10.1.2.3}
"""


def setup(policies: str) -> tuple[Engine, object]:
    cluster = cluster_from_text(PODS + policies, "semantics.yaml")
    return Engine(cluster), cluster


def ep(engine: Engine, text: str):
    found = engine.resolve(text)
    assert len(found) == 1, (text, found)
    return found[0]


def verdict(engine: Engine, cluster, src: str, dst: str, protocol: str, port: int) -> bool:
    """The engine's verdict, after checking that the reference evaluator says the same."""
    s, d = ep(engine, src), ep(engine, dst)
    got = engine.allowed_ports(s, d).contains(protocol, port)
    as_ref = lambda e, text: e.workload if e.workload is not None else ipaddress.ip_address(text)  # noqa: E731
    assert reference.allowed(cluster, as_ref(s, src), as_ref(d, dst), protocol, port) == got, (src, dst, protocol, port)
    return got


def tcp(*ranges: tuple[int, int]) -> PortSet:
    return PortSet.of({"TCP": list(ranges)})


def test_egress_empty_list_without_policy_types_does_not_isolate_egress() -> None:
    # policyTypes absent: Ingress, plus Egress only if `egress` has at least one rule. `egress: []`
    # has none, so x/a is isolated for ingress only: it may still send anywhere.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  egress: []
""")
    a = ep(engine, "x/a")
    assert engine.isolated(a, INGRESS) and not engine.isolated(a, EGRESS)
    assert verdict(engine, cluster, "x/a", "x/b", "TCP", 80)
    assert verdict(engine, cluster, "x/a", "8.8.8.8", "UDP", 53)
    assert not verdict(engine, cluster, "x/b", "x/a", "TCP", 8080)


def test_ingress_empty_list_denies_but_one_empty_rule_allows_all() -> None:
    # `ingress: []` under policyTypes [Ingress]: isolated, no rule -> nothing in.
    # `ingress: [{}]`: one rule without `from` or `ports` -> every source, every port.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: none, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress]
  ingress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: all, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  policyTypes: [Ingress]
  ingress: [{}]
""")
    assert not verdict(engine, cluster, "x/b", "x/a", "TCP", 8080)
    assert not verdict(engine, cluster, "1.2.3.4", "x/a", "TCP", 8080)
    assert verdict(engine, cluster, "y/db", "x/b", "SCTP", 7)
    assert verdict(engine, cluster, "1.2.3.4", "x/b", "UDP", 65535)
    assert engine.allowed_ports(ep(engine, "x/c"), ep(engine, "x/b")) == ALL_PORTS


def test_ports_empty_entry_means_tcp_only() -> None:
    # `ports: [{}]`: one entry, protocol defaults to TCP, no port -> every TCP port, nothing else.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{ports: [{}]}]
""")
    assert engine.allowed_ports(ep(engine, "x/b"), ep(engine, "x/a")) == tcp((1, 65535))
    assert verdict(engine, cluster, "x/b", "x/a", "TCP", 1)
    assert not verdict(engine, cluster, "x/b", "x/a", "UDP", 53)
    assert not verdict(engine, cluster, "x/b", "x/a", "SCTP", 80)


def test_named_port_resolves_on_destination_and_may_match_nothing() -> None:
    # Ingress `port: web` on pods a, b, db: a serves web on TCP 8080, b on TCP 9090, db has no
    # container ports at all -> db allows nothing while staying isolated.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchExpressions: [{key: app, operator: In, values: [a, b, db]}]}
  ingress: [{ports: [{port: web}]}]
""")
    c = ep(engine, "x/c")
    assert engine.allowed_ports(c, ep(engine, "x/a")) == tcp((8080, 8080))
    assert engine.allowed_ports(c, ep(engine, "x/b")) == tcp((9090, 9090))
    assert engine.allowed_ports(c, ep(engine, "x/db")) == EMPTY_PORTS
    assert not verdict(engine, cluster, "x/c", "x/a", "TCP", 9090)
    assert verdict(engine, cluster, "x/c", "x/b", "TCP", 9090)


def test_named_port_in_egress_resolves_on_the_destination() -> None:
    # Egress from a: `port: web` (TCP). Towards b it is TCP 9090 (b's web), not a's own 8080.
    # Towards c, `web` is a UDP port: the name must match with the rule's protocol (TCP) -> nothing.
    # Towards an external address there are no names -> nothing.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{ports: [{port: web}]}]
""")
    a = ep(engine, "x/a")
    assert engine.egress_ports(a, ep(engine, "x/b")) == tcp((9090, 9090))
    assert engine.allowed_ports(a, ep(engine, "x/c")) == EMPTY_PORTS
    assert not verdict(engine, cluster, "x/a", "x/b", "TCP", 8080)
    assert verdict(engine, cluster, "x/a", "x/b", "TCP", 9090)
    assert not verdict(engine, cluster, "x/a", "x/c", "UDP", 53)
    assert not verdict(engine, cluster, "x/a", "9.9.9.9", "TCP", 8080)


def test_except_edges() -> None:
    # 10.0.0.0/24 except 10.0.0.128/25 leaves exactly 10.0.0.0 - 10.0.0.127.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/24, except: [10.0.0.128/25]}}]
""")
    expected = {"9.255.255.255": False, "10.0.0.0": True, "10.0.0.127": True, "10.0.0.128": False,
                "10.0.0.255": False, "10.0.1.0": False}
    for address, allowed in expected.items():
        assert verdict(engine, cluster, "x/a", address, "TCP", 443) == allowed, address


def test_ipv6_blocks_are_a_separate_space() -> None:
    # fd00::/64 matches fd00::1 but not fd00:0:0:1::; 0.0.0.0/0 matches no IPv6 address, and
    # an IPv6 block no IPv4 address.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: "fd00::/64"}}]
    ports: [{port: 443}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{port: 80}]
""")
    assert verdict(engine, cluster, "x/a", "fd00::1", "TCP", 443)
    assert not verdict(engine, cluster, "x/a", "fd00:0:0:1::", "TCP", 443)
    assert not verdict(engine, cluster, "x/a", "fd00::1", "TCP", 80)
    assert verdict(engine, cluster, "x/a", "203.0.113.9", "TCP", 80)
    assert not verdict(engine, cluster, "x/a", "203.0.113.9", "TCP", 443)


def test_pod_selector_alone_means_the_policy_namespace() -> None:
    # `from: [{podSelector: {app: db}}]` in namespace x: x/db matches, y/db (same labels) does not.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{podSelector: {matchLabels: {app: db}}}]}]
""")
    assert verdict(engine, cluster, "x/db", "x/a", "TCP", 8080)
    assert not verdict(engine, cluster, "y/db", "x/a", "TCP", 8080)
    policy = cluster.policies[0]
    assert [w.id for w in engine.peer_workloads(policy, policy.ingress[0].peers[0])] == ["x/db"]


def test_and_versus_or_peers() -> None:
    # AND: one peer with namespaceSelector team=red AND podSelector app=web -> only y/web.
    # OR: two peers -> every pod of namespace y (team=red), or app=web in x (none there).
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: and, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: red}}, podSelector: {matchLabels: {app: web}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: or, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: red}}}, {podSelector: {matchLabels: {app: web}}}]
""")
    assert verdict(engine, cluster, "y/web", "x/a", "TCP", 1)
    assert not verdict(engine, cluster, "y/db", "x/a", "TCP", 1)
    assert verdict(engine, cluster, "y/web", "x/b", "TCP", 1)
    assert verdict(engine, cluster, "y/db", "x/b", "TCP", 1)
    assert not verdict(engine, cluster, "x/c", "x/b", "TCP", 1)


def test_notin_and_doesnotexist_match_pods_without_the_key() -> None:
    # env NotIn [prod]: a, c, db lack `env` -> selected; b has env=prod -> not.
    # tier DoesNotExist: every pod but c.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: notin, namespace: x}
spec:
  podSelector: {matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}
  ingress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dne, namespace: "y"}
spec:
  podSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}]}
  ingress: []
""")
    notin, dne = cluster.policies
    assert [w.id for w in engine.selected_by(notin)] == ["x/a", "x/c", "x/db"]
    assert [w.id for w in engine.selected_by(dne)] == ["y/db", "y/web"]
    assert verdict(engine, cluster, "x/a", "x/b", "TCP", 9090)
    assert not verdict(engine, cluster, "x/b", "x/a", "TCP", 8080)


def test_invalid_peer_allows_nothing_and_still_isolates() -> None:
    # The only peer has `cidr: ""` (rejected by the API server). It must not read as "no peer"
    # (= everyone): x/a stays isolated for ingress and nothing may reach it. Likewise a selector
    # with a bad operator in an egress peer.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{ipBlock: {cidr: ""}}]}]
  egress: [{to: [{podSelector: {matchExpressions: [{key: app, operator: Bad}]}}]}]
""")
    a, b = ep(engine, "x/a"), ep(engine, "x/b")
    assert engine.isolated(a, INGRESS) and engine.isolated(a, EGRESS)
    assert not verdict(engine, cluster, "x/b", "x/a", "TCP", 8080)
    assert not verdict(engine, cluster, "1.1.1.1", "x/a", "TCP", 8080)
    assert not verdict(engine, cluster, "x/a", "x/b", "TCP", 9090)
    assert engine.depends_on_invalid(b, a) and engine.depends_on_invalid(a, b)
    assert not engine.depends_on_invalid(b, ep(engine, "x/c"))
    why = engine.explain(b, a, "TCP", 8080)
    assert not why.allowed and why.ingress.invalid_may_cause


def test_invalid_pod_selector_selects_nothing() -> None:
    # A policy whose own podSelector the API server rejects does not exist: it isolates nobody.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchExpressions: [{key: app, operator: In}]}
  ingress: []
""")
    assert engine.selected_by(cluster.policies[0]) == []
    assert verdict(engine, cluster, "x/b", "x/a", "TCP", 8080)
    # ... but every pod of its namespace is marked as resting on an invalid object.
    assert engine.depends_on_invalid(ep(engine, "x/b"), ep(engine, "x/a"))
    assert not engine.depends_on_invalid(ep(engine, "x/b"), ep(engine, "y/db"))


def test_end_port_range_is_inclusive() -> None:
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{ports: [{port: 8000, endPort: 8010}]}]
""")
    expected = {7999: False, 8000: True, 8010: True, 8011: False}
    for port, allowed in expected.items():
        assert verdict(engine, cluster, "x/b", "x/a", "TCP", port) == allowed, port
    assert engine.allowed_ports(ep(engine, "x/b"), ep(engine, "x/a")) == tcp((8000, 8010))


def test_sctp_is_its_own_protocol() -> None:
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{ports: [{protocol: SCTP, port: 5000}]}]
""")
    assert verdict(engine, cluster, "x/b", "x/a", "SCTP", 5000)
    assert not verdict(engine, cluster, "x/b", "x/a", "TCP", 5000)
    assert engine.allowed_ports(ep(engine, "x/b"), ep(engine, "x/a")) == PortSet.of({"SCTP": [(5000, 5000)]})


def test_pod_ip_is_matched_by_ip_block() -> None:
    # y/web has status.podIP 10.1.2.3, inside 10.1.2.0/24: it matches as a pod; y/db has no
    # known IP, so no ipBlock can match it.
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{ipBlock: {cidr: 10.1.2.0/24}}]}]
""")
    assert verdict(engine, cluster, "y/web", "x/a", "TCP", 8080)
    assert not verdict(engine, cluster, "y/db", "x/a", "TCP", 8080)
    assert [e.id for e in engine.resolve("10.1.2.3")] == ["y/web"]
    policy = cluster.policies[0]
    assert [w.id for w in engine.peer_workloads(policy, policy.ingress[0].peers[0])] == ["y/web"]


def test_self_traffic_is_an_ordinary_pair() -> None:
    # Deny-all ingress on x/a: a -> a is denied too (upstream tests ignore the diagonal, the
    # engine does not special-case it).
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
""")
    assert not verdict(engine, cluster, "x/a", "x/a", "TCP", 8080)
    assert verdict(engine, cluster, "x/b", "x/b", "TCP", 8080)


def test_external_partition_of_a_simple_policy_set() -> None:
    # Cuts: 10.0.0.0/8 starts at 10.0.0.0 and ends at 10.255.255.255; except 10.1.0.0/16 starts a
    # range at 10.1.0.0 and another at 10.2.0.0. The pod IP 10.1.2.3 is carved out of its range.
    # The CIDRs of each range were summarised by hand (largest aligned blocks, left to right).
    engine, _ = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]}]
""")
    external = [(e.id, e.cidrs) for e in engine.endpoints if e.is_external]
    assert external == [
        ("0.0.0.0-9.255.255.255", ("0.0.0.0/5", "8.0.0.0/7")),
        ("10.0.0.0-10.0.255.255", ("10.0.0.0/16",)),
        ("10.1.0.0-10.1.2.2", ("10.1.0.0/23", "10.1.2.0/31", "10.1.2.2/32")),
        ("10.1.2.4-10.1.255.255", ("10.1.2.4/30", "10.1.2.8/29", "10.1.2.16/28", "10.1.2.32/27", "10.1.2.64/26",
                                   "10.1.2.128/25", "10.1.3.0/24", "10.1.4.0/22", "10.1.8.0/21", "10.1.16.0/20",
                                   "10.1.32.0/19", "10.1.64.0/18", "10.1.128.0/17")),
        ("10.2.0.0-10.255.255.255", ("10.2.0.0/15", "10.4.0.0/14", "10.8.0.0/13", "10.16.0.0/12", "10.32.0.0/11",
                                     "10.64.0.0/10", "10.128.0.0/9")),
        ("11.0.0.0-255.255.255.255", ("11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2",
                                      "128.0.0.0/1")),
        ("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ("::/0",)),
    ]
    a = ep(engine, "x/a")
    allowed = [d.id for s, d, _ in engine.matrix(sources=[a]) if d.is_external]
    assert allowed == ["10.0.0.0-10.0.255.255", "10.2.0.0-10.255.255.255"]
    # A CIDR query touches every range it overlaps, and the pods whose IP is inside.
    assert [e.id for e in engine.resolve("10.1.0.0/16")] == ["y/web", "10.1.0.0-10.1.2.2", "10.1.2.4-10.1.255.255"]


def test_lookup_helpers() -> None:
    engine, cluster = setup("""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ing, namespace: x}
spec:
  podSelector: {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: eg, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
""")
    ing, eg = cluster.policies
    a = ep(engine, "x/a")
    assert engine.policies_selecting(a, INGRESS) == [ing]
    assert engine.policies_selecting(a, EGRESS) == [eg]
    assert engine.policies_selecting(ep(engine, "x/b"), EGRESS) == []
    assert engine.endpoint("x/a") is a and engine.endpoint("nope") is None
    assert engine.resolve("x/nope") == [] and engine.resolve("not an address") == []
    # Workloads first, sorted by id, then external ranges.
    ids = [e.id for e in engine.endpoints]
    assert ids[:6] == ["x/a", "x/b", "x/c", "x/db", "y/db", "y/web"]


def test_explanation_blames_the_namespace_only_when_the_labels_would_match(tmp_path) -> None:
    """A podSelector-only peer fails for a pod of another namespace. When the pod's labels would
    match, the missing namespaceSelector is the whole reason; when they would not, say so too."""
    from policylint.engine.connectivity import Engine
    from policylint.load import load_paths
    from policylint.model import build_cluster

    (tmp_path / "m.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {app: a}}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: 'y', labels: {app: b}}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: 'y', labels: {app: a}}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\n"
        "spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - podSelector: {matchLabels: {app: a}}\n")
    engine = Engine(build_cluster(load_paths([str(tmp_path)]).objects))
    a = engine.endpoint("x/a")
    texts = {src: "\n".join(engine.explain(engine.endpoint(src), a, "TCP", 80).lines()) for src in ("y/b", "y/c")}
    assert "is in namespace y, and its labels do not match either" in texts["y/b"]
    assert "is in namespace y\n" in texts["y/c"] + "\n" and "do not match either" not in texts["y/c"]
