"""The indented JSON writer (report/json_indent.py) writes exactly what `json.dumps` writes."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from policylint.report import escape
from policylint.report.json_indent import dumps

# Strings with what JSON escapes (quotes, backslashes, control characters), what the report's
# escaping rewrites afterwards (DEL, bidi overrides, line separators, "##") and plain Unicode.
TEXT = st.text(st.one_of(st.sampled_from('"\\\n\t\x00\x1f\x7f#\u2028\u202e\ufeff é€😀'), st.characters()), max_size=8)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT)
KEYS = st.one_of(TEXT, st.integers(), st.floats(), st.booleans(), st.none())


def _containers(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.lists(children, max_size=4), st.lists(children, max_size=3).map(tuple),
                     st.dictionaries(KEYS, children, max_size=4))


VALUES = st.recursive(SCALARS, _containers, max_leaves=25)


@st.composite
def shared(draw: st.DrawFn) -> object:
    """A value holding one container several times, at the same depth and at different depths:
    the writer keeps the text of a container met again (per depth)."""
    part = draw(st.one_of(st.lists(VALUES, min_size=1, max_size=3), st.dictionaries(TEXT, VALUES, min_size=1, max_size=3)))
    return {"a": [part, part], "b": {"c": part, "d": [[part]]}, "e": part, "f": draw(VALUES)}


@given(st.one_of(VALUES, shared()), st.sampled_from([2, 0, 4, "\t"]))
def test_same_bytes_as_json_dumps(value: object, indent: int | str) -> None:
    assert dumps(value, indent) == json.dumps(value, indent=indent, ensure_ascii=False)


@given(st.one_of(VALUES, shared()))
def test_report_escaping_unchanged(value: object) -> None:
    # json_dumps writes indented documents with this writer; the escaping after it is the same
    encoded = json.JSONEncoder(ensure_ascii=False, indent=2).encode(value)
    expected = encoded if encoded.isascii() and "\x7f" not in encoded and "##" not in encoded \
        else escape._json_unsafe().sub(escape._json_escape, encoded)
    assert escape.json_dumps(value, indent=2) == expected


@pytest.mark.parametrize("value", [{"a": [1, {2, 3}]}, [object()], {"a": {"b": b"bytes"}}])
def test_value_without_json_form(value: object) -> None:
    with pytest.raises(TypeError) as expected:
        json.dumps(value, indent=2)
    with pytest.raises(TypeError) as got:
        dumps(value, 2)
    assert str(got.value) == str(expected.value)


def test_key_without_json_form() -> None:
    with pytest.raises(TypeError):
        json.dumps({(1, 2): 1}, indent=2)
    with pytest.raises(TypeError):
        dumps({(1, 2): 1}, 2)


def test_shared_container_at_two_depths() -> None:
    # by hand: the same list at depth 1 and depth 2 is indented for each
    part = [1, "x"]
    assert dumps({"a": part, "b": [part]}, 2) == (
        '{\n  "a": [\n    1,\n    "x"\n  ],\n  "b": [\n    [\n      1,\n      "x"\n    ]\n  ]\n}')
