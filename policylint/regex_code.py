"""A cache of compiled regular expressions, kept between runs as bytecode is.

Modules compile their regular expressions when they are imported, and Python's `re` compiles each
pattern with a compiler written in Python, in every process: the package's own patterns, and
those of its dependencies and of the standard library (PyYAML compiles a character class that
spans all of Unicode, `platform` and `textwrap` a few each). For a small `check` that was about a
fifth of the instructions and an eighth of the CPU time (about 80 patterns; `docs/startup.md`).

A pattern that `re` warns about (a possible nested set, say) is never cached, so that the warning
is given in every run, as without the cache.

The cache maps each (pattern, flags) to what the compiler's last step, `_sre.compile`, is given:
the final flags, the compiled program (a list of integers) and the group tables; with them the
pattern object is made directly. An entry is only stored after the pattern built from it was
compared with the one `re` compiled (equal flags, program and groups), so the cache can only ever
give the pattern `re` would give; a pattern not in the cache is compiled by `re` as usual. The
file's header names the interpreter's version and its regular-expression engine (`_sre.MAGIC`),
so a file written by another Python is not read.

Only the command line installs the cache (`policylint.cli.launch`), for the time of one command,
as it does the dataclass method cache (`policylint.dataclass_code`); importing policylint as a
library changes nothing in `re`. Files follow Python's rules for bytecode (`policylint.code_files`).
"""
from __future__ import annotations

import sys
import warnings
from importlib.util import MAGIC_NUMBER
from typing import Any, Callable

from policylint import code_files

# Entries accumulate as inputs bring patterns of their own (globs); past this many, a save keeps
# only what the saving run used (the program and its libraries compile about a hundred).
_LIMIT = 2000
_DEBUG = 128  # re.DEBUG: such a compile prints the program, so it is never served from the cache
# Patterns built from the input (a config's exclude globs) are cached too; one that is huge is not,
# so that the file every run reads stays small (the program's own are under 1,000 characters).
_MAX_PATTERN, _MAX_PROGRAM = 4096, 1 << 16

Entry = tuple[int, list[int], int, dict[str, int], tuple[Any, ...]]


def default_path() -> str:
    return code_files.default_path("regex_code")


def _header(sre: Any) -> bytes:
    engine = tuple(getattr(sre, name, None) for name in ("MAGIC", "CODESIZE", "MAXREPEAT", "MAXGROUPS"))
    return b"policylint regex code\n" + MAGIC_NUMBER + repr((sys.version, engine)).encode() + b"\n"


def _valid(key: Any, value: Any) -> bool:
    return (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], (str, bytes)) and isinstance(key[1], int)
            and isinstance(value, tuple) and len(value) == 5 and isinstance(value[0], int)
            and isinstance(value[1], list) and isinstance(value[2], int) and isinstance(value[3], dict)
            and isinstance(value[4], tuple))


class PatternCache:
    """Stands in for `re._compiler.compile`; `save` writes what was compiled."""

    def __init__(self, path: str, compiler: Any, parser: Any, sre: Any) -> None:
        self.path = path
        self._compiler, self._parser, self._sre = compiler, parser, sre
        self._original: Callable[..., Any] = compiler.compile
        self.header = _header(sre)
        self.entries: dict[tuple[str | bytes, int], Entry] = {
            k: v for k, v in code_files.read(path, self.header).items() if _valid(k, v)}
        self.new: dict[tuple[str | bytes, int], Entry] = {}
        self.used: set[tuple[str | bytes, int]] = set()
        # Recording costs a second compile of each new pattern: only worth it when it can be saved.
        self.recording = code_files.can_write(path)

    def compile(self, p: Any, flags: int = 0) -> Any:
        if type(p) not in (str, bytes) or not isinstance(flags, int) or flags & _DEBUG:
            return self._original(p, flags)
        flags = int(flags)
        key = (p, flags)
        self.used.add(key)
        found = self.entries.get(key)
        if found is not None:
            final_flags, code, groups, groupindex, indexgroup = found
            try:
                return self._sre.compile(p, final_flags, list(code), groups, dict(groupindex), indexgroup)
            except Exception:  # noqa: BLE001 - an entry the engine refuses is compiled as usual
                del self.entries[key]
        pattern = self._original(p, flags)
        if self.recording and len(p) <= _MAX_PATTERN:
            entry = self._entry(p, flags, pattern)
            if entry is not None:
                self.entries[key] = self.new[key] = entry
        return pattern

    def _entry(self, p: str | bytes, flags: int, pattern: Any) -> Entry | None:
        """The arguments of `_sre.compile` for `p`, as `re._compiler.compile` computes them, if the
        pattern made from them equals `pattern` (otherwise this interpreter's `re` works differently
        and nothing is cached)."""
        try:
            with warnings.catch_warnings(record=True) as warned:
                warnings.simplefilter("always")
                parsed = self._parser.parse(p, flags)  # `re` has warned already, if at all
                code = [int(op) for op in self._compiler._code(parsed, flags)]
            if warned:
                return None  # a pattern `re` warns about is compiled, and warned about, every time

            groupindex = dict(parsed.state.groupdict)
            indexgroup: list[Any] = [None] * parsed.state.groups
            for name, index in groupindex.items():
                indexgroup[index] = name
            entry: Entry = (flags | parsed.state.flags, code, parsed.state.groups - 1, groupindex, tuple(indexgroup))
            made = self._sre.compile(p, entry[0], list(code), entry[2], dict(groupindex), entry[4])
        except Exception:  # noqa: BLE001 - internals of another shape: no cache, same result
            return None
        same = (len(code) <= _MAX_PROGRAM and made == pattern and made.flags == pattern.flags and made.groups == pattern.groups
                and dict(made.groupindex) == dict(pattern.groupindex))
        return entry if same else None

    def save(self) -> bool:
        """Write the cache if this run compiled something new and writing bytecode is allowed.
        Entries another run saved meanwhile are kept. Returns whether the file was written."""
        if not self.new or not code_files.writable():
            return False
        entries = {k: v for k, v in code_files.read(self.path, self.header).items() if _valid(k, v)}
        entries.update(self.entries)
        if len(entries) > _LIMIT:
            entries = {k: v for k, v in entries.items() if k in self.used}
        if not code_files.write(self.path, self.header, entries):
            return False
        self.new = {}
        return True


_installed: PatternCache | None = None


def install(path: str | None = None) -> PatternCache | None:
    """Make `re` compile through the cache until `uninstall`. None if the cache is installed
    already, or `re` is not built as this expects (then nothing is changed)."""
    global _installed
    if _installed is not None:
        return None
    try:
        import _sre
        from re import _compiler, _parser
    except ImportError:  # pragma: no cover - another implementation of `re`
        return None
    if not all(callable(getattr(module, name, None))
               for module, name in ((_compiler, "compile"), (_compiler, "_code"), (_parser, "parse"),
                                    (_sre, "compile"))):
        return None  # pragma: no cover
    _installed = PatternCache(path or default_path(), _compiler, _parser, _sre)
    _compiler.compile = _installed.compile
    return _installed


def uninstall(save: bool = True) -> None:
    """Give `re` its own compiler back, saving the cache first (unless told not to)."""
    global _installed
    cache, _installed = _installed, None
    if cache is None:
        return
    if cache._compiler.compile == cache.compile:
        cache._compiler.compile = cache._original
    if save:
        cache.save()
