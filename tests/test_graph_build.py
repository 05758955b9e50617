"""The networkx graph (`policylint.graph.build`): hubs lose nothing, groups are the coarsest
exact ones, the invalid marks are the engine's per pair, and numbering does not depend on which
rows were computed first. (`tests/test_paths_properties.py` checks each pair's ports.)"""
from __future__ import annotations

from hypothesis import given, settings

from policylint.engine import Engine
from policylint.graph.build import DESTINATIONS, GROUP, SOURCES, build_graph
from policylint.graph.rows import Rows
from tests.strategies import clusters


def _edges(graph) -> list:
    return [(u, v, data.get("ports")) for u, v, data in graph.graph.edges(data=True)]


@settings(max_examples=60)
@given(clusters(max_pods=6, max_policies=4))
def test_groups_are_the_coarsest_exact_partition(gen) -> None:
    """No two groups with the same marks have the same ports towards and from every group: they
    would be one group (groups are exact by test_graph_edges_are_the_matrix)."""
    engine = Engine(gen.cluster())
    graph = build_graph(engine)
    nodes = graph.nodes

    def signature(node):
        marks = (node.external, node.invalid_as_source, node.invalid_as_destination)
        return marks, tuple(graph.ports(node, k) for k in nodes), tuple(graph.ports(k, node) for k in nodes)

    seen: dict = {}
    for node in nodes:
        key = signature(node)
        assert key not in seen, (node.id, seen.get(key), gen.text())
        seen[key] = node.id


@settings(max_examples=60)
@given(clusters(max_pods=6, max_policies=4))
def test_invalid_marks_and_pairs_graph(gen) -> None:
    """An endpoint pair rests on an invalid policy exactly when its source's group is marked as a
    source or its destination's as a destination; the pairs graph holds one edge per pair of
    groups with the ports `ports` gives, and the hubs are wired as their kinds say."""
    engine = Engine(gen.cluster())
    graph = build_graph(engine)
    for src, dst, _ in engine.matrix():
        g, h = graph.node_of(src), graph.node_of(dst)
        assert engine.depends_on_invalid(src, dst) == (g.invalid_as_source or h.invalid_as_destination)
    pairs = graph.pairs_graph()
    expected = {(g.index, h.index): graph.ports(g, h) for g in graph.nodes for h in graph.nodes}
    assert {(u, v): d["ports"] for u, v, d in pairs.edges(data=True)} == {k: p for k, p in expected.items() if p is not None}
    assert graph.pair_count() == pairs.number_of_edges()
    kind = dict(graph.graph.nodes(data="kind"))
    for u, v in graph.graph.edges:
        assert (kind[u], kind[v]) in {(GROUP, SOURCES), (SOURCES, DESTINATIONS), (DESTINATIONS, GROUP)}
    assert all(graph.graph.out_degree(node.index) == 1 for node in graph.nodes)


@settings(max_examples=40)
@given(clusters(max_pods=6, max_policies=4))
def test_numbering_does_not_depend_on_the_rows_computed_first(gen) -> None:
    engine = Engine(gen.cluster())
    fresh = build_graph(engine)
    rows = Rows(Engine(gen.cluster()))
    for atom in reversed(range(len(rows.atom_endpoints))):  # rows found in the opposite order
        rows.row_of(atom)
    other = build_graph(rows.engine, rows)
    assert [n.id for n in fresh.nodes] == [n.id for n in other.nodes]
    assert [[e.id for e in n.endpoints] for n in fresh.nodes] == [[e.id for e in n.endpoints] for n in other.nodes]
    assert list(fresh.graph.nodes(data="kind")) == list(other.graph.nodes(data="kind"))
    assert [(u, v, None if p is None else p.describe()) for u, v, p in _edges(fresh)] == \
        [(u, v, None if p is None else p.describe()) for u, v, p in _edges(other)]


def test_rows_with_their_cells_in_another_order_are_one_row() -> None:
    """Rows computed in any order may give a row's cells in another order (a random cluster with
    host-network pods did): the graph must not tell such rows apart."""
    from pathlib import Path

    from policylint.analysis import load_and_model
    from policylint.config import load_config

    _, cluster = load_and_model([str(Path(__file__).resolve().parent.parent / "fixtures/paths/lateral")],
                                load_config(None))
    plain = build_graph(Engine(cluster))
    rows = Rows(Engine(cluster))
    rows.complete()
    atom = next(a for a in range(len(rows.atom_endpoints)) if len(rows.cells(a)) >= 2)
    rows.rows.append(list(reversed(rows.cells(atom))))
    rows._row_of[atom] = len(rows.rows) - 1
    other = build_graph(rows.engine, rows)
    assert [[e.id for e in n.endpoints] for n in other.nodes] == [[e.id for e in n.endpoints] for n in plain.nodes]
    assert [(u, v, None if p is None else p.describe()) for u, v, p in _edges(other)] == \
        [(u, v, None if p is None else p.describe()) for u, v, p in _edges(plain)]
