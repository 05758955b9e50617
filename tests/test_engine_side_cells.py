"""`Engine.egress_cells` / `ingress_cells` / `cells_towards` (one source towards many destinations,
as bitset cells) say exactly what the pair queries say, pair by pair. The pair queries are the
ones checked against the reference evaluator by the property tests; these row forms are what the
PL5xx rules use at scale, so they must agree on every pair of real inputs, with and without
cluster-wide policies, named ports and Services."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from policylint.analysis import load_and_model
from policylint.config import load_config
from policylint.engine.connectivity import Engine
from policylint.engine.blocks import from_blocks
from policylint.engine.ports import EMPTY_PORTS
from tests.strategies import cluster_from_text, clusters

ROOT = Path(__file__).resolve().parent.parent / "fixtures"
INPUTS = ["examples", "examples-fixed", "ml-scenarios/mpijob-deepspeed", "ml-scenarios/raycluster-pinned-ports",
          "ml-scenarios/pytorchjob-mnist", "rules/PL501", "rules/PL503", "rules/PL506"]
INPUTS += ["tiers/ml-platform"]  # cluster-wide policies: the sides go through the tiers


def _union(cells, atom: int):
    found = EMPTY_PORTS
    for ports, bits in cells:
        if (bits >> atom) & 1:
            found = found | ports
    return found


@pytest.mark.parametrize("name", INPUTS)
def test_row_cells_agree_with_pair_queries(name: str) -> None:
    _, cluster = load_and_model([str(ROOT / name)], load_config(None))
    engine = Engine(cluster)
    endpoints = engine.endpoints
    mask = 0
    for e in endpoints:
        mask |= 1 << e.atom
    checked = 0
    for src in endpoints:
        egress, ingress, both = (engine.egress_cells(src, mask), engine.ingress_cells(src, mask),
                                 engine.cells_towards(src, mask))
        for dst in endpoints:
            if src.is_external and dst.is_external:
                continue
            assert _union(egress, dst.atom) == engine.egress_ports(src, dst), (src.id, dst.id)
            assert _union(ingress, dst.atom) == engine.ingress_ports(src, dst), (src.id, dst.id)
            assert _union(both, dst.atom) == engine.allowed_ports(src, dst), (src.id, dst.id)
            checked += 1
    assert checked > 0


# Inputs where some sources share keys (with cluster-wide policies every atom is its own key).
SHARING = [n for n in INPUTS if n not in ("rules/PL506", "tiers/ml-platform")]


@pytest.mark.parametrize("name", SHARING)
def test_sources_with_equal_keys_have_equal_rows(name: str) -> None:
    """`row_key` and `side_keys` let rules compute a row (or one side) once per key: sources that
    share a key must get the same answer towards every destination, pair by pair."""
    _, cluster = load_and_model([str(ROOT / name)], load_config(None))
    engine = Engine(cluster)
    endpoints = engine.endpoints
    first: dict[tuple, object] = {}
    shared = 0
    for src in endpoints:
        egress_key, ingress_key = engine.side_keys(src)
        for kind, key, query in (("row", engine.row_key(src), engine.allowed_ports),
                                 ("egress", egress_key, engine.egress_ports),
                                 ("ingress", ingress_key, engine.ingress_ports)):
            other = first.setdefault((kind, key), src)
            if other is src:
                continue
            shared += 1
            for dst in endpoints:
                if dst.is_external and (src.is_external or other.is_external):
                    continue
                assert query(src, dst) == query(other, dst), (kind, src.id, other.id, dst.id)
    assert shared > 0


@settings(max_examples=60)  # each example builds every row twice
@given(clusters(max_pods=6, max_policies=5))
def test_rows_in_any_order_hold_the_cells_of_the_ordered_rows(generated) -> None:
    """`matrix_cell_blocks(any_order=True)` (open-egress rows made from each peer set's own
    cells) gives each source the destinations and ports `matrix_cells` gives it: the same cells,
    in whatever order."""
    engine = Engine(cluster_from_text(generated.text()))
    ordered = {src.index: sorted((id(ports), bits) for ports, bits in cells) for src, cells in engine.matrix_cells()}
    any_order = {src.index: sorted((id(ports), from_blocks(blocks)) for ports, blocks in cells)
                 for src, cells in engine.matrix_cell_blocks(any_order=True)}
    assert any_order == ordered
