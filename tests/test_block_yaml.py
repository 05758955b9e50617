"""The fast reader of plain block YAML (load/block_yaml.py) against the libyaml path.

Whatever text the fast reader accepts, the libyaml path must read without a problem and give the
same documents: the same values of the same types in the same order, the same packed positions of
every key, value and container, the same document spans. Texts it declines are read by the
libyaml path as before, so declining is always allowed; these tests also check that it accepts
what it is meant for, so that they cannot pass by declining everything.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policylint.load import block_yaml
from policylint.load.nodes import LineIndex, YMap, YSeq
from policylint.load.yaml_reader import (MAX_DEPTH_CAP, Limits, ParseResult, _octal_looking, _Parser,
                                         _resolve_plain, normalise, pack, parse_text)
from tests.strategies import clusters

ROOT = Path(__file__).resolve().parent.parent


def shape(value: Any) -> Any:
    """Everything the two paths must agree on, as plain data (NaN compared by its text)."""
    if isinstance(value, YMap):
        return ("map", value._at, list(value._pos), [(k, shape(v)) for k, v in value.items()])
    if isinstance(value, YSeq):
        return ("seq", value._at, list(value._pos), [shape(v) for v in value])
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


def fast(text: str, max_depth: int = 100) -> list[Any] | None:
    text = normalise(text)
    lines = LineIndex("t.yaml", text)
    documents = block_yaml.read(text, lines, max_depth, _resolve_plain, _octal_looking)
    if documents is None:
        return None
    return [(index, shape(root), lines.span(pack(start, end))) for index, root, start, end in documents]


def slow(text: str, max_depth: int = 100) -> tuple[list[Any], list[Any]]:
    text = normalise(text)
    result = ParseResult()
    _Parser(text, "t.yaml", Limits(max_depth=max_depth), result).run()
    return [(d.index, shape(d.root), d.span) for d in result.documents], result.problems


def same_or_declined(text: str, max_depth: int = 100) -> bool:
    """True when the fast reader took the text (and then agreed), False when it declined."""
    got = fast(text, max_depth)
    if got is None:
        return False
    expected, problems = slow(text, max_depth)
    assert problems == []
    assert got == expected
    return True


def test_the_repository_yaml_files() -> None:
    taken = 0
    files = sorted(p for p in ROOT.joinpath("fixtures").rglob("*") if p.suffix in (".yaml", ".yml"))
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        taken += same_or_declined(text)
    assert taken >= 200, taken  # kubectl-style block YAML is most of the real fixtures


MANIFEST = """\
# a comment before the first document
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-scrape   # a comment after a value
  namespace: ml
  labels:
    app.kubernetes.io/name: trainer
    empty:
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
      podSelector: { }
    ports:
    -   port: 8080
        protocol: TCP
    - port: metrics
  egress: []
  policyTypes:
  - Ingress
  - [Egress, "x", 'y']
  - {a: b, c: 1}
matchLabels: { app: web , tier: 'it''s' }

---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    note: 'it''s quoted'
    other: "double quoted"
    schedule: 5 4 * * *
    url: http://example.com:8080/x#y
    cidr: 2001:db8::/32
  name: p
spec:
  containers:
    - args:
      - --port
      - -v
      - 1e3
      - 0x50
      - ~
      - .inf
      - yes
      image: repo/image:1.0
      name: main
