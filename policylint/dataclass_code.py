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
"""
from __future__ import annotations

import dataclasses
import types
from importlib.util import MAGIC_NUMBER
from typing import Any

from policylint import code_files

_HEADER = b"policylint dataclass code\n" + MAGIC_NUMBER
# Entries accumulate while the package is edited; past this many, a save keeps only what the
# saving run used (a released package defines fewer than a thousand methods).
_LIMIT = 4000


def default_path() -> str:
    """Beside the package's own bytecode (`__pycache__`, or under `sys.pycache_prefix`)."""
    return code_files.default_path("dataclass_methods")


def _read(path: str) -> dict[str, types.CodeType]:
    entries = code_files.read(path, _HEADER)
    return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, types.CodeType)}


class MethodCache:
    """Stands in for the `exec` that `dataclasses` calls; `save` writes what was compiled."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._code: dict[str, types.CodeType] | None = None
        self.new: dict[str, types.CodeType] = {}
        self.used: set[str] = set()

    @property
    def code(self) -> dict[str, types.CodeType]:
        # Read when the first dataclass is made: `--version` and `--help` make none, and reading
        # the file (about 700 methods) was a tenth of their instructions.
        if self._code is None:
            self._code = _read(self.path)
        return self._code

    def exec(self, source: Any, globals: dict[str, Any] | None = None, locals: Any = None) -> None:
        if isinstance(source, str):
            self.used.add(source)
            code = self.code.get(source)
            if code is None:
                # As exec compiles a string: file `<string>`, and not this module's `from __future__`
                # flags (those would turn the annotations of a generated __init__ into strings).
                code = self.new[source] = self.code[source] = compile(source, "<string>", "exec", dont_inherit=True)
            source = code
        exec(source, globals, locals)

    def save(self) -> bool:
        """Write the cache if this run compiled something new and writing bytecode is allowed.
        Entries another run saved meanwhile are kept. Returns whether the file was written."""
        if not self.new or not code_files.writable():
            return False
        entries = _read(self.path)
        entries.update(self.code)
        if len(entries) > _LIMIT:
            entries = {k: v for k, v in entries.items() if k in self.used}
        if not code_files.write(self.path, _HEADER, entries):
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
    if save:
        cache.save()
