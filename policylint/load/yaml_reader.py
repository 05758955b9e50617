"""Read YAML (and JSON, which is YAML) text into positioned documents.

Why not `yaml.compose` or `yaml.load`? The C composer recurses once per nesting level and
crashes the interpreter on deeply nested input, it expands aliases into a tree whose size is
exponential in the input (the "billion laughs" attack), and `yaml.load` throws all positions
away. Instead we read libyaml's flat event stream and build `YMap`/`YSeq` values ourselves with
an explicit stack: nesting depth and alias expansion are counted and bounded, every value keeps
its position, and a syntax error keeps the documents read before it.

Values follow what the API server would see after `kubectl` converts the YAML to JSON
(sigs.k8s.io/yaml): only null, booleans, integers, floats and strings are constructed, whatever
the tag says (no tag ever constructs a Python object); other tags (`!!timestamp`, `!!binary`,
`!Ref`) keep the text as written; mapping keys that are numbers or booleans become strings
(`1: x` is the key "1"), and null, mapping or list keys, which Kubernetes rejects, are reported.
"""
from __future__ import annotations

import functools
import gc
import math
import os
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policylint.load import block_yaml
from policylint.load.nodes import MAX_TEXT_LENGTH, LineIndex, Span, YMap, YSeq, pack

if TYPE_CHECKING:
    import yaml

# The class whose `get_event` gives the events of a text; None: libyaml's where PyYAML has it.
_EventLoader: Any = None


def _default_event_loader(yaml: Any) -> Any:
    # libyaml is several times faster; the pure-Python parser is a correct fallback
    return getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
# Integers past this many bits stay text: Kubernetes' decoder cannot hold them either, and Python
# refuses to print integers of more than 4,300 digits (a message quoting one would crash).
_MAX_INT_BITS = 4096
_CACHED_SCALAR_LENGTH = 64  # plain scalars this short are resolved once per file and shared
_CACHE_ENTRIES = 100_000
# Keys whose values are file modes (volumes' `defaultMode` and items' `mode`): the API documents
# octal as the way to write them (`0644`), so an octal number there is what was meant.
FILE_MODE_KEYS = frozenset({"defaultMode", "mode"})
_MASK = (1 << 32) - 1  # positions are packed as start << 32 | end (see nodes.pack)


# Whatever the configuration says: code that walks values recursively (Pulumi's ConfigFile
# positions, for one) must stay well inside Python's stack of 1,000 frames.
MAX_DEPTH_CAP = 500


# The default file-size limit follows the memory the machine has: checking a cluster export takes
# about 15 bytes of memory per byte of YAML (positions, the model and the engine's tables; measured
# 1.9 GB peak for a 134 MB export of 150,000 pods, bench/run_export.py), and `diff`, which holds two
# versions, about 31 (4.2 GB), so a file is admitted when 32 bytes per byte are available — as a
# power of two MiB, between 64 MiB and 1 GiB, so that machines of similar size agree.
MEMORY_PER_INPUT_BYTE = 32
MIN_DEFAULT_FILE_BYTES = 64 << 20
MAX_DEFAULT_FILE_BYTES = 1 << 30


