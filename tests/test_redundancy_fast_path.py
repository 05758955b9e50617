"""The bitset comparison of PL401/PL402 (`_subsumption.covered_by`) gives exactly the answer of
the plain one it replaced: every piece of a rule tested against every region of every other rule.

`naive_covered_by` below is that plain version, kept as the reference: it cuts the rule's
regions into pieces (`naive_cases`), and for each piece lists the covering rules by testing each
region (`naive_covers`). The fast version must return the same labels in the same order (the
order names the covering rules in messages), and None exactly when the naive one does.
"""
from __future__ import annotations

import ipaddress
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from hypothesis import given
from hypothesis import strategies as st

from policylint.analysis import analyse
from policylint.config import load_config
from policylint.engine.ipset import block_ranges
from policylint.findings import Severity
from policylint.engine.ports import PortSet, PortSpec
from policylint.rules import _subsumption as sub
from policylint.rules._budget import Budget, BudgetExceeded
from tests.strategies import LABEL_KEYS, LABEL_VALUES, cluster_from_text, clusters

# -- the reference ---------------------------------------------------------------------------------


def naive_inside(piece: tuple[int, int, int], ranges: tuple[tuple[int, int, int], ...]) -> bool:
    family, first, last = piece
    return any(f == family and a <= first and last <= b for f, a, b in ranges)


def naive_covers(outer: sub.Region, case: sub.Region) -> bool:
    if outer.kind == "all":
        return True
    if case.kind == "block" and outer.kind == "block":
        return all(naive_inside(piece, outer.ranges) for piece in case.ranges)
    if case.kind == "pods" and outer.kind == "pods":
        return sub.implies(case.namespaces, outer.namespaces) and sub.implies(case.pods, outer.pods)  # type: ignore[arg-type]
    return False


def naive_cases(r: sub.Region, others: Sequence[sub.Region]) -> list[sub.Region] | None:
    if r.kind == "all":
        return [r]
    if r.kind == "block":
        pieces = []
        for family, first, last in r.ranges:
            cuts = sorted({first, last + 1} | {
                edge for o in others if o.kind == "block" for f, a, b in o.ranges if f == family
                for edge in (a, b + 1) if first < edge <= last})
            pieces.extend(sub.Region("block", ((family, lo, hi - 1),)) for lo, hi in zip(cuts, cuts[1:]))
        return pieces
    ns_cases = sub.split(r.namespaces)  # type: ignore[arg-type]
    pod_cases = sub.split(r.pods)  # type: ignore[arg-type]
    if ns_cases is None or pod_cases is None or len(ns_cases) * len(pod_cases) > sub.MAX_CASES:
        return None
    return [sub.Region("pods", namespaces=n, pods=p) for n in ns_cases for p in pod_cases]


def _naive(rule: sub.Allowance, others: Sequence[sub.Allowance]) -> list[Any] | None:
    used: dict[int, Any] = {}
    all_regions = [r for o in others for r in o.regions]
    for r in rule.regions:
        pieces = naive_cases(r, all_regions)
        if pieces is None:
            return None
        for piece in pieces:
            covering = [o for o in others if any(naive_covers(q, piece) for q in o.regions)]
            alone = next((o for o in covering if sub.spec_covered(rule.spec, (o.spec,))), None)
            if alone is not None:
                covering = [alone]
            elif not covering or not sub.spec_covered(rule.spec, (o.spec for o in covering)):
                return None
            for o in covering:
                used.setdefault(id(o), o.label)
    return list(used.values())


def naive_covered_by(rule: sub.Allowance, others: Sequence[sub.Allowance]) -> list[Any] | None:
    for other in others:
        if _naive(rule, [other]) is not None:
            return [other.label]
    return _naive(rule, others)


# -- generated allowances ----------------------------------------------------------------------------

# A tiny address space (two families of 0..11) so that ranges overlap, nest and touch often.
@st.composite
def block_region(draw) -> sub.Region:
    ranges = []
    for family in draw(st.lists(st.sampled_from([4, 6]), min_size=1, max_size=2, unique=True)):
        edges = sorted(draw(st.lists(st.integers(0, 12), min_size=2, max_size=6, unique=True)))
        ranges.extend((family, a, b - 1) for a, b in zip(edges[::2], edges[1::2]))
    return sub.Region("block", tuple(sorted(ranges)))


@st.composite
def constraints(draw) -> sub.Constraints:
    result: sub.Constraints = {}
    for key in draw(st.lists(st.sampled_from(LABEL_KEYS), max_size=2, unique=True)):
        shape = draw(st.sampled_from(["in", "in", "exists", "notin", "absent"]))
        if shape == "in":
            values = frozenset(draw(st.lists(st.sampled_from(LABEL_VALUES), min_size=1, max_size=3, unique=True)))
            result[key] = sub.KeyConstraint(True, values)
        elif shape == "exists":
            result[key] = sub.KeyConstraint(True)
        elif shape == "notin":
            result[key] = sub.KeyConstraint(False, None, frozenset(draw(st.lists(st.sampled_from(LABEL_VALUES), min_size=1, max_size=2))))
        else:
            result[key] = sub.KeyConstraint(False, None, frozenset(), True)
    return result


