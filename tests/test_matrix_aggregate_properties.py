"""`matrix --aggregate namespace` equals the plain aggregation of the pair matrix: for each
(source namespace, destination namespace), the union of the ports of its pairs and their count.
The aggregation walks cells of destination atoms, never pairs; this test walks pairs."""
from __future__ import annotations

from hypothesis import given

from policylint.engine import Engine
from policylint.matrix.aggregate import aggregate_rows, group_of, group_order
from policylint.matrix.view import MatrixView
from tests.strategies import cluster_from_text, clusters


def _plain(engine: Engine) -> list[tuple[str, str, object, int]]:
    groups: dict[tuple[str, str], list] = {}
    for src, dst, ports in engine.matrix():
        entry = groups.setdefault((group_of(src), group_of(dst)), [None, 0])
        entry[0] = ports if entry[0] is None else entry[0] | ports
        entry[1] += 1
    return [(key[0], key[1], groups[key][0], groups[key][1]) for key in sorted(groups, key=group_order)]


@given(clusters(max_pods=5, max_policies=4))
def test_aggregated_rows_equal_the_aggregated_pairs(generated) -> None:
    engine = Engine(cluster_from_text(generated.text()))
    rows = aggregate_rows(MatrixView(engine, None, None, None, None))
    assert [(r.src, r.dst, r.ports, r.pairs) for r in rows] == _plain(engine)
