"""A cache of the methods that `dataclasses` generates, kept between runs as bytecode is.

Creating a dataclass writes its `__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__` and
`__delattr__` as source text and compiles each one with `exec`, every time the class statement
runs. Python keeps a module's own bytecode in `__pycache__`, but not this generated code, so each
start of the command compiled the same text again: policylint defines over a hundred frozen
dataclasses, and compiling their methods was about 40 % of the CPU time of a small `check` (about
0.6 ms a class on a 2-core CI runner; `bench/README.md`).

The cache maps each exact source text to the code object that `compile` makes of it, and is
saved next to the package's bytecode when a run compiled something new. The source text is the
key, so a stale entry can never be used: a class whose fields changed generates a different text,
and a different interpreter (bytecode format) uses another file. The code is compiled exactly as
`exec` would compile the text (file name `<string>`, no `__future__` flags inherited), so a class
made with the cache is the same as one made without it.

Only the command line installs the cache (`policylint.cli.launch`), for the time of one command;
importing policylint as a library changes nothing in `dataclasses`. Writing follows Python's own
rule for bytecode: not when `sys.dont_write_bytecode` is set (PYTHONDONTWRITEBYTECODE, `-B`), and
a folder that cannot be written only means the next run compiles again.

The file is cut into one section per module that defines dataclasses, behind an index, and a
section is read when its module makes its first dataclass: a command reads the methods of the
classes it makes, not every command's (`matrix` makes about half of them; reading them all was
about 2 % of its instructions, and the memory they fill costs page faults as well).
"""
from __future__ import annotations

import dataclasses
import marshal
import os
import types
from importlib.util import MAGIC_NUMBER
from typing import Any

from policylint import code_files

# The file: this header, the length of the index (8 bytes, little-endian), the index (marshalled:
# module name -> (offset, length) of its section after the index), then the sections (each a
# marshalled dict: exact source text -> code). The version in the header is the layout's.
_HEADER = b"policylint dataclass code 2\n" + MAGIC_NUMBER
_LENGTH = 8
# Entries accumulate while the package is edited; past this many, a save keeps only what the
# saving run used (a released package defines fewer than a thousand methods).
_LIMIT = 4000

Section = dict[str, types.CodeType]


def default_path() -> str:
    """Beside the package's own bytecode (`__pycache__`, or under `sys.pycache_prefix`)."""
    return code_files.default_path("dataclass_methods")


