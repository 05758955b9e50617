"""A fast reader for the plainest block-style YAML, equal to the libyaml path or not used at all.

Most manifests are written the same way: block mappings and sequences, one key or item per line,
keys and values that are short plain or quoted words, `{}`, `[]` or a short flow collection of
words (`[Ingress, Egress]`, `{app: web}`), comments and `---` between documents. For such text,
libyaml's events as Python objects and the reader's loop over them (`yaml_reader._Parser`) were
most of the time of reading a small input: about 13,000 instructions per event, two to three
events per line. This module reads those lines itself, a regular expression per line (a line
met before in the run is known by its text, see `_LINES`), and builds the same values with the
same positions; PyYAML is not even imported when every file of a run is read here.

It is a fast path, not a second parser: `read` accepts a text only when every line is of a shape
whose meaning is fixed (listed below), and returns None on anything else, before anything has
been reported, so that the caller reads the text with libyaml as before. What it accepts it must
give exactly as `_Parser` would: the same documents, values, types, key order, packed positions
of every key, value and container, and document spans. `tests/test_block_yaml.py` compares both
on every YAML file of the repository's fixtures and on generated texts.

What is read here (anything else falls back):
- ASCII text without tabs, carriage returns or other control characters, no `{{` (Helm
  expressions are reported by the libyaml path), no `policylint:` (suppression comments need
  the scalars' positions that path records);
- blank lines, comment lines, and `---` alone on a line (a document start);
- `KEY:` and `KEY: VALUE` lines, optionally after `- ` (an item of a block sequence; `- KEY:`
  starts a mapping inside it), and `- VALUE` lines; a comment may follow after a space;
- KEY: a plain word of letters, digits, `_`, `.`, `/`, `-`, starting with a letter, digit or `_`,
  that resolves to a string (not `true`, `null`, `80`, ...), not repeated in its mapping;
- VALUE: a plain scalar on one line (a letter, digit, `_`, `.`, `/`, `~`, `$`, `+`, `=`, `(`, or
  `-` before a non-space; then printable characters, `:` only before a non-space, spaces only
  before something that starts no comment), a single-quoted text (`''` for a quote), a
  double-quoted text without `"` or `\\`, or a flow sequence or mapping of such scalars on the
  line (plain ones without spaces, colons, commas, brackets or quotes; plain keys);
- nesting as libyaml takes it: a mapping's keys in one column, a value's block on the next lines
  deeper, a sequence in the column of its key (an indentless sequence) or deeper; no document
  nested deeper than `max-depth`, and no plain integer written like an octal number (`0644`,
  reported by the libyaml path).

A line that continues a scalar of the line before, a block scalar (`|`, `>`), anchors, aliases,
tags, flow collections inside flow collections, a key deeper or shallower than any open
container: all fall back, so the slow path gives its values or its error.
"""
from __future__ import annotations

import re
from sys import intern
from typing import Any

from policylint.load.nodes import LineIndex, YMap, YSeq

# A plain scalar on one line in block context, as libyaml's scanner ends one: at `: ` or `:` at the
# end, at ` #`, at the end of the line (trailing spaces are not part of it). It starts with a
# character that is no indicator (`-` only before a non-space, as in `--port`); then runs of
# printable characters but `:`, joined by colons before such a character or by spaces before one
# that is not `#`. Possessive repeats: giving characters back could never make a line match, and
# they keep the matching linear.
_PLAIN = r"(?:[A-Za-z0-9_./~$+=(]|-(?=[!-~]))[!-9;-~]*+(?::++[!-9;-~]++| ++[!-\"$-9;-~][!-9;-~]*+)*+"
_SINGLE = r"'(?:[ -&(-~]|'')*'"  # `''` is a quote inside
_DOUBLE = r'"[ !#-\[\]-~]*"'  # no escapes
# Flow collections on one line, of scalars only: `[Ingress, Egress]`, `{app: web, tier: "a"}`. A
# plain scalar in them is a word without spaces, colons, commas, brackets or quotes.
_FLOW_PLAIN = r"(?:[A-Za-z0-9_./~$+=(]|-(?=[A-Za-z0-9_./]))[A-Za-z0-9_./~$+=()@%-]*+"
_FLOW_SCALAR = rf"{_FLOW_PLAIN}|{_SINGLE}|{_DOUBLE}"
_FLOW_ITEM = re.compile(_FLOW_SCALAR)
_FLOW = (rf"\[ *(?:(?:{_FLOW_SCALAR})(?: *, *(?:{_FLOW_SCALAR}))*+)? *\]"
         rf"|\{{ *(?:{_FLOW_PLAIN}: +(?:{_FLOW_SCALAR})(?: *, *{_FLOW_PLAIN}: +(?:{_FLOW_SCALAR}))*+)? *\}}")
