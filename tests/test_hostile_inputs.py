"""Hostile file systems and streams: every failure is a finding on its file, the others are analysed.

Unreadable entries are simulated with monkeypatch (the suite may run as root, where `chmod 000`
does not deny reads); the real-permission test runs only for an unprivileged user.
"""
from __future__ import annotations

import errno
import io
import os
from pathlib import Path
from typing import Any

import pytest

from policylint.analysis import analyse
from policylint.config import Config
from policylint.load import Limits, inputs, load_paths

GOOD = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: good, namespace: shop}
spec:
  podSelector: {}
  ingres: []
"""
GOOD_FINDING = (6, "PL009")  # the unknown field `ingres`: proof that the good file was analysed
CODES = ("PL001", "PL002", "PL003", "PL005", "PL006", "PL007", "PL009")


def findings(paths: list[Any], config: Config = Config(), **kwargs: Any) -> set[tuple[str, int, str]]:
    analysis = analyse([str(p) for p in paths], config, select=CODES, **kwargs)
    return {(Path(f.path).name, f.line, f.code) for f in analysis.findings}


def messages(paths: list[Any], config: Config = Config(), **kwargs: Any) -> dict[str, str]:
    analysis = analyse([str(p) for p in paths], config, select=CODES, **kwargs)
    return {Path(f.path).name: f.message for f in analysis.findings}


def good(folder: Path, name: str = "good.yaml") -> tuple[str, int, str]:
    (folder / name).write_text(GOOD)
    return (name, *GOOD_FINDING)


# -- symlinks ----------------------------------------------------------------------------------

def test_symlink_loops_and_dangling_links_are_findings(tmp_path: Path) -> None:
    expected = {good(tmp_path)}
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path, tmp_path / "sub" / "up")  # a folder loop: walked once
    os.symlink("b.yaml", tmp_path / "a.yaml")
    os.symlink("a.yaml", tmp_path / "b.yaml")  # a file loop
    os.symlink("missing.yaml", tmp_path / "dangling.yaml")
    expected |= {("a.yaml", 1, "PL002"), ("b.yaml", 1, "PL002"), ("dangling.yaml", 1, "PL002")}
    assert findings([tmp_path]) == expected
    text = messages([tmp_path])
    assert text["a.yaml"] == f"cannot read file: {os.strerror(errno.ELOOP)}"
    assert text["dangling.yaml"] == f"cannot read file: {os.strerror(errno.ENOENT)}"


def test_symlinks_out_of_the_named_folder_are_reported_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(GOOD)
    (outside / "more").mkdir()
    (outside / "more" / "other.yaml").write_text(GOOD)
    named = tmp_path / "named"
    named.mkdir()
    expected = {good(named)}
    os.symlink(outside / "secret.yaml", named / "link.yaml")
    os.symlink(outside / "more", named / "linked-folder")
    os.symlink(outside / "secret.yaml", named / "notes.txt")  # not a manifest name: silently ignored
    (named / "inner").mkdir()
    os.symlink(named / "good.yaml", named / "inner" / "alias.yaml")  # inside: followed
    expected |= {("link.yaml", 1, "PL002"), ("linked-folder", 1, "PL002"), ("alias.yaml", *GOOD_FINDING)}
    assert findings([named]) == expected
    assert messages([named])["link.yaml"] == f"symbolic link to a file outside {named}; skipped (name it to lint it)"
    assert findings([named / "link.yaml"]) == {("link.yaml", *GOOD_FINDING)}  # named: read


def test_a_named_symlink_loop_is_a_finding_not_a_usage_error(tmp_path: Path) -> None:
    os.symlink("loop.yaml", tmp_path / "loop.yaml")
    assert findings([tmp_path / "loop.yaml"]) == {("loop.yaml", 1, "PL002")}


def test_folder_trees_deeper_than_the_python_stack(tmp_path: Path) -> None:
    folder = tmp_path
    for _ in range(1100):  # the walk used to recurse once per level (limit 1000)
        folder = folder / "d"
        folder.mkdir()
    try:
        expected = {good(folder)}
        assert findings([tmp_path]) == expected
    finally:  # shutil.rmtree (pytest's clean-up) recurses per level too: remove bottom-up
        (folder / "good.yaml").unlink(missing_ok=True)
        while folder != tmp_path:
            folder.rmdir()
            folder = folder.parent


# -- permissions (simulated) -----------------------------------------------------------------

def test_unreadable_file_and_folder_are_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {good(tmp_path)}
    (tmp_path / "secret.yaml").write_text(GOOD)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inside.yaml").write_text(GOOD)
    real_open, real_scandir = open, os.scandir

    def fake_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith("secret.yaml"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    def fake_scandir(path: Any = ".") -> Any:
        if str(path).endswith("locked"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_scandir(path)

    monkeypatch.setattr(inputs, "open", fake_open, raising=False)  # shadows the builtin in that module
    monkeypatch.setattr(inputs.os, "scandir", fake_scandir)
    expected |= {("secret.yaml", 1, "PL002"), ("locked", 1, "PL002")}
    assert findings([tmp_path]) == expected
    text = messages([tmp_path])
    assert text["secret.yaml"] == "cannot read file: Permission denied"
    assert text["locked"] == "cannot list folder: Permission denied"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads files whatever their mode: simulated in the test above")
def test_unreadable_file_with_real_permissions(tmp_path: Path) -> None:
    expected = {good(tmp_path)}
    secret = tmp_path / "secret.yaml"
    secret.write_text(GOOD)
    secret.chmod(0)
    try:
        assert findings([tmp_path]) == expected | {("secret.yaml", 1, "PL002")}
    finally:
        secret.chmod(0o644)


# -- files that change under our feet ----------------------------------------------------------

def test_file_that_vanishes_between_listing_and_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {good(tmp_path)}
    (tmp_path / "gone.yaml").write_text(GOOD)
    real_discover = inputs.discover

    def discover_then_delete(*args: Any, **kwargs: Any) -> Any:
        listed = real_discover(*args, **kwargs)
        (tmp_path / "gone.yaml").unlink()
        return listed

    monkeypatch.setattr("policylint.load.discover", discover_then_delete)
    assert findings([tmp_path]) == expected | {("gone.yaml", 1, "PL002")}


class _FailingHandle:
    """An open file whose every read fails, as on a file deleted or truncated on a network mount."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def __enter__(self) -> "_FailingHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.handle.close()

    def fileno(self) -> int:
        return self.handle.fileno()

    def read(self, size: int = -1) -> bytes:
        raise OSError(errno.ESTALE, os.strerror(errno.ESTALE))