@functools.lru_cache(maxsize=1)
def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def default_max_file_bytes(available: int | None = None) -> int:
    """The default `max-file-bytes` for a machine with `available` bytes of free memory."""
    if available is None:
        available = _available_memory()
    if available is None:
        return MIN_DEFAULT_FILE_BYTES
    budget_mib = (available // MEMORY_PER_INPUT_BYTE) >> 20
    power = 1 << (budget_mib.bit_length() - 1) if budget_mib > 0 else 0
    return max(MIN_DEFAULT_FILE_BYTES, min(MAX_DEFAULT_FILE_BYTES, power << 20))


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource bounds for one input. Defaults are generous for real manifests."""

    # A file (or standard input) larger than this is refused before it is parsed.
    max_file_bytes: int = field(default_factory=default_max_file_bytes)
    # Nesting of mappings and sequences in one document (at most MAX_DEPTH_CAP).
    max_depth: int = 100
    # Values reached through aliases, counted per document with repetition: a few aliases are
    # normal (Helm, merge keys), a million is an attack.
    max_alias_nodes: int = 100_000


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """Something wrong with an input before any Kubernetes meaning is given to it."""

    kind: str  # "syntax", "unreadable", "duplicate-key", "limit", "shape", "internal"
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document of a file: its root value and where it is."""

    path: str
    index: int  # 0-based position of the document in its file
    root: Any
    span: Span


@dataclass(slots=True)
class ParseResult:
    """What reading one text gives: its documents, its problems and where suppression comments may be."""

    documents: list[Document] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    # line number -> text of the lines that mention "policylint:" outside any scalar: what a
    # suppression comment may be written in (text inside strings and block scalars is blanked)
    directive_lines: dict[int, str] = field(default_factory=dict)
    # (start, end) offsets of the scalars whose source mentions "policylint:", in order
    directive_scalars: list[tuple[int, int]] = field(default_factory=list)


_NO_KEY = object()
_MERGE_KEY = object()
_MISSING = object()


# -- scalars -----------------------------------------------------------------------------------

# -- plain scalars as Kubernetes' decoder types them ---------------------------------------------
# kubectl and the API server convert YAML to JSON with sigs.k8s.io/yaml, on go-yaml v2 (YAML 1.1
# rules, as go-yaml's resolve() applies them; not PyYAML's): `y`/`n` are booleans too, integers
# are what Go's strconv.ParseInt(s, 0, 64) (then ParseUint) reads after removing "_" — so `0o120`
# and `0x50` are 80 and `010` is 8 — and what is not an integer but looks like a decimal float
# (`080`, `1e2`, `80.0`) is a float. JSON then carries an integral float as an integer (`80`),
# which is how a port field receives it, so those become ints here (below 2**53, where a float
# is exact). Base-60 and timestamps stay text. Anything else is a string.
_GO_WORDS: dict[str, Any] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    "<<": _MERGE_KEY,  # a merge where a key is expected; the text "<<" elsewhere (see _events)
}
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_GO_NUMBER_START = frozenset("+-.0123456789")
_EXACT_FLOAT_INT = 2 ** 53


def _resolve_plain(value: str) -> Any:
    """The value of an untagged plain scalar (`80` is an int, `yes` and `y` bools, `~` null)."""
    word = _GO_WORDS.get(value, _MISSING)
    if word is not _MISSING:
        return word
    if value[0] not in _GO_NUMBER_START:
        return value
    return _go_number(value)


def _go_number(text: str) -> Any:
    plain = text.replace("_", "")
    if len(plain) <= 70 and _GO_INT.match(plain):  # longer cannot fit in 64 bits, even in binary
        body = plain.lstrip("+-")
        prefix = body[:2].lower()
        if prefix == "0x":
            number = int(body[2:], 16)
        elif prefix == "0o":
            number = int(body[2:], 8)
        elif prefix == "0b":
            number = int(body[2:], 2)
        elif body.startswith("0") and len(body) > 1:
            number = int(body, 8)
        else:
            number = int(body)
        if plain.startswith("-"):
            number = -number
        # ParseInt takes int64; ParseUint the rest of uint64, without a sign
        if -(2 ** 63) <= number < 2 ** 63 or (plain[0] not in "+-" and number < 2 ** 64):
            return number
    if _GO_FLOAT.match(plain):
        number = float(plain)
        if math.isinf(number):  # ParseFloat fails on overflow: the text stays a string
            return text
        if number.is_integer() and abs(number) < _EXACT_FLOAT_INT:
            return int(number)
        return number
    return text


def _octal_looking(text: str, value: int) -> bool:
    """`010` (8) or `0o120` (80): written like a decimal number, read as another one."""
    digits = text.replace("_", "").lstrip("+-")
    if len(digits) < 2 or digits[0] != "0" or not (digits[1].isdigit() or digits[1] in "oO"):
        return False
    decimal = digits[2:] if digits[1] in "oO" else digits
    return decimal.isdigit() and int(decimal) != abs(value)