_VALUE = rf"""{_PLAIN}|{_SINGLE}|{_DOUBLE}|{_FLOW}"""
# A whole line, of printable ASCII only: groups 1 indent, 2 dash with its spaces, 3 key, 4 the
# key's value, 5 an item's value; a blank or comment line has only the first.
_LINE = re.compile(
    rf"( *)(?:(- +)?(?:([A-Za-z0-9_][A-Za-z0-9_./-]*+):(?: +({_VALUE}))?|({_VALUE}))(?: +#[ -~]*| *)|#[ -~]*)?\Z"
)
# The commonest lines, a key alone or a key and a value that is a plain word (maybe after `- `),
# with the groups _LINE gives them; a fifth group that never matches stands for _LINE's item. Nine
# lines in ten of the generated benchmark are of this shape, and it costs about half as much to
# match as _LINE: it is tried first (reading was about 3 % faster).
_COMMON = re.compile(r"( *)(- +)?([A-Za-z0-9_][A-Za-z0-9_./-]*+):(?: ([A-Za-z0-9_][A-Za-z0-9_./-]*+))?(?:(?!)(.))?\Z")
_MAX_KEY = 1000  # libyaml takes a simple key of at most 1,024 characters on one line
_CACHED_SCALAR_LENGTH = 64
_CACHE_ENTRIES = 100_000
_CACHED_LINE_LENGTH = 100
_LINE_ENTRIES = 20_000

# A container being built: the node, whether it is a sequence, its positions, its column, the key
# waiting for its value (mappings), that key's position and the packed point after its colon
# (where a null value is), its packed start without an end (its `_at` is that with the end, once
# the end is known), and whether it is a sequence in the column of its mapping's keys (an
# indentless sequence). Tests of what runs at every line are of True, False or None: the
# interpreter takes those without calling `bool` (an int of 0 would need the call).
_NODE, _IS_SEQ, _POS, _COLUMN, _KEY, _KEY_AT, _COLON, _HIGH, _INDENTLESS = range(9)
_NO_KEY = object()
# The values of plain scalars and the keys, kept from file to file (a run's files repeat most of
# them: kinds, protocols, ports, label keys), up to _CACHE_ENTRIES each. Scalars are immutable,
# so sharing them is safe.
_VALUES: dict[str, Any] = {}
_KEYS: dict[str, str] = {}

# What a line says, whatever lines are around it: (column, dash, key, key_at, value, value_at,
# flow). `column` is the indentation, or _BLANK for a blank or comment line and _DOCUMENT for
# `---`; `dash` the length of `- ` and its spaces (None without); `key` the key, None for an item;
# `value` the value, _NO_VALUE for a key alone and _FLOW_VALUE for a flow collection (made anew
# at each line: containers are not shared), whose text is `flow`. The positions are packed relative
# to the line's start: `key_at` the key's, `value_at` the value's, or for a key alone the point
# after its colon. A line adds its start to both halves at once (`start * _BOTH`).
_BLANK, _DOCUMENT = -1, -2
_NO_VALUE = object()
_FLOW_VALUE = object()
_BOTH = 1 << 32 | 1
_BLANK_LINE = (_BLANK, None, None, 0, None, 0, None)
_DOCUMENT_LINE = (_DOCUMENT, None, None, 0, None, 0, None)
# Lines read before, by their text, up to _LINE_ENTRIES of at most _CACHED_LINE_LENGTH characters:
# the lines of a run repeat even more than its scalars (`    protocol: TCP`, `  - Ingress`; five
# in six of the generated benchmark's lines were read before), and a line found here is neither
# matched nor split into groups, nor are its key and value looked up.
_Line = tuple[int, int | None, str | None, int, Any, int, str | None]  # what a line says (above)
_LINES: dict[str, _Line] = {}