def test_file_that_fails_while_being_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {good(tmp_path)}
    (tmp_path / "stale.yaml").write_text(GOOD)
    real_open = open

    def fake_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(path, *args, **kwargs)
        return _FailingHandle(handle) if str(path).endswith("stale.yaml") else handle

    monkeypatch.setattr(inputs, "open", fake_open, raising=False)
    assert findings([tmp_path]) == expected | {("stale.yaml", 1, "PL002")}
    assert messages([tmp_path])["stale.yaml"] == f"cannot read file: {os.strerror(errno.ESTALE)}"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_in_a_folder_is_skipped_not_opened(tmp_path: Path) -> None:
    expected = {good(tmp_path)}
    os.mkfifo(tmp_path / "pipe.yaml")  # opening it would block until a writer comes
    assert findings([tmp_path]) == expected | {("pipe.yaml", 1, "PL002")}
    assert messages([tmp_path])["pipe.yaml"] == "not a regular file (named pipe); skipped"


# -- standard input ----------------------------------------------------------------------------

class _BrokenStream(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        raise OSError(errno.EIO, os.strerror(errno.EIO))


def _closed() -> io.BytesIO:
    stream = io.BytesIO(GOOD.encode())
    stream.close()
    return stream


@pytest.mark.parametrize("stream, reason", [
    (_closed(), "cannot read file: I/O operation on closed file."),
    (_BrokenStream(), f"cannot read file: {os.strerror(errno.EIO)}"),
], ids=["closed", "erroring"])
def test_broken_stdin_is_a_finding_and_files_are_still_read(tmp_path: Path, stream: Any, reason: str) -> None:
    expected = {good(tmp_path)}
    analysis = analyse(["-", str(tmp_path)], Config(), select=CODES, stdin=stream)
    assert {(Path(f.path).name, f.line, f.code) for f in analysis.findings} == expected | {("<stdin>", 1, "PL002")}
    assert [f.message for f in analysis.findings if f.path == "<stdin>"] == [reason]


def test_stdin_absent_when_the_process_started_without_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs.sys, "stdin", None)
    loaded = load_paths(["-"])
    assert [(p.kind, p.message) for p in loaded.problems] == [("unreadable", "cannot read standard input: it is closed")]


def test_stdin_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    stream = io.BytesIO(GOOD.encode() * 10)
    loaded = load_paths(["-"], Limits(max_file_bytes=len(GOOD) * 3), stdin=stream)
    assert [(p.kind, p.span.line) for p in loaded.problems] == [("limit", 1)]
    assert loaded.problems[0].message == (f"file is more than {len(GOOD) * 3} bytes, over the limit of "
                                          f"{len(GOOD) * 3} (limits: max-file-bytes in the config); file skipped")


# -- size ------------------------------------------------------------------------------------

def test_file_over_the_size_limit_is_refused_from_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {good(tmp_path)}
    big = tmp_path / "big.yaml"
    big.write_text(GOOD * 100)
    reads: list[int] = []
    real = inputs._read_bounded

    def counting(stream: Any, limit: int, *args: Any) -> Any:
        reads.append(limit)
        return real(stream, limit, *args)

    monkeypatch.setattr(inputs, "_read_bounded", counting)
    config = Config(limits=Limits(max_file_bytes=len(GOOD) * 10))
    assert findings([tmp_path], config) == expected | {("big.yaml", 1, "PL007")}
    assert len(reads) == 1  # only good.yaml was read; big.yaml was refused from its size
    assert messages([tmp_path], config)["big.yaml"] == (
        f"file is {len(GOOD) * 100} bytes, over the limit of {len(GOOD) * 10} "
        "(limits: max-file-bytes in the config); file skipped")


def test_very_long_lines(tmp_path: Path) -> None:
    # A 4 MB annotation on one line, a 2 MB flow list on another, then a finding after them.
    value = "x" * 4_000_000
    items = ", ".join(["item"] * 350_000)
    (tmp_path / "long.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: long\n  namespace: shop\n"
        f"  annotations: {{note: '{value}'}}\nspec:\n  podSelector: {{}}\n  egres: []\n"
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: long-list}}\ndata: {{list: [{items}]}}\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: after, namespace: shop}\n"
        "spec:\n  podSelector: {}\n  ingres: []\n")
    analysis = analyse([str(tmp_path)], Config(), select=CODES)
    assert {(f.line, f.column, f.code) for f in analysis.findings} == {(9, 3, "PL009"), (21, 3, "PL009")}


def test_undecodable_file_name_is_printable(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/bad\xff.yaml"
    with open(raw, "wb") as handle:
        handle.write(b"kind: [\n")
    analysis = analyse([str(tmp_path)], Config(), select=CODES)
    [finding] = analysis.findings
    assert finding.code == "PL001"
    assert finding.path.endswith("bad\\xff.yaml")
    finding.path.encode("utf-8")  # no lone surrogate left: every formatter can print it