def _construct(tag: str, text: str) -> Any:
    """The value of a scalar with a YAML core tag; anything unparseable stays text."""
    try:
        if tag == _INT:
            return _to_int(text)
        if tag == _FLOAT:
            return _to_float(text)
        if tag == _BOOL:
            lowered = text.lower()
            if lowered in ("yes", "true", "on"):
                return True
            if lowered in ("no", "false", "off"):
                return False
            return text
        if tag == _NULL:
            return None if text in ("", "~", "null", "Null", "NULL") else text
        if tag == _MERGE:
            return _MERGE_KEY
    except (ValueError, OverflowError):
        pass
    return text


def _to_int(text: str) -> Any:
    digits = text.replace("_", "")
    sign = 1
    if digits[:1] in ("-", "+"):
        sign = -1 if digits[0] == "-" else 1
        digits = digits[1:]
    if ":" in digits:
        # YAML 1.1 base 60 (`1:30` is 90) is unknown to Kubernetes' decoder and to YAML 1.2:
        # it is the string "1:30" there, so it is here (this also avoids huge base-60 numbers).
        return text
    if digits == "0":
        value = 0
    elif digits.startswith("0b"):
        value = int(digits[2:], 2)
    elif digits.startswith("0x"):
        value = int(digits[2:], 16)
    elif digits.startswith("0o"):
        value = int(digits[2:], 8)
    elif digits.startswith("0"):
        value = int(digits, 8)
    else:
        value = int(digits)  # ValueError past 4,300 digits: kept as text
    if value.bit_length() > _MAX_INT_BITS:
        return text
    return sign * value


def _to_float(text: str) -> Any:
    digits = text.replace("_", "").lower()
    sign = -1.0 if digits.startswith("-") else 1.0
    digits = digits.lstrip("+-")
    if digits == ".inf":
        return sign * math.inf
    if digits == ".nan":
        return math.nan
    if ":" in digits:  # base 60 again: text, as for integers
        return text
    return sign * float(digits)


def _tagged(tag: str, text: str) -> Any:
    if tag in (_INT, _FLOAT, _BOOL, _NULL):
        return _construct(tag, text)
    # !!str, !!timestamp, !!binary, !!python/object:..., !Ref ...: the text as written.
    return text


# -- keys --------------------------------------------------------------------------------------

def _float_key(value: float) -> str:
    # What sigs.k8s.io/yaml does with a float key (strconv.FormatFloat(f, 'g', -1, 32)), for the
    # values a manifest might plausibly hold.
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


_KEY_KINDS = {type(None): "null", YMap: "a mapping", YSeq: "a list"}


# -- the parser --------------------------------------------------------------------------------

