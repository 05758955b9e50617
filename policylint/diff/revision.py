"""The manifests of some paths as they were at a git revision, read with the real `git`.

`git ls-tree` lists what the paths held at the revision and `git cat-file --batch` reads the
blobs; nothing touches the working tree, the index or HEAD. The blobs are written to a private
temporary folder with the repository's layout, and the loader reads that folder exactly as it
reads a working tree: the same discovery rules (suffixes, hidden files and folders skipped, a
file named on the command line read whatever its suffix), the same size limits, encodings,
positions and suppression comments. Only the names change on the way out: a file is shown as
`REV:path`, with `path` relative to the repository root — git's own notation, so that
`git show REV:path` prints exactly what the finding points into.

The revision is as untrusted as the working tree, and git objects can be crafted: nothing it
holds may read or write outside the temporary folder. A tree entry named `..`, `.` or empty
(git never writes one, `git mktree` does) is refused; files are created one path component at a
time, never through a symbolic link and never over an existing entry; a committed symbolic link
whose target leaves the repository (absolute, or `..` past its root, also through other links)
is not created. Blob sizes are asked first (`git cat-file --batch-check`): a blob over
`max-file-bytes` is never read, it becomes an empty sparse file of its size, which the loader
reports as PL007 like any large file; the others are streamed to disk one at a time. What is
refused is listed in `Export.refused` and said on stderr.
"""
from __future__ import annotations

import os
import posixpath
import shutil
import stat
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
    refused: list[tuple[str, str]] = field(default_factory=list)  # (REV:path, why) of entries not written

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
           keep: Callable[[str], bool] = lambda path: True, max_bytes: int = 64 * 1024 * 1024) -> Export:
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
        _write(result, wanted, listed, commit, root_dir, here, keep, max_bytes)
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
           root_dir: str, here: str, keep: Callable[[str], bool], max_bytes: int) -> None:
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
            if not _plain_name(name):
                result.refused.append((f"{result.revision}:{name}", "a path component that is empty, '.' or '..' "
                                                                    "(a crafted tree); not written"))
                continue
            shown = os.path.relpath(os.path.join(root_dir, name), here)
            if keep(shown):
                chosen[name] = (mode, oid)
    sizes = _blob_sizes(sorted({oid for _, oid in chosen.values()}), root_dir)
    small = sorted({oid for _, oid in chosen.values() if sizes[oid] <= max_bytes})
    with tempfile.TemporaryDirectory(prefix="policylint-blobs-") as spool:
        stored = _cat_blobs(small, root_dir, spool)
        links = []
        for name, (mode, oid) in sorted(chosen.items()):
            shown = f"{result.revision}:{name}"
            parent = _make_parents(result.root, name.split("/")[:-1])
            if parent is None:
                result.refused.append((shown, "its folder is a symbolic link or not a folder at the revision; not written"))
                continue
            target = os.path.join(parent, name.split("/")[-1])
            try:
                if mode == _SYMLINK:
                    link = _link_text(stored.get(oid), name)
                    if link is None:
                        result.refused.append((shown, "symbolic link to a path outside the repository; not followed"))
                        continue
                    os.symlink(link, target)
                    links.append((shown, target))
                else:
                    _place(stored.get(oid), sizes[oid], target)
            except FileExistsError:
                result.refused.append((shown, "listed twice in the tree (a crafted tree); the first one is used"))
                continue
            result.files += 1
        _drop_escaping_links(result, links)


def _plain_name(name: str) -> bool:
    return all(part not in ("", ".", "..") and "\0" not in part and (os.sep == "/" or os.sep not in part)
               for part in name.split("/"))


def _make_parents(root: str, parts: list[str]) -> str | None:
    """Create root/parts… one component at a time; None when one is a link or not a folder."""
    folder = root
    for part in parts:
        folder = os.path.join(folder, part)
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            info = os.lstat(folder)
            if not stat.S_ISDIR(info.st_mode):  # a symbolic link (or a file) is never walked through
                return None
    return folder


def _place(stored: str | None, size: int, target: str) -> None:
    """Copy the spooled blob into place, never over an existing entry nor through a link; a blob
    too large to read becomes a sparse file of its size (the loader reports it from the size)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as handle:
        if stored is None:
            handle.truncate(size)
            return
        with open(stored, "rb") as source:
            shutil.copyfileobj(source, handle, 1 << 20)


def _link_text(stored: str | None, name: str) -> str | None:
    """The link's target if it stays inside the repository (judged by its text), else None."""
    if stored is None:
        return None
    with open(stored, "rb") as handle:
        text = os.fsdecode(handle.read())
    if not text or "\0" in text or text.startswith("/") or os.path.isabs(text):
        return None
    inside = posixpath.normpath(posixpath.join(posixpath.dirname(name), text))
    if inside == ".." or inside.startswith("../"):
        return None
    return text


def _drop_escaping_links(result: Export, links: list[tuple[str, str]]) -> None:
    # Text alone is not enough: `a -> ..` then `b -> a/../x` leaves the folder through `a`.
    root = os.path.realpath(result.root)
    for shown, link in links:
        real = os.path.realpath(link)
        if real != root and not real.startswith(root + os.sep):
            os.unlink(link)
            result.files -= 1
            result.refused.append((shown, "symbolic link to a path outside the repository; not followed"))


def _blob_sizes(oids: list[str], root_dir: str) -> dict[str, int]:
    """The size of every blob, from `git cat-file --batch-check`, without reading any."""
    if not oids:
        return {}
    done = _git(["cat-file", "--batch-check"], root_dir, ("\n".join(oids) + "\n").encode("ascii"))
    if done.returncode != 0:
        raise RevisionError(f"git cat-file failed: {_first_line(done.stderr)}")
    sizes: dict[str, int] = {}
    for oid, line in zip(oids, done.stdout.decode("ascii", "replace").splitlines()):
        header = line.split()
        if len(header) != 3 or header[0] != oid:  # "<oid> missing"
            raise RevisionError(f"git cat-file could not read object {oid}")
        sizes[oid] = int(header[2])
    return sizes


def _cat_blobs(oids: list[str], root_dir: str, spool: str) -> dict[str, str]:
    """Every blob in one `git cat-file --batch` run, streamed to a file each under `spool`."""
    if not oids:
        return {}
    with tempfile.TemporaryFile() as wanted:
        wanted.write(("\n".join(oids) + "\n").encode("ascii"))
        wanted.seek(0)
        try:
            process = subprocess.Popen(["git", "cat-file", "--batch"], cwd=root_dir, stdin=wanted,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
        except FileNotFoundError:
            raise RevisionError("--base needs git, which is not installed or not on PATH") from None
        try:
            stored = {oid: _spool_one(process.stdout, oid, os.path.join(spool, oid)) for oid in oids}
        finally:
            process.stdout.close()
            process.wait(timeout=GIT_TIMEOUT)
    return stored


def _spool_one(stream, oid: str, path: str) -> str:
    header = stream.readline().decode("ascii", "replace").split()
    if len(header) != 3 or header[0] != oid:
        raise RevisionError(f"git cat-file could not read object {oid}")
    left = int(header[2])
    with open(path, "wb") as handle:
        while left:
            chunk = stream.read(min(left, 1 << 20))
            if not chunk:
                raise RevisionError(f"git cat-file ended early while reading object {oid}")
            handle.write(chunk)
            left -= len(chunk)
    stream.read(1)  # the newline after the content
    return path
