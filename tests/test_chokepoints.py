"""Chokepoints against brute force with the reference evaluator, on small random clusters, and
on the lateral-movement fixture by hand.

The brute force knows nothing of dominators: with the reference's allowed pairs as edges (through
workloads only, as the searches walk), an endpoint is a chokepoint for a target exactly when
taking it out of the graph leaves no path from the starts to the target. A reported group of
several members must leave no path once all its members are out."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from policylint.analysis import load_and_model
from policylint.config import load_config
from policylint.engine import Engine
from policylint.graph.build import build_graph
from policylint.graph.chokepoints import chokepoints
from tests.strategies import clusters
from tests.test_paths_properties import CONSTRAINTS, reference_setup

REPO = Path(__file__).resolve().parent.parent


def _reaches(endpoints, edges, starts, target, removed: set[int]) -> bool:
    seen = {s.index for s in starts}
    frontier = list(starts)
    while frontier:
        following = []
        for node in frontier:
            if node.index in removed or (node.is_external and node not in starts):
                continue  # out of the graph, or an address range in the middle
            for other in endpoints:
                if (node.index, other.index) in edges and other.index not in seen:
                    seen.add(other.index)
                    following.append(other)
        frontier = following
    return target.index in seen


@settings(max_examples=60)
@given(clusters(max_pods=5, max_policies=4), st.sampled_from(range(len(CONSTRAINTS))), st.booleans())
def test_chokepoints_are_the_cut_vertices_of_the_reference(gen, constraint_index: int, all_external: bool) -> None:
    _check_chokepoints(gen, CONSTRAINTS[constraint_index], all_external)


@settings(max_examples=30)
@given(clusters(max_pods=4, max_policies=2, max_tier_policies=2), st.sampled_from(range(len(CONSTRAINTS))),
       st.booleans())
def test_chokepoints_through_cluster_wide_policies(gen, constraint_index: int, all_external: bool) -> None:
    """The same with cluster-wide policies (a connection they leave unknown offline is no hop)."""
    _check_chokepoints(gen, CONSTRAINTS[constraint_index], all_external)


def _check_chokepoints(gen, constraint, all_external: bool) -> None:
    engine, _, edges = reference_setup(gen, constraint)
    graph = build_graph(engine)
    endpoints = engine.endpoints
    externals = [e for e in endpoints if e.is_external]
    start_sets = [externals] if all_external and externals else [[e] for e in endpoints]
    for starts in start_sets:
        found = {c.target.index: c for c in chokepoints(graph, starts, endpoints, constraint)}
        for target in endpoints:
            if target in starts:
                assert target.index not in found
                continue
            reached = _reaches(endpoints, edges, starts, target, set())
            assert (target.index in found) == reached, ([s.id for s in starts], target.id, gen.text())
            if not reached:
                continue
            singles = {w.index for w in endpoints
                       if w not in starts and w is not target and not _reaches(endpoints, edges, starts, target, {w.index})}
            through = found[target.index].through
            assert {g[0].index for g in through if len(g) == 1} == singles, ([s.id for s in starts], target.id, gen.text())
            for group in through:
                assert not _reaches(endpoints, edges, starts, target, {e.index for e in group}), gen.text()


def test_lateral_fixture_by_hand() -> None:
    """fixtures/paths/lateral (see its policies' comments): from the internet, the feature store is
    reached only through the notebook (the dashboard may only ask DNS) and then the training job,
    whose two replica types are one group; the registry only through the feature store besides;
    CoreDNS through the notebook or the dashboard, so through no single workload."""
    _, cluster = load_and_model([str(REPO / "fixtures/paths/lateral")], load_config(None))
    engine = Engine(cluster)
    starts = [e for e in engine.resolve("0.0.0.0/0") if e.is_external]
    found = {c.target.id: [[e.id for e in g] for g in c.through]
             for c in chokepoints(build_graph(engine), starts, engine.endpoints)}
    notebook, bert = ["ml-platform/notebook[Deployment]"], ["ml-workloads/bert[PyTorchJob/Master]",
                                                            "ml-workloads/bert[PyTorchJob/Worker]"]
    assert found["data-services/feature-store[Deployment]"] == [notebook, bert]
    assert found["data-services/registry[Deployment]"] == [notebook, bert, ["data-services/feature-store[Deployment]"]]
    assert found["kube-system/coredns[Deployment]"] == []
    assert found["ml-workloads/bert[PyTorchJob/Worker]"] == [notebook]


POD = """apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: x, labels: {{app: {name}}}}}
spec: {{containers: [{{name: c, image: busybox}}]}}
---
"""
OUT_ONLY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-out, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]
"""


def test_an_address_range_is_no_stepping_stone(tmp_path) -> None:
    """By hand: `a` may only send to addresses, and every address may reach `b` (no policy selects
    it); a path a -> address -> b would need the outside world to forward: there is none."""
    (tmp_path / "all.yaml").write_text(POD.format(name="a") + POD.format(name="b") + OUT_ONLY)
    _, cluster = load_and_model([str(tmp_path)], load_config(None))
    engine = Engine(cluster)
    a, b = (next(e for e in engine.endpoints if e.id == f"x/{n}") for n in "ab")
    assert chokepoints(build_graph(engine), [a], [b]) == []
    outside = [e for e in engine.endpoints if e.is_external]
    found = chokepoints(build_graph(engine), outside, [a, b])
    assert [(c.target.id, c.through) for c in found] == [("x/a", ()), ("x/b", ())]