---
---
last: document
"""


def test_a_typical_manifest_is_taken_and_read_alike() -> None:
    assert same_or_declined(MANIFEST)
    assert same_or_declined(MANIFEST.rstrip("\n"))  # no line end at the end of the text
    assert same_or_declined("")
    assert same_or_declined("# only a comment\n")
    assert same_or_declined("---\n")
    assert same_or_declined("- a\n- b: 1\n  c:\n-   d: [ ]\n")
    assert same_or_declined("a: [x, 'y', \"z\"]\nb: {c: 1, d: [ ]}\n".replace("[ ]}", "x}"))
    assert same_or_declined("kind: Pod\nspec: {containers: \"x\"}\nargs: [\"-conf\", /etc/x, -v]  # c\n")


@pytest.mark.parametrize("text", [
    "a: b\n  c\n",  # a plain scalar continued on the next line
    "a: |\n  text\n",  # block scalar
    "a: &x 1\nb: *x\n",  # anchor and alias
    "a: !tag 1\n",
    "a: [1, [2]]\n",  # flow collections inside flow collections
    "a: {b: {c: 1}}\n",
    "a: [a, b,]\n",
    "a: {b: 1, b: 2}\n",  # duplicate key in a flow mapping
    "a: {80: x}\n",
    "a: [a b]\n",
    "a: [x:y]\n",
    "a: {b: }\n",
    "a:\tb\n",
    "a: b\r\n",
    "a: 'x'' \n",
    'a: "\\n"\n',
    "a: 1\na: 2\n",  # duplicate key
    "80: x\n",  # a key that is a number
    "true: x\n",
    "mode: 0644\n",  # octal, reported by the libyaml path
    "a: b: c\n",
    "a: b #c: d\n  e: f\n",
    "a:\n  b: 1\n c: 2\n",  # a key between two columns
    "a: 1\n- b\n",
    "- a\nb: 1\n",
    "a: {{ .Values.x }}\n",
    "# policylint: disable=PL101\na: b\n",
    "x\n",  # a root scalar
    "a: é\n",
    "...\n",
    "--- a: b\n",
    "? a\n: b\n",
    "a : b\n",
    "- - a\n",
    "a: [0644]\n",
    "-\n  a: b\n",
])
def test_what_is_declined(text: str) -> None:
    assert fast(text) is None


def test_nesting_deeper_than_the_limit_is_declined() -> None:
    text = "a:\n  b:\n    c: {}\n"
    assert same_or_declined(text, max_depth=4)
    assert fast(text, max_depth=3) is None  # the fourth container: the libyaml path reports it
    assert fast("a:\n  b:\n    c: 1\n", max_depth=2) is None


def test_parse_text_takes_the_fast_path_with_the_same_result() -> None:
    result = parse_text(MANIFEST, "m.yaml")
    expected = ParseResult()
    _Parser(normalise(MANIFEST), "m.yaml", Limits(), expected).run()
    assert result.problems == expected.problems == []
    assert [(d.path, d.index, shape(d.root), d.span) for d in result.documents] == \
        [(d.path, d.index, shape(d.root), d.span) for d in expected.documents]
    assert MAX_DEPTH_CAP >= 100


@given(clusters(max_pods=3, max_policies=2))
def test_generated_clusters_dumped_as_block_yaml(cluster: Any) -> None:
    same_or_declined(cluster.text())  # PyYAML's dumper writes block style


# Lines of every kind the fast reader takes, and of kinds it must decline, at varied indentation.
_KEYS = ["a", "b", "app.kubernetes.io/name", "x_1", "80", "true", "null", "y", "a b", "<<", "-k", "'q'"]
_VALUES = ["", " v", " 8080", " 0644", " -1", " --port", " 1e3", " ~", " .nan", " 'it''s'", ' "dq"', " {}",
           " [ ]", " [a]", " {a: 1}", " a: b", " a:b", " a #c", " a#b", " x  y", " http://h:1/p", " ::1",
           " &a x", " *a", " !t x", " |", " >", " -", " ? x", "  # c", " é", "\t", " 'x", ' "a\\n"', " 5 4 * * *",
           " [a, 'b', \"c\"]", " { a: 1 , b: 'x''y' }", " [ -np , \"2\", /opt/x ]", " {a: 1, a: 2}", " [a, b,]",
           " {a: {b: 1}}", " {80: x, y: n}", " [0644]", " {a: }", " [a b]", " [~, null, yes, 1e3]"]


@st.composite
def block_texts(draw: Any) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 14))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 2, 4, 6, 1, 3]))
        kind = draw(st.sampled_from(["key", "key", "item", "item-key", "blank", "comment", "doc", "scalar"]))
        value = draw(st.sampled_from(_VALUES))
        if kind == "key":
            lines.append(f"{indent}{draw(st.sampled_from(_KEYS))}:{value}")
        elif kind == "item":
            lines.append(f"{indent}-{value or ' v'}")
        elif kind == "item-key":
            lines.append(f"{indent}-{' ' * draw(st.integers(1, 3))}{draw(st.sampled_from(_KEYS))}:{value}")
        elif kind == "blank":
            lines.append(indent)
        elif kind == "comment":
            lines.append(f"{indent}# note")
        elif kind == "doc":
            lines.append("---")
        else:
            lines.append(f"{indent}{value.strip() or 'v'}")
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@given(block_texts())
def test_generated_lines_are_read_alike_or_declined(text: str) -> None:
    same_or_declined(text)


def test_the_generated_lines_are_often_taken() -> None:
    # The property above must not hold by declining: well-formed texts from the same pieces are taken.
    text = "a:\n  b: 8080\n  c:\n  - v\n  -   x_1: ~\n      y2: 'it''s'\nd: [ ]\n---\n- v\n"
    assert same_or_declined(text)


# Well-formed block YAML from random trees, written with the freedoms block style allows: any
# deeper indentation, sequences in their key's column or deeper, spaces after a dash, comments
# and blank lines anywhere, trailing spaces, several documents.
_SAFE_VALUES = ["v", "8080", "-1", "--port", "1e3", "~", "null", "yes", "'it''s'", '"dq"', "{}", "[ ]", "x  y",
                "http://h:1/p", "::1", "0.0.0.0", "5 4 * * *", "a'b", "0x50", ".inf", "1_000",
                "[Ingress, Egress]", '["--port", "-np", 2]', "{app: web, tier: 'b'}", "{ x: 1 }"]
_SAFE_KEYS = ["a", "b", "c", "app.kubernetes.io/name", "x_1", "port", "k-8"]

trees = st.recursive(
    st.sampled_from(_SAFE_VALUES),
    lambda inner: st.one_of(st.dictionaries(st.sampled_from(_SAFE_KEYS), inner, min_size=1, max_size=4),
                            st.lists(inner, min_size=1, max_size=4)),
    max_leaves=20,
)


@st.composite
def written_trees(draw: Any) -> str:
    lines: list[str] = []

    def extra() -> None:
        choice = draw(st.sampled_from(["", "", "", "blank", "comment"]))
        if choice == "blank":
            lines.append("")
        elif choice == "comment":
            lines.append(" " * draw(st.integers(0, 6)) + "# note")

    def tail() -> str:
        return draw(st.sampled_from(["", "", " ", "  # c"]))

    def block(value: Any, column: int, head: str | None) -> None:
        # `head` is the text before the first entry on its line ("- " of an item), or None.
        if isinstance(value, dict):
            for number, (key, item) in enumerate(value.items()):
                prefix = head if number == 0 and head is not None else " " * column
                entry(prefix + f"{key}:", item, column)
        else:
            for number, item in enumerate(value):
                prefix = head if number == 0 and head is not None else " " * column
                dash = "-" + " " * draw(st.integers(1, 3))
                if isinstance(item, (dict, list)) and isinstance(item, dict):
                    block(item, column + len(dash), prefix + dash)
                elif isinstance(item, list):
                    lines.append(prefix + "-" + tail())  # an item whose value is under it: declined
                    extra()
                    block(item, column + draw(st.integers(1, 3)), None)
                else:
                    lines.append(prefix + dash + item + tail())
                    extra()

    def entry(prefix: str, item: Any, column: int) -> None:
        if isinstance(item, str):
            lines.append(prefix + " " + item + tail())
            extra()
            return
        lines.append(prefix + tail())
        extra()
        deeper = column + draw(st.integers(1, 4))
        if isinstance(item, list) and draw(st.booleans()):
            deeper = column  # an indentless sequence
        block(item, deeper, None)

    for number in range(draw(st.integers(1, 3))):
        if number or draw(st.booleans()):
            lines.append("---")
        extra()
        block(draw(trees.filter(lambda v: not isinstance(v, str))), draw(st.sampled_from([0, 0, 2])), None)
    return "\n".join(lines) + draw(st.sampled_from(["\n", ""]))


@given(written_trees())
def test_written_trees_are_read_alike(text: str) -> None:
    same_or_declined(text)


# Lines from characters that matter to the two line patterns: the commonest shapes are matched by
# _COMMON first, which must give exactly what _LINE gives them.
_LINE_PIECES = st.sampled_from([" ", "  ", "- ", "-", ":", ": ", "a", "app.kubernetes.io/name", "x_1", "k-8", "80",
                                "v", "web-1", "#", " # c", "'", '"', "[", "]", "{", "}", ",", ".", "/", "~", "\t"])


@given(st.lists(_LINE_PIECES, max_size=8).map("".join))
def test_the_common_lines_are_matched_as_the_line_pattern_matches_them(line: str) -> None:
    common = block_yaml._COMMON.match(line)
    if common is None:
        return
    full = block_yaml._LINE.match(line)
    assert full is not None
    assert common.groups() == full.groups()
    assert [common.span(g) for g in range(6)] == [full.span(g) for g in range(6)]


def test_the_common_pattern_takes_the_commonest_lines() -> None:
    # Not a property that holds by matching nothing: these are what it is for.
    for line in ("a:", "  app.kubernetes.io/name: web-1", "- name: x_1", "  -   k-8: v", "port: 80"):
        assert block_yaml._COMMON.match(line) is not None, line
    for line in ("a: 'quoted'", "a: [x]", "- v", "a: b c", "a: v # c", "a:  v", "a: v "):
        assert block_yaml._COMMON.match(line) is None, line


# -- the line index made from the lines, and the lines kept from text to text ---------------------

def finditer_starts(text: str) -> list[int]:
    """The line starts as counted independently: 0, then after every "\n"."""
    return [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]


@given(st.lists(st.sampled_from(["\n", "\r", " ", "a", "é", "\r\n", "\n\n", "-"]), max_size=20).map("".join))
def test_the_line_index_from_the_lines_is_the_one_from_the_text(text: str) -> None:
    from_text = LineIndex("t.yaml", text)
    from_lines = LineIndex("t.yaml", text, text.split("\n"))
    assert list(from_lines.starts()) == list(from_text.starts()) == finditer_starts(text)
    for offset in range(len(text) + 1):
        assert from_lines.position(offset) == from_text.position(offset)


def test_the_line_index_of_the_edge_texts() -> None:
    for text, starts in [("", [0]), ("a", [0]), ("\n", [0, 1]), ("a\nbc", [0, 2]), ("a\r\nb\n", [0, 3, 5])]:
        assert list(LineIndex("t", text, text.split("\n")).starts()) == starts
        assert list(LineIndex("t", text).starts()) == starts


@pytest.fixture
def no_known_lines(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    known: dict[str, Any] = {}
    monkeypatch.setattr(block_yaml, "_LINES", known)
    return known


def test_a_text_is_read_alike_from_known_lines(no_known_lines: dict[str, Any]) -> None:
    cold = fast(MANIFEST)
    assert cold is not None and no_known_lines  # the lines were kept ...
    assert fast(MANIFEST) == cold  # ... and read again from there
    assert same_or_declined(MANIFEST)
    # The same lines under other lines: only what a line says alone is kept, not where it is.
    shifted = "top:\n" + "".join(f"  {line}\n" if line and line != "---" else "\n"
                                 for line in MANIFEST.split("\n")[:16])
    assert same_or_declined(shifted)


def test_known_flow_collections_are_new_containers(no_known_lines: dict[str, Any]) -> None:
    text = "a: {}\nb: {}\nc:\n- [x]\n- [x]\n"
    for _ in range(2):
        (_, root, _, _), = block_yaml.read(text, LineIndex("t", text), 100, _resolve_plain, _octal_looking)
        assert root["a"] == root["b"] == {} and root["a"] is not root["b"]
        assert root["c"][0] == root["c"][1] == ["x"] and root["c"][0] is not root["c"][1]
        assert root["a"]._at != root["b"]._at
    assert same_or_declined(text)


def test_a_line_that_is_declined_is_not_kept(no_known_lines: dict[str, Any]) -> None:
    for text in ("mode: 0644\n", "80: x\n", "a: b\n  c\n", "x\n"):
        assert fast(text) is None
    assert set(no_known_lines) <= {"a: b"}
    assert fast("a: b\n  c\n") is None  # declined again from the line after the known one


def test_the_known_lines_are_bounded(no_known_lines: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(block_yaml, "_LINE_ENTRIES", 3)
    long_line = "k: " + "v" * block_yaml._CACHED_LINE_LENGTH
    text = f"{long_line}\na: 1\nb: 2\nc: 3\nd: 4\n"
    assert same_or_declined(text)
    assert list(no_known_lines) == ["a: 1", "b: 2", "c: 3"]
    assert same_or_declined(text)


@given(written_trees())
def test_written_trees_are_read_alike_from_known_lines(text: str) -> None:
    # Each text read with no known lines and then again with its own: the same documents.
    saved = dict(block_yaml._LINES)
    block_yaml._LINES.clear()
    try:
        cold = fast(text)
        assert fast(text) == cold
    finally:
        block_yaml._LINES.clear()
        block_yaml._LINES.update(saved)
