"""Never silent about what is not analysed: PL008 in `check`, and the caveat that `matrix`,
`reach` and `diff` print with their answers (policylint/caveats.py).

Expected lines come from the `# expect: PL008` markers of the fixtures, written by hand at each
object that policylint does not evaluate.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from policylint.analysis import load_and_model
from policylint.caveats import caveat_lines, caveat_markdown, caveat_text, not_evaluated_json
from policylint.config import Config
from policylint.model.build import OTHER_POLICY_KINDS
from tests.fixture_expectations import expected_findings
from tests.integration_helpers import REPO, cli_env, copy_repo

PL008 = Path(__file__).resolve().parent.parent / "fixtures" / "rules" / "PL008"
OTHER_KINDS = PL008 / "other-kinds.yaml"


def _cluster(*paths: Path):
    return load_and_model([str(p) for p in paths], Config())[1]


def _marked_lines(path: Path) -> list[int]:
    return sorted(line for _, line, code in expected_findings([path]) if code == "PL008")


def test_the_fixture_has_one_object_of_every_kind_not_evaluated() -> None:
    cluster = _cluster(OTHER_KINDS)
    kinds = {(p.api_version.split("/")[0], p.kind) for p in cluster.other_policies}
    assert kinds == OTHER_POLICY_KINDS


def test_caveat_lines_name_every_object_where_it_is() -> None:
    lines = caveat_lines(_cluster(OTHER_KINDS))
    assert lines[0] == (
        "policylint: caveat: answers ignore 7 objects of kinds policylint does not evaluate ("
        "1 CiliumClusterwideNetworkPolicy, 1 CiliumNetworkPolicy, "
        "2 GlobalNetworkPolicy, 1 MultiNetworkPolicy, 1 NetworkPolicy (crd.projectcalico.org), "
        "1 NetworkPolicy (projectcalico.org)):")
    assert [int(line.split(":")[1]) for line in lines[1:]] == _marked_lines(OTHER_KINDS)
    assert lines[1] == f"  {OTHER_KINDS}:3: CiliumNetworkPolicy shop/backend-from-frontend (cilium.io/v2)"
    assert lines[3] == f"  {OTHER_KINDS}:25: NetworkPolicy production/allow-tcp-6379 (crd.projectcalico.org/v1)"


def test_caveat_names_the_side_of_a_diff_and_reads_list_items() -> None:
    cluster = _cluster(PL008 / "kubectl-list.yaml")
    [line] = _marked_lines(PL008 / "kubectl-list.yaml")
    assert caveat_text(cluster, "base") == (
        "policylint: caveat (base): answers ignore 1 object of kinds policylint does not evaluate "
        "(1 CiliumNetworkPolicy):\n"
        f"  {PL008 / 'kubectl-list.yaml'}:{line}: CiliumNetworkPolicy shop/backend-from-frontend (cilium.io/v2)\n")


def test_markdown_and_json_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PL008)
    cluster = _cluster(Path("other-kinds.yaml"))
    markdown = caveat_markdown(cluster, "head").splitlines()
    assert markdown[0].startswith("> **Caveat (head):** answers ignore 7 objects of kinds policylint does not evaluate (")
    assert markdown[1] == "> - `other-kinds.yaml:3` CiliumNetworkPolicy `shop/backend-from-frontend` " \
                          "(`cilium.io/v2`)"
    assert len(markdown) == 8 and all(line.startswith("> - ") for line in markdown[1:])
    items = not_evaluated_json(cluster)
    assert [item["line"] for item in items] == _marked_lines(Path("other-kinds.yaml"))
    assert items[0] == {"kind": "CiliumNetworkPolicy", "apiVersion": "cilium.io/v2", "namespace": "shop",
                        "name": "backend-from-frontend", "path": "other-kinds.yaml", "line": 3}
    assert items[1]["namespace"] is None  # cluster-scoped
    json.dumps(items)


def test_nothing_to_say_says_nothing() -> None:
    cluster = _cluster(PL008 / "evaluated-kinds.yaml")
    cluster.other_policies.clear()  # the acknowledged Cilium object aside, the file has only evaluated kinds
    assert caveat_lines(cluster) == [] and caveat_text(cluster) == "" and caveat_markdown(cluster) == ""
    assert not_evaluated_json(cluster) == []


# --- the commands ------------------------------------------------------------------------------

def _policylint(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["policylint", *args], cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=120)


CAVEAT = ("policylint: caveat: answers ignore 1 object of kinds policylint does not evaluate (1 CiliumNetworkPolicy):\n"
          "  k8s/shop/backend-l7.yaml:2: CiliumNetworkPolicy shop/backend-api-read-only (cilium.io/v2)\n")


def test_check_reports_each_object_not_evaluated(tmp_path: Path) -> None:
    result = _policylint(["check", "k8s/"], copy_repo(tmp_path))
    assert result.returncode == 0
    assert "  2:1      info    PL008 kind 'CiliumNetworkPolicy' (cilium.io/v2) is not evaluated: " \
           "connectivity answers ignore this object" in result.stdout
    assert "not evaluated (policy kinds policylint does not model yet): CiliumNetworkPolicy shop/backend-api-read-only" \
        in result.stdout


@pytest.mark.parametrize("args", [["matrix", "k8s/", "--format", "json"],
                                  ["reach", "k8s/", "--from", "shop/frontend", "--to", "shop/backend", "--port", "8080",
                                   "--format", "json"]], ids=["matrix", "reach"])
def test_matrix_and_reach_print_the_caveat_on_stderr(args: list[str], tmp_path: Path) -> None:
    result = _policylint(args, copy_repo(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr == CAVEAT
    json.loads(result.stdout)  # the answer on stdout stays machine-readable


def test_matrix_without_unevaluated_kinds_prints_no_caveat(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    (repo / "k8s" / "shop" / "backend-l7.yaml").unlink()
    result = _policylint(["matrix", "k8s/"], repo)
    assert result.returncode == 0 and result.stderr == ""


def test_diff_prints_the_caveat_of_each_side(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    env = cli_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
                  GIT_COMMITTER_EMAIL="t@example.com")
    subprocess.run("git init -q . && git add -A && git commit -qm base", shell=True, cwd=repo, env=env, check=True)
    (repo / "k8s" / "shop" / "backend-l7.yaml").unlink()
    result = subprocess.run(["policylint", "diff", "--base", "HEAD", "k8s/", "--format", "markdown"], cwd=repo,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # The base side has the Cilium object (shown as REV:path), the working tree no longer does.
    assert result.stderr == CAVEAT.replace("caveat:", "caveat (old):").replace("  k8s/", "  HEAD:k8s/")
    assert result.stdout.startswith("<!-- policylint diff -->")


def test_the_example_repository_is_what_these_tests_assume() -> None:
    assert (REPO / "k8s" / "shop" / "backend-l7.yaml").read_text().splitlines()[1].startswith("apiVersion: cilium.io/v2")
