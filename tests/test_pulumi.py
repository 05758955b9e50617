"""`--pulumi DIR`: Pulumi Python programs run under the SDK's mock runtime, their objects linted.

Every test here really runs a program in a child process (about a second each). Expected lines
are written by hand: `# expect: CODE` markers in the fixture programs (and in the YAML files they
read), and the seed's lines spelled out below.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policylint.analysis import analyse
from policylint.cli.main import cli as main
from policylint.config import Config
from policylint.pulumi import PulumiInputs
from policylint.pulumi.program import ProgramError
from tests.fixture_expectations import expected_findings

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "fixtures" / "pulumi"
SEED = ROOT / "fixtures" / "examples" / "seed"
PULUMI_SEED = ROOT / "fixtures" / "examples" / "pulumi-seed"
PULUMI_CODES = ["PL011", "PL012", "PL013"]
FAST_TIMEOUT = 4.0  # seconds: the looping program is stopped after this
SLOW_MACHINE_TIMEOUT = 120.0  # seconds: for programs that end by themselves, however busy the machine


def _relative(path: Path) -> str:
    return os.path.relpath(path, Path.cwd())


def _case_files(case: Path) -> list[Path]:
    return sorted(p for p in case.rglob("*") if p.suffix in (".py", ".yaml") and p.name != "Pulumi.yaml")


@pytest.fixture(scope="module")
def seed_analyses() -> tuple:
    yaml = analyse([str(SEED)], Config())
    program = analyse([], Config(), pulumi=PulumiInputs((_relative(PULUMI_SEED),)))
    return yaml, program


def test_seed_program_reports_what_the_yaml_seed_reports(seed_analyses: tuple) -> None:
    yaml, program = seed_analyses
    assert yaml.findings, "the YAML seed has findings to compare with"

    def essence(findings: list) -> list[tuple[str, str, str, str]]:
        return sorted((f.code, f.message, f.field_path, f.object) for f in findings)

    assert essence(program.findings) == essence(yaml.findings)
    assert {"PL201", "PL202"} <= {f.code for f in program.findings}


def test_seed_findings_point_at_the_python_lines(seed_analyses: tuple) -> None:
    _, program = seed_analyses
    main_file = PULUMI_SEED / "__main__.py"
    lines = main_file.read_text(encoding="utf-8").splitlines()
    by_code = {f.code: f for f in program.findings}
    cidr, except_entry = by_code["PL201"], by_code["PL202"]
    # Counted by hand in fixtures/examples/pulumi-seed/__main__.py (a copy of the seed program).
    assert (Path(cidr.path).resolve(), cidr.line, cidr.column) == (main_file, 38, 26)
    assert (Path(except_entry.path).resolve(), except_entry.line, except_entry.column) == (main_file, 40, 30)
    assert lines[37].strip().startswith('cidr="",') and lines[39].strip() == 'except_=[""],'
    assert cidr.field_path == "spec.egress[0].to[0].ipBlock.cidr"
    assert except_entry.field_path == "spec.egress[0].to[0].ipBlock.except[0]"
    assert cidr.object == "NetworkPolicy ml-workloads/ml-training-communication"


def test_seed_namespace_is_the_one_the_program_declares(seed_analyses: tuple) -> None:
    _, program = seed_analyses
    namespace = program.cluster.namespaces["ml-workloads"]
    assert namespace.declared
    assert (namespace.source.span.line, namespace.source.span.end_line) == (7, 10)  # the Namespace(…) call
    policy = program.cluster.policies[0]
    assert policy.namespace == "ml-workloads"  # from ml_namespace.metadata["name"], an output known under mocks
    assert policy.source.span.line == 13


@pytest.mark.parametrize("case", sorted(p.name for p in PROGRAMS.iterdir() if p.is_dir()))
def test_program_fixture(case: str) -> None:
    folder = PROGRAMS / case
    expected = expected_findings(_case_files(folder))
    codes = sorted({code for _, _, code in expected} | set(PULUMI_CODES))
    analysis = analyse([], Config(), select=codes,
                       pulumi=PulumiInputs((_relative(folder),),
                                           timeout=FAST_TIMEOUT if case == "loops" else SLOW_MACHINE_TIMEOUT))
    found = {(Path(f.path).name, f.line, f.code) for f in analysis.findings}
    assert found == expected, "\n".join(
        [f"missing: {sorted(expected - found)}", f"extra: {sorted(found - expected)}"]
        + [f"  {f.path}:{f.line}:{f.column} {f.code} {f.message}" for f in analysis.findings])


def test_failing_programs_do_not_hide_other_inputs() -> None:
    # The programs that fail fast get a generous limit: on a busy machine importing Pulumi alone
    # can take longer than FAST_TIMEOUT, and a timeout would be reported at another line.
    failing = tuple(_relative(PROGRAMS / name) for name in ("raises", "missing-module"))
    analysis = analyse([str(SEED)], Config(), pulumi=PulumiInputs(failing, timeout=SLOW_MACHINE_TIMEOUT))
    found = {(Path(f.path).parent.name, f.line, f.code) for f in analysis.findings}
    assert {("seed", 27, "PL201"), ("seed", 29, "PL202")} <= found
    assert {("raises", 8, "PL011"), ("missing-module", 3, "PL011")} <= found
    messages = {Path(f.path).parent.name: f.message for f in analysis.findings if f.code == "PL011"}
    looping = (_relative(PROGRAMS / "loops"),)
    analysis = analyse([str(SEED)], Config(), pulumi=PulumiInputs(looping, timeout=FAST_TIMEOUT))
    found = {(Path(f.path).parent.name, f.line, f.code) for f in analysis.findings}
    assert {("seed", 27, "PL201"), ("seed", 29, "PL202"), ("loops", 7, "PL011")} <= found
    messages |= {Path(f.path).parent.name: f.message for f in analysis.findings if f.code == "PL011"}
    assert messages["raises"] == "program failed: ValueError: no CIDR configured for the data service"
    assert "No module named 'pulumi_policylint_fixture_not_installed'" in messages["missing-module"]
    assert messages["loops"].startswith(f"program did not finish within {FAST_TIMEOUT:g} s")


def test_objects_registered_before_a_failure_are_kept() -> None:
    analysis = analyse([], Config(), pulumi=PulumiInputs((_relative(PROGRAMS / "raises"),)))
    assert analysis.cluster.namespaces["ml-workloads"].declared  # created on line 4, before the error


def test_helpers_names_and_generated_names() -> None:
    analysis = analyse([], Config(), select=["PL202"], pulumi=PulumiInputs((_relative(PROGRAMS / "helpers"),)))
    policies = {(p.namespace, p.name): p for p in analysis.cluster.policies}
    # One helper call site, two objects (a loop): both point into the helper.
    assert policies[("team-a", "deny-all")].source.span.line == 8
    assert policies[("team-b", "deny-all")].source.span.line == 8
    # A namespace written without a name gets Pulumi's generated one, and a policy that uses it
    # lands in that namespace.
    generated = [name for name in analysis.cluster.namespaces if name.startswith("team-c-")]
    assert len(generated) == 1 and analysis.cluster.namespaces[generated[0]].declared
    assert any(p.namespace == generated[0] for p in analysis.cluster.policies)


def test_check_command_end_to_end() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "policylint", "check", "--format", "text", "--no-color",
         "--pulumi", _relative(PULUMI_SEED)],
        capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1, completed.stderr
    main_file = os.path.join(_relative(PULUMI_SEED), "__main__.py")
    assert main_file in completed.stdout
    assert "38:26" in completed.stdout and "40:30" in completed.stdout


def test_help_says_the_program_runs() -> None:
    result = CliRunner().invoke(main, ["check", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--pulumi DIR" in text and "RUNS the program" in text and "policylint[pulumi]" in text


def test_missing_sdk_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("policylint.pulumi.collect.sdk_available", lambda: False)
    result = CliRunner().invoke(main, ["check", "--pulumi", _relative(PULUMI_SEED)])
    assert result.exit_code == 2
    assert "pip install 'policylint[pulumi]'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_sdk_missing_in_the_projects_virtualenv(tmp_path: Path) -> None:
    program = tmp_path / "project"
    (program / "venv" / "bin").mkdir(parents=True)
    (program / "__main__.py").write_text("import pulumi\n", encoding="utf-8")
    (program / "Pulumi.yaml").write_text(
        "name: p\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n", encoding="utf-8")
    python = program / "venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n', encoding="utf-8")  # no site-packages
    python.chmod(0o755)
    with pytest.raises(ProgramError, match=r"pip install 'policylint\[pulumi\]'"):
        analyse([], Config(), pulumi=PulumiInputs((str(program),)))


@pytest.mark.parametrize(("files", "message"), [
    ({}, "no Pulumi Python program (__main__.py not found)"),
    ({"Pulumi.yaml": "name: p\nruntime: nodejs\n"}, "runtime 'nodejs' is not supported (only python)"),
    ({"Pulumi.yaml": "name: p\nruntime: python\nmain: src/\n"}, "no Pulumi Python program (src/__main__.py not found)"),
])
def test_folders_without_a_python_program(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--pulumi", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output


def test_main_from_pulumi_yaml_and_config(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "Pulumi.yaml").write_text(
        "name: netpols\nruntime: python\nmain: src/app.py\nconfig:\n  cidr:\n    default: 10.0.0.0/8\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  netpols:namespace: ml\n", encoding="utf-8")
    (tmp_path / "src" / "app.py").write_text(
        "import pulumi\n"
        "import pulumi_kubernetes as k8s\n"
        "config = pulumi.Config()\n"
        "k8s.networking.v1.NetworkPolicy(\n"
        "    'p',\n"
        "    metadata={'name': 'p', 'namespace': config.require('namespace')},\n"
        "    spec={'podSelector': {}, 'egress': [{'to': [{'ipBlock': {'cidr': config.require('cidr'),\n"
        "                                                              'except': ['10.0.0.0/33']}}]}]},\n"
        ")\n", encoding="utf-8")
    analysis = analyse([], Config(), select=["PL011", "PL202"], pulumi=PulumiInputs((str(tmp_path),)))
    assert [(Path(f.path).name, f.line, f.code) for f in analysis.findings] == [("app.py", 8, "PL202")]
    assert [(p.namespace, p.name) for p in analysis.cluster.policies] == [("ml", "p")]


def test_network_is_refused(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text(
        "import socket\n"
        "socket.create_connection(('localhost', 9))\n", encoding="utf-8")
    analysis = analyse([], Config(), select=["PL011"], pulumi=PulumiInputs((str(tmp_path),)))
    assert [(f.line, f.code) for f in analysis.findings] == [(2, "PL011")]
    assert "network access is disabled" in analysis.findings[0].message


def test_provider_namespace_applies_to_objects_without_one() -> None:
    analysis = analyse([], Config(), pulumi=PulumiInputs((_relative(PROGRAMS / "provider-namespace"),)))
    placed = sorted((p.namespace, p.name, p.source.span.line) for p in analysis.cluster.policies)
    assert placed == [("default", "deny-all", 12), ("ml-training", "deny-all", 6)]
