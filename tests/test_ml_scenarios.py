"""Scenario fixtures for the ML rules: real job manifests, each with a correct policy set and
broken ones (`fixtures/ml-scenarios/README.md` names the repository and path each job follows).

A scenario folder holds `cluster/` (the job, its namespace, services it uses) and one folder per
policy set. Each set is analysed together with `cluster/` with every PL5xx rule on (defaults, or
the set's `.policylint.yaml`); the (file, line, code) of the findings must equal the set's
`# expect:` markers exactly — none for `correct`. The markers were written by hand from the
Kubernetes NetworkPolicy spec and the frameworks' documentation, as each file's comments explain.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.analysis import analyse
from policylint.config import load_config
from tests.fixture_expectations import case_files, expected_findings

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "ml-scenarios"


def _sets() -> list[Path]:
    return sorted(s for scenario in sorted(ROOT.iterdir()) if scenario.is_dir()
                  for s in sorted(scenario.iterdir()) if s.is_dir() and s.name != "cluster")


@pytest.mark.parametrize("policy_set", _sets(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_scenario(policy_set: Path) -> None:
    cluster = policy_set.parent / "cluster"
    expected = expected_findings(case_files(policy_set))
    assert not expected_findings(case_files(cluster)), "markers belong in the policy sets"
    config_file = policy_set / ".policylint.yaml"
    config = load_config(config_file if config_file.exists() else None)
    analysis = analyse([str(cluster), str(policy_set)], config, select=["PL5"])
    found = {(Path(f.path).name, f.line, f.code) for f in analysis.findings}
    assert found == expected, "\n".join(
        [f"missing: {sorted(expected - found)}", f"extra: {sorted(found - expected)}"]
        + [f"  {f.path}:{f.line}:{f.column} {f.code} {f.message}" for f in analysis.findings])


def test_every_scenario_has_a_correct_set_and_a_broken_one() -> None:
    for scenario in sorted(p for p in ROOT.iterdir() if p.is_dir()):
        sets = [s for s in scenario.iterdir() if s.is_dir() and s.name != "cluster"]
        assert (scenario / "cluster").is_dir(), scenario.name
        assert any(s.name == "correct" for s in sets), scenario.name
        assert any(expected_findings(case_files(s)) for s in sets), scenario.name
        assert not expected_findings(case_files(scenario / "correct")), scenario.name
