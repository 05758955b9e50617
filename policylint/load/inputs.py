"""Find input files and read them as text, turning every I/O or decoding failure into a problem.

Directories are walked recursively in sorted order; hidden folders (`.git`, `.github`, ...) are
skipped, a folder reached twice through symlinks is walked once, and symlinks that lead out of
the named folder are reported, not followed. `-` reads standard input.

Reading is bounded: a regular file larger than `max_file_bytes` is refused from its size alone,
and a pipe or standard input is read in chunks until that size. Special files met while walking
a folder (FIFOs, sockets, devices named `*.yaml`) are reported and skipped: opening a FIFO
blocks until somebody writes to it. A file named on the command line is read whatever it is, so
that `policylint check <(helm template chart)` works.
"""
from __future__ import annotations

import codecs
import os
import stat
import sys
from dataclasses import dataclass, field
from typing import Callable, Any, BinaryIO, Iterable

from policylint import lazy_log
from policylint.load import path_text
from policylint.load.nodes import Span
from policylint.load.yaml_reader import Document, Limits, LoadProblem, ParseResult, parse_text

LOG = lazy_log.get_logger(__name__)
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
STDIN_NAME = "<stdin>"
_CHUNK = 1 << 20


@dataclass(slots=True)
class LoadedFile:
    """One input file: its documents, its problems, and the lines that carry directives."""

    path: str
    documents: list[Document] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    # line number -> comment text, only for lines mentioning "policylint:" (suppressions)
    directive_lines: dict[int, str] = field(default_factory=dict)
    # For a file that does not parse: whether its text has top-level apiVersion and kind keys
    # (then its syntax errors are errors; see classify.py).
    meant_as_manifest: bool = False


def display_name(path: str) -> str:
    """`path` as it can be printed: undecodable bytes of a file name become `\\xNN` escapes.

    Python keeps such bytes as lone surrogates, which no output stream can encode.
    """
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _at_start(path: str, message: str, kind: str = "unreadable") -> LoadProblem:
    return LoadProblem(kind, Span(display_name(path), 1, 1, 1, 1), message)


def discover(paths: Iterable[str], is_excluded: Callable[[str], bool] | None = None
             ) -> tuple[list[str], list[str], list[LoadProblem], int]:
    """Expand the command-line paths into files to read.

    Returns (files, missing paths, problems met while walking such as unreadable folders, and
    how many files `is_excluded` left out). Exclusion applies to named files too, so that a
    pre-commit hook handing over staged files honours the config's `exclude`.
    """
    files: list[str] = []
    missing: list[str] = []
    problems: list[LoadProblem] = []
    excluded = is_excluded or (lambda path: False)
    for raw in paths:
        if raw == STDIN:
            files.append(STDIN)
            continue
        path = path_text.normal(raw)  # as pathlib writes it (path_text says why not pathlib)
        if path_text.is_dir(path):
            _walk(path, files, problems)
        elif path_text.exists(path) or path_text.is_symlink(path):
            files.append(path)  # a dangling or looping symlink is reported when read
        else:
            missing.append(raw)
    unique = list(dict.fromkeys(files))
    kept = [f for f in unique if f == STDIN or not excluded(f)]
    return kept, missing, problems, len(unique) - len(kept)


