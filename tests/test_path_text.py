"""policylint.load.path_text gives the strings and answers of pathlib, which it stands in for."""
from __future__ import annotations

import os
import pathlib
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policylint.load import path_text

posix_only = pytest.mark.skipif(not path_text.POSIX, reason="pathlib's own functions are used where paths are not POSIX")

# Paths made of the parts that normalising treats specially: separators, `.`, `..`, names.
_PARTS = st.sampled_from(["", "/", "//", "///", ".", "..", "a", "b.yaml", " ", "-", ".hidden", "a b", "é", "x/"])
_PATHS = st.lists(_PARTS, max_size=8).map("".join)


@posix_only
@given(_PATHS)
def test_normal_is_what_pathlib_writes(raw: str) -> None:
    assert path_text.normal(raw) == str(pathlib.PurePath(raw))


@posix_only
@given(_PATHS, st.sampled_from(["a", "b.yaml", ".hidden", "x y", "é", ".", "", "a/b", "/abs", "//abs", "./a/./"]))
def test_join_is_what_pathlib_writes(folder: str, name: str) -> None:
    normal = path_text.normal(folder)
    assert path_text.join(normal, name) == str(pathlib.PurePath(normal, name))


@given(_PATHS)
def test_name_is_pathlib_s(raw: str) -> None:
    assert path_text.name(raw) == pathlib.PurePath(raw).name


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="a FIFO and symbolic links need a POSIX system")
def test_the_tests_answer_as_pathlib_s(tmp_path: pathlib.Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.yaml").write_text("a: 1\n")
    (tmp_path / "link").symlink_to(tmp_path / "file.yaml")
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "folder-link").symlink_to(tmp_path / "folder")
    os.mkfifo(tmp_path / "fifo")
    names = ["folder", "file.yaml", "link", "dangling", "loop", "folder-link", "fifo", "missing",
             "file.yaml/below", "folder/", "file.yaml/", "with\0nul", ""]
    for name in names:
        raw = str(tmp_path) + "/" + name if name else str(tmp_path)
        path = pathlib.Path(raw)
        text = path_text.normal(raw)
        for ours, theirs in ((path_text.exists, path.exists), (path_text.is_dir, path.is_dir),
                             (path_text.is_file, path.is_file), (path_text.is_symlink, path.is_symlink)):
            assert ours(text) == theirs(), (name, ours.__name__)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="permissions do not bind root (or Windows)")
def test_an_error_pathlib_raises_is_raised(tmp_path: pathlib.Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "file.yaml").write_text("a: 1\n")
    locked.chmod(0)
    try:
        with pytest.raises(PermissionError):
            pathlib.Path(locked / "file.yaml").is_file()
        with pytest.raises(PermissionError):
            path_text.is_file(str(locked / "file.yaml"))
    finally:
        locked.chmod(0o700)


def test_an_error_other_than_not_found_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    # What pathlib does with an error of stat that is not "no such file" (a permission, an I/O error).
    def refuse(path: object, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "stat", refuse)
    monkeypatch.setattr(os, "lstat", refuse)
    for test in (path_text.exists, path_text.is_dir, path_text.is_file, path_text.is_symlink):
        with pytest.raises(PermissionError):
            test("anything")
