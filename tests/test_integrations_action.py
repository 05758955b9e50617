"""The GitHub Action (action.yml) and the example workflow (docs/snippets/github-workflow.yml).

The action's `run:` steps are taken out of action.yml and executed with bash as a GitHub runner
does (`bash --noprofile --norc -eo pipefail`, `${{ }}` expressions substituted, $GITHUB_OUTPUT,
$GITHUB_STEP_SUMMARY, $GITHUB_PATH and $RUNNER_TEMP set to temporary files), in a copy of the
example repository. `uses:` steps (actions/setup-python, actions/checkout, upload-sarif) are
published actions and are not run: each test says which were skipped, and the condition of
setup-python is checked on its own.

The install step really runs: it creates a virtual environment and `pip install`s this source
tree into it (about ten seconds, once per test session). Where pip cannot reach a package index
the tests that need it are skipped, saying so.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration_helpers import (ACTION, SEED_POLICY, SNIPPETS, Runner, StepResult, action_inputs,
                                       bash, cli_env, copy_repo, load_yaml, run_action)

MARKDOWN_MARKER = "<!-- policylint report -->"
CHECK_ONLY = ("check",)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]], list[str], list[StepResult]]:
    """The action's steps up to the install, run once: (runner temp, step outputs, PATH additions, results)."""
    base = tmp_path_factory.mktemp("action-install")
    workdir = copy_repo(base)
    temp = base / "runner-temp"
    temp.mkdir()
    runner = Runner(workdir, temp)
    run = run_action(runner, {}, only=("python", "setup-python", "install"))
    install = next(r for r in run.results if r.name == "Install policylint")
    pip_failed = not (temp / "policylint-venv" / "bin" / "policylint").exists()
    if install.returncode and pip_failed and re.search(
            r"No matching distribution found|Could not find a version that satisfies|Failed to establish a new "
            r"connection|Temporary failure in name resolution", install.stderr):
        pytest.skip(f"pip cannot reach a package index here:\n{install.stderr[-800:]}")
    return temp, run.steps, runner.path_additions, run.results


def check_step(tmp_path: Path, installed: tuple, given: dict[str, Any], workdir: Path | None = None) -> tuple:
    """Run the action's check step with `given` inputs after the (shared) install."""
    temp, outputs, path_additions, _ = installed
    workdir = workdir or copy_repo(tmp_path)
    job_temp = tmp_path / "job-temp"
    job_temp.mkdir(exist_ok=True)
    # The venv lives in the install's runner temp; this job's summary and outputs in its own.
    runner = Runner(workdir, job_temp, path_additions=list(path_additions))
    run = run_action(runner, given, only=CHECK_ONLY, preset=outputs)
    [result] = [r for r in run.results if r.ran]
    return run, result, runner, workdir


# --- the definition ---------------------------------------------------------------------------

def test_action_definition_is_a_composite_of_bash_steps_and_every_reference_resolves() -> None:
    action = load_yaml(ACTION)
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    ids = [s["id"] for s in steps]
    inputs = set(action["inputs"])
    text = ACTION.read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([\w-]+)", text)) <= inputs, "a step reads an input that is not declared"
    for step_id, _ in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
        assert step_id in ids, f"unknown step id {step_id!r}"
    for step in steps:
        assert ("run" in step) != ("uses" in step)
        if "run" in step:
            assert step["shell"] == "bash", "a composite action's run steps must name their shell"
            # Inputs reach scripts through env: only, never pasted into the script's text.
            assert "${{" not in step["run"], f"{step['name']}: expression inside a script"
    for spec in action["inputs"].values():
        assert spec["description"] and "default" in spec
    assert {"paths", "fail-on", "config", "format", "sarif-file", "install"} <= inputs