class _Parser:
    """Builds the documents of one text from libyaml's events."""

    def __init__(self, text: str, path: str, limits: Limits, result: ParseResult,
                 lines: LineIndex | None = None, base: int = 0, depth: int = 0) -> None:
        self.text = text
        self.path = path
        # A part of a split file (split.py) is parsed with the file's line index, its offset in
        # the file, and the nesting of the containers around it.
        self.lines = lines if lines is not None else LineIndex(path, text)
        self.base = base
        self.depth = depth
        self.limits = limits
        self.result = result
        self.problems = result.problems
        self.cache: dict[str, Any] = {}
        self.templates: list[int] = []  # packed ranges of unrendered Helm expressions

    def problem(self, kind: str, offset: int, message: str, end: int | None = None) -> None:
        span = self.lines.span(pack(offset, end)) if end is not None else self.lines.point(offset)
        self.problems.append(LoadProblem(kind, span, message))

    def run(self) -> None:
        # PyYAML is imported when a text needs it: texts that block_yaml reads do not.
        import yaml

        event_loader = _EventLoader or _default_event_loader(yaml)
        loader = None
        try:
            loader = event_loader(self.text)  # the pure-Python reader checks characters right here
            self._events(loader)
        except yaml.MarkedYAMLError as error:
            self.problems.append(self._syntax_problem(error))
        except yaml.reader.ReaderError as error:
            self.problems.append(self._reader_problem(error))
        except yaml.YAMLError as error:  # errors without a position
            self.problem("syntax", 0, _one_line(str(error)))
        finally:
            if loader is not None:
                loader.dispose()
        if self.templates:
            self._report_templates()

    def _is_template(self, start: int, end: int) -> bool:
        return self.text.startswith("{{", start) and self.text.startswith("}}", end - 2)

    def _report_templates(self) -> None:
        # `key: {{ .Values.x }}` is valid YAML (a mapping inside a mapping), so the parser does
        # not object. One finding per file: a chart template holds dozens of expressions.
        first = self.templates[0]
        snippet = self.text[first >> 32: first & _MASK]
        shown = snippet if len(snippet) <= 60 else snippet[:57] + "...}}"
        more = f" (and {len(self.templates) - 1} more)" if len(self.templates) > 1 else ""
        self.problem("syntax", first >> 32,
                     f"unrendered Helm template expression {shown!r}{more}: "
                     "lint the output of `helm template` instead", first & _MASK)

    def _events(self, loader: Any) -> None:
        # One long loop on purpose: it runs once per YAML event (millions for a large file),
        # so the per-event work is inlined and attribute look-ups are hoisted into locals.
        import yaml

        lines = self.lines
        base = self.base  # where the text starts in its file (a part of a split file; else 0)
        max_depth = min(self.limits.max_depth, MAX_DEPTH_CAP) - self.depth
        max_alias = self.limits.max_alias_nodes
        cache = self.cache
        cached = cache.get
        intern = sys.intern
        templated = "{{" in self.text
        directives = "policylint:" in self.text
        find = self.text.find
        directive_scalars = self.result.directive_scalars
        documents = self.result.documents
        new_map, new_seq = YMap.located, YSeq.located
        no_key, merge_key, missing = _NO_KEY, _MERGE_KEY, _MISSING
        ScalarEvent, MappingStartEvent, SequenceStartEvent = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
        MappingEndEvent, SequenceEndEvent, AliasEvent = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.AliasEvent
        DocumentStartEvent, DocumentEndEvent = yaml.DocumentStartEvent, yaml.DocumentEndEvent
        # A container being built is a list on the stack, made without a call: the container,
        # its position store, whether it is a mapping, its anchor, the key waiting for its value
        # (mappings) and that key's position, the merges (`<<`) to apply at its end, the values
        # in its subtree (for alias accounting) and, after a duplicate key, key -> entry number.
        VALUE, POSITIONS, IS_MAP, ANCHOR, KEY, KEY_AT, MERGES, SIZE, INDEX = range(9)
        stack: list[list[Any]] = []
        anchors: dict[str, tuple[Any, int]] = {}
        alias_nodes = 0
        root: Any = None
        doc_start = 0
        index = 0
        skip_depth = -1  # >= 0 while a refused document is drained: its current nesting
        for event in iter(loader.get_event, None):
            kind = type(event)
            if skip_depth >= 0:
                if kind is MappingStartEvent or kind is SequenceStartEvent:
                    skip_depth += 1
                    if skip_depth > 2 * max_depth:
                        # libyaml's time grows with flow nesting times the tokens that follow:
                        # draining deeper would take minutes. The rest of the file is lost.
                        self.problem("limit", event.start_mark.index + base,
                                     f"nesting deeper than {2 * max_depth} levels (twice max-depth): "
                                     "rest of the file not read")
                        return
                elif kind is MappingEndEvent or kind is SequenceEndEvent:
                    skip_depth -= 1
                elif kind is DocumentEndEvent:
                    skip_depth = -1
                    index += 1
                continue
            # -- a value ------------------------------------------------------------------
            if kind is ScalarEvent:
                start = event.start_mark.index + base
                end = event.end_mark.index + base
                at = start << 32 | end
                if directives and find("policylint:", start, end) >= 0:
                    # text that looks like a suppression comment inside a string is not one
                    directive_scalars.append((start, end))
                text = event.value
                tag = event.tag
                if tag is None and not event.style:
                    value = cached(text, missing)
                    if value is missing:
                        value = _resolve_plain(text)
                        if len(text) <= _CACHED_SCALAR_LENGTH and len(cache) < _CACHE_ENTRIES:
                            cache[text] = value
                    if type(value) is not str:  # most plain scalars are text: one test for them
                        if value is merge_key and not (stack and stack[-1][IS_MAP] and stack[-1][KEY] is no_key):
                            value = "<<"  # `<<` merges only as a key; as a value it is the text "<<"
                        elif (type(value) is int and text[0] in "0+-" and _octal_looking(text, value)
                              and not (stack and stack[-1][IS_MAP] and stack[-1][KEY] in FILE_MODE_KEYS)):
                            self.problem("typing", start, f"`{text}` is read as {value}: a leading 0 (or 0o) makes "
                                         "an octal number in YAML 1.1, as kubectl reads it; write "
                                         f"{value} if that is meant", end)
                elif tag is None or tag == "!":
                    value = text
                else:
                    value = _tagged(tag, text)
                size = 1
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                start = event.start_mark.index + base
                if len(stack) >= max_depth:
                    self.problem("limit", start,
                                 f"document nested deeper than {max_depth} levels (limit max-depth); document skipped")
                    skip_depth = len(stack) + 1
                    stack.clear()
                    continue
                if kind is MappingStartEvent:
                    node: Any = new_map(lines, start << 32 | event.end_mark.index + base)
                    stack.append([node, node._pos, True, event.anchor, no_key, 0, None, 1, None])
                else:
                    node = new_seq(lines, start << 32 | event.end_mark.index + base)
                    stack.append([node, node._pos, False, event.anchor, no_key, 0, None, 1, None])
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = stack.pop()
                value = frame[VALUE]
                start = value._at >> 32
                end = event.end_mark.index + base
                at = value._at = start << 32 | end
                if templated and frame[IS_MAP] and self._is_template(start, end):
                    value = self.text[start:end]  # `{{ .Values.x }}` is text to Kubernetes' eyes
                    self.templates.append(at)
                elif frame[MERGES] is not None:
                    self._merge(value, frame[MERGES])
                size = frame[SIZE]
                if frame[ANCHOR] is not None:
                    anchors[frame[ANCHOR]] = (value, size)
            elif kind is AliasEvent:
                start = event.start_mark.index + base
                at = start << 32 | event.end_mark.index + base
                anchored = anchors.get(event.anchor)
                if anchored is None:
                    raise yaml.MarkedYAMLError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
                value, size = anchored
                alias_nodes += size
                if alias_nodes > max_alias:
                    self.problem("limit", start,
                                 f"aliases expand to more than {max_alias} values "
                                 "(limit max-alias-nodes; an alias bomb?); document skipped")
                    skip_depth = len(stack)
                    stack.clear()
                    continue
                # The anchored value is shared, not copied: it is never mutated after loading.
            elif kind is DocumentStartEvent:
                stack.clear()
                anchors = {}
                alias_nodes = 0
                root = None
                doc_start = event.start_mark.index + base
                continue
            elif kind is DocumentEndEvent:
                documents.append(Document(self.path, index, root, lines.span(pack(doc_start, event.end_mark.index + base))))
                index += 1
                continue
            else:  # StreamStart, StreamEnd
                continue
            # -- add the value to its container ---------------------------------------------
            if not stack:
                root = value
                continue
            top = stack[-1]
            top[SIZE] += size
            if not top[IS_MAP]:
                top[VALUE].append(value)
                top[POSITIONS].append(at)
                continue
            key = top[KEY]
            if key is no_key:
                if type(value) is str:
                    top[KEY] = intern(value) if len(value) <= _CACHED_SCALAR_LENGTH else value
                else:
                    top[KEY] = self._key(value, at)
                top[KEY_AT] = at
                continue
            top[KEY] = no_key
            if key is merge_key:
                if top[MERGES] is None:
                    top[MERGES] = []
                top[MERGES].append((value, at))
                continue
            container = top[VALUE]
            positions = top[POSITIONS]
            if key in container:
                if top[INDEX] is None:
                    top[INDEX] = {k: i for i, k in enumerate(container)}
                slot = 2 * top[INDEX][key]
                first = lines.span(positions[slot]).line
                self.problem("duplicate-key", top[KEY_AT] >> 32,
                             f"duplicate key {key!r} (first at line {first}); the API server rejects it",
                             top[KEY_AT] & _MASK)
                container[key] = value  # the last one wins, as in Kubernetes' decoder
                positions[slot] = top[KEY_AT]
                positions[slot + 1] = at
                continue
            if top[INDEX] is not None:
                top[INDEX][key] = len(container)
            container[key] = value
            positions.append(top[KEY_AT])
            positions.append(at)

    def _key(self, value: Any, at: int) -> Any:
        """The key that Kubernetes' YAML-to-JSON conversion would make of a non-string scalar."""
        if value is _MERGE_KEY:
            return value
        if value is True or value is False:
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return _float_key(value)
        start, end = at >> 32, at & _MASK
        local_start, local_end = start - self.base, end - self.base  # offsets into this text
        if (isinstance(value, YMap) and self.text.startswith("{", local_start - 1)
                and self.text.startswith("}", local_end)):
            return f"<template at {start}>"  # the inner `{ .Values.x }` of `{{ .Values.x }}`
        what = _KEY_KINDS.get(type(value), type(value).__name__)
        self.problem("shape", at >> 32,
                     f"a mapping key must be a string, number or boolean, not {what}: Kubernetes rejects the document",
                     at & _MASK)
        line, column = self.lines.position(at >> 32)
        # A key no manifest can contain, unique per position: the entry stays visible (and
        # invalid) to the model instead of silently disappearing.
        return f"<{what} key at {line}:{column}>"

    def _merge(self, target: YMap, merges: list[tuple[Any, int]]) -> None:
        # `<<: *base` or `<<: [*a, *b]`: keys written in the mapping win, then earlier merges.
        positions = target._pos
        for value, at in merges:
            sources = value if isinstance(value, YSeq) else [value]
            for source in sources:
                if not isinstance(source, YMap):
                    self.problem("syntax", at >> 32,
                                 "a merge key `<<` needs a mapping or a list of mappings", at & _MASK)
                    break
                source_positions = source._pos
                for index, (key, item) in enumerate(source.items()):
                    if key in target:
                        continue
                    target[key] = item
                    if source_positions is not None and 2 * index + 1 < len(source_positions):
                        positions.append(source_positions[2 * index])  # type: ignore[union-attr]
                        positions.append(source_positions[2 * index + 1])  # type: ignore[union-attr]
                    else:
                        positions.append(at)  # type: ignore[union-attr]
                        positions.append(at)  # type: ignore[union-attr]

    def _syntax_problem(self, error: yaml.MarkedYAMLError) -> LoadProblem:
        mark = error.problem_mark or error.context_mark
        span = self.lines.point(min(mark.index, len(self.text))) if mark is not None else self.lines.point(0)
        message = error.problem or error.context or "invalid YAML"
        if error.context and error.problem:
            message = f"{error.problem} ({error.context})"
        hint = ""
        if "{{" in _lines_near(self.text, mark.index if mark is not None else 0):
            hint = "; looks like an unrendered Helm template: run `helm template` first"
        return LoadProblem("syntax", span, _one_line(message) + hint)

    def _reader_problem(self, error: Any) -> LoadProblem:
        position = min(max(int(getattr(error, "position", 0) or 0), 0), len(self.text))
        character = getattr(error, "character", None)
        if isinstance(character, str) and character:
            what = f"#x{ord(character):04x}"
        elif isinstance(character, int):
            what = f"#x{character:04x}"
        else:
            what = "a character"
        return LoadProblem("syntax", self.lines.point(position),
                           f"unacceptable character {what}: control characters are not allowed in YAML")


