"""The GitLab job, the JUnit command and the README recipes (docs/snippets/), run as written.

The GitLab job's `script:` runs in one bash with errexit, as GitLab's runner runs it, in a copy of
the example repository; its `before_script` (`pip install`) is not run: the package under test
is already installed. The recipes that pipe `helm template`, `kustomize build` or `kubectl get`
into `policylint check -` run their `policylint` half with those tools' output
(fixtures/integrations/stdin/) as standard input; the tools themselves are not needed.

The report formats have their own tests (tests/test_report_gitlab.py, tests/test_report_junit.py);
these tests check that the files the snippets write are what GitLab and JUnit viewers read, with
the same validators.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from policylint.analysis import registry
from policylint.findings import Severity
from tests.fixture_expectations import expected_findings
from tests.integration_helpers import (ROOT, SEED_POLICY, SNIPPETS, STDIN, bash, cli_env, copy_repo, load_yaml,
                                       text_findings)
from tests.test_report_gitlab import assert_code_quality
from tests.test_report_junit import counts, parse

GITLAB = SNIPPETS / "gitlab-ci.yml"
RECIPES = SNIPPETS / "recipes.sh"
PRODUCERS = {"helm": "helm-template.yaml", "kustomize": "kustomize-build.yaml", "kubectl": "kubectl-get.yaml"}


def _job() -> dict[str, Any]:
    [job] = [value for key, value in load_yaml(GITLAB).items() if isinstance(value, dict) and "script" in value]
    return job


def _run_job(repo: Path) -> Any:
    job = _job()
    variables = {key: str(value) for key, value in (job.get("variables") or {}).items()}
    return bash("\n".join(job["script"]), repo, cli_env(CI="true", GITLAB_CI="true", **variables))


def _expected(fixture: Path) -> set[tuple[int, str]]:
    """The `# expect:` markers of a fixture, for the rules that are registered."""
    return {(line, code) for _, line, code in expected_findings([fixture]) if code in registry()}


# --- GitLab ------------------------------------------------------------------------------------

def test_gitlab_job_declares_the_reports_it_writes_and_keeps_them_on_failure() -> None:
    job = _job()
    reports = job["artifacts"]["reports"]
    script = "\n".join(job["script"])
    assert f"--format gitlab --output {reports['codequality']}" in script
    assert f"--format junit --output {reports['junit']}" in script
    assert job["artifacts"]["when"] == "always"  # a failing lint is when the reports matter most
    [html] = job["artifacts"]["paths"]
    assert f"--format html --output {html}" in script
    assert any("pip install" in line for line in job["before_script"])


def test_gitlab_job_passes_on_a_clean_repository(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    result = _run_job(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    issues = json.loads((repo / _job()["artifacts"]["reports"]["codequality"]).read_text(encoding="utf-8"))
    assert_code_quality(issues)
    assert [(i["check_name"], i["severity"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues] == [
        ("PL008", "info", "k8s/shop/backend-l7.yaml", 2)]
    root = parse((repo / _job()["artifacts"]["reports"]["junit"]).read_text(encoding="utf-8"))
    suites = root.findall("testsuite")
    assert len(suites) == 25  # one per YAML/JSON file read (2 are no manifests); the chart is excluded by the config
    [failed] = [case for case in root.iter("testcase") if case.find("failure") is not None]
    assert failed.get("name") == "PL008 unsupported-policy-kind"
    assert failed.get("classname") == "k8s/shop/backend-l7"


def test_gitlab_job_fails_on_an_error_and_still_writes_both_reports(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    shutil.copy(SEED_POLICY, repo / "k8s" / "seed.yaml")
    result = _run_job(repo)
    assert result.returncode == 1
    assert " PL201 " in result.stdout  # the verdict's text report is in the job log
    reports = _job()["artifacts"]["reports"]
    issues = json.loads((repo / reports["codequality"]).read_text(encoding="utf-8"))
    assert_code_quality(issues)
    assert {("k8s/seed.yaml", "PL201", "critical"), ("k8s/seed.yaml", "PL202", "critical")} <= \
        {(i["location"]["path"], i["check_name"], i["severity"]) for i in issues}
    assert "k8s/seed.yaml" in (repo / _job()["artifacts"]["paths"][0]).read_text(encoding="utf-8")
    root = parse((repo / reports["junit"]).read_text(encoding="utf-8"))
    seed = next(s for s in root.findall("testsuite") if s.get("name") == "k8s/seed.yaml")
    tests, failures, errors = counts(seed)
    assert int(failures) >= 2 and errors == "0" and int(tests) == len(seed.findall("testcase"))


def test_gitlab_job_stops_on_a_configuration_error(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    (repo / ".policylint.yaml").write_text("fail-on: sometimes\n", encoding="utf-8")
    result = _run_job(repo)
    assert result.returncode != 0  # exit 2 is not swallowed by `|| [ $? -eq 1 ]`: the job fails at once
    assert "'sometimes' is not a severity" in result.stderr
    assert not (repo / _job()["artifacts"]["reports"]["codequality"]).exists()


# --- JUnit -------------------------------------------------------------------------------------

def test_junit_command_writes_a_report_test_viewers_read(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    shutil.copy(SEED_POLICY, repo / "k8s" / "seed.yaml")
    command = (SNIPPETS / "junit.sh").read_text(encoding="utf-8").strip()
    result = bash(command, repo, cli_env())
    assert result.returncode == 1
    assert " findings written to policylint-junit.xml; " in result.stdout
    root = parse((repo / "policylint-junit.xml").read_text(encoding="utf-8"))
    assert root.tag == "testsuites" and root.get("name") == "policylint"
    cases = list(root.iter("testcase"))
    assert root.get("tests") == str(len(cases))
    assert root.get("failures") == str(sum(case.find("failure") is not None for case in cases))
    names = {case.get("name") for case in cases}
    assert {"PL201 invalid-cidr", "PL008 unsupported-policy-kind"} <= names


# --- recipes -----------------------------------------------------------------------------------

def _recipes() -> list[str]:
    return [line for line in RECIPES.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def test_recipes_cover_every_tool() -> None:
    tools = {line.split()[0] for line in _recipes() if "|" in line}
    assert tools == set(PRODUCERS)
    assert any("--pulumi" in line for line in _recipes())


@pytest.mark.parametrize("tool", sorted(PRODUCERS))
def test_piped_recipe(tool: str, tmp_path: Path) -> None:
    [line] = [line for line in _recipes() if line.split()[0] == tool]
    producer, consumer = (part.strip() for part in line.split("|", 1))
    assert consumer.startswith("policylint check") and consumer.endswith(" -")
    fixture = STDIN / PRODUCERS[tool]
    result = bash(consumer, tmp_path, cli_env(), stdin=fixture.read_bytes())
    expected = _expected(fixture)
    assert text_findings(result.stdout) == expected, result.stdout + result.stderr
    assert result.stdout.startswith("<stdin>\n")
    errors = [code for _, code in expected if registry()[code].severity is Severity.ERROR]
    assert result.returncode == (1 if errors else 0)


def test_kubectl_recipe_reads_a_list_of_live_objects(tmp_path: Path) -> None:
    fixture = STDIN / PRODUCERS["kubectl"]
    assert load_yaml(fixture)["kind"] == "List"
    [line] = [line for line in _recipes() if line.startswith("kubectl ")]
    consumer = line.split("|", 1)[1].strip()
    result = bash(consumer.replace("check -", "check --format json -"), tmp_path, cli_env(), stdin=fixture.read_bytes())
    summary = json.loads(result.stdout)["summary"]
    # the Namespace, the Deployment and its running Pod, two policies: nothing lost in the List
    assert (summary["namespaces"], summary["workloads"], summary["policies"]) == (1, 2, 2)


def test_pulumi_recipe(tmp_path: Path) -> None:
    pytest.importorskip("pulumi_kubernetes", reason="the Pulumi extra is not installed")
    [line] = [line for line in _recipes() if "--pulumi" in line]
    repo = copy_repo(tmp_path)
    program = ROOT / "fixtures" / "integrations" / "pulumi" / "infra"
    shutil.copytree(program, repo / "infra")
    result = bash(line, repo, cli_env())
    assert result.returncode == 0, result.stdout + result.stderr
    found = {(path, line, code) for path, line, code in _findings_by_file(result.stdout)}
    expected = {("infra/__main__.py", line, code) for line, code in _expected(program / "__main__.py")}
    expected.add(("k8s/shop/backend-l7.yaml", 2, "PL008"))
    assert found == expected


def _findings_by_file(text: str) -> list[tuple[str, int, str]]:
    """(path, line, code) of a text report: a path line, then its indented findings."""
    found, path = [], ""
    for row in text.splitlines():
        if row and not row[0].isspace():
            path = row
        for line, code in text_findings(row + "\n"):
            found.append((path, line, code))
    return found
