"""A bug in one rule, in the model or in the loader costs one finding (PL005), never the run."""
from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest

from policylint import analysis as runner
from policylint.analysis import analyse
from policylint.config import Config
from policylint.rules import REGISTRY

POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
  namespace: shop
spec:
  podSelector: {{}}
  ingres: []
"""


def _crashing_registry() -> dict[str, Any]:
    """The real registry plus PL999, which reports policy `a` and divides by zero on policy `b`."""

    def check(ctx: Any, policy: Any, options: dict) -> Iterator[Any]:
        yield ctx.finding(policy.source, f"looked at {policy.name}")
        if policy.name == "b":
            raise ZeroDivisionError("division by zero in the crashing rule")

    spec = dataclasses.replace(REGISTRY["PL009"], code="PL999", name="crashing-rule", scope="policy", check=check)
    return {**REGISTRY, "PL999": spec}


@pytest.fixture
def two_policies(tmp_path: Path) -> Path:
    (tmp_path / "a.yaml").write_text(POLICY.format(name="a"))
    (tmp_path / "b.yaml").write_text(POLICY.format(name="b"))
    return tmp_path


def test_crashing_rule_is_a_finding_and_other_rules_still_run(two_policies: Path, monkeypatch: pytest.MonkeyPatch,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(runner, "registry", _crashing_registry)
    result = analyse([str(two_policies)], Config(), select=["PL999", "PL009", "PL005"])
    found = {(Path(f.path).name, f.line, f.code) for f in result.findings}
    # PL999 yields for `a`, and for `b` before it raises (a rule's findings before a crash are dropped).
    assert found == {("a.yaml", 1, "PL999"), ("a.yaml", 8, "PL009"), ("b.yaml", 1, "PL005"), ("b.yaml", 8, "PL009")}
    [crash] = [f for f in result.findings if f.code == "PL005"]
    assert crash.object == "NetworkPolicy shop/b"
    assert crash.message == ("internal error in rule PL999 (crashing-rule) on NetworkPolicy shop/b: ZeroDivisionError: "
                             "division by zero in the crashing rule; please report it (--debug shows the traceback)")
    assert "Traceback" not in caplog.text  # only with --debug


def test_debug_logs_the_traceback(two_policies: Path, monkeypatch: pytest.MonkeyPatch,
                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(runner, "registry", _crashing_registry)
    with caplog.at_level(logging.DEBUG):
        analyse([str(two_policies)], Config(), select=["PL999"], debug=True)
    assert "rule PL999 crashed on NetworkPolicy shop/b" in caplog.text
    assert "Traceback (most recent call last)" in caplog.text
    assert 'raise ZeroDivisionError("division by zero in the crashing rule")' in caplog.text


CLI_WITH_CRASHING_RULE = textwrap.dedent("""
    import sys
    from policylint import analysis
    from tests.test_hostile_runner import _crashing_registry
    analysis.registry = _crashing_registry
    from policylint.cli.main import main
    sys.argv = ["policylint", "check", "--select", "PL999,PL009", *sys.argv[1:]]
    main()
""")


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_cli_reports_the_crash_and_debug_shows_the_traceback(two_policies: Path, debug: bool) -> None:
    args = [sys.executable, "-c", CLI_WITH_CRASHING_RULE, *(["--debug"] if debug else []), str(two_policies)]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert run.returncode == 1
    assert "PL005 internal error in rule PL999 (crashing-rule) on NetworkPolicy shop/b" in run.stdout
    assert run.stdout.count("PL009") == 2  # the other rule's findings on both files
    assert ("Traceback (most recent call last)" in run.stderr) is debug
    assert ("ZeroDivisionError: division by zero in the crashing rule" in run.stderr) is debug


def test_model_bug_on_one_object_is_a_finding(two_policies: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from policylint.model import build

    real = build.build_policy

    def broken(fields: Any, node: Any, *args: Any, **kwargs: Any) -> Any:
        if node["metadata"]["name"] == "b":
            raise KeyError("simulated model bug")
        return real(fields, node, *args, **kwargs)

    monkeypatch.setattr(build, "build_policy", broken)
    result = analyse([str(two_policies)], Config(), select=["PL009"])
    assert {(Path(f.path).name, f.line, f.code) for f in result.findings} == {("a.yaml", 8, "PL009"), ("b.yaml", 1, "PL005")}
    [crash] = [f for f in result.findings if f.code == "PL005"]
    assert crash.object == "NetworkPolicy shop/b"
    assert crash.message.startswith("internal error while reading this NetworkPolicy: KeyError: 'simulated model bug'")
    assert [p.id for p in result.cluster.policies] == ["shop/a"]


def test_loader_bug_on_one_file_is_a_finding(two_policies: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from policylint.load import inputs

    real = inputs.parse_text

    def broken(text: str, path: str, *args: Any) -> Any:
        if path.endswith("b.yaml"):
            raise RuntimeError("simulated loader bug")
        return real(text, path, *args)

    monkeypatch.setattr(inputs, "parse_text", broken)
    result = analyse([str(two_policies)], Config(), select=["PL009"])
    assert {(Path(f.path).name, f.line, f.code) for f in result.findings} == {("a.yaml", 8, "PL009"), ("b.yaml", 1, "PL005")}
    [crash] = [f for f in result.findings if f.code == "PL005"]
    assert crash.message == ("internal error while reading the file: RuntimeError: simulated loader bug; "
                             "please report it (--debug shows the traceback)")
