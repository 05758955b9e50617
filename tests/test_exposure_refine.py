"""The refinement of label regions (policylint.exposure.constraints.refine) against its
definition, and its cells against the label sets they stand for.

`refine` meets each cell with each splitter and cuts it into the part inside and the parts
outside (`Conjunction.minus`). It takes shortcuts (the splitter's complement made once, a cell
equal to its part inside kept whole, a leaner meet for normal conjunctions); the reference
below is the definition written plainly, with the generic `meet` and `minus`. Conjunctions are
drawn over a few keys and values, with constraints that match anything or nothing too, so that
both the lean and the generic meet are taken.
"""
from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from policylint.exposure.constraints import ANY, Conjunction, KeyConstraint, refine

KEYS = ("app", "team", "tier")
VALUES = ("a", "b", "c")


def reference_refine(cells: list[Conjunction], splitters: list[Conjunction | None]) -> list[Conjunction]:
    for splitter in splitters:
        if splitter is None or splitter.is_everything:
            continue
        out: list[Conjunction] = []
        for cell in cells:
            inside = cell.meet(splitter)
            if inside is None:
                out.append(cell)
                continue
            outside = cell.minus(splitter)
            if not outside:
                out.append(cell)
                continue
            out.append(inside)
            out.extend(outside)
        cells = out
    return cells


key_constraints = st.builds(KeyConstraint, st.booleans(), st.booleans(),
                            st.frozensets(st.sampled_from(VALUES), max_size=2))


@st.composite
def conjunctions(draw, raw: bool = False) -> Conjunction:
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=3))
    pairs = [(k, draw(key_constraints)) for k in sorted(keys)]
    # `raw`: as built directly, possibly holding ANY or an unsatisfiable constraint.
    return Conjunction(tuple(pairs)) if raw else Conjunction.of(pairs)


# Every label set over KEYS with values from VALUES and one more ("z"), or the key absent.
LABEL_SETS = [{k: v for k, v in zip(KEYS, choice) if v is not None}
              for choice in itertools.product((None, *VALUES, "z"), repeat=len(KEYS))]


@given(st.lists(conjunctions(raw=True), min_size=1, max_size=2),
       st.lists(st.one_of(st.none(), conjunctions(), conjunctions(raw=True)), max_size=4))
def test_refine_is_its_definition(cells: list[Conjunction], splitters: list[Conjunction | None]) -> None:
    assert refine(list(cells), splitters) == reference_refine(list(cells), splitters)


# Splitters as the analysis makes them: a selector nothing satisfies is None, not a conjunction.
@given(st.lists(st.one_of(st.none(), conjunctions().filter(lambda c: c.satisfiable)), max_size=4))
def test_cells_partition_the_labels_and_splitters_never_cut_one(splitters: list[Conjunction | None]) -> None:
    cells = refine([Conjunction()], splitters)
    for labels in LABEL_SETS:
        holding = [c for c in cells if c.matches(labels)]
        assert len(holding) == 1  # disjoint cells covering every label set
    for cell in cells:
        members = [labels for labels in LABEL_SETS if cell.matches(labels)]
        assert members  # no empty cell
        for splitter in splitters:
            if splitter is not None:
                assert len({splitter.matches(labels) for labels in members}) == 1


def test_a_cell_inside_the_splitter_is_kept_whole() -> None:
    team_a = Conjunction.of({"team": KeyConstraint(False, True, frozenset({"a"}))})
    app_b = Conjunction.of({"app": KeyConstraint(False, True, frozenset({"b"}))})
    both = team_a.meet(app_b)
    assert refine([both], [team_a]) == [both]
    assert refine([Conjunction()], [team_a]) == [team_a, *team_a.complement()]
    assert ANY.is_any and refine([Conjunction()], [Conjunction()]) == [Conjunction()]
