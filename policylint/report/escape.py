"""One escaping layer per output format, for every value that comes from the input.

Names, namespaces, labels, file names and the messages that quote them are written by whoever
wrote the manifests, often a pull request the repository does not trust. Its output lands in
terminals, CI logs, pull-request comments and code-scanning alerts, each of which gives some
bytes a meaning. Every renderer passes input-derived values through the function for its
format, here, and nowhere else:

- `text`: terminals, stdout/stderr, CI logs. Control characters (C0, DEL, C1: ESC starts CSI
  and OSC sequences that move the cursor, set the title or write the clipboard), line and
  paragraph separators, invisible format characters (bidi overrides, zero-width marks, tags)
  and lone surrogates are shown as Python-style escapes (`\\x1b`, `\\u202e`), so a value is
  always one visible line. Two CI markers are neutralised: a value that would start a GitHub
  workflow command (`::error::`, `::add-mask::`; the runner trims leading blanks) gets its
  first colon escaped, and `##`, which starts Azure Pipelines (`##vso[`), TeamCity and the
  runner's older `##[command]` syntax anywhere in a line, becomes `#\\x23`. GitLab's log markers
  (`section_start`, ANSI) need ESC or CR, which never pass. `text` is idempotent.
- `md_text`, `md_code`, `md_html`: Markdown on top of `text`: no raw HTML (so no `<!--`), no
  emphasis or link syntax, `|` escaped for tables, code spans fenced longer than any backtick
  run inside, and `@name` broken with a zero-width space so it notifies nobody.
- `json_dumps`: JSON keeps the exact value (a tool wants the real name) but escapes, as
  `\\uXXXX`, every character `text` would escape, and `#` after `#`, so the document is plain
  printable text in a log and any parser reads back the original value.
- XML (JUnit) carries `text` values: XML 1.0 cannot carry most control characters even escaped.
- `csv_cell`: `text`, and a cell that a spreadsheet would read as a formula (first non-blank
  character `=`, `+`, `-` or `@`, as OWASP's "CSV Injection" page lists; tab and CR never pass
  `text`) gets a leading `'`, which spreadsheets show as text and never evaluate. The csv
  module then quotes the cell as usual, so the file stays valid CSV.
"""
from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable

