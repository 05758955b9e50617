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

from policylint.load.nodes import POSITIONS_TYPE, LineIndex, YMap, YSeq
from policylint.load.yaml_reader import Limits, ParseResult, _Parser, normalise, parse_text, too_long

PARTS_PER_PROCESS = 8  # small parts even out the processes' speeds (a worker also pickles)
# Problems a part may have and still be joined: they are local to the value where they occur.
_LOCAL_PROBLEMS = frozenset({"duplicate-key", "typing", "shape"})
_PLACEHOLDER = "- x #"
_JSON_PLACEHOLDER = '"x"'
_JSON_ITEMS_KEY = re.compile(r'\n +"items": \[\n')
_MASK = (1 << 32) - 1

_EXCLUDED = ("{{", "policylint:", "\x85", "\u2028", "\u2029", "\ufeff", "\t", "\r")
# Searched with a leading "\n" rather than `^` and re.M: the search then jumps from line to line.
_MARKERS = re.compile(r"\n(?:---|\.\.\.|%)")
# A node property (&anchor, *alias, !tag) starts a node: after a line start, an indentation,
# a space, or a flow or block indicator.
_PROPERTIES = re.compile(r"[\n \[{,:?-][&*!]")
_ITEMS_KEY = re.compile(r"\nitems:[ ]*(?:#[^\n]*)?\n")
_FIRST_ENTRY = re.compile(r"(?:[ ]*(?:#[^\n]*)?\n)*( *)-(?=[ \n])")