_SURROGATE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})(?:\\u(d[c-f][0-9a-f]{2}))?", re.IGNORECASE)
_LONE_LOW_SURROGATE = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)


def _json_surrogates(text: str) -> str:
    """JSON writes characters beyond U+FFFF as surrogate pairs (`"\\ud83d\\ude00"`, Python's
    `json.dumps` does by default), which YAML forbids. Kubernetes reads JSON with a JSON decoder,
    so for a JSON text they become `\\U0001f600` (and a lone surrogate U+FFFD, as Go decodes it)."""

    def pair(match: re.Match) -> str:
        high, low = int(match.group(2), 16), match.group(3)
        if low is None:
            return match.group(1) + "\\ufffd"
        return match.group(1) + f"\\U{0x10000 + ((high - 0xD800) << 10) + (int(low, 16) - 0xDC00):08x}"

    text = _SURROGATE_ESCAPE.sub(pair, text)
    return _LONE_LOW_SURROGATE.sub(lambda m: m.group(1) + "\\ufffd", text)


_LONE_CR = re.compile("\r(?!\n)")


def _directive_lines(text: str, scalars: list[tuple[int, int]]) -> dict[int, str]:
    """The lines that mention "policylint:" with every scalar's text on them blanked out.

    Lines are split at "\n" only, like the loader's positions. Scalars do not overlap and come in
    order, so the ones on a line are found by bisection. After a syntax error the parser saw no
    scalars, and the rest of the file is taken as written.
    """
    from bisect import bisect_left

    starts = [s for s, _ in scalars]
    lines: dict[int, str] = {}
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        end = offset + len(line)
        if "policylint:" in line:
            chars = list(line)
            i = max(bisect_left(starts, offset) - 1, 0)
            while i < len(scalars) and scalars[i][0] < end:
                s, e = scalars[i]
                for k in range(max(s, offset), min(e, end)):
                    chars[k - offset] = " "
                i += 1
            kept = "".join(chars)
            if "policylint:" in kept:
                lines[number] = kept
        offset = end + 1
    return lines