def _walk(top: str, files: list[str], problems: list[LoadProblem]) -> None:
    """Depth-first, sorted, without recursion (folder trees can be deeper than Python's stack).

    A symbolic link is followed only when its target lies inside the named folder: where links
    point is repository content, and must not make policylint read files the user did not name.
    """
    root = os.path.realpath(top)
    visited: set[tuple[int, int]] = set()
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            info = os.stat(folder)
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as error:
            problems.append(_at_start(folder, f"cannot list folder: {_reason(error)}"))
            continue
        # A symlink loop, or the same folder reached twice. Compared by identity, not by
        # os.path.realpath, which costs a system call per path component (quadratic in depth).
        if (info.st_dev, info.st_ino) in visited:
            continue
        visited.add((info.st_dev, info.st_ino))
        subfolders = []
        for entry in entries:
            path = path_text.join(folder, entry.name)
            if entry.name.startswith("."):
                # Hidden files (.gitlab-ci.yml, .policylint.yaml) are tool configuration, not
                # manifests; name them explicitly to lint them.
                continue
            kind = _entry_kind(entry)
            if kind in ("folder", "file") and _is_link(entry) and not _inside(os.path.realpath(path), root):
                if kind == "folder" or entry.name.endswith(MANIFEST_SUFFIXES):
                    problems.append(_at_start(path, f"symbolic link to a {kind} outside {top}; "
                                                         "skipped (name it to lint it)"))
                continue
            if kind == "folder":
                subfolders.append(path)
            elif not entry.name.endswith(MANIFEST_SUFFIXES):
                continue
            elif kind in ("file", "broken"):
                files.append(path)  # a broken entry is reported by read_file
            else:
                problems.append(_at_start(path, f"not a regular file ({kind}); skipped"))
        pending.extend(reversed(subfolders))


