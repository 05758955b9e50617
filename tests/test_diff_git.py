"""`policylint diff --base REV PATH…` on a throw-away git repository built by the test."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from policylint.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "fixtures" / "diff"
GIT_IDENTITY = ["-c", "user.name=policylint tests", "-c", "user.email=tests@example.invalid", "-c", "commit.gpgsign=false"]
# A hidden folder and a non-manifest file: the loader never reads them, nor must the base side.
HIDDEN_POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: hidden-deny-all
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=repo, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None):
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, ["diff", *args], env={"NO_COLOR": None, "GITHUB_ACTIONS": None, **(env or {})},
                                  catch_exceptions=False)
    finally:
        os.chdir(previous)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """Commit 1: k8s/ with the shop workloads and the broken seed; commit 2: the database
    policy added, the seed corrected, and apps/ created. The working tree is commit 2."""
    repo = tmp_path / "repo"
    k8s = repo / "k8s"
    (k8s / ".hidden").mkdir(parents=True)
    git(repo, "init", "-q")
    shutil.copy(CASES / "policy-added" / "old" / "workloads.yaml", k8s / "workloads.yaml")
    shutil.copy(CASES / "seed-fix" / "old" / "workloads.yaml", k8s / "ml.yaml")
    shutil.copy(CASES / "seed-fix" / "old" / "policy.yaml", k8s / "seed-policy.yaml")
    (k8s / ".hidden" / "deny.yaml").write_text(HIDDEN_POLICY, encoding="utf-8")
    (k8s / "notes.txt").write_text(HIDDEN_POLICY, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    shutil.copy(CASES / "policy-added" / "new" / "db-ingress.yaml", k8s / "db-ingress.yaml")
    shutil.copy(CASES / "seed-fix" / "new" / "policy.yaml", k8s / "seed-policy.yaml")
    (repo / "apps").mkdir()
    shutil.copy(CASES / "ports-widened" / "new" / "workloads.yaml", repo / "apps" / "workloads.yaml")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two")
    return repo


def document(args: list[str], cwd: Path) -> dict:
    result = run([*args, "-f", "json", "--select", "PL2"], cwd)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def validate(doc: dict) -> None:
    schema = json.loads((resources.files("policylint") / "schemas" / "diff-v1.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_base_compares_the_working_tree_with_a_revision(repo: Path) -> None:
    doc = document(["--base", "HEAD~1", "k8s"], repo)
    validate(doc)
    assert doc["old"]["label"] == "HEAD~1:k8s" and doc["old"]["revision"] == "HEAD~1"
    assert doc["new"]["label"] == "k8s"
    # Three files at the revision, four now: the hidden folder and notes.txt are skipped, as the
    # loader skips them in a working tree.
    assert (doc["old"]["files"], doc["new"]["files"]) == (3, 4)
    assert doc["policies"]["added"] == [{"id": "shop/db-ingress", "kind": "NetworkPolicy", "labels": {},
                                         "location": {"version": "new", "file": "k8s/db-ingress.yaml", "line": 2}}]
    assert doc["policies"]["changed"][0]["old"] == {"version": "old", "file": "HEAD~1:k8s/seed-policy.yaml", "line": 2}
    assert doc["policies"]["changed"][0]["new"] == {"version": "new", "file": "k8s/seed-policy.yaml", "line": 3}
    # The two fixture cases together (test_diff_cases.py), in one cluster: db now also loses the
    # data service and DNS pods as sources (6 removed: those two, reports, db, both families).
    assert doc["summary"]["connections"] == {"added": 10, "removed": 6, "widened": 0, "narrowed": 1, "changed": 0}
    fixed = [(f["code"], f["file"], f["line"]) for f in doc["findings"]["fixed"]]
    assert fixed == [("PL201", "HEAD~1:k8s/seed-policy.yaml", 22), ("PL202", "HEAD~1:k8s/seed-policy.yaml", 24)]
    assert doc["findings"]["introduced"] == []


def test_base_side_locations_read_rev_colon_path_from_the_repository_root(repo: Path) -> None:
    # Uncommitted: the database policy deleted. Run from inside k8s/: the working-tree side keeps
    # the paths as typed, the base side names files as `git show` wants them.
    (repo / "k8s" / "db-ingress.yaml").unlink()
    doc = document(["--base", "HEAD", "."], repo / "k8s")
    assert doc["old"]["label"] == "HEAD:k8s"
    assert doc["policies"]["removed"][0]["location"] == {"version": "old", "file": "HEAD:k8s/db-ingress.yaml", "line": 2}
    isolation = {(c["from"], c["to"]): c["because"]["isolation"] for c in doc["connections"]}
    assert isolation[("shop/web[Deployment]", "shop/db[Deployment]")] == [{
        "direction": "Ingress", "new": [],
        "old": [{"policy": "shop/db-ingress", "version": "old", "file": "HEAD:k8s/db-ingress.yaml", "line": 2}]}]
    shown = subprocess.run(["git", "show", "HEAD:k8s/db-ingress.yaml"], cwd=repo / "k8s", capture_output=True, text=True)
    assert shown.stdout.splitlines()[1] == "apiVersion: networking.k8s.io/v1"  # line 2, as reported


def test_a_path_absent_at_the_revision_is_compared_with_nothing(repo: Path) -> None:
    doc = document(["--base", "HEAD~1", "apps"], repo)
    assert doc["old"]["absent"] == ["apps"] and doc["old"]["files"] == 0
    assert [w["id"] for w in doc["workloads"]["added"]] == [
        "analytics/reports[Deployment]", "shop/db[Deployment]", "shop/web[Deployment]"]
    text = run(["--base", "HEAD~1", "apps", "--select", "PL2"], repo).stdout
    assert "not present at HEAD~1: apps (compared with nothing)\n" in text


def test_a_path_deleted_in_the_working_tree_is_compared_with_nothing(repo: Path) -> None:
    shutil.rmtree(repo / "apps")
    doc = document(["--base", "HEAD", "apps"], repo)
    assert doc["new"]["absent"] == ["apps"]
    assert len(doc["workloads"]["removed"]) == 3


def test_a_file_and_a_revision_by_hash(repo: Path) -> None:
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    doc = document(["--base", first, "k8s/seed-policy.yaml"], repo)
    assert doc["old"]["label"] == f"{first}:k8s/seed-policy.yaml"
    assert [f["file"] for f in doc["findings"]["fixed"]] == [f"{first}:k8s/seed-policy.yaml"] * 2


@pytest.mark.parametrize(("args", "message"), [
    (["--base", "no-such-branch", "k8s"], "unknown git revision 'no-such-branch'"),
    (["--base", "--help", "k8s"], "unknown git revision '--help'"),
    (["--base", "HEAD", "nowhere"], "no such file or folder in the working tree or at HEAD: nowhere"),
], ids=["unknown-ref", "option-like-ref", "path-nowhere"])
def test_base_usage_errors(repo: Path, args: list[str], message: str) -> None:
    result = run(args, repo)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"policylint: error: {message}"]


def test_outside_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copy(CASES / "policy-added" / "new" / "db-ingress.yaml", plain / "db-ingress.yaml")
    result = run(["--base", "HEAD", "."], plain, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert result.exit_code == 2
    assert result.stderr == ("policylint: error: --base needs a git repository, and the working directory "
                             "is not inside one\n")


def test_a_path_outside_the_repository(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = run(["--base", "HEAD", str(outside)], repo)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"policylint: error: {outside} is outside the git repository ")


def test_nothing_is_left_behind(repo: Path) -> None:
    import tempfile

    before = set(os.listdir(tempfile.gettempdir()))
    document(["--base", "HEAD~1", "k8s"], repo)
    after = set(os.listdir(tempfile.gettempdir()))
    assert not [name for name in after - before if name.startswith("policylint-base-")]
    assert git(repo, "status", "--porcelain") == ""  # no checkout, no index change
