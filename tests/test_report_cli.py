"""`policylint check` end to end: exit codes, `--output`, and every format on real input."""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.cli.check import check
from policylint.report import FORMATS, renderer
from tests.test_report_samples import (EXAMPLES, MIXED, MIXED_ARGS, MIXED_CONFIG, MIXED_RULES, SEED, run,
                                       run_process, sample_report)

CLEAN = ["check", "fixtures/report/mixed/clean.yaml", "--select", MIXED_RULES]
# findings in the mixed fixture per rule: PL001 error, PL004 info (by its config), PL009 warning, PL201 error
ONLY_WARNING = ["check", MIXED, "--config", MIXED_CONFIG, "--select", "PL009"]
ONLY_INFO = ["check", MIXED, "--config", MIXED_CONFIG, "--select", "PL004,PL202"]


@pytest.mark.parametrize(("args", "code"), [
    (["check", SEED, "--select", "PL201"], 1),
    (CLEAN, 0),
    (ONLY_WARNING, 0),
    ([*ONLY_WARNING, "--fail-on", "warning"], 1),
    ([*ONLY_WARNING, "--fail-on", "error"], 0),
    (ONLY_INFO, 0),
    ([*ONLY_INFO, "--fail-on", "warning"], 0),
    ([*ONLY_INFO, "--fail-on", "info"], 1),
    ([*MIXED_ARGS, "-f", "json"], 1),  # the exit code does not depend on the format
], ids=["error", "clean", "warning", "warning-fail-on-warning", "warning-fail-on-error", "info",
        "info-fail-on-warning", "info-fail-on-info", "json"])
def test_exit_code_follows_fail_on(args: list[str], code: int) -> None:
    assert run(args).exit_code == code


def test_fail_on_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "policylint.yaml"
    config.write_text("fail-on: warning\n", encoding="utf-8")
    assert run(["check", MIXED, "--config", str(config), "--select", "PL009"]).exit_code == 1


@pytest.mark.parametrize(("args", "message"), [
    (["check"], "policylint: error: no input: give files or folders of manifests, or - for standard input"),
    (["check", "no-such-folder"], "policylint: error: no such file or folder: no-such-folder"),
    (["check", SEED, "--select", "PL999"], "policylint: error: unknown rule code or name 'PL999' (see `policylint rules`)"),
    (["check", SEED, "--config", "no-such-config.yaml"], "policylint: error: config file no-such-config.yaml does not exist"),
], ids=["no-path", "missing-path", "unknown-rule", "missing-config"])
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = run(args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [message]
    assert result.stdout == ""


def test_no_manifest_found_and_bad_config_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(["check", str(empty)]).exit_code == 2
    config = tmp_path / "bad.yaml"
    config.write_text("bogus: 1\n", encoding="utf-8")
    result = run(["check", SEED, "--config", str(config)])
    assert result.exit_code == 2
    assert "unknown config key 'bogus'" in result.stderr


@pytest.mark.parametrize("args", [["--format", "yaml"], ["--fail-on", "fatal"]], ids=["format", "fail-on"])
def test_bad_option_values_exit_2(args: list[str]) -> None:
    assert run(["check", SEED, *args]).exit_code == 2


def test_exit_codes_as_a_process() -> None:
    failing = run_process(["check", SEED, "--select", "PL201"])
    assert failing.returncode == 1
    assert failing.stdout.decode().splitlines()[-1] == \
        "1 file, 1 namespace, 0 workloads, 1 NetworkPolicy: 1 error, 0 warnings, 0 infos"
    assert run_process(CLEAN).returncode == 0
    missing = run_process(["check", "no-such-folder"])
    assert missing.returncode == 2
    assert missing.stderr.decode().strip() == "policylint: error: no such file or folder: no-such-folder"


def test_output_writes_the_report_and_prints_one_line(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    result = run([*MIXED_ARGS, "-f", "sarif", "--output", str(target)])
    assert result.exit_code == 1
    assert result.stdout == (f"4 findings written to {target}; "
                             "3 files, 1 namespace, 0 workloads, 2 NetworkPolicies: 2 errors, 1 warning, 1 info\n")
    assert target.read_bytes() == run([*MIXED_ARGS, "-f", "sarif"]).stdout_bytes


def test_output_into_a_missing_folder_exits_2(tmp_path: Path) -> None:
    result = run([*MIXED_ARGS, "--output", str(tmp_path / "missing" / "report.txt")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"policylint: error: cannot write {tmp_path / 'missing' / 'report.txt'}: ")


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize("args", [["check", EXAMPLES], ["check", MIXED, "--config", MIXED_CONFIG]],
                         ids=["examples", "mixed"])
def test_every_format_is_deterministic_on_real_input(name: str, args: list[str]) -> None:
    first, second = run([*args, "-f", name]), run([*args, "-f", name])
    assert first.exit_code == second.exit_code == 1  # both inputs hold errors
    assert first.stdout_bytes
    assert first.stdout_bytes == second.stdout_bytes


def test_every_registered_format_is_offered_and_renders() -> None:
    [option] = [p for p in check.params if p.name == "output_format"]
    assert list(option.type.choices) == ["auto", "text", "json", "sarif", "github", "markdown", "gitlab", "junit", "html"]
    for name in FORMATS:
        assert renderer(name)(sample_report()).endswith("\n")
