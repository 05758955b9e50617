"""One cause, one finding (policylint.consequences): the folding rule on hand-made findings, and
the four cases of the issue on fixtures whose markers were judged by hand — each mistake is
reported once, at its cause, with its consequences as related locations, unless only the
consequence's rule is selected."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from policylint.analysis import analyse
from policylint.cli.main import cli
from policylint.config import Config
from policylint.consequences import cause_at, fold
from policylint.findings import Finding, Severity
from policylint.load.nodes import Span
from tests.fixture_expectations import expected_findings

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "consequences"


def _finding(code: str, line: int, severity: Severity = Severity.WARNING, causes: tuple = ()) -> Finding:
    return Finding(code, code.lower(), severity, f"{code} message", Span("f.yaml", line, 1, line, 5),
                   causes=frozenset(causes))


def test_a_consequence_at_the_same_node_is_folded_into_its_cause() -> None:
    cause, consequence, elsewhere = _finding("PA", 3), _finding("PB", 3), _finding("PB", 9)
    result = fold([cause, consequence, elsewhere], {"PA": ("PB",)})
    assert [(f.code, f.line) for f in result] == [("PA", 3), ("PB", 9)]
    assert [(r.span.line, r.message) for r in result[0].related] == [(3, "PB (pb), same cause: PB message")]


def test_explicit_causes_must_all_be_covered() -> None:
    a = _finding("PA", 1, causes=[("w", "x")])
    b = _finding("PA", 2, causes=[("w", "y")])
    both = _finding("PB", 7, causes=[("w", "x"), ("w", "y")])
    partly = _finding("PB", 8, causes=[("w", "x"), ("w", "z")])
    result = fold([a, b, both, partly], {"PA": ("PB",)})
    assert [(f.code, f.line) for f in result] == [("PA", 1), ("PA", 2), ("PB", 8)]
    assert [r.span.line for r in result[0].related] == [7] and [r.span.line for r in result[1].related] == [7]


def test_chains_end_at_a_finding_that_stays_and_severity_never_drops() -> None:
    top = _finding("PA", 1, Severity.INFO)
    middle = _finding("PB", 1)
    bottom = _finding("PC", 1, Severity.ERROR)
    result = fold([middle, bottom, top], {"PA": ("PB",), "PB": ("PC",)})
    assert [f.code for f in result] == ["PA"]
    assert result[0].severity == Severity.ERROR
    assert sorted(r.message.split(" ")[0] for r in result[0].related) == ["PB", "PC"]


def test_without_the_cause_the_consequence_stays() -> None:
    alone = _finding("PB", 3)
    assert fold([alone], {"PA": ("PB",)}) == [alone]
    assert cause_at(alone.span) == ("at", "f.yaml", 3, 1)


# (case, the codes involved): the markers say what is reported with all of them selected.
CASES_AND_CODES = [
    ("any-address.yaml", ["PL205", "PL206", "PL508"]),
    ("replica-type.yaml", ["PL112", "PL116"]),
    ("or-where-and.yaml", ["PL109", "PL110"]),
    ("host-network.yaml", ["PL115", "PL509"]),
]


@pytest.mark.parametrize(("case", "codes"), CASES_AND_CODES, ids=[c for c, _ in CASES_AND_CODES])
def test_each_cause_is_reported_once(case: str, codes: list[str]) -> None:
    path = CASES / case
    found = {(path.name, f.line, f.code) for f in analyse([str(path)], Config(), select=codes).findings}
    assert found == expected_findings([path])


@pytest.mark.parametrize(("case", "consequence", "lines"), [
    ("any-address.yaml", "PL206", [25, 28]),
    ("any-address.yaml", "PL508", [24, 27]),
    ("replica-type.yaml", "PL112", [18]),
    ("or-where-and.yaml", "PL109", [37]),
    ("host-network.yaml", "PL115", [20, 23]),
])
def test_selecting_only_the_consequence_reports_it(case: str, consequence: str, lines: list[int]) -> None:
    findings = analyse([str(CASES / case)], Config(), select=[consequence]).findings
    assert sorted(f.line for f in findings) == lines and {f.code for f in findings} == {consequence}


def test_folded_findings_are_related_locations_in_json_and_sarif(monkeypatch) -> None:
    monkeypatch.chdir(CASES.parent.parent)
    args = ["check", "fixtures/consequences/replica-type.yaml", "--select", "PL112,PL116"]
    document = json.loads(CliRunner().invoke(cli, args + ["--format", "json"]).stdout)
    finding, = document["findings"]
    assert finding["code"] == "PL116"
    assert any(r["line"] == 18 and r["message"].startswith("PL112 (policy-selects-no-pods), same cause: ")
               for r in finding["related"])
    sarif = json.loads(CliRunner().invoke(cli, args + ["--format", "sarif"]).stdout)
    result, = sarif["runs"][0]["results"]
    assert result["ruleId"] == "PL116"
    assert [loc["physicalLocation"]["region"]["startLine"] for loc in result["relatedLocations"]] == [18]


# -- properties of folding on arbitrary findings ----------------------------------------------------

_CODES = ["PA", "PB", "PC", "PD"]
_SUBSUMES = {"PA": ("PB", "PC"), "PB": ("PC",), "PD": ("PA",)}  # acyclic, with a chain PD > PA > PB > PC
_finding_strategy = st.builds(
    lambda code, line, severity, causes: _finding(code, line, severity, tuple(("k", c) for c in causes)),
    st.sampled_from(_CODES), st.integers(1, 4), st.sampled_from(list(Severity)),
    st.lists(st.integers(0, 3), max_size=2))


@given(st.lists(_finding_strategy, max_size=8))
def test_folding_loses_nothing_and_never_lowers_the_verdict(findings: list[Finding]) -> None:
    result = fold(findings, _SUBSUMES)
    shown = {(r.span.line, r.message) for f in result for r in f.related}
    for finding in findings:
        folded_into_something = (finding.line, f"{finding.code} ({finding.name}), same cause: {finding.message}") in shown
        assert any(f.code == finding.code and f.span == finding.span and f.causes == finding.causes for f in result) \
            or folded_into_something
    if findings:
        assert max(f.severity for f in result) == max(f.severity for f in findings)
    assert len(result) <= len(findings)
    # Nothing left in the result is itself explained by another finding of the result.
    assert fold(result, _SUBSUMES) == result