# Unicode categories Cc, Cf, Zl, Zp and Cs (unicodedata of Python 3.11; a test keeps this exact),
# plus the non-characters U+FFFE/U+FFFF that XML refuses.
_UNSAFE_CLASS = (
    "\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb\ufffe\uffff"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
# A GitHub workflow command at the start of a value: `::name::` or `::name key=value::`. Names
# are letters and dashes (matched without case, as the runner does); an IPv6 text such as
# `::ffff:10.0.0.1` or `::a-::b` never has this shape.
_WORKFLOW_COMMAND = re.compile(r"^(\s*):(?=:[A-Za-z](?:[A-Za-z-]*[A-Za-z])?(?:\s|::))")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_MARKDOWN_PUNCTUATION = frozenset("\\`*_[]|#~<>!")


_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def text(value: object) -> str:
    """`value` as one visible line, safe on a terminal and in any CI log (see the module doc)."""
    s = value if isinstance(value, str) else str(value)
    s = UNSAFE.sub(_escape_char, s)
    s = s.replace("##", "#\\x23")
    return _WORKFLOW_COMMAND.sub(r"\1\\x3a", s)


_FORMULA_START = re.compile(r"^\s*[=+\-@]")


def csv_cell(value: object) -> str:
    """A CSV cell: `text`, with a `'` before a value that a spreadsheet would run as a formula."""
    s = text(value)
    return "'" + s if _FORMULA_START.match(s) else s


def lines(value: object) -> str:
    """`text` for a value that may span lines on purpose (a traceback): each line escaped."""
    return "\n".join(text(line) for line in str(value).split("\n"))


def md_text(value: object) -> str:
    """Plain text inside Markdown (a table cell, a list item): shown exactly, interpreted never."""
    import html

    s = html.escape(text(value), quote=False)  # & < > first: the escapes below add none of them
    s = "".join("\\" + ch if ch in _MARKDOWN_PUNCTUATION else ch for ch in s)
    return _MENTION.sub("@&#8203;", s)


def md_code(value: object) -> str:
    """A code span, also valid in a GFM table cell, where `|` needs its backslash even in code."""
    s = text(value).replace("|", "\\|")
    runs = [len(run) for run in re.findall(r"`+", s)]
    if not runs:
        return f"`{s}`"
    fence = "`" * (max(runs) + 1)
    return f"{fence} {s} {fence}"


def md_html(value: object) -> str:
    """Text inside an HTML element of a Markdown document (`<summary>`, `<code>`)."""
    import html

    return _MENTION.sub("@&#8203;", html.escape(text(value)))


def _json_escape(match: re.Match[str]) -> str:
    return "".join(f"\\u{unit:04x}" for unit in _utf16_units(match.group()))


def _utf16_units(ch: str) -> list[int]:
    code = ord(ch)
    if code < 0x10000:
        return [code]
    code -= 0x10000
    return [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]


@functools.cache
def _json_unsafe() -> re.Pattern[str]:
    # json.dumps already escapes C0 inside strings; outside them C0 is the indentation's whitespace.
    # Compiled on first use: this class takes milliseconds to compile, and text reports never need it.
    return re.compile(f"[{_UNSAFE_CLASS.replace(chr(0) + '-' + chr(0x1f), '')}]|(?<=#)#")


def _encoder(**options: Any) -> json.JSONEncoder:
    """What `json.dumps(..., ensure_ascii=False, **options)` encodes with, made once per set of
    options: `json.dumps` makes a new encoder at every call with options, and the matrix writes
    one small value per row and per distinct set of ports."""
    try:
        key = tuple(sorted(options.items()))
        encoder = _ENCODERS.get(key)
    except TypeError:  # an unhashable option (separators given as a list): made for this call
        return json.JSONEncoder(ensure_ascii=False, **options)
    if encoder is None:
        encoder = _ENCODERS[key] = json.JSONEncoder(ensure_ascii=False, **options)
    return encoder


_ENCODERS: dict[tuple[tuple[str, Any], ...], json.JSONEncoder] = {}


def json_dumper(**options: Any) -> Callable[[Any], str]:
    """`json_dumps` with `options` given once: the matrix writes a small value per row, and finding
    the encoder for the options at each call was most of the work."""
    if "indent" in options:
        return functools.partial(json_dumps, **options)
    encoder = _encoder(**options)
    encode = encoder.encode
    make = json.encoder.c_make_encoder
    if make is not None and encoder.indent is None:
        # What `encode` does, with the C encoder made once: `encode` makes it again for every
        # value that is not a string (its arguments are those of JSONEncoder.iterencode).
        markers: dict[int, Any] | None = {} if encoder.check_circular else None
        encode_string = json.encoder.encode_basestring_ascii if encoder.ensure_ascii else json.encoder.encode_basestring
        encode_value = make(markers, encoder.default, encode_string, None, encoder.key_separator,
                            encoder.item_separator, encoder.sort_keys, encoder.skipkeys, encoder.allow_nan)

        def encode(document: Any) -> str:
            if isinstance(document, str):
                return encode_string(document)
            try:
                return "".join(encode_value(document, 0))
            except BaseException:
                if markers:  # what a failed call left behind would be taken for a cycle next time
                    markers.clear()
                raise

    def dumps(document: Any) -> str:
        dumped = encode(document)
        if dumped.isascii() and "\x7f" not in dumped and "##" not in dumped:  # as json_dumps
            return dumped
        return _json_unsafe().sub(_json_escape, dumped)

    return dumps


def json_dumps(document: Any, **options: Any) -> str:
    """`json.dumps` whose output is printable text: exact values, escaped bytes (module doc)."""
    if options.get("indent") is not None and not options.get("sort_keys") and options.keys() <= {"indent", "sort_keys"}:
        from policylint.report.json_indent import dumps  # the same bytes as the encoder's, faster

        dumped = dumps(document, options["indent"])
    else:
        dumped = _encoder(**options).encode(document)
    # Nearly every document is ASCII, where the pattern can only find DEL or "##": looking for
    # those two is a scan of the bytes, matching the pattern's class of all of Unicode against
    # each character costs about 50 times more (a tenth of `matrix --format json`).
    if dumped.isascii() and "\x7f" not in dumped and "##" not in dumped:
        return dumped
    return _json_unsafe().sub(_json_escape, dumped)
