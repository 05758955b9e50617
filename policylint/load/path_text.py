"""Paths as `pathlib` writes and tests them, without importing `pathlib`.

Finding the input files and the config file are the only work with paths that every run does,
and `pathlib` costs more to import than they cost to do: it imports `urllib.parse`, whose named
tuples are made when it is imported, together about 2 % of the instructions of a small `matrix`
(`docs/startup.md`). These functions give the strings `str(PurePosixPath(...))` gives and answer
as `Path.is_dir()`, `exists()`, `is_file()` and `is_symlink()` answer, errors included; where the
path syntax is not POSIX (Windows) they are `pathlib`'s own.
"""
from __future__ import annotations

import errno
import os
import stat
from typing import Any, Callable

POSIX = os.sep == "/" and os.altsep is None
# The errors pathlib's tests take for "no": any other error of stat is raised (Path._ignore_error).
_NO = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


def normal(raw: str) -> str:
    """`str(PurePath(raw))`: empty and `.` parts dropped, one root (two leading slashes stay two,
    as POSIX leaves their meaning to the system), `.` for nothing."""
    if not POSIX:
        from pathlib import PurePath

        return str(PurePath(raw))
    root = ""
    if raw.startswith("/"):
        root = "//" if raw.startswith("//") and not raw.startswith("///") else "/"
    parts = [part for part in raw.split("/") if part and part != "."]
    return (root + "/".join(parts)) or "."


def join(folder: str, name: str) -> str:
    """`str(PurePath(folder, name))` for a `folder` already `normal`."""
    if not POSIX:
        from pathlib import PurePath

        return str(PurePath(folder, name))
    if name.startswith("/"):
        return normal(name)  # an absolute part starts the path again
    if "/" in name or name in ("", "."):
        parts = "/".join(part for part in name.split("/") if part and part != ".")
    else:
        parts = name  # a file name, as os.scandir gives them
    if not parts:
        return folder
    if folder == ".":
        return parts
    return folder + parts if folder.endswith("/") else folder + "/" + parts


def name(path: str) -> str:
    """`PurePath(path).name`: the last part, empty for a root or `.`."""
    if not POSIX:
        from pathlib import PurePath

        return PurePath(path).name
    text = normal(path)
    return "" if text == "." else text.rpartition("/")[2]


def _test(path: str, follow: bool, check: Callable[[int], bool]) -> bool:
    try:
        mode = (os.stat if follow else os.lstat)(path).st_mode
    except OSError as error:
        if getattr(error, "errno", None) not in _NO:
            raise
        return False
    except ValueError:  # a NUL in the path
        return False
    return check(mode)


def _any(mode: int) -> bool:
    return True


def exists(path: Any) -> bool:
    """`Path(path).exists()`."""
    return _test(path, True, _any)


def is_dir(path: Any) -> bool:
    """`Path(path).is_dir()`."""
    return _test(path, True, stat.S_ISDIR)


def is_file(path: Any) -> bool:
    """`Path(path).is_file()`."""
    return _test(path, True, stat.S_ISREG)


def is_symlink(path: Any) -> bool:
    """`Path(path).is_symlink()`."""
    return _test(path, False, stat.S_ISLNK)
