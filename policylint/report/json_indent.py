"""JSON with indentation, the bytes `json.dumps(value, indent=N, ensure_ascii=False)` writes, faster.

With `indent`, the standard library encodes in Python: a generator per container that yields
each separator, key and value as its own piece (its C encoder serves only the compact form). A
diff of the cluster DNS policy of a large cluster lists 300,000 changed pairs, each an object of
eight fields: that path took about a second per 10,000 pairs. This writer walks the value once,
appends the pieces of a container to one list, encodes strings with the standard library's C
function, and writes a container met again at the same depth (the same object: a pair's
explanation, its port sets) from the text made the first time.

The output is the standard library's, byte for byte (a property test compares them on random
values): the same separators (`,` and `: ` with an indent), the same text for numbers, `NaN` and
`Infinity`, keys that are not strings turned into text the same way, tuples as lists, and the
same `TypeError` for a value JSON has no form for. Keys are written in the mapping's order
(`sort_keys` is left to the standard library). A container that holds itself is not detected
(the standard library raises `ValueError`; this writer would recurse until Python stops it): the
documents written here are trees the program builds.
"""
from __future__ import annotations

from json.encoder import INFINITY, encode_basestring
from typing import Any

_float_repr = float.__repr__
_int_repr = int.__repr__


def dumps(value: Any, indent: int | str) -> str:
    """`json.dumps(value, indent=indent, ensure_ascii=False)`."""
    if isinstance(value, str):
        return encode_basestring(value)
    out: list[str] = []
    _Writer(" " * indent if isinstance(indent, int) else indent, out).value(value, 0)
    return "".join(out)


def _float(number: float) -> str:
    if number != number:
        return "NaN"
    if number == INFINITY:
        return "Infinity"
    if number == -INFINITY:
        return "-Infinity"
    return _float_repr(number)


def _scalar(value: Any) -> str | None:
    """The text of a value that is not a container, in the standard library's order of tests;
    None for a container (or a value JSON has no form for)."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return _int_repr(value)
    if isinstance(value, float):
        return _float(value)
    return None


def _key(key: Any) -> str:
    if isinstance(key, str):
        return encode_basestring(key)
    if isinstance(key, float):
        return encode_basestring(_float(key))
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return encode_basestring(_int_repr(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


class _Writer:
    __slots__ = ("pad", "out", "seen", "done", "keys")

    def __init__(self, pad: str, out: list[str]) -> None:
        self.pad = pad
        self.out = out
        # A container met once is written in place; met again at the same depth, it is written
        # apart and its text kept for the next times (only shared containers are kept).
        self.seen: set[tuple[int, int]] = set()
        self.done: dict[tuple[int, int], str] = {}  # (id of a container, depth) -> its text
        self.keys: dict[str, str] = {}  # a key's text with its separator: keys repeat in every object

    def value(self, value: Any, depth: int) -> None:
        text = _scalar(value)
        if text is not None:
            self.out.append(text)
        elif isinstance(value, (list, tuple, dict)):
            self.container(value, depth)
        else:
            raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")

    def container(self, value: Any, depth: int) -> None:
        if not value:
            self.out.append("{}" if isinstance(value, dict) else "[]")
            return
        at = (id(value), depth)  # the value outlives the call (the caller holds it): ids stay unique
        text = self.done.get(at)
        if text is not None:
            self.out.append(text)
        elif at in self.seen:
            outer = self.out
            self.out = []
            self._write(value, depth)
            text = self.done[at] = "".join(self.out)
            self.out = outer
            outer.append(text)
        else:
            self.seen.add(at)
            self._write(value, depth)

    def _write(self, value: Any, depth: int) -> None:
        out = self.out
        append = out.append
        inner = "\n" + self.pad * (depth + 1)
        separator = "," + inner
        if isinstance(value, dict):
            keys = self.keys
            append("{" + inner)
            first = True
            for key, item in value.items():
                if first:
                    first = False
                else:
                    append(separator)
                written = keys.get(key) if type(key) is str else None
                if written is None:
                    written = _key(key) + ": "
                    if type(key) is str:
                        keys[key] = written
                append(written)
                kind = type(item)
                if kind is str:
                    append(encode_basestring(item))
                elif kind is int:
                    append(_int_repr(item))
                elif kind is dict or kind is list or kind is tuple:
                    self.container(item, depth + 1)
                else:
                    text = _scalar(item)
                    if text is not None:
                        append(text)
                    else:
                        self.value(item, depth + 1)
            append("\n" + self.pad * depth + "}")
        else:
            append("[" + inner)
            first = True
            for item in value:
                if first:
                    first = False
                else:
                    append(separator)
                kind = type(item)
                if kind is str:
                    append(encode_basestring(item))
                elif kind is int:
                    append(_int_repr(item))
                elif kind is dict or kind is list or kind is tuple:
                    self.container(item, depth + 1)
                else:
                    text = _scalar(item)
                    if text is not None:
                        append(text)
                    else:
                        self.value(item, depth + 1)
            append("\n" + self.pad * depth + "]")
