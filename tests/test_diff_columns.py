"""The pairs towards touched destinations, asked pair by pair or as matrix rows: the same.

`side_matrix` chooses by cost between the engine's matrix restricted to a few destinations and
one `allowed_ports` per pair; whichever it picks, the connections compared must be the same, and
the same as the whole matrix's for the pairs in scope.
"""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from policylint.diff.connections import side_matrix
from policylint.diff.scope import policies_by_id, touched
from tests.test_diff_properties import side, versions


def _in_scope(m, only):
    pods = {k: v for k, v in m.pods.items() if k[0] in only.sources or k[1] in only.destinations}
    external = {d: {w: r for w, r in by.items() if w in (only.sources if d == "out" else only.destinations)}
                for d, by in m.external.items()}
    return pods, {d: {w: r for w, r in by.items() if r} for d, by in external.items()}


@given(versions(), st.data())
def test_pairwise_and_matrix_rows_give_the_same_pairs(pair, data) -> None:
    old, new = side("old", pair[0]), side("new", pair[1])
    ids = sorted(policies_by_id(old).keys() | policies_by_id(new).keys())
    changed = data.draw(st.sets(st.sampled_from(ids)) if ids else st.just(set()))  # any scope, as if edited
    only = touched(old, new, changed)
    for s in (old, new):
        whole = side_matrix(s.engine)
        by_pairs = side_matrix(s.engine, only, pairwise=True)
        by_rows = side_matrix(s.engine, only, pairwise=False)
        chosen = side_matrix(s.engine, only)
        assert by_pairs.pods == by_rows.pods == chosen.pods
        assert by_pairs.external == by_rows.external == chosen.external
        assert _in_scope(by_pairs, only) == _in_scope(whole, only)