def _is_link(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _entry_kind(entry: os.DirEntry) -> str:
    try:
        mode = entry.stat().st_mode  # follows symlinks
    except OSError:
        return "broken"  # dangling symlink, symlink loop, or vanished meanwhile
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


Parse = Callable[[str, str, Limits], ParseResult]


def read_file(path: str, limits: Limits = Limits(), stdin: BinaryIO | None = None,
              parse: Parse | None = None) -> LoadedFile:
    """Read and parse one file (or stdin for `-`). Never raises for bad input.

    `parse` (default `parse_text`) is what gives the same result as `parse_text` (split.py's
    parse in parts)."""
    name = STDIN_NAME if path == STDIN else display_name(path)
    loaded = LoadedFile(name)
    try:
        _read_into(loaded, path, name, limits, stdin, parse or parse_text)
    except Exception as error:  # a bug here must cost one file, not the whole run
        LOG.debug("internal error while reading %s\n%s", name, lazy_log.traceback_text())
        loaded.documents = []
        loaded.problems.append(_at_start(name, f"internal error while reading the file: {type(error).__name__}: "
                                               f"{error}; please report it (--debug shows the traceback)", "internal"))
    return loaded


def _read_into(loaded: LoadedFile, path: str, name: str, limits: Limits, stdin: BinaryIO | None,
               parse: Parse) -> None:
    data = _read_bytes(path, name, limits, loaded, stdin)
    if data is None:
        return
    text = _decode(data, name, loaded)
    del data
    if text is None:
        return
    result = parse(text, name, limits)
    loaded.documents = result.documents
    loaded.problems.extend(result.problems)
    loaded.directive_lines = result.directive_lines  # real comments only, never text inside a string
    if any(p.kind == "syntax" for p in result.problems):
        from policylint.load.classify import meant_as_manifest

        loaded.meant_as_manifest = meant_as_manifest(text)


def _reason(error: BaseException) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _too_large(name: str, limits: Limits, size: int | None = None) -> LoadProblem:
    shown = f"{size} bytes" if size is not None else f"more than {limits.max_file_bytes} bytes"
    return _at_start(name, f"file is {shown}, over the limit of {limits.max_file_bytes} "
                           "(limits: max-file-bytes in the config); file skipped", "limit")


def _read_bytes(path: str, name: str, limits: Limits, loaded: LoadedFile, stdin: BinaryIO | None) -> bytes | None:
    try:
        if path == STDIN:
            stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
            if stream is None:  # started with standard input closed
                loaded.problems.append(_at_start(name, "cannot read standard input: it is closed"))
                return None
            data = _read_bounded(stream, limits.max_file_bytes)
        else:
            with open(path, "rb") as handle:
                info = os.fstat(handle.fileno())
                if stat.S_ISDIR(info.st_mode):
                    loaded.problems.append(_at_start(name, "cannot read file: it is a folder"))
                    return None
                if stat.S_ISREG(info.st_mode) and info.st_size > limits.max_file_bytes:
                    loaded.problems.append(_too_large(name, limits, info.st_size))
                    return None
                # One read of the known size (chunks joined would hold the bytes twice); the file
                # may still grow meanwhile, so the bound stays.
                expected = info.st_size + 1 if stat.S_ISREG(info.st_mode) else 0
                data = _read_bounded(handle, limits.max_file_bytes, expected)
    except (OSError, ValueError) as error:
        # OSError: permissions, a file that vanished or became unreadable, a broken pipe;
        # ValueError: a closed stream.
        loaded.problems.append(_at_start(name, f"cannot read file: {_reason(error)}"))
        return None
    if data is None:
        loaded.problems.append(_too_large(name, limits))
    return data


def _read_bounded(stream: Any, limit: int, first: int = 0) -> bytes | None:
    """At most `limit` bytes of `stream`, or None when it holds more (`first`: size of the first read)."""
    chunks: list[bytes] = []
    total = 0
    if first:
        chunk = stream.read(min(first, limit + 1))
        if len(chunk) > limit:
            return None
        if len(chunk) < first:  # the whole file, as expected
            return chunk
        chunks.append(chunk)
        total = len(chunk)
    while True:
        chunk = stream.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            break
        if not isinstance(chunk, bytes):  # a text stream handed in by mistake
            chunk = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            return None
    return b"".join(chunks)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _encoding(data: bytes) -> tuple[bytes, str, bool]:
    """(data without its BOM, encoding, whether it was detected) — YAML 1.2, section 5.2.

    Without a BOM, a text that starts with an ASCII character gives its encoding away by the
    zero bytes around it: `x 00` is UTF-16LE, `00 x` UTF-16BE, `x 00 00 00` UTF-32LE.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):], encoding, True
    head = data[:4]
    if len(head) == 4 and head[1:] == b"\x00\x00\x00" and 0 < head[0] < 0x80:
        return data, "utf-32-le", True
    if len(head) == 4 and head[:3] == b"\x00\x00\x00" and 0 < head[3] < 0x80:
        return data, "utf-32-be", True
    if len(head) >= 2 and head[1] == 0 and 0 < head[0] < 0x80:
        return data, "utf-16-le", True
    if len(head) >= 2 and head[0] == 0 and 0 < head[1] < 0x80:
        return data, "utf-16-be", True
    return data, "utf-8", False


def _decode(data: bytes, name: str, loaded: LoadedFile) -> str | None:
    size = len(data)
    data, encoding, detected = _encoding(data)
    bom = size - len(data)
    if not detected and b"\x00" in data[:8192]:
        loaded.problems.append(_at_start(name, "binary file (contains NUL bytes); not a manifest"))
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        loaded.problems.append(_decode_problem(data, encoding, error, name, bom))
        return None
    if "\x00" in text[:8192]:
        loaded.problems.append(_at_start(name, f"binary file (NUL characters in {encoding.upper()} text); not a manifest"))
        return None
    return text


def _decode_problem(data: bytes, encoding: str, error: UnicodeDecodeError, name: str, bom: int) -> LoadProblem:
    if encoding == "utf-8":
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[data.rfind(b"\n", 0, error.start) + 1: error.start].decode("utf-8", "replace")) + 1
    else:  # the position in a UTF-16/32 text: count the decodable prefix
        prefix = data[: error.start].decode(encoding, "replace")
        line = prefix.count("\n") + 1
        column = len(prefix) - (prefix.rfind("\n") + 1) + 1
    shown = encoding.upper()
    return LoadProblem("unreadable", Span(name, line, column, line, column),
                       f"not valid {shown}: byte 0x{data[error.start]:02x} at offset {error.start + bom} "
                       "(save the file as UTF-8)")