def test_setup_python_runs_only_without_a_python_3_11(tmp_path: Path) -> None:
    """The find-Python step; setup-python itself is a published action and is not run."""
    runner = Runner(copy_repo(tmp_path), tmp_path)
    run = run_action(runner, {}, only=("python", "setup-python"))
    found, setup = run.results
    assert found.returncode == 0 and Path(found.outputs["python"]).name.startswith("python")
    assert not setup.ran and setup.reason.startswith("if: ")  # this machine has Python >= 3.11

    runner = Runner(copy_repo(tmp_path, "pinned"), tmp_path)
    run = run_action(runner, {"python-version": "3.13"}, only=("python", "setup-python"))
    found, setup = run.results
    assert found.outputs["python"] == ""
    assert not setup.ran and "published action" in setup.reason  # asked for: it would run


def test_install_step_installs_this_source_into_its_own_environment(installed: tuple) -> None:
    temp, outputs, path_additions, results = installed
    install = next(r for r in results if r.name == "Install policylint")
    assert install.returncode == 0, install.stderr
    executable = Path(outputs["install"]["outputs"]["policylint"])
    assert executable.parent == temp / "policylint-venv" / "bin"
    assert path_additions == [str(executable.parent)]
    version = subprocess.run([str(executable), "--version"], capture_output=True, text=True, check=True).stdout
    from policylint import __version__
    assert version.strip() == f"policylint, version {__version__}"
    assert install.stdout.strip() == version.strip()


# --- the check step ---------------------------------------------------------------------------