def normalise(text: str) -> str:
    """The text as the parser reads it: line ends made "\n", JSON's surrogate escapes joined."""
    if "\r" in text:
        # A lone CR ends a line for YAML (and go-yaml) but not for the positions, which count
        # "\n": made a "\n", of the same length, so every offset and column stays right.
        text = _LONE_CR.sub("\n", text)
    if text.lstrip()[:1] in ("{", "[") and "\\u" in text:
        text = _json_surrogates(text)
    return text


def too_long(text: str, path: str) -> LoadProblem | None:
    if len(text) >= MAX_TEXT_LENGTH:
        return LoadProblem("limit", Span(path, 1, 1, 1, 1),
                           f"text longer than {MAX_TEXT_LENGTH - 1} characters; file skipped")
    return None


def parse_text(text: str, path: str, limits: Limits = Limits()) -> ParseResult:
    """Parse every document of `text`. Never raises for bad input: problems are returned."""
    result = ParseResult()
    text = normalise(text)
    refused = too_long(text, path)
    if refused is not None:
        result.problems.append(refused)
        return result
    # The values built here hold no reference cycles, but millions of new containers make the
    # cyclic collector rescan the growing heap again and again (half the load time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        # The plainest block YAML is read without libyaml's events, with the same result; the
        # fast reader declines anything else (block_yaml.py). Its lines make the line index.
        documents = None
        if block_yaml.may_take(text):
            pieces = text.split("\n")
            lines = LineIndex(path, text, pieces)
            documents = block_yaml.read(text, lines, min(limits.max_depth, MAX_DEPTH_CAP),
                                        _resolve_plain, _octal_looking, pieces)
            del pieces  # not held while libyaml reads the text
        else:
            lines = LineIndex(path, text)
        if documents is not None:  # then the text has no "policylint:", hence no directive
            result.documents = [Document(path, index, root, lines.span(pack(start, end)))
                                for index, root, start, end in documents]
        else:
            _Parser(text, path, limits, result, lines=lines).run()
            if "policylint:" in text:
                result.directive_lines = _directive_lines(text, result.directive_scalars)
    finally:
        if collecting:
            gc.enable()
    return result


def _lines_near(text: str, offset: int) -> str:
    """The line holding `offset` and its neighbours (an error is often reported one line late)."""
    line_start = text.rfind("\n", 0, offset)
    before = text.rfind("\n", 0, max(line_start, 0)) + 1
    line_end = text.find("\n", offset)
    after = text.find("\n", line_end + 1) if line_end >= 0 else -1
    after = len(text) if after < 0 else after
    return text[max(before, offset - 5_000): min(after, offset + 5_000)]


def _one_line(text: str) -> str:
    return " ".join(text.split())
