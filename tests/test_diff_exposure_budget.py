"""The exposure analysis's lower bound of work, and the diff's verdict when it passes the budget.

`least_work` may stop counting once its bound passes the room left in a budget; the verdict
(over or not) must be the one of the whole count, and the count itself when it fits.
"""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import policylint.diff.compute as compute
from policylint.analysis import Analysis
from policylint.diff.compute import compute_diff
from policylint.diff.sides import Side
from policylint.engine import Engine
from policylint.exposure.analysis import ENGINE_UNITS_PER_WORKLOAD, REGION_UNITS, least_work
from policylint.load import LoadResult
from tests.strategies import GenCluster, cluster_from_text, clusters

TWO_NAMESPACES = """
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: b, labels: {app: db}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: a}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
"""


def test_least_work_by_hand() -> None:
    # Classes: web (ingress: [web-in], egress: []) and db (ingress: [], egress: []): three
    # distinct (direction, policies) lists, (egress, []) shared. Each cuts the two input
    # namespaces into one region at least; one engine over the two workloads.
    engine = Engine(cluster_from_text(TWO_NAMESPACES))
    assert set(engine.namespace_names()) == {"a", "b"}
    expected = 3 * 2 * REGION_UNITS + ENGINE_UNITS_PER_WORKLOAD * 2
    assert least_work(engine) == expected
    assert least_work(engine, beyond=expected) == expected  # fits exactly: the whole count
    assert least_work(engine, beyond=expected - 1) > expected - 1
    assert least_work(engine, directions=()) == 0
    assert least_work(engine, endpoints=[]) == 0


@given(clusters(max_pods=5, max_policies=4), st.integers(min_value=0, max_value=2_000))
def test_an_early_stop_gives_the_whole_count_s_verdict(gen: GenCluster, beyond: int) -> None:
    engine = Engine(gen.cluster())
    whole = least_work(engine)
    early = least_work(engine, beyond=beyond)
    if whole <= beyond:
        assert early == whole
    else:
        assert beyond < early <= whole


def _side(label: str, text: str) -> Side:
    return Side(label, Analysis(LoadResult(), cluster_from_text(text)))


def test_a_diff_over_the_exposure_budget_says_so_without_analysing(monkeypatch) -> None:
    old = _side("old", TWO_NAMESPACES)
    new = _side("new", TWO_NAMESPACES.replace("policyTypes: [Ingress]", "policyTypes: [Ingress, Egress]"))
    whole = least_work(old.engine) + least_work(new.engine)

    def refused(*args, **kwargs):
        raise AssertionError("the analysis ran although its lower bound passes the budget")

    monkeypatch.setattr(compute, "EXPOSURE_BUDGET", whole - 1)
    monkeypatch.setattr("policylint.exposure.analyse", refused)
    assert compute_diff(old, new).exposure_unchecked
    monkeypatch.undo()
    # With room enough, the analysis runs and finds the change.
    monkeypatch.setattr(compute, "EXPOSURE_BUDGET", 10 ** 9)
    result = compute_diff(old, new)
    assert not result.exposure_unchecked
    assert result.exposure  # web's egress: open before, closed after


@given(clusters(max_pods=5, max_policies=4), st.integers(min_value=-2, max_value=2))
def test_an_analysis_its_bound_does_not_fit_stops_before_cutting(gen: GenCluster, offset: int) -> None:
    from policylint.budget import Budget, BudgetExceeded
    from policylint.exposure import analyse

    engine = Engine(gen.cluster())
    beyond = max(0, least_work(engine) + offset)  # about the bound, where an off-by-one would show
    budget = Budget(beyond)
    try:
        analyse(engine, budget=budget)
    except BudgetExceeded:
        stopped = True
    else:
        stopped = False
    if least_work(engine) > beyond:
        assert stopped and budget.spent == 0  # the verdict, with no region cut
    else:
        assert stopped or budget.spent >= least_work(engine)  # a lower bound of what the whole analysis spends
        assert not stopped or budget.spent > beyond  # stopped by work done, never by a bound that fits
