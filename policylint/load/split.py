"""One large `kind: List` file parsed in parts, on several cores, with the whole parse's result.

A cluster export (`kubectl get pods -A -o yaml`) is one document: a mapping whose `items:` key
holds every object as a block sequence entry at one indentation, the `- ` of each entry at the
same column. Cut at the start of entries, each part is a YAML text of its own (a block sequence)
that a worker parses with the file's line index and its offset in the file, so every position is
the one the whole parse gives. The rest of the file — the head up to the first entry and the
tail after the last — is parsed here with the entries replaced by a placeholder entry of the
same length, so that the mapping, its keys and the document keep their exact spans; then the
placeholder's list is given the parts' entries.

Why the result is the same, and when this is not done:

* Every part starts at the beginning of a line and ends at the `-` of the next entry (or where
  the tail starts), so libyaml sees each entry's lines with their columns, and closes the
  last entry of a part at the same offset as in the whole text (a block ends at the next token).
* A line with `- ` at the entries' column, or any text left of it, cannot belong to an entry:
  block scalars and plain scalars continue only on lines indented further. It can lie inside a
  quoted scalar or a flow collection spanning lines; then the part before the cut ends inside
  that scalar or collection, which is a syntax error there, and the file is parsed whole.
* Whatever a part's values cannot see from inside it is excluded up front: anchors, aliases and
  tags (aliases count per document, and reach across entries), `---`/`...` document markers and
  `%` directives, Helm templates (`{{`), suppression comments (`policylint:`, collected per file)
  and line breaks the parser knows but the line index does not (U+0085, U+2028, U+2029).
* Nesting is counted from the document's root: a part's list is at depth 2 in the file, so its
  depth limit is one less. Any part or head with a syntax error or a limit reached, any shape
  that is not the one expected, any worker that fails: the file is parsed whole, in one process,
  and gives the same result the slow way.
"""
from __future__ import annotations

import gc
import io
import pickle
import re
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from policylint.load.inputs import LoadedFile, read_file
from policylint.load.nodes import LineIndex, YMap, YSeq
from policylint.load.yaml_reader import Limits, ParseResult, _Parser, normalise, parse_text, too_long

# A file is cut when it is at least this large and at least half the input.
SPLIT_MIN_BYTES = 4 << 20
PARTS_PER_WORKER = 3  # a few parts per worker even out their speeds
# Problems a part may have and still be joined: they are local to the value where they occur.
_LOCAL_PROBLEMS = frozenset({"duplicate-key", "typing", "shape"})
_PLACEHOLDER = "- x #"

_EXCLUDED = ("{{", "policylint:", "\x85", "\u2028", "\u2029", "\ufeff", "\t", "\r")
# Searched with a leading "\n" rather than `^` and re.M: the search then jumps from line to line.
_MARKERS = re.compile(r"\n(?:---|\.\.\.|%)")
# A node property (&anchor, *alias, !tag) starts a node: after a line start, an indentation,
# a space, or a flow or block indicator.
_PROPERTIES = re.compile(r"(?:^|[ \[{,:?-])[&*!]", re.M)
_ITEMS_KEY = re.compile(r"\nitems:[ ]*(?:#[^\n]*)?\n")
_FIRST_ENTRY = re.compile(r"(?:[ ]*(?:#[^\n]*)?\n)*( *)-(?=[ \n])")


def worth_splitting(path: str, size: int) -> bool:
    """Whether a file is large enough to be cut, and may be YAML with a List (JSON is not cut)."""
    if size < SPLIT_MIN_BYTES or path.endswith(".json"):
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(256).lstrip()
    except OSError:
        return False
    return not head.startswith((b"{", b"["))


@dataclass(frozen=True, slots=True)
class Plan:
    """Where the entries of `items:` are: [start, tail) holds them; `dashes` are their `-`s."""

    indent: int
    start: int  # line start of the first entry
    tail: int  # line start of what follows the last entry (or the end of the text)
    dashes: list[int]


def plan(text: str) -> Plan | None:
    """The entries of the top-level `items:` list, if the text has the shape that can be cut."""
    if any(marker in text for marker in _EXCLUDED):
        return None
    if text.startswith(("---", "...", "%", "items:")) or _MARKERS.search(text):
        return None
    if ("&" in text or "*" in text or "!" in text) and _PROPERTIES.search(text):
        return None
    keys = _ITEMS_KEY.findall(text)
    if len(keys) != 1:
        return None
    found = _ITEMS_KEY.search(text)
    first = _FIRST_ENTRY.match(text, found.end()) if found is not None else None
    if first is None:
        return None
    indent = len(first.group(1))
    start = first.start(1)
    # The first line, past `start`, that is not blank, not a comment and not more indented than
    # the entries, other than an entry: where the tail starts.
    shallower = rf"\n {{0,{indent - 1}}}[^ #\n]|" if indent else ""
    end = re.compile(rf"{shallower}\n {{{indent}}}(?:[^ #\n-]|-[^ \n])").search(text, start)
    tail = end.start() + 1 if end is not None else len(text)
    dashes = [m.end() - 1 for m in re.compile(rf"\n {{{indent}}}-(?=[ \n])").finditer(text, start - 1, tail)]
    if len(dashes) < 2:
        return None
    return Plan(indent, start, tail, dashes)