class _Fallback(Exception):
    """The text has something this reader does not take: read it with libyaml."""


def may_take(text: str) -> bool:
    """Whether `read` may take `text` (False: it would decline it at once)."""
    return "{{" not in text and "policylint:" not in text


def read(text: str, lines: LineIndex, max_depth: int,
         resolve: Any, octal_looking: Any, pieces: list[str] | None = None
         ) -> list[tuple[int, Any, int, int]] | None:
    """The documents of `text` as (index, root, start, end), or None to read it with libyaml.

    `resolve` types a plain scalar and `octal_looking` tells a number written like an octal one,
    both the libyaml path's own functions, so that both paths type values alike. Every line must
    match `_LINE`, whose classes are printable ASCII: any other character falls back. `pieces`
    is `text.split("\\n")` where the caller has it (it made the line index from it).
    """
    if not may_take(text):
        return None
    try:
        return _read(text, lines, max_depth, resolve, octal_looking,
                     text.split("\n") if pieces is None else pieces)
    except _Fallback:
        return None


def _read(text: str, lines: LineIndex, max_depth: int, resolve: Any, octal_looking: Any,
          pieces: list[str]) -> list[tuple[int, Any, int, int]]:
    # One loop over the lines with the common steps inlined: it runs once per line of input.
    documents: list[tuple[int, Any, int, int]] = []
    match = _LINE.match
    common = _COMMON.match
    new_map, new_seq = YMap.located, YSeq.located
    values = _VALUES  # raw text of a scalar -> its value, shared by the files of a run
    value_of = values.get
    keys = _KEYS  # raw text of a key -> the key
    key_of = keys.get
    known = _LINES
    known_line = known.get
    no_key, no_value, flow_value, both = _NO_KEY, _NO_VALUE, _FLOW_VALUE, _BOTH
    stack: list[list[Any]] = []
    root: Any = None
    in_document = False  # a document has started (explicitly or at its first content)
    doc_start = 0

    def scalar(raw: str) -> Any:
        # What the cache does not hold: a quoted text or a new plain scalar.
        first = raw[0]
        if first == "'":
            return raw[1:-1].replace("''", "'")
        if first == '"':
            return raw[1:-1]
        resolved = resolve(raw)
        if type(resolved) is int and first in "0+-" and octal_looking(raw, resolved):
            raise _Fallback  # the libyaml path reports it (or not, under a file-mode key)
        if len(raw) <= _CACHED_SCALAR_LENGTH and len(values) < _CACHE_ENTRIES:
            values[raw] = resolved
        return resolved

    def flow(raw: str, at: int) -> Any:
        # A flow collection on one line: its scalars are what _FLOW_ITEM finds in its text (the
        # line's pattern allows nothing else there that could start one).
        if len(stack) >= max_depth:
            raise _Fallback  # the libyaml path reports the limit
        start = at >> 32
        positions: list[int] = []
        if raw[0] == "[":
            node = new_seq(lines, at)
            for found in _FLOW_ITEM.finditer(raw):
                item = found.group()
                item_start = start + found.start()
                item_at = item_start << 32 | item_start + len(item)
                item_value = value_of(item, no_key)
                node.append(scalar(item) if item_value is no_key else item_value)
                positions.append(item_at)
        else:
            node = new_map(lines, at)
            scalars = _FLOW_ITEM.finditer(raw)
            for found in scalars:
                key_raw = found.group()
                name = key_of(key_raw) or key(key_raw)
                if name in node:
                    raise _Fallback  # a duplicate key: the libyaml path reports it
                key_start = start + found.start()
                found = next(scalars)
                item = found.group()
                item_start = start + found.start()
                item_at = item_start << 32 | item_start + len(item)
                item_value = value_of(item, no_key)
                node[name] = scalar(item) if item_value is no_key else item_value
                positions.append(key_start << 32 | key_start + len(key_raw))
                positions.append(item_at)
        node._pos.extend(positions)
        return node

    def key(raw: str) -> str:
        if len(raw) > _MAX_KEY:
            raise _Fallback
        name = resolve(raw)
        if type(name) is not str:
            raise _Fallback  # `80:`, `true:`, `null:`: the libyaml path makes or reports them
        if len(name) <= _CACHED_SCALAR_LENGTH:
            name = intern(name)
            if len(keys) < _CACHE_ENTRIES:
                keys[raw] = name
        return name

    def parse(line: str) -> _Line:
        # What `line` says (see _LINES), kept for the next time it is met.
        found = common(line) or match(line)
        if found is None:
            raise _Fallback
        indent, dash, key_raw, key_value, item = found.groups()
        if key_raw is None and dash is None:
            if item is None:
                parsed = _BLANK_LINE  # a blank or comment line
            elif line == "---":
                parsed = _DOCUMENT_LINE
            else:
                raise _Fallback  # a scalar alone on a line: a continuation, or a root scalar
        else:
            column = len(indent)
            dash_length = None if dash is None else len(dash)
            if key_raw is None:
                raw, group, name, key_at = item, 5, None, 0
            else:
                name = key_of(key_raw) or key(key_raw)
                key_start = column if dash_length is None else column + dash_length
                key_end = key_start + len(key_raw)
                key_at = key_start << 32 | key_end
                raw, group = key_value, 4
            if raw is None:  # a key alone: its null value is right after the colon
                parsed = (column, dash_length, name, key_at, no_value, (key_end + 1) * both, None)
            else:
                value_start = found.start(group)
                value_at = value_start << 32 | value_start + len(raw)
                first = raw[0]
                if first == "{" or first == "[":
                    parsed = (column, dash_length, name, key_at, flow_value, value_at, raw)
                else:
                    entry = value_of(raw, no_key)
                    if entry is no_key:
                        entry = scalar(raw)
                    parsed = (column, dash_length, name, key_at, entry, value_at, None)
        if len(line) <= _CACHED_LINE_LENGTH and len(known) < _LINE_ENTRIES:
            known[line] = parsed
        return parsed

    # The innermost open container (None when there is none) and its column (-1 then): kept in
    # locals, as every line compares its column with it.
    top: list[Any] | None = None
    top_column = -1

    def close(until: int, mark: int) -> tuple[list[Any] | None, int]:
        # End the containers deeper than column `until` (all for -1; the innermost one is, when
        # there is one) at `mark`, the start of the next token, as libyaml marks the end of a
        # block, each given to the one around it; returns the new innermost container and its
        # column. The container around one that ends is the next to end, or the innermost.
        if not stack:
            return None, -1
        frame = stack.pop()
        while True:
            if frame[_KEY] is not no_key:  # a last key with nothing under it: null
                _null(frame)
            node = frame[_NODE]
            at = node._at = frame[_HIGH] | mark
            if not stack:
                return None, -1
            parent = stack[-1]  # given to it (as _give does, written out)
            if parent[_IS_SEQ]:
                parent[_NODE].append(node)
                parent[_POS].append(at)
            else:
                name = parent[_KEY]
                if name is no_key:
                    raise _Fallback
                parent[_NODE][name] = node
                positions = parent[_POS]
                positions.append(parent[_KEY_AT])
                positions.append(at)
                parent[_KEY] = no_key
            column = parent[_COLUMN]
            if column <= until:
                return parent, column
            frame = stack.pop()

    # Each line with its offset: the line index has them (lines are counted at "\n" there too).
    # The steps of the commonest lines (a key in the mapping of the line before, with or
    # without its value) come first and are written out here: they run once per line of input.
    # A new container is made here too (three places), not in a function: there are half as
    # many containers as lines.
    for start, line in zip(lines.starts(), pieces):
        column, dash, name, key_at, entry, value_at, raw = known_line(line) or parse(line)
        if column < 0:
            if column == _BLANK:
                continue
            if in_document:  # `---`
                top, top_column = close(-1, start)
                documents.append((len(documents), root, doc_start, start))
            in_document, root, doc_start = True, None, start
            continue
        if not in_document:
            in_document, root, doc_start = True, None, start + column
        if top_column > column:
            top, top_column = close(column, start + column)
        base = start * both  # the line's start in both halves of a packed position
        if dash is not None:
            # -- an item of a block sequence whose `-` is in `column` ------------------------
            if top_column == column and top[_IS_SEQ]:
                seq = top
            else:
                if top is None:
                    if root is not None:
                        raise _Fallback  # a second root: the libyaml path reports it
                    indentless = False
                elif top[_IS_SEQ] or top[_KEY] is no_key:
                    raise _Fallback
                else:  # the pending key's value; in the key's own column, an indentless sequence
                    indentless = top_column == column
                if len(stack) >= max_depth:
                    raise _Fallback
                at = start + column
                high = at << 32
                node = new_seq(lines, high | at)
                seq = top = [node, True, node._pos, column, no_key, 0, 0, high, indentless]
                stack.append(seq)
                top_column = column
                if root is None:
                    root = node
            if name is None:
                if entry is flow_value:
                    entry = flow(raw, base + value_at)
                seq[_NODE].append(entry)
                seq[_POS].append(base + value_at)
                continue
            # `- key`: a mapping in the item, in the key's column
            if len(stack) >= max_depth:
                raise _Fallback
            top_column = column + dash
            at = start + top_column
            high = at << 32
            node = new_map(lines, high | at)
            top = [node, False, node._pos, top_column, no_key, 0, 0, high, False]
            stack.append(top)
        elif top_column == column:
            # -- a key of the innermost mapping -----------------------------------------------
            if top[_IS_SEQ]:
                if not top[_INDENTLESS]:
                    raise _Fallback
                _close(stack, start + column)  # a key in its mapping's column ends an indentless sequence
                top = stack[-1]
            if top[_KEY] is not no_key:  # `key:` with nothing under it: null
                _null(top)
        else:
            # -- the first key of a mapping: the pending key's value, or a root -------------------
            if top is None:
                if root is not None:
                    raise _Fallback
            elif top[_IS_SEQ] or top[_KEY] is no_key:
                raise _Fallback
            if len(stack) >= max_depth:
                raise _Fallback
            at = start + column
            high = at << 32
            node = new_map(lines, high | at)
            top = [node, False, node._pos, column, no_key, 0, 0, high, False]
            stack.append(top)
            top_column = column
            if root is None:
                root = node
        # -- the key, and its value if it is on this line -----------------------------------------
        node = top[_NODE]
        if name in node:
            raise _Fallback  # a duplicate key: the libyaml path reports it
        if entry is no_value:
            top[_KEY] = name
            top[_KEY_AT] = base + key_at
            top[_COLON] = base + value_at
            continue
        if entry is flow_value:
            entry = flow(raw, base + value_at)
        node[name] = entry
        positions = top[_POS]
        positions.append(base + key_at)
        positions.append(base + value_at)
    if in_document:
        end = len(text)
        close(-1, end)
        documents.append((len(documents), root, doc_start, end))
    return documents


def _close(stack: list[list[Any]], mark: int) -> None:
    """End the innermost container at `mark` and give it to the one around it."""
    frame = stack.pop()
    if frame[_KEY] is not _NO_KEY:  # a last key with nothing under it: null
        _null(frame)
    node = frame[_NODE]
    at = node._at = frame[_HIGH] | mark
    if stack:
        _give(stack[-1], node, at)


def _give(frame: list[Any], value: Any, at: int) -> None:
    """`value`, at `at`, to the container of `frame`: its next item, or its pending key's value."""
    if frame[_IS_SEQ]:
        frame[_NODE].append(value)
        frame[_POS].append(at)
        return
    key = frame[_KEY]
    if key is _NO_KEY:
        raise _Fallback
    frame[_NODE][key] = value
    positions = frame[_POS]
    positions.append(frame[_KEY_AT])
    positions.append(at)
    frame[_KEY] = _NO_KEY


def _null(frame: list[Any]) -> None:
    """A mapping's pending key has no value on its line nor under it: null, after its colon."""
    _give(frame, None, frame[_COLON])


__all__ = ["may_take", "read"]
