"""The manifests of some paths as they were at a git revision, read with the real `git`.

`git ls-tree` lists what the paths held at the revision and `git cat-file --batch` reads the
blobs; nothing touches the working tree, the index or HEAD. The blobs are written to a private
temporary folder with the repository's layout, and the loader reads that folder exactly as it
reads a working tree: the same discovery rules (suffixes, hidden files and folders skipped, a
file named on the command line read whatever its suffix), the same size limits, encodings,
positions and suppression comments. Only the names change on the way out: a file is shown as
`REV:path`, with `path` relative to the repository root — git's own notation, so that
`git show REV:path` prints exactly what the finding points into.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Callable

from policylint.load.inputs import MANIFEST_SUFFIXES

GIT_TIMEOUT = 120  # seconds: a guard against a hung credential prompt or a broken repository
_SYMLINK, _SUBMODULE = "120000", "160000"


class RevisionError(Exception):
    """A usage problem with `--base`: not a repository, unknown revision, git missing."""


@dataclass(slots=True)
class Export:
    """The paths at a revision, written under `root`; remove with `close()`."""

    revision: str
    root: str
    paths: list[str] = field(default_factory=list)  # loader arguments under root, one per present path
    absent: list[str] = field(default_factory=list)  # paths (as given) that did not exist at the revision
    names: list[str] = field(default_factory=list)  # REV:path of every path given, for labels
    files: int = 0

    def display(self, path: str) -> str:
        """A loader path under `root` → `REV:repo/relative/path`; other paths unchanged."""
        prefix = self.root + os.sep
        if path.startswith(prefix):
            return f"{self.revision}:{path[len(prefix):].replace(os.sep, '/')}"
        return path

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _git(args: list[str], cwd: str | None = None, data: bytes | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "--literal-pathspecs", *args], cwd=cwd, input=data, capture_output=True,
                              timeout=GIT_TIMEOUT, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except FileNotFoundError:
        raise RevisionError("--base needs git, which is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise RevisionError(f"git {args[0]} did not finish within {GIT_TIMEOUT} seconds") from None


def _first_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "git failed"


def repository_root(cwd: str | None = None) -> str:
    done = _git(["rev-parse", "--show-toplevel"], cwd)
    if done.returncode != 0:
        raise RevisionError("--base needs a git repository, and the working directory is not inside one")
    return os.path.realpath(done.stdout.decode("utf-8", "surrogateescape").strip())


def resolve(revision: str, cwd: str | None = None) -> str:
    """The commit a revision names (a branch, a tag, `HEAD~1`, a hash)."""
    if not revision or revision.startswith("-"):
        raise RevisionError(f"unknown git revision {revision!r}")
    done = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], cwd)
    if done.returncode != 0:
        raise RevisionError(f"unknown git revision {revision!r}")
    return done.stdout.decode("ascii").strip()


def export(revision: str, paths: list[str], cwd: str | None = None,
           keep: Callable[[str], bool] = lambda path: True) -> Export:
    """Write `paths` (files or folders, relative to the working directory or absolute) as they
    were at `revision` into a new temporary folder. `keep(path)` sees each file's path as the
    user would name it in the working tree (for the config's `exclude`)."""
    root_dir = repository_root(cwd)
    commit = resolve(revision, cwd)
    here = os.path.realpath(cwd or os.getcwd())
    wanted = [(p, _in_repository(p, here, root_dir)) for p in paths]
    listed = _ls_tree(commit, [rel for _, rel in wanted], root_dir)
    result = Export(revision, tempfile.mkdtemp(prefix="policylint-base-"))
    try:
        _write(result, wanted, listed, commit, root_dir, here, keep)
    except BaseException:
        result.close()
        raise
    return result


def _in_repository(path: str, here: str, root_dir: str) -> str:
    absolute = os.path.normpath(os.path.join(here, path))
    relative = os.path.relpath(absolute, root_dir)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        raise RevisionError(f"{path} is outside the git repository {root_dir}")
    return "" if relative == os.curdir else relative.replace(os.sep, "/")


def _ls_tree(commit: str, relatives: list[str], root_dir: str) -> list[tuple[str, str, str]]:
    """(mode, object id, repository-relative path) of every file under the given paths."""
    done = _git(["ls-tree", "-r", "-z", "--full-tree", commit, "--", *(r or "." for r in relatives)], root_dir)
    if done.returncode != 0:
        raise RevisionError(f"git ls-tree failed: {_first_line(done.stderr)}")
    entries = []
    for record in done.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, kind, oid = meta.decode("ascii").split()
        if kind == "blob":
            entries.append((mode, oid, name.decode("utf-8", "surrogateescape")))
    return entries


def _covers(relative: str, name: str) -> bool:
    return relative == "" or name == relative or name.startswith(relative + "/")


def _write(result: Export, wanted: list[tuple[str, str]], listed: list[tuple[str, str, str]], commit: str,
           root_dir: str, here: str, keep: Callable[[str], bool]) -> None:
    chosen: dict[str, tuple[str, str]] = {}
    for given, relative in wanted:
        result.names.append(f"{result.revision}:{relative or '.'}")
        entries = [e for e in listed if _covers(relative, e[2])]
        if not entries:
            result.absent.append(given)
            continue
        result.paths.append(os.path.join(result.root, *relative.split("/")) if relative else result.root)
        for mode, oid, name in entries:
            if mode == _SUBMODULE:
                continue
            named = name == relative  # a file named on the command line is read whatever its suffix
            if not named and not name.endswith(MANIFEST_SUFFIXES):
                continue
            shown = os.path.relpath(os.path.join(root_dir, name), here)
            if keep(shown):
                chosen[name] = (mode, oid)
    blobs = _cat_blobs([oid for _, oid in chosen.values()], root_dir)
    for name, (mode, oid) in sorted(chosen.items()):
        target = os.path.join(result.root, *name.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if mode == _SYMLINK:
            # As in a checkout: the link's text is its target. A target outside the exported
            # paths dangles, and the loader reports it like any broken link.
            os.symlink(os.fsdecode(blobs[oid]), target)
        else:
            with open(target, "wb") as handle:
                handle.write(blobs[oid])
        result.files += 1


def _cat_blobs(oids: list[str], root_dir: str) -> dict[str, bytes]:
    """Every blob in one `git cat-file --batch` run."""
    unique = sorted(set(oids))
    if not unique:
        return {}
    done = _git(["cat-file", "--batch"], root_dir, ("\n".join(unique) + "\n").encode("ascii"))
    if done.returncode != 0:
        raise RevisionError(f"git cat-file failed: {_first_line(done.stderr)}")
    out = done.stdout
    blobs: dict[str, bytes] = {}
    at = 0
    for oid in unique:
        end = out.index(b"\n", at)
        header = out[at:end].decode("ascii").split()
        if len(header) != 3:  # "<oid> missing"
            raise RevisionError(f"git cat-file could not read object {oid}")
        size = int(header[2])
        blobs[oid] = out[end + 1: end + 1 + size]
        at = end + 1 + size + 1  # the content is followed by a newline
    return blobs