@dataclass(frozen=True, slots=True)
class Plan:
    """Where the entries of the top-level `items` list are, and how to cut between them.

    YAML (a block sequence): `starts` are the `-` of the entries, [open, close) is the region from
    the first entry's line to the tail. JSON (a flow sequence, as `kubectl get -o json` indents
    it, one `{` per line): `starts` are the entries' `{`, `open` and `close` the list's `[` and `]`.
    """

    json: bool
    indent: int
    open: int
    close: int
    starts: list[int]

    def parts(self, text: str, count: int) -> list[tuple[str, int, int]]:
        """(text, offset in the file, entries) of about `count` parts of equal size."""
        starts = self.starts
        bounds = [0]
        for k in range(1, count):
            index = bisect_left(starts, self.open + (self.close - self.open) * k // count)
            if bounds[-1] < index < len(starts):
                bounds.append(index)
        bounds.append(len(starts))
        parts = []
        previous = self.open + 1  # where the text between two parts starts
        for a, b in zip(bounds, bounds[1:]):
            if self.json:
                # "[" over the space before the first `{`, "]" over the `,` (or line end) after
                # the last `}`: a flow sequence of the same length, at the same offsets. Between
                # two parts only a comma: an entry that is not a mapping would be lost there.
                first = starts[a] - 1
                last = text.rfind("}", first, starts[b] if b < len(starts) else self.close)
                if last < 0 or text[first] != " " or text[previous:first].strip() != ("," if a else ""):
                    return []
                parts.append(("[" + text[first + 1:last + 1] + "]", first, b - a))
                previous = last + 1
            else:
                start = starts[a] - self.indent
                end = starts[b] if b < len(starts) else self.close
                parts.append((text[start:end], start, b - a))
        if self.json and text[previous:self.close].strip():
            return []
        return parts

    def skeleton(self, text: str) -> str:
        """The text with the entries replaced by one placeholder entry, at the same offsets."""
        if self.json:
            return text[:self.open + 1] + _JSON_PLACEHOLDER.ljust(self.close - self.open - 1) + text[self.close:]
        length = self.close - self.open
        newline = "\n" if text.endswith("\n", 0, self.close) else ""
        filler = " " * self.indent + _PLACEHOLDER
        filler += "." * (length - len(filler) - len(newline)) + newline
        return text[:self.open] + filler + text[self.close:]

    def holder(self, skeleton: ParseResult) -> YSeq | None:
        """The list that holds the placeholder entry, if the head and tail parsed as expected."""
        if skeleton.problems or len(skeleton.documents) != 1:
            return None
        root = skeleton.documents[0].root
        holder = root.get("items") if isinstance(root, YMap) else None
        if not isinstance(holder, YSeq) or len(holder) != 1 or holder[0] != "x" or holder._pos is None:
            return None
        at = self.open if self.json else self.starts[0]
        if holder._at >> 32 != at or holder._pos[0] >> 32 != at + (1 if self.json else 2):
            return None
        if self.json and holder._at & _MASK != self.close + 1:
            return None
        return holder


def plan(text: str) -> Plan | None:
    """Where the entries of the top-level `items:` list are, if the text has a shape that can be cut."""
    if any(marker in text for marker in _EXCLUDED):
        return None
    if text.startswith(("---", "...", "%", "items:")) or _MARKERS.search(text):
        return None
    if ("&" in text or "*" in text or "!" in text) and (text[:1] in "&*!" or _PROPERTIES.search(text)):
        return None
    if text.lstrip()[:1] == "{":
        return _plan_json(text)
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
    return Plan(False, indent, start, tail, dashes)


def _plan_json(text: str) -> Plan | None:
    # JSON strings hold no raw line break, so a line is structure: `"items": [` ends a line, each
    # entry's `{` is alone on a line at one indentation, and the first line indented less closes
    # the list. Whatever else the text holds is checked by parsing the parts.
    keys = _JSON_ITEMS_KEY.findall(text)
    if len(keys) != 1:
        return None
    found = _JSON_ITEMS_KEY.search(text)
    first = re.compile(r"\n( +)\{\n").match(text, found.end() - 1) if found is not None else None
    if found is None or first is None:
        return None
    indent = len(first.group(1))
    open_ = found.end() - 2
    end = re.compile(rf"\n {{0,{indent - 1}}}[^ \n]").search(text, first.end())
    if end is None or text[end.end() - 1] != "]":
        return None
    close = end.end() - 1
    starts = [m.end() - 2 for m in re.compile(rf"\n {{{indent}}}\{{\n").finditer(text, open_, close)]
    if len(starts) < 2:
        return None
    return Plan(True, indent, open_, close, starts)


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


def _parse_part_here(text: str, path: str, limits: Limits, base: int, lines: LineIndex
                     ) -> tuple[list[Any], Any, list[Any]] | None:
    """The entries, their packed positions and the problems of one part; None if it cannot be joined."""
    result = ParseResult()
    collecting = gc.isenabled()
    gc.disable()
    try:
        _Parser(text, path, limits, result, lines=lines, base=base, depth=1).run()
    finally:
        if collecting:
            gc.enable()
    if any(p.kind not in _LOCAL_PROBLEMS for p in result.problems) or len(result.documents) != 1:
        return None
    root = result.documents[0].root
    if not isinstance(root, YSeq):
        return None
    return list(root), root._pos, result.problems


def _parse_part(text: str, path: str, limits: Limits, base: int, first_line: int) -> bytes | None:
    """Parse one part in a worker; its values pickled with the line index left as a reference."""
    lines = PartLines(path, text, base, first_line)
    found = _parse_part_here(text, path, limits, base, lines)
    if found is None:
        return None
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    # The part's line index is not sent: it unpickles as the whole file's (see _unpickle). A
    # reducer for its type only, not `persistent_id`, which would be called for every value.
    pickler.dispatch_table = {PartLines: lambda _: (_file_lines, ())}  # type: ignore[assignment]
    pickler.dump(found)
    return buffer.getvalue()


_unpickling: list[LineIndex] = []  # the line index of the file whose parts are being unpickled


def _file_lines() -> LineIndex:
    return _unpickling[-1]


def _unpickle(data: bytes, lines: LineIndex) -> Any:
    _unpickling.append(lines)
    try:
        return pickle.loads(data)
    finally:
        _unpickling.pop()


def parse_split(text: str, path: str, limits: Limits, pool: Any, parts: int) -> ParseResult:
    """What `parse_text(text, path, limits)` returns, with the entries parsed in parts: by `pool`'s
    workers, and by this process for the parts no worker has started when it gets to them."""
    from policylint.load.parallel import result_of

    text = normalise(text)
    found = plan(text) if too_long(text, path) is None else None
    cuts = found.parts(text, parts) if found is not None else []
    if found is None or not cuts:
        return parse_text(text, path, limits)
    lines = LineIndex(path, text)
    futures = [pool.submit(_parse_part, part, path, limits, base, lines.position(base)[0]) for part, base, _ in cuts]
    skeleton = ParseResult()
    collecting = gc.isenabled()
    gc.disable()
    try:
        # The head and the tail, with the entries replaced by one entry, parsed meanwhile here.
        _Parser(found.skeleton(text), path, limits, skeleton, lines=lines).run()
        holder = found.holder(skeleton)
        if holder is None:
            for future in futures:
                if future is not None:
                    future.cancel()
            return parse_text(text, path, limits)
        # The last parts first: the workers take them from the front.
        here: dict[int, Any] = {}
        for k in reversed(range(len(cuts))):
            if futures[k] is None or futures[k].cancel():
                part, base, _ = cuts[k]
                here[k] = _parse_part_here(part, path, limits, base, lines)
        items: list[Any] = []
        positions = array(POSITIONS_TYPE)
        problems = []
        for k, (_, _, count) in enumerate(cuts):
            if k in here:
                joined = here.pop(k)
            else:
                data = result_of(futures[k])
                joined = _unpickle(data, lines) if data is not None else None
            if joined is None or len(joined[0]) != count or len(joined[1]) != count:
                for future in futures[k:]:
                    if future is not None:
                        future.cancel()
                return parse_text(text, path, limits)
            items.extend(joined[0])
            positions.extend(joined[1])
            problems.extend(joined[2])
        list.clear(holder)
        list.extend(holder, items)
        holder._pos = positions
        holder._item_spans = None
        skeleton.problems.extend(problems)
        return skeleton
    finally:
        if collecting:
            gc.enable()
