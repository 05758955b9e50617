"""Every rule fixture: the set of (file, line, code) found equals the `# expect:` markers exactly.

Fixtures live in `fixtures/rules/<CODE>/`: single files or folders (analysed as one input).
A case runs the folder's rule plus every rule named in its markers, so a missing finding and an
extra finding both fail. A case folder may hold `.policylint.yaml` with options for the rule.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policylint.analysis import analyse, registry
from policylint.config import load_config
from tests.fixture_expectations import case_files, expected_findings

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
# Rules that no YAML manifest can trigger, and where they are tested instead.
NOT_YAML_TRIGGERED = {
    "PL005": "only a bug in a rule triggers it: tests/test_hostile_*.py run a crashing rule",
    "PL011": "Pulumi program failures: tests/test_pulumi.py with fixtures/pulumi/",
    "PL012": "Pulumi components: tests/test_pulumi.py with fixtures/pulumi/",
    "PL013": "unknown Pulumi outputs: tests/test_pulumi.py with fixtures/pulumi/",
}

# Rules whose findings other rules make: a case of theirs also runs those rules.
MADE_BY = {"PL025": ("PL401", "PL402", "PL404", "PL406", "PL507")}  # budgets run out in the rules that own them


def _cases() -> list[Path]:
    return sorted(case for rule in sorted(ROOT.iterdir()) if rule.is_dir() for case in sorted(rule.iterdir())
                  if not case.name.startswith(".") and (case.is_dir() or case.suffix in (".yaml", ".yml")))


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(case: Path) -> None:
    files = case_files(case)
    expected = expected_findings(files)
    codes = {case.parent.name} | {code for _, _, code in expected} | set(MADE_BY.get(case.parent.name, ()))
    config_file = case / ".policylint.yaml" if case.is_dir() else None
    config = load_config(config_file if config_file and config_file.exists() else None)
    if case.is_dir() and config.render.kustomize and any(case.rglob("kustomization.yaml")) \
            and not (shutil.which("kustomize") or shutil.which("kubectl")):
        pytest.skip("the case is rendered with `kustomize` or `kubectl`, neither of which is on this machine's PATH")
    analysis = analyse([str(case)], config, select=sorted(codes))
    found = {(Path(f.path).name, f.line, f.code) for f in analysis.findings}
    assert found == expected, "\n".join(
        [f"missing: {sorted(expected - found)}", f"extra: {sorted(found - expected)}"]
        + [f"  {f.path}:{f.line}:{f.column} {f.code} {f.message}" for f in analysis.findings]
    )


def test_every_rule_has_failing_and_passing_fixtures() -> None:
    missing = []
    for code in registry():
        folder = ROOT / code
        cases = [c for c in folder.iterdir() if not c.name.startswith(".")] if folder.is_dir() else []
        failing = [c for c in cases if any(code == m[2] for m in expected_findings(case_files(c)))]
        passing = [c for c in cases if not any(code == m[2] for m in expected_findings(case_files(c)))]
        if code in NOT_YAML_TRIGGERED:
            continue
        if not failing or not passing:
            missing.append(code)
    assert not missing, f"rules without a failing and a passing fixture: {missing}"