class _File:
    """The cache file opened for reading: its index, and its sections read one at a time.

    The file stays open while the cache is installed, so that every section comes from the file
    whose index was read, even if another run replaces the file meanwhile (a replaced file is a
    new file: this one is unchanged)."""

    def __init__(self, fd: int, index: dict[str, tuple[int, int]], base: int) -> None:
        self.fd, self.index, self.base = fd, index, base

    def section(self, module: str) -> Section:
        place = self.index.get(module)
        if place is None:
            return {}
        offset, length = place
        try:
            data = _read_at(self.fd, length, self.base + offset)
            if len(data) != length:
                raise ValueError("the file ends before the section")
            entries = marshal.loads(data)
        except (OSError, ValueError, EOFError, TypeError):  # a damaged file is ignored, as a bad .pyc is
            return {}
        if not isinstance(entries, dict):
            return {}
        return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, types.CodeType)}

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def _read_at(fd: int, length: int, offset: int) -> bytes:
    """`length` bytes at `offset` (fewer at the end of the file)."""
    pread = getattr(os, "pread", None)
    if pread is not None:
        return pread(fd, length, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # where there is no pread (Windows)
    return os.read(fd, length)


def _open(path: str) -> _File | None:
    """The file at `path` with its index read, or None when there is none or it is unreadable."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        head = _read_at(fd, len(_HEADER) + _LENGTH, 0)
        if len(head) != len(_HEADER) + _LENGTH or not head.startswith(_HEADER):
            raise ValueError
        length = int.from_bytes(head[len(_HEADER):], "little")
        index = marshal.loads(_read_at(fd, length, len(head)))
        if not isinstance(index, dict) or not all(
                isinstance(k, str) and isinstance(v, tuple) and len(v) == 2
                and all(type(n) is int and n >= 0 for n in v) for k, v in index.items()):
            raise ValueError
    except (OSError, ValueError, EOFError, TypeError):
        os.close(fd)
        return None
    return _File(fd, index, len(head) + length)


def _read_all(path: str) -> dict[str, Section]:
    """Every section of the file at `path` (empty when it is missing or unreadable)."""
    opened = _open(path)
    if opened is None:
        return {}
    try:
        return {module: opened.section(module) for module in opened.index}
    finally:
        opened.close()


def _dumps(sections: dict[str, Section]) -> bytes:
    blobs = [marshal.dumps(entries) for entries in sections.values()]
    index, offset = {}, 0
    for module, blob in zip(sections, blobs):
        index[module] = (offset, len(blob))
        offset += len(blob)
    packed = marshal.dumps(index)
    return b"".join([_HEADER, len(packed).to_bytes(_LENGTH, "little"), packed, *blobs])


class MethodCache:
    """Stands in for the `exec` that `dataclasses` calls; `save` writes what was compiled."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file: _File | None = None
        self._opened = False
        # module -> its section, as read (and added to) in this run
        self.sections: dict[str, Section] = {}
        self.new: dict[str, types.CodeType] = {}
        self.used: set[str] = set()

    def _section(self, module: str) -> Section:
        section = self.sections.get(module)
        if section is None:
            # The file is opened when the first dataclass is made: `--version` and `--help` make none.
            if not self._opened:
                self._opened = True
                self._file = _open(self.path)
            section = self.sections[module] = self._file.section(module) if self._file is not None else {}
        return section

    @property
    def code(self) -> dict[str, types.CodeType]:
        """Every entry of the file and of this run, whatever module made it."""
        if not self._opened:
            self._opened = True
            self._file = _open(self.path)
        if self._file is not None:
            for module in self._file.index:
                self._section(module)
        return {source: code for section in self.sections.values() for source, code in section.items()}

    def exec(self, source: Any, globals: dict[str, Any] | None = None, locals: Any = None) -> None:
        if isinstance(source, str):
            self.used.add(source)
            module = globals.get("__name__") if isinstance(globals, dict) else None
            section = self._section(module if isinstance(module, str) else "")
            code = section.get(source)
            if code is None:
                # As exec compiles a string: file `<string>`, and not this module's `from __future__`
                # flags (those would turn the annotations of a generated __init__ into strings).
                code = self.new[source] = section[source] = compile(source, "<string>", "exec", dont_inherit=True)
            source = code
        exec(source, globals, locals)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def save(self) -> bool:
        """Write the cache if this run compiled something new and writing bytecode is allowed.
        Entries another run saved meanwhile are kept. Returns whether the file was written."""
        if not self.new or not code_files.writable():
            return False
        sections = _read_all(self.path)
        for module, entries in self.sections.items():
            sections.setdefault(module, {}).update(entries)
        if sum(len(entries) for entries in sections.values()) > _LIMIT:
            sections = {module: {k: v for k, v in entries.items() if k in self.used}
                        for module, entries in sections.items()}
        sections = {module: entries for module, entries in sections.items() if entries}
        try:
            data = _dumps(sections)
        except ValueError:  # an entry marshal cannot write
            return False
        if not code_files.replace(self.path, data):
            return False
        self.new = {}
        return True


_installed: MethodCache | None = None


def install(path: str | None = None) -> MethodCache | None:
    """Make `dataclasses` compile through the cache until `uninstall`. None if something else has
    already replaced its `exec` (then nothing is changed)."""
    global _installed
    if _installed is not None or "exec" in vars(dataclasses):
        return None
    _installed = MethodCache(path or default_path())
    dataclasses.exec = _installed.exec  # type: ignore[attr-defined]  # shadows the builtin in that module only
    return _installed


def uninstall(save: bool = True) -> None:
    """Give `dataclasses` the builtin `exec` back, saving the cache first (unless told not to)."""
    global _installed
    cache, _installed = _installed, None
    if cache is None:
        return
    if vars(dataclasses).get("exec") == cache.exec:
        del dataclasses.exec  # type: ignore[attr-defined]
    cache.close()
    if save:
        cache.save()