# Mostly ipBlocks, which cut each other; "all" rarely (it covers everything and ends the search).
regions = st.one_of(block_region(), block_region(), block_region(),
                    st.builds(lambda n, p: sub.Region("pods", namespaces=n, pods=p), constraints(), constraints()),
                    block_region(), st.just(sub.ALL))


@st.composite
def port_spec(draw) -> PortSpec:
    if draw(st.booleans()):
        return PortSpec(PortSet.single("TCP", 80))  # the same ports often, so that rules cover each other
    by_protocol = {}
    for protocol in draw(st.lists(st.sampled_from(["TCP", "UDP"]), min_size=1, max_size=2, unique=True)):
        lo = draw(st.sampled_from([1, 80, 81, 443]))
        hi = draw(st.sampled_from([80, 81, 443, 65535]).filter(lambda h: h >= lo))
        by_protocol[protocol] = [(lo, hi)]
    named = tuple(draw(st.lists(st.sampled_from([("web", "TCP"), ("dns", "UDP")]), max_size=1)))
    return PortSpec(PortSet.of(by_protocol), named)


@st.composite
def allowance_lists(draw) -> list[sub.Allowance]:
    count = draw(st.integers(1, 6))
    return [sub.Allowance(tuple(draw(st.lists(regions, min_size=1, max_size=3))), draw(port_spec()), f"r{i}")
            for i in range(count)]


# -- the properties -------------------------------------------------------------------------------

@given(allowance_lists())
def test_fast_comparison_equals_the_naive_one_on_generated_allowances(allowances) -> None:
    for i, rule in enumerate(allowances):
        others = allowances[:i] + allowances[i + 1:]
        assert sub.covered_by(rule, others) == naive_covered_by(rule, others), (rule, others)


@given(clusters(max_pods=2, max_policies=4))
def test_fast_comparison_equals_the_naive_one_on_generated_policies(generated) -> None:
    cluster = cluster_from_text(generated.text())
    every = [sub.allowance(p.namespace, r, (p.id, r.source.field_path)) for p in cluster.policies
             for d in p.policy_types for r in p.rules(d)]
    usable = [a for a in every if a is not None]
    for i, rule in enumerate(usable):
        others = usable[:i] + usable[i + 1:]
        assert sub.covered_by(rule, others) == naive_covered_by(rule, others)


def test_many_cutting_ipblocks_are_compared_in_bounded_work() -> None:
    """300 rules of `10.0.0.0/8 except <its own /24>`: rule 0 (hole 10.0.1.0/24) is covered by
    rule 1 (hole 10.0.2.0/24) everywhere but on 10.0.2.0/24, which rule 2 covers: [1, 2], in the
    order of the pieces. The work counted stays near pieces + edges, not pieces x rules."""
    def rule(i: int) -> sub.Allowance:
        hole = ipaddress.ip_network(f"10.{(i + 1) // 256}.{(i + 1) % 256}.0/24")
        ranges = block_ranges(ipaddress.ip_network("10.0.0.0/8"), [hole])
        return sub.Allowance((sub.Region("block", tuple((r.version, r.first, r.last) for r in ranges)),),
                             PortSpec(PortSet.single("TCP", 80)), i)

    rules = [rule(i) for i in range(300)]
    budget = Budget(None)
    assert sub.covered_by(rules[0], rules[1:], budget) == naive_covered_by(rules[0], rules[1:]) == [1, 2]
    assert budget.spent < 5_000


def test_the_budget_stops_the_comparison() -> None:
    rules = [sub.Allowance((sub.ALL,), PortSpec(PortSet.single("TCP", 80 + i)), i) for i in range(50)]
    budget = Budget(10)
    try:
        sub.covered_by(rules[0], rules[1:], budget)
    except BudgetExceeded:
        assert budget.spent > 10
    else:
        raise AssertionError("a budget of 10 comparisons was not enough for 49 rules, yet nothing stopped")


# -- the budget finding through the pipeline --------------------------------------------------------

OVER_BUDGET = Path(__file__).resolve().parent.parent / "fixtures" / "rules" / "PL025" / "rules-over-budget"


def _codes(**kwargs) -> list[tuple[str, str]]:
    config = load_config(OVER_BUDGET / ".policylint.yaml")
    if "severity" in kwargs:
        config = replace(config, severity={"PL025": kwargs.pop("severity")})
    return [(f.code, f.severity.name.lower()) for f in analyse([str(OVER_BUDGET)], config, **kwargs).findings]


def test_an_unfinished_check_is_reported_even_when_only_its_rule_is_selected() -> None:
    assert _codes(select=["PL401"]) == [("PL025", "info")]


def test_the_budget_finding_goes_only_when_ignored_and_takes_its_configured_severity() -> None:
    assert _codes(select=["PL401"], ignore=["PL025"]) == []
    assert _codes(select=["PL401"], ignore=["check-budget-exceeded"]) == []
    assert _codes(select=["PL401"], severity=Severity.WARNING) == [("PL025", "warning")]