def test_defaults_write_sarif_summary_and_annotations_and_pass(tmp_path: Path, installed: tuple) -> None:
    run, result, runner, workdir = check_step(tmp_path, installed, {"paths": "k8s/"})
    assert result.returncode == 0, result.stderr
    assert run.outputs == {"exit-code": "0", "sarif-file": "policylint.sarif", "html-file": ""}
    sarif = json.loads((workdir / "policylint.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    [found] = sarif["runs"][0]["results"]
    assert (found["ruleId"], found["level"]) == ("PL008", "note")
    location = found["locations"][0]["physicalLocation"]
    assert (location["artifactLocation"]["uri"], location["region"]["startLine"]) == ("k8s/shop/backend-l7.yaml", 2)
    summary = runner.summary.read_text(encoding="utf-8")
    assert summary.startswith(MARKDOWN_MARKER + "\n### policylint: 0 errors, 0 warnings, 1 info\n")
    assert "result: passed (fail-on: error)" in summary
    assert "| `k8s/shop/backend-l7.yaml:2` | `PL008` unsupported-policy-kind | info |" in summary
    # The log: a workflow annotation on the line, and the one-line notes of the report runs.
    assert re.search(r"^::notice file=k8s/shop/backend-l7\.yaml,line=2,.*PL008", result.stdout, re.M)
    assert "1 finding written to policylint.sarif" in result.stdout


def test_fail_on_decides_the_exit_code_and_the_reports_are_still_written(tmp_path: Path, installed: tuple) -> None:
    run, result, runner, workdir = check_step(tmp_path, installed, {"paths": "k8s/", "fail-on": "info"})
    assert result.returncode == 1
    assert run.outputs["exit-code"] == "1"
    assert json.loads((workdir / "policylint.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert "result: **failed** (fail-on: info)" in runner.summary.read_text(encoding="utf-8")


def test_an_error_fails_the_step_with_the_default_fail_on(tmp_path: Path, installed: tuple) -> None:
    workdir = copy_repo(tmp_path)
    shutil.copy(SEED_POLICY, workdir / "k8s" / "seed.yaml")
    run, result, runner, _ = check_step(tmp_path, installed, {"paths": "k8s/", "format": "text"}, workdir)
    assert result.returncode == 1
    assert run.outputs["exit-code"] == "1"
    assert re.search(r"^k8s/seed\.yaml$", result.stdout, re.M) and " PL201 " in result.stdout
    codes = {r["ruleId"] for r in json.loads((workdir / "policylint.sarif").read_text())["runs"][0]["results"]}
    assert {"PL201", "PL202", "PL008"} <= codes
    assert "result: **failed** (fail-on: error)" in runner.summary.read_text(encoding="utf-8")


def test_a_configuration_error_stops_before_any_report(tmp_path: Path, installed: tuple) -> None:
    run, result, runner, workdir = check_step(tmp_path, installed, {"paths": "k8s/", "config": "missing.yaml"})
    assert result.returncode == 2
    assert run.outputs["exit-code"] == "2"
    assert "config file missing.yaml does not exist" in result.stderr
    assert not (workdir / "policylint.sarif").exists() and not runner.summary.exists()


def test_several_paths_args_and_no_sarif_or_summary(tmp_path: Path, installed: tuple) -> None:
    given = {"paths": "k8s/shop\nk8s/data/policies.yaml", "args": "--select PL1,PL2 --verbose",
             "sarif-file": "", "summary": False, "format": "text"}
    run, result, runner, workdir = check_step(tmp_path, installed, given)
    assert result.returncode == 0
    assert run.outputs == {"exit-code": "0", "sarif-file": "", "html-file": ""}
    assert not (workdir / "policylint.sarif").exists() and not runner.summary.exists()
    # 8 files under k8s/shop (one of them a JSON patch, no manifest) plus one; PL008 is not
    # selected, so the Cilium object gives no finding.
    assert "9 files, 2 namespaces, 3 workloads, 8 NetworkPolicies, 1 file without Kubernetes objects: " \
           "0 errors, 0 warnings, 0 infos" in result.stdout


def test_html_file_writes_the_html_report_whatever_the_verdict(tmp_path: Path, installed: tuple) -> None:
    workdir = copy_repo(tmp_path)
    shutil.copy(SEED_POLICY, workdir / "k8s" / "seed.yaml")
    run, result, _, _ = check_step(tmp_path, installed, {"paths": "k8s/", "html-file": "report.html"}, workdir)
    assert result.returncode == 1  # the seed's errors fail the step, after the report is written
    assert run.outputs["html-file"] == "report.html"
    page = (workdir / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "k8s/seed.yaml" in page


def test_the_config_file_of_the_repository_is_honoured(tmp_path: Path, installed: tuple) -> None:
    workdir = copy_repo(tmp_path)
    (workdir / ".policylint.yaml").write_text(
        (workdir / ".policylint.yaml").read_text() + "fail-on: info\n", encoding="utf-8")
    run, result, _, _ = check_step(tmp_path, installed, {}, workdir)  # paths: . (the default)
    assert result.returncode == 1  # the info finding reaches the config's fail-on
    assert "PL001" not in result.stdout and "PL003" not in result.stdout  # the chart is excluded


# --- the example workflow ----------------------------------------------------------------------

WORKFLOW = SNIPPETS / "github-workflow.yml"


def _workflow_steps() -> list[dict[str, Any]]:
    return load_yaml(WORKFLOW)["jobs"]["policylint"]["steps"]


def _action_handler(installed: tuple):
    """Runs the workflow's `uses: OWNER/policylint@…` step as this repository's action.yml."""
    def handle(runner: Runner, step: dict[str, Any], context: Any) -> StepResult:
        _, outputs, path_additions, _ = installed
        runner.path_additions = list(path_additions)
        run = run_action(runner, step.get("with") or {}, only=CHECK_ONLY, preset=outputs)
        [result] = [r for r in run.results if r.ran]
        return StepResult(step["name"], True, returncode=run.returncode, stdout=result.stdout,
                          stderr=result.stderr, outputs=run.outputs)
    return handle


def _run_workflow(tmp_path: Path, installed: tuple, event_name: str, workdir: Path, **github: Any) -> tuple:
    temp = tmp_path / "job-temp"
    temp.mkdir(exist_ok=True)
    runner = Runner(workdir, temp, {"event_name": event_name, **github})
    results = runner.run_steps(_workflow_steps(), {}, uses={"OWNER/policylint@": _action_handler(installed)})
    return runner, {r.name: r for r in results}


def test_workflow_uses_the_action_with_declared_inputs_and_uploads_its_sarif() -> None:
    steps = _workflow_steps()
    [lint] = [s for s in steps if s.get("uses", "").startswith("OWNER/policylint@")]
    action_inputs(lint["with"])  # every `with:` key is an input of action.yml
    [upload] = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == lint["with"]["sarif-file"]
    assert "cancelled()" in upload["if"]  # uploads also when policylint failed the job
    permissions = load_yaml(WORKFLOW)["permissions"]
    assert permissions["security-events"] == "write"
    [checkout] = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 0  # the diff needs the base commit


def test_workflow_on_push_lints_writes_sarif_and_skips_the_diff(tmp_path: Path, installed: tuple) -> None:
    workdir = copy_repo(tmp_path)
    runner, results = _run_workflow(tmp_path, installed, "push", workdir)
    assert results["Lint NetworkPolicies"].returncode == 0
    assert json.loads((workdir / "policylint.sarif").read_text())["runs"][0]["results"]
    assert not results["actions/checkout@v4"].ran
    assert not results["Upload to code scanning"].ran and "published action" in results["Upload to code scanning"].reason
    assert not results["Connectivity changes of the pull request"].ran
    assert runner.summary.read_text(encoding="utf-8").startswith(MARKDOWN_MARKER)


def test_workflow_uploads_sarif_even_when_the_lint_fails(tmp_path: Path, installed: tuple) -> None:
    workdir = copy_repo(tmp_path)
    shutil.copy(SEED_POLICY, workdir / "k8s" / "seed.yaml")
    runner, results = _run_workflow(tmp_path, installed, "push", workdir)
    assert results["Lint NetworkPolicies"].returncode == 1
    upload = results["Upload to code scanning"]
    assert "published action" in upload.reason  # its condition held: only being a published action stopped it
    assert (workdir / "policylint.sarif").exists()


def test_workflow_pull_request_diff_summary(tmp_path: Path, installed: tuple) -> None:
    workdir = copy_repo(tmp_path)
    env = cli_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
                  GIT_COMMITTER_EMAIL="t@example.com")
    bash("git init -q . && git add -A && git commit -qm base", workdir, env)
    base = bash("git rev-parse HEAD", workdir, env).stdout.strip()
    policies = workdir / "k8s" / "data" / "policies.yaml"
    policies.write_text(policies.read_text().replace("app: backend", "app: frontend"), encoding="utf-8")
    runner, results = _run_workflow(tmp_path, installed, "pull_request", workdir,
                                    event={"pull_request": {"base": {"sha": base}}})
    diff = results["Connectivity changes of the pull request"]
    assert diff.ran and diff.returncode == 0, diff.stderr
    check, diff_report = runner.summary.read_text(encoding="utf-8").split("<!-- policylint diff -->\n")
    assert check.startswith(MARKDOWN_MARKER)  # the action's report first, then the diff's
    # data-service now admits the frontend instead of the backend; the frontend's own egress
    # (default-deny plus backend:8080 only) still keeps it from data-service: one pair lost, none gained.
    assert diff_report.startswith("### policylint diff: 1 connection removed\n")
    assert "- **removed** `shop/backend[Deployment]` → `data/data-service[Deployment]`: TCP 5432" in diff_report
    # The reviewer is told what the answer leaves out: the Cilium policy, on both sides.
    assert "> - `k8s/shop/backend-l7.yaml:2` CiliumNetworkPolicy `shop/backend-api-read-only` (`cilium.io/v2`)" \
        in diff_report
    assert diff.stderr.count("CiliumNetworkPolicy shop/backend-api-read-only") == 2  # and the log, old and new
