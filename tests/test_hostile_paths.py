"""Path safety of `diff --base`: a crafted revision cannot make policylint read or write outside
the repository and its own temporary folder, nor read a huge blob; and `-o` does not write
through a symbolic link unless asked."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from policylint.config import Config
from policylint.diff.revision import export
from policylint.load import load_paths
from policylint.load.yaml_reader import Limits

GIT_IDENTITY = ["-c", "user.name=policylint tests", "-c", "user.email=tests@example.invalid", "-c", "commit.gpgsign=false"]
OUTSIDE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: secret-outside}\n"
POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}
"""


def git(repo: Path, *args: str, data: bytes | None = None) -> str:
    done = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=repo, capture_output=True, input=data, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode().strip()


def policylint(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policylint", *args], cwd=cwd, capture_output=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "k8s").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "k8s" / "policy.yaml").write_text(POLICY)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    return repo


def _dotdot_commit(repo: Path) -> str:
    """A commit whose tree holds k8s/../../pwned.yaml: git never writes this, `git mktree` does."""
    blob = git(repo, "hash-object", "-w", "--stdin", data=OUTSIDE.encode())
    inner = git(repo, "mktree", data=f"100644 blob {blob}\tpwned.yaml\n".encode())
    up1 = git(repo, "mktree", data=f"040000 tree {inner}\t..\n".encode())
    up2 = git(repo, "mktree", data=f"040000 tree {up1}\t..\n".encode())
    top = git(repo, "mktree", data=f"040000 tree {up2}\tk8s\n".encode())
    return git(repo, "commit-tree", top, "-m", "crafted")


def test_crafted_dotdot_entry_is_not_written(repo: Path, tmp_path: Path) -> None:
    commit = _dotdot_commit(repo)
    spool = tmp_path / "tmp"
    spool.mkdir()
    done = policylint(["diff", "--base", commit, "k8s"], repo, env={"TMPDIR": str(spool)})
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode() == (f"policylint: warning: {commit}:k8s/../../pwned.yaml: a path component that is "
                                    "empty, '.' or '..' (a crafted tree); not written\n")
    assert not list(tmp_path.rglob("pwned.yaml"))
    assert list(spool.iterdir()) == []  # the export is removed


def test_committed_symlinks_out_of_the_repository_are_not_followed(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text(OUTSIDE)
    os.symlink(tmp_path / "outside.yaml", repo / "k8s" / "absolute.yaml")
    os.symlink("../../outside.yaml", repo / "k8s" / "relative.yaml")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "links")
    done = policylint(["diff", "-f", "json", "--base", "HEAD", "k8s/absolute.yaml", "k8s"], repo)
    assert done.stderr.decode() == (
        "policylint: warning: HEAD:k8s/absolute.yaml: symbolic link to a path outside the repository; not followed\n"
        "policylint: warning: HEAD:k8s/relative.yaml: symbolic link to a path outside the repository; not followed\n")
    assert b"secret-outside" not in done.stdout.split(b'"new"')[0]  # the base side never read it


def test_a_link_leaving_through_another_link_is_dropped(repo: Path) -> None:
    # k8s/up.yaml -> .. is inside the repository (and exported, by its suffix); k8s/x.yaml ->
    # up.yaml/../outside.yaml reads as k8s/outside.yaml but resolves through `up.yaml` to the
    # folder above the export.
    os.symlink("..", repo / "k8s" / "up.yaml")
    os.symlink("up.yaml/../outside.yaml", repo / "k8s" / "x.yaml")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "chained")
    result = export("HEAD", ["k8s"], cwd=str(repo))
    try:
        assert ("HEAD:k8s/x.yaml", "symbolic link to a path outside the repository; not followed") in result.refused
        assert not os.path.lexists(os.path.join(result.root, "k8s", "x.yaml"))
    finally:
        result.close()


def test_oversized_blob_is_refused_before_it_is_read(repo: Path) -> None:
    (repo / "k8s" / "big.yaml").write_bytes(b"# " + b"x" * 300 + b"\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "big")
    result = export("HEAD", ["k8s"], cwd=str(repo), max_bytes=100)
    try:
        big = Path(result.root, "k8s", "big.yaml")
        assert big.stat().st_size == 303
        assert big.read_bytes() == b"\0" * 303  # a sparse stand-in: the blob's bytes were never read
        loaded = load_paths([result.paths[0]], limits=Limits(max_file_bytes=100))
        problems = [p.message for f in loaded.files for p in f.problems if f.path.endswith("big.yaml")]
        assert problems == ["file is 303 bytes, over the limit of 100 (limits: max-file-bytes in the config); "
                            "file skipped"]
    finally:
        result.close()


def test_output_is_not_written_through_a_symlink(repo: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    os.symlink(victim, repo / "report.json")
    done = policylint(["check", "-f", "json", "-o", "report.json", "k8s"], repo)
    assert done.returncode == 2
    assert done.stderr.decode() == (f"policylint: error: cannot write report.json: it is a symbolic link (to {victim}); "
                                    "name the file it points to if that is where the output should go\n")
    assert victim.read_text() == "keep me\n"
    done = policylint(["check", "-f", "json", "-o", str(victim), "k8s"], repo)  # named: asked for
    assert done.returncode == 0 and victim.read_text().startswith("{")
