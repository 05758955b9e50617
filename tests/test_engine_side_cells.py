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


def _by_atom(cells) -> dict[int, object]:
    return {atom: ports for ports, bits in cells
            for atom in range(bits.bit_length()) if (bits >> atom) & 1}


@pytest.mark.parametrize("name", ["examples", "real/platform-mixed", "real/kubeflow-manifests", "rules/PL501"])
def test_rows_in_any_order_do_not_depend_on_which_rows_came_first(name: str) -> None:
    """Rows in any order share refinements between sources with common peer sets
    (`Engine._open_state`): computed forwards or backwards, each equals the ordered row."""
    _, cluster = load_and_model([str(ROOT / name)], load_config(None))
    _assert_rows_in_any_order_whichever_come_first(cluster)


def _assert_rows_in_any_order_whichever_come_first(cluster) -> None:
    ordered = {src.index: _by_atom(cells) for src, cells in Engine(cluster).matrix_cells()}
    for step in (1, -1):
        engine = Engine(cluster)
        for src in engine.endpoints[::step]:
            [(_, cells)] = engine.matrix_cell_blocks(sources=[src], any_order=True)
            assert _by_atom([(ports, from_blocks(blocks)) for ports, blocks in cells]) == ordered[src.index], src.id


_SHARED_PREFIX = """
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: s, labels: {app: a, tier: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: s, labels: {app: b, tier: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: s, labels: {app: c, tier: web}}
"""
for _name, _peer in (("x", "{tier: web}"), ("y", "{app: a}"), ("z", "{app: b}")):
    _SHARED_PREFIX += f"""---
apiVersion: v1
kind: Pod
metadata: {{name: {_name}, namespace: s, labels: {{role: {_name}}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: to-{_name}, namespace: s}}
spec:
  podSelector: {{matchLabels: {{role: {_name}}}}}
  ingress:
  - from: [{{podSelector: {{matchLabels: {_peer}}}}}]
    ports: [{{port: 80, protocol: TCP}}]
"""


def test_a_shared_refinement_is_never_changed_by_the_rows_made_from_it() -> None:
    """a, b and c are all admitted to x on TCP/80; a also to y, b also to z, on the same port.
    Their rows share the refinement of the peer set {a, b, c}; the one of a must not leave y in
    it for b (nor z for a)."""
    _assert_rows_in_any_order_whichever_come_first(cluster_from_text(_SHARED_PREFIX))