class PartLines(LineIndex):
    """The line index of a part of a text, giving the positions of the whole text.

    Built from the part alone (a worker has only its part), with the part's offset in the text
    and the line it starts on.
    """

    __slots__ = ("_first",)

    def __init__(self, path: str, text: str, base: int, first_line: int) -> None:
        super().__init__(path, text)
        self._starts = array("q", (s + base for s in self._starts))
        self._first = first_line - 1

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect_left(self._starts, offset + 1) - 1
        return index + 1 + self._first, offset - self._starts[index] + 1


def _parse_part(text: str, path: str, limits: Limits, base: int, first_line: int) -> bytes | None:
    """Parse one part in a worker; its values pickled with the line index left as a reference."""
    lines = PartLines(path, text, base, first_line)
    result = ParseResult()
    collecting = gc.isenabled()
    gc.disable()
    try:
        _Parser(text, path, limits, result, lines=lines, base=base, depth=1).run()
        if any(p.kind not in _LOCAL_PROBLEMS for p in result.problems) or len(result.documents) != 1:
            return None
        root = result.documents[0].root
        if not isinstance(root, YSeq):
            return None
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        # The part's line index is not sent: it unpickles as the whole file's (see _unpickle). A
        # reducer for its type only, not `persistent_id`, which would be called for every value.
        pickler.dispatch_table = {PartLines: lambda _: (_file_lines, ())}  # type: ignore[assignment]
        pickler.dump((list(root), root._pos, result.problems))
        return buffer.getvalue()
    finally:
        if collecting:
            gc.enable()


_unpickling: list[LineIndex] = []  # the line index of the file whose parts are being unpickled


def _file_lines() -> LineIndex:
    return _unpickling[-1]


def _unpickle(data: bytes, lines: LineIndex) -> Any:
    _unpickling.append(lines)
    try:
        return pickle.loads(data)
    finally:
        _unpickling.pop()


def _cuts(found: Plan, parts: int) -> list[tuple[int, int, int]]:
    """(start, end, entries) of each part: about equal sizes, cut before an entry's line."""
    dashes, indent = found.dashes, found.indent
    size = found.tail - found.start
    bounds = [0]
    for k in range(1, parts):
        target = found.start + size * k // parts
        index = bisect_left(dashes, target)
        if bounds[-1] < index < len(dashes):
            bounds.append(index)
    bounds.append(len(dashes))
    cuts = []
    for a, b in zip(bounds, bounds[1:]):
        start = dashes[a] - indent
        end = dashes[b] if b < len(dashes) else found.tail
        cuts.append((start, end, b - a))
    return cuts


def parse_split(text: str, path: str, limits: Limits, pool: Any, parts: int) -> ParseResult:
    """What `parse_text(text, path, limits)` returns, with the entries parsed by `pool`'s workers."""
    from policylint.load.parallel import result_of

    text = normalise(text)
    found = plan(text) if too_long(text, path) is None else None
    if found is None:
        return parse_text(text, path, limits)
    lines = LineIndex(path, text)
    cuts = _cuts(found, parts)
    futures = [pool.submit(_parse_part, text[a:b], path, limits, a, lines.position(a)[0]) for a, b, _ in cuts]
    if any(f is None for f in futures):
        return parse_text(text, path, limits)
    # The head and the tail, with the entries replaced by one entry of the same length.
    length = found.tail - found.start
    newline = "\n" if text.endswith("\n", 0, found.tail) else ""
    filler = " " * found.indent + _PLACEHOLDER
    filler += "." * (length - len(filler) - len(newline)) + newline
    skeleton = ParseResult()
    collecting = gc.isenabled()
    gc.disable()
    try:
        if len(filler) == length:
            _Parser(text[:found.start] + filler + text[found.tail:], path, limits, skeleton, lines=lines).run()
        holder = _placeholder(skeleton, found)
        results = [result_of(f) for f in futures]
        if holder is None or any(r is None for r in results):
            return parse_text(text, path, limits)
        items: list[Any] = []
        positions = array("Q")
        problems = []
        for (_, _, count), data in zip(cuts, results):
            values, packed, found_problems = _unpickle(data, lines)
            if len(values) != count or len(packed) != count:
                return parse_text(text, path, limits)
            items.extend(values)
            positions.extend(packed)
            problems.extend(found_problems)
        list.clear(holder)
        list.extend(holder, items)
        holder._pos = positions
        holder._item_spans = None
        skeleton.problems.extend(problems)
        return skeleton
    finally:
        if collecting:
            gc.enable()


def _placeholder(skeleton: ParseResult, found: Plan) -> YSeq | None:
    """The list that holds the placeholder entry, if the head and tail parsed as expected."""
    if skeleton.problems or len(skeleton.documents) != 1:
        return None
    root = skeleton.documents[0].root
    if not isinstance(root, YMap):
        return None
    holder = root.get("items")
    if not isinstance(holder, YSeq) or len(holder) != 1 or holder[0] != "x":
        return None
    if holder._at >> 32 != found.dashes[0] or holder._pos is None or holder._pos[0] >> 32 != found.dashes[0] + 2:
        return None
    return holder


def read_split(path: str, limits: Limits, pool: Any) -> LoadedFile:
    """`read_file(path, limits)`, with a large List file's entries parsed in parts by `pool`."""
    parts = max(2, pool.workers * PARTS_PER_WORKER)
    return read_file(path, limits, parse=lambda text, name, bounds: parse_split(text, name, bounds, pool, parts))
