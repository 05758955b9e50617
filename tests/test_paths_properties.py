"""Paths against brute force with the reference evaluator, on small random clusters.

The brute force knows nothing of the graph: its nodes are the workloads and one address of each
external range, its edges the pairs that `tests/reference_evaluator.py` allows on at least one
sampled port (every boundary the manifests mention, so "some sampled port" is "some port"), and
it walks them breadth-first, through workloads only. Every path the graph reports must be valid
hop by hop for the reference, with the ports the reference allows, and exactly as short as the
brute force's; and the graph must find every endpoint the brute force finds.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policylint.engine import Engine
from policylint.engine.ports import PortSet
from policylint.graph.build import build_graph
from policylint.graph.paths import BACKWARD, FORWARD, Search, shortest_paths
from policylint.graph.rows import Rows
from tests import reference_evaluator as reference
from tests.strategies import PROTOCOLS, clusters
from tests.test_engine_properties import sample_ports

CONSTRAINTS = [None, PortSet.single("TCP", 80), PortSet.of({"TCP": [(53, 80)], "UDP": [(53, 53)]})]


def _boundaries(constraint: PortSet | None) -> set[int]:
    """The edges of the constraint's intervals and their neighbours: with the manifests' own, the
    samples then hit every region where the answer can change."""
    found: set[int] = set()
    for protocol in PROTOCOLS:
        for lo, hi in constraint.intervals(protocol) if constraint is not None else ():
            found.update(p for p in (lo - 1, lo, hi, hi + 1) if 1 <= p <= 65535)
    return found


def _subject(endpoint):
    return endpoint.workload if endpoint.workload is not None else endpoint.range.first_address


def _reference_edges(cluster, endpoints, ports: list[int], constraint: PortSet | None) -> dict[tuple[int, int], set]:
    """(source index, destination index) -> the sampled (protocol, port) the reference allows."""
    edges = {}
    for src in endpoints:
        for dst in endpoints:
            if src is dst or (src.is_external and dst.is_external):
                continue
            allowed = {(p, n) for p in PROTOCOLS for n in ports
                       if (constraint is None or constraint.contains(p, n))
                       and reference.allowed(cluster, _subject(src), _subject(dst), p, n)}
            if allowed:
                edges[(src.index, dst.index)] = allowed
    return edges


def _brute_force(endpoints, edges, start, forward: bool, max_hops: int | None) -> dict[int, int]:
    """Hops from `start` (to `start` when backward) to every endpoint, through workloads only."""
    distance = {start.index: 0}
    frontier = [start]
    depth = 0
    while frontier and (max_hops is None or depth < max_hops):
        depth += 1
        following = []
        for node in frontier:
            if node is not start and node.is_external:
                continue
            for other in endpoints:
                key = (node.index, other.index) if forward else (other.index, node.index)
                if key in edges and other.index not in distance:
                    distance[other.index] = depth
                    following.append(other)
        frontier = following
    return distance


@settings(max_examples=60)
@given(clusters(max_pods=5, max_policies=4), st.sampled_from(range(len(CONSTRAINTS))), st.sampled_from([None, 1, 2]))
def test_paths_are_valid_and_shortest(gen, constraint_index: int, max_hops: int | None) -> None:
    _check_paths(gen, CONSTRAINTS[constraint_index], max_hops)


@settings(max_examples=40)
@given(clusters(max_pods=4, max_policies=2, max_tier_policies=2), st.sampled_from(range(len(CONSTRAINTS))),
       st.sampled_from([None, 2]))
def test_paths_through_cluster_wide_policies(gen, constraint_index: int, max_hops: int | None) -> None:
    """The same with cluster-wide policies: paths see them through the engine's matrix (a
    connection the tiers leave unknown offline is not a hop, as in the matrix)."""
    _check_paths(gen, CONSTRAINTS[constraint_index], max_hops)


def reference_setup(gen, constraint: PortSet | None) -> tuple[Engine, list[int], dict[tuple[int, int], set]]:
    """A fresh engine of the generated cluster, the sampled ports, and the reference's edges
    between its endpoints on those ports within the constraint."""
    cluster = gen.cluster()
    engine = Engine(cluster)
    ports = sorted(set(sample_ports(gen)) | _boundaries(constraint))
    return engine, ports, _reference_edges(cluster, engine.endpoints, ports, constraint)


def _check_paths(gen, constraint: PortSet | None, max_hops: int | None) -> None:
    engine, ports, edges = reference_setup(gen, constraint)
    graph = Rows(engine)
    endpoints = engine.endpoints
    for start in endpoints:
        for direction in (FORWARD, BACKWARD):
            forward = direction == FORWARD
            expected = _brute_force(endpoints, edges, start, forward, max_hops)
            search = Search(graph, [start], direction, max_hops, constraint)
            found = {r.endpoint.index: r.path for r in search.reached()}
            want = {i: d for i, d in expected.items() if i != start.index}
            assert {i: len(p) for i, p in found.items()} == want, (start.id, direction, gen.text())
            for path in found.values():
                assert (path.start if forward else path.end) is start
                assert all(not e.is_external for e in path.endpoints[1:-1])
                for hop in path.hops:
                    allowed = edges.get((hop.src.index, hop.dst.index), set())
                    assert allowed, (hop.src.id, hop.dst.id, gen.text())
                    # The hop's ports are exactly what the reference allows (within the constraint).
                    assert {(p, n) for p in PROTOCOLS for n in ports if hop.ports.contains(p, n)} == allowed


@settings(max_examples=60)
@given(clusters(max_pods=6, max_policies=4))
def test_graph_edges_are_the_matrix(gen) -> None:
    """Grouping loses nothing: between two endpoints, the edge of their groups carries exactly the
    ports the engine allows for the pair (none when there is no edge)."""
    engine = Engine(gen.cluster())
    graph = build_graph(engine)
    matrix = {(s.index, d.index): ports for s, d, ports in engine.matrix()}
    for src in engine.endpoints:
        for dst in engine.endpoints:  # an endpoint to itself too: the matrix lists such pairs
            ports = graph.ports(graph.node_of(src), graph.node_of(dst))
            assert matrix.get((src.index, dst.index)) == ports, (src.id, dst.id, gen.text())
    assert sorted(e.index for node in graph.nodes for e in node.endpoints) == [e.index for e in engine.endpoints]


@settings(max_examples=60)
@given(clusters(max_pods=6, max_policies=4), st.sampled_from(range(len(CONSTRAINTS))), st.sampled_from([None, 1, 2]),
       st.data())
def test_shortest_paths_from_a_set_reach_its_own_members_from_the_others(gen, constraint_index: int,
                                                                        max_hops: int | None, data) -> None:
    """`paths --from A --to B`: each endpoint of B gets a path from the endpoints of A other than
    itself, exactly as short as the brute force's shortest from any of them (B may hold A's own
    members: how the replicas of a job reach each other); every hop valid for the reference."""
    constraint = CONSTRAINTS[constraint_index]
    engine, ports, edges = reference_setup(gen, constraint)
    endpoints = engine.endpoints
    chosen = data.draw(st.lists(st.sampled_from(range(len(endpoints))), min_size=1, max_size=len(endpoints),
                                unique=True), label="starts")
    starts = [endpoints[i] for i in sorted(chosen)]
    from_each = {s.index: _brute_force(endpoints, edges, s, True, max_hops) for s in starts}
    found = {p.end.index: p for p in shortest_paths(Rows(engine), starts, endpoints, max_hops, constraint)}
    for target in endpoints:
        lengths = [from_each[s.index][target.index] for s in starts
                   if s.index != target.index and target.index in from_each[s.index]]
        path = found.get(target.index)
        assert (len(path) if path else None) == (min(lengths) if lengths else None), (target.id, gen.text())
        if path is not None:
            assert path.start in starts and path.start is not target
            for hop in path.hops:
                assert edges.get((hop.src.index, hop.dst.index)), (hop.src.id, hop.dst.id, gen.text())
