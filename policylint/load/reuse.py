"""Files one run has already parsed: `diff` reads two versions that share most of their files.

A file whose bytes equal those of a file read before (same limits) is not parsed again: its
values are copied with positions that name the new path. The copy takes about a tenth of a
parse (no YAML events; the packed positions and the line starts are shared, as nothing changes
them after loading), and gives exactly what a parse of those bytes under the new name gives:
the parse depends on nothing else (the name appears only in positions).
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
import stat
from typing import Any

from policylint.load.inputs import STDIN, LoadedFile, display_name
from policylint.load.nodes import Span, YMap, YSeq
from policylint.load.yaml_reader import Document, Limits


class ParsedFiles:
    """What the loads of one run parsed, by the digest of the file's bytes."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[bytes, Limits], LoadedFile] = {}
        # by the loaded file's name (LoadedFile.path): the path it was read from and its digest
        self.read: dict[str, tuple[str, bytes | None]] = {}

    def digests(self, paths: list[str], limits: Limits) -> list[bytes | None]:
        """The digest of each path's bytes; None where a file is not read from disk as a whole
        (standard input, a pipe, a file over the size limit, an unreadable one: the loader says why)."""
        found = [_digest(path, limits) for path in paths]
        self.read.update((display_name(path), (path, digest)) for path, digest in zip(paths, found))
        return found

    def copy_of(self, digest: bytes | None, path: str, limits: Limits) -> LoadedFile | None:
        """The file as a parse of `path` with these bytes would give it; None if never parsed."""
        if digest is None:
            return None
        earlier = self._parsed.get((digest, limits))
        return None if earlier is None else relocated(earlier, display_name(path))

    def remember(self, digest: bytes | None, loaded: LoadedFile, limits: Limits) -> None:
        if digest is not None and not any(p.kind == "internal" for p in loaded.problems):
            # the lists as they are now: later stages may add to a file's problems
            self._parsed.setdefault((digest, limits), LoadedFile(
                loaded.path, list(loaded.documents), list(loaded.problems), dict(loaded.directive_lines),
                loaded.meant_as_manifest))


def _digest(path: str, limits: Limits) -> bytes | None:
    if path == STDIN:
        return None
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > limits.max_file_bytes:
                return None
            return hashlib.blake2b(handle.read(), digest_size=32).digest()
    except OSError:
        return None


_CONTAINERS = frozenset((YMap, YSeq))
_new_dict = dict.__new__
_new_list = list.__new__


def relocated(loaded: LoadedFile, name: str) -> LoadedFile:
    """A copy of `loaded` whose positions name `name`.

    Every container is copied (its spans name the file), scalars are shared. A container whose
    values are all scalars (most of them: labels, ports, a container's fields) is copied in one
    C-level update; the types of its values are looked at with `map(type, …)`, not one Python
    call per value."""
    lines: dict[int, Any] = {}  # old line index -> its copy under the new name
    done: dict[int, Any] = {}  # containers already copied: an alias stays one shared value
    containers = _CONTAINERS
    last: list[Any] = [None, None]  # the line index met last and its copy: a file has one or a few

    def index(old: Any) -> Any:
        if old is last[0]:
            return last[1]
        new = lines.get(id(old))
        if new is None:
            new = lines[id(old)] = copy.copy(old)
            new.path = name
        last[0], last[1] = old, new
        return new

    def span(old: Span | None) -> Span | None:
        return None if old is None else dataclasses.replace(old, path=name)

    def value(node: Any) -> Any:
        known = done.get(id(node))
        if known is not None:
            return known
        if type(node) is YMap:
            new: Any = _new_dict(YMap)
            done[id(node)] = new
            if containers.isdisjoint(map(type, dict.values(node))):
                dict.update(new, node)
            else:
                dict.update(new, {k: value(v) if type(v) in containers else v for k, v in dict.items(node)})
            new._index = None
            new._key_spans = None if node._key_spans is None else {k: span(s) for k, s in node._key_spans.items()}
            new._value_spans = None if node._value_spans is None else {k: span(s) for k, s in node._value_spans.items()}
        else:
            new = _new_list(YSeq)
            done[id(node)] = new
            if containers.isdisjoint(map(type, list.__iter__(node))):
                list.extend(new, node)
            else:
                list.extend(new, [value(v) if type(v) in containers else v for v in list.__iter__(node)])
            new._item_spans = None if node._item_spans is None else [span(s) for s in node._item_spans]
        new._lines = None if node._lines is None else index(node._lines)
        new._at, new._pos = node._at, node._pos
        new._span = None if node._span is None else span(node._span)
        return new

    def root(node: Any) -> Any:
        return value(node) if type(node) in containers else node

    documents = [Document(name, d.index, root(d.root), span(d.span)) for d in loaded.documents]
    problems = [dataclasses.replace(p, span=span(p.span)) for p in loaded.problems]
    return LoadedFile(name, documents, problems, dict(loaded.directive_lines), loaded.meant_as_manifest)
