"""Find input files and read them as text, turning every I/O or decoding failure into a problem.

Directories are walked recursively in sorted order; hidden folders (`.git`, `.github`, ...) are
skipped, and a folder reached twice through symlinks is walked once. `-` reads standard input.
"""
from __future__ import annotations

import codecs
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable

from policylint.load.nodes import Span
from policylint.load.yaml_reader import Document, Limits, LoadProblem, parse_text

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
STDIN_NAME = "<stdin>"


@dataclass(slots=True)
class LoadedFile:
    """One input file: its documents, its problems, and the lines that carry directives."""

    path: str
    documents: list[Document] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    # line number -> comment text, only for lines mentioning "policylint:" (suppressions)
    directive_lines: dict[int, str] = field(default_factory=dict)


@dataclass(slots=True)
class InputSet:
    files: list[LoadedFile] = field(default_factory=list)
    # Paths the user named that do not exist: a usage error, not a finding.
    missing: list[str] = field(default_factory=list)


def discover(paths: Iterable[str], excluded: Iterable[str] = ()) -> tuple[list[str], list[str], list[LoadProblem]]:
    """Expand the command-line paths into files to read.

    Returns (files, missing paths, problems met while walking, such as unreadable folders).
    """
    files: list[str] = []
    missing: list[str] = []
    problems: list[LoadProblem] = []
    excluded_set = {os.path.normpath(e) for e in excluded}
    seen: set[str] = set()
    for raw in paths:
        if raw == STDIN:
            files.append(STDIN)
            continue
        path = Path(raw)
        if path.is_dir():
            _walk(path, files, problems, excluded_set, set())
        elif path.exists() or path.is_symlink():
            files.append(str(path))
        else:
            missing.append(raw)
    unique = []
    for f in files:
        if f not in seen:
            seen.add(f)
            unique.append(f)
    return unique, missing, problems


def _walk(folder: Path, files: list[str], problems: list[LoadProblem], excluded: set[str], visited: set[str]) -> None:
    try:
        real = os.path.realpath(folder)
    except OSError:
        real = str(folder)
    if real in visited:  # a symlink loop, or the same folder reached twice
        return
    visited.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as error:
        problems.append(LoadProblem("unreadable", Span(str(folder), 1, 1, 1, 1), f"cannot list folder: {error.strerror or error}"))
        return
    for entry in entries:
        path = Path(folder, entry.name)
        if os.path.normpath(path) in excluded:
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if not entry.name.startswith("."):
                _walk(path, files, problems, excluded, visited)
        elif entry.name.endswith(MANIFEST_SUFFIXES) and not entry.name.startswith("."):
            # Hidden files (.gitlab-ci.yml, .pre-commit-config.yaml, .policylint.yaml) are
            # tool configuration, not manifests; name them explicitly to lint them.
            files.append(str(path))


def read_file(path: str, limits: Limits = Limits(), stdin: BinaryIO | None = None) -> LoadedFile:
    """Read and parse one file (or stdin for `-`). Never raises for bad input."""
    name = STDIN_NAME if path == STDIN else path
    loaded = LoadedFile(name)
    data = _read_bytes(path, name, limits, loaded, stdin)
    if data is None:
        return loaded
    text = _decode(data, name, loaded)
    if text is None:
        return loaded
    result = parse_text(text, name, limits)
    loaded.documents = result.documents
    loaded.problems.extend(result.problems)
    if "policylint:" in text:
        loaded.directive_lines = {
            number: line
            for number, line in enumerate(text.splitlines(), start=1)
            if "policylint:" in line
        }
    return loaded


def _read_bytes(path: str, name: str, limits: Limits, loaded: LoadedFile, stdin: BinaryIO | None) -> bytes | None:
    try:
        if path == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = stream.read(limits.max_file_bytes + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(limits.max_file_bytes + 1)
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        loaded.problems.append(LoadProblem("unreadable", Span(name, 1, 1, 1, 1), f"cannot read file: {reason}"))
        return None
    if len(data) > limits.max_file_bytes:
        loaded.problems.append(
            LoadProblem(
                "limit",
                Span(name, 1, 1, 1, 1),
                f"file larger than {limits.max_file_bytes} bytes (limit max_file_bytes); file skipped",
            )
        )
        return None
    return data


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode(data: bytes, name: str, loaded: LoadedFile) -> str | None:
    encoding = "utf-8"
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], bom_encoding
            break
    else:
        if b"\x00" in data[:8192]:
            loaded.problems.append(
                LoadProblem("unreadable", Span(name, 1, 1, 1, 1), "binary file (contains NUL bytes); not a manifest")
            )
            return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        loaded.problems.append(
            LoadProblem(
                "unreadable",
                Span(name, line, column, line, column),
                f"not valid {encoding.upper()}: byte 0x{data[error.start]:02x} at offset {error.start}",
            )
        )
        return None
