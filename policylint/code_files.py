"""Files of compiled code kept between runs beside the package's bytecode.

Two things the interpreter compiles again at every start and does not cache, as it caches a
module's bytecode, are kept this way: the methods `dataclasses` generates
(`policylint.dataclass_code`) and the regular expressions compiled while the program starts
(`policylint.regex_code`). Each is one file in `__pycache__` (or under `sys.pycache_prefix`): a
header naming what it holds and the interpreter that wrote it, then one `marshal`ed dict.

The rules are Python's own for bytecode: nothing is written when `sys.dont_write_bytecode` is set
(PYTHONDONTWRITEBYTECODE, `-B`); a file that is missing, damaged or written by another
interpreter reads as empty; a folder that cannot be written only means the next run compiles
again; a file is replaced whole, so a reader sees the old one or the new one, never half of one.
"""
from __future__ import annotations

import marshal
import os
import sys
from importlib.util import cache_from_source
from typing import Any


def default_path(name: str) -> str:
    """`__pycache__/<name>.<interpreter tag>.marshal` beside this package's bytecode."""
    placeholder = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    return cache_from_source(placeholder, optimization="")[: -len(".pyc")] + ".marshal"


def read(path: str, header: bytes) -> dict[Any, Any]:
    """The dict stored at `path` under `header`; empty when there is none or it is unreadable."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return {}
    if not data.startswith(header):
        return {}
    try:
        entries = marshal.loads(data[len(header):])
    except (ValueError, EOFError, TypeError):  # a truncated or damaged file is ignored, as a bad .pyc is
        return {}
    return entries if isinstance(entries, dict) else {}


def writable() -> bool:
    """Whether this run may write such files at all (Python's rule for bytecode)."""
    return not sys.dont_write_bytecode


def can_write(path: str) -> bool:
    """Whether a file at `path` could be written: bytecode may be written, and its folder (or,
    while there is none, the folder that would hold it) is writable by this process."""
    if not writable():
        return False
    folder = os.path.dirname(path)
    return os.access(folder if os.path.isdir(folder) else os.path.dirname(folder), os.W_OK)


def write(path: str, header: bytes, entries: dict[Any, Any]) -> bool:
    """Replace the file at `path` by `header` and `entries`. Returns whether it was written."""
    if not writable():
        return False
    try:
        data = header + marshal.dumps(entries)
    except ValueError:  # an entry marshal cannot write
        return False
    return replace(path, data)


def replace(path: str, data: bytes) -> bool:
    """Replace the file at `path` by `data`, whole. Returns whether it was written."""
    if not writable():
        return False
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)  # readers see the old file or the new one, never half of one
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True
