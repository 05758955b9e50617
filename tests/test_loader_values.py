"""The loader's values, keys, positions and limits, checked against what Kubernetes' decoder reads."""
from __future__ import annotations

import math
import tracemalloc
from pathlib import Path

import pytest

from policylint.analysis import analyse
from policylint.config import load_config
from policylint.load import Limits
from policylint.load.nodes import Span, YMap, YSeq, short_repr
from policylint.load.yaml_reader import default_max_file_bytes, parse_text


def root(text: str, limits: Limits = Limits()) -> object:
    result = parse_text(text, "f.yaml", limits)
    # "typing" notes (`0120` is octal 80) are warnings about a value read correctly
    assert not [p for p in result.problems if p.kind != "typing"], result.problems
    return result.documents[0].root


def problems(text: str, limits: Limits = Limits()) -> list[tuple[str, int, int, str]]:
    return [(p.kind, p.span.line, p.span.column, p.message) for p in parse_text(text, "f.yaml", limits).problems]


# -- scalars -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("80", 80), ("-7", -7), ("0x50", 80), ("0120", 80), ("0b1010000", 80), ("8_0", 80), ("+80", 80), ("0", 0),
    ("1.5", 1.5), ("-.inf", -math.inf), (".inf", math.inf), ("1.", 1.0),
    ("yes", True), ("Off", False), ("true", True), ("FALSE", False),
    ("~", None), ("null", None), ("", None),
    ("1:20", "1:20"),  # base 60 in YAML 1.1, a string to Kubernetes' decoder and to YAML 1.2
    ("1:20.5", "1:20.5"),
    ("2024-01-01", "2024-01-01"),  # timestamps stay text: JSON has no such type
    ("'80'", "80"), ('"true"', "true"), ("|\n  80\n", "80\n"),
    ("!!int '80'", 80), ("!!int 'eighty'", "eighty"), ("!!float '1.5'", 1.5), ("!!str 80", "80"),
    ("!!bool 'yes'", True), ("!!null ''", None), ("! 80", "80"),
    ("!!binary aGVsbG8=", "aGVsbG8="), ("!Ref Subnet", "Subnet"), ("!!timestamp 2024-01-01", "2024-01-01"),
])
def test_scalar_values(text: str, value: object) -> None:
    assert root(f"v: {text}")["v"] == value  # type: ignore[index]


def test_nan() -> None:
    assert math.isnan(root("v: .NaN")["v"])  # type: ignore[index]


def test_numbers_too_large_for_any_decoder_stay_text() -> None:
    decimal = "9" * 5000  # Python refuses to convert more than 4,300 digits
    hexadecimal = "0x" + "f" * 1100  # 4,400 bits: Python would refuse to print it in a message
    base60 = "1" + ":59" * 5000  # YAML 1.1 would make it a 9,000-digit number (and PyYAML overflowed on floats)
    values = root(f"a: {decimal}\nb: {hexadecimal}\nc: {base60}\nd: {base60}.5\ne: 0x{'f' * 100}\n")
    # go-yaml reads integers of at most 64 bits (ParseInt, then ParseUint); a longer hexadecimal
    # number is not a float either, so it is text there, and here
    assert values == {"a": decimal, "b": hexadecimal, "c": base60, "d": base60 + ".5", "e": "0x" + "f" * 100}


def test_no_tag_constructs_an_object_or_runs_anything(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = (f"a: !!python/object/apply:os.system ['touch {marker}']\n"
            f"b: !!python/object/new:subprocess.Popen [['touch', '{marker}']]\n"
            "c: !!python/name:os.system\n"
            "d: !!python/object:argparse.Namespace {x: 1}\n"
            "e: !!set {x, y}\n"  # y is the boolean true in YAML 1.1, as a key too: "true"
            "f: !!omap [{x: 1}]\n")
    values = root(text)
    assert values == {"a": [f"touch {marker}"], "b": [["touch", str(marker)]], "c": "", "d": {"x": 1},
                      "e": {"x": None, "true": None}, "f": [{"x": 1}]}
    assert type(values["d"]) is YMap and type(values["f"]) is YSeq  # type: ignore[index]
    assert not marker.exists()


# -- keys ------------------------------------------------------------------------------------------

def test_keys_become_strings_as_kubernetes_converts_them() -> None:
    assert list(root("1: a\ntrue: b\n1.5: c\n0x10: d\n.inf: e\n2.0: f\n")) == ["1", "true", "1.5", "16", ".inf", "2"]


def test_one_and_true_are_different_keys() -> None:
    assert parse_text("{1: a, true: b, '1': c}", "f.yaml").documents[0].root == {"1": "c", "true": "b"}
    assert problems("{1: a, true: b, '1': c}") == [
        ("duplicate-key", 1, 17, "duplicate key '1' (first at line 1); the API server rejects it")]


def test_null_mapping_and_list_keys_are_reported_and_kept_apart() -> None:
    result = parse_text("~: a\n? {x: 1}\n: b\n? [y]\n: c\n? [y]\n: d\n", "f.yaml")
    assert [(p.kind, p.span.line, p.span.column) for p in result.problems] == [
        ("shape", 1, 1), ("shape", 2, 3), ("shape", 4, 3), ("shape", 6, 3)]
    assert result.problems[1].message == ("a mapping key must be a string, number or boolean, not a mapping: "
                                          "Kubernetes rejects the document")
    assert list(result.documents[0].root.values()) == ["a", "b", "c", "d"]  # distinct keys, none lost


def test_duplicate_key_keeps_the_last_value_at_its_position() -> None:
    result = parse_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    mapping = result.documents[0].root
    assert mapping == {"a": 3, "b": 2}
    assert (mapping.span_of_key("a").line, mapping.span_of_value("a").line) == (3, 3)
    assert [(p.kind, p.span.line, p.message) for p in result.problems] == [
        ("duplicate-key", 3, "duplicate key 'a' (first at line 1); the API server rejects it")]


# -- merge keys ----------------------------------------------------------------------------------

def test_merge_keys() -> None:
    text = "base: &b {x: 1, w: 2}\nother: &o {z: 3}\nm:\n  <<: [*b, *o, {x: 9}]\n  w: 5\n"
    mapping = root(text)["m"]  # type: ignore[index]
    assert mapping == {"w": 5, "x": 1, "z": 3}
    assert mapping.span_of_value("x") == Span("f.yaml", 1, 14, 1, 15)  # where the merged value is written
    assert mapping.span_of_value("w") == Span("f.yaml", 5, 6, 5, 7)


def test_merge_of_a_non_mapping_is_reported() -> None:
    assert problems("a: {<<: [1]}\n") == [("syntax", 1, 9, "a merge key `<<` needs a mapping or a list of mappings")]


# -- positions -------------------------------------------------------------------------------------

def test_positions_of_keys_values_and_items() -> None:
    text = "a:\n  b: [x, {c: é日本, d: 4}]\n  e: |\n    text\n"
    top = root(text)
    inner = top["a"]  # type: ignore[index]
    assert top.span == Span("f.yaml", 1, 1, 5, 1)
    assert inner.span_of_key("b") == Span("f.yaml", 2, 3, 2, 4)
    sequence = inner["b"]
    assert sequence.span == Span("f.yaml", 2, 6, 2, 25)
    assert sequence.span_of_item(0) == Span("f.yaml", 2, 7, 2, 8)
    assert sequence[1].span_of_value("c") == Span("f.yaml", 2, 14, 2, 17)  # columns count characters
    assert sequence[1].span_of_value("d") == Span("f.yaml", 2, 22, 2, 23)
    assert inner.span_of_value("e").line == 3
    assert inner.span_of_value("missing") == inner.span  # absent: the container itself
    assert sequence.span_of_item(7) == sequence.span


def test_lines_are_counted_at_newlines_only() -> None:
    # CRLF, U+2028 and U+0085 inside a string: editors keep counting lines at "\n".
    text = "a: 'one\u2028two\u0085three'\r\nb: x\r\n"
    assert root(text).span_of_value("b") == Span("f.yaml", 2, 4, 2, 5)  # type: ignore[union-attr]


def test_span_dictionaries_read_and_write_like_plain_dicts() -> None:
    mapping = root("a: 1\nb: [2, 3]\n")
    assert mapping.key_spans == {"a": Span("f.yaml", 1, 1, 1, 2), "b": Span("f.yaml", 2, 1, 2, 2)}  # type: ignore
    assert mapping.value_spans["b"] == Span("f.yaml", 2, 4, 2, 10)  # type: ignore[union-attr]
    assert mapping["b"].item_spans == [Span("f.yaml", 2, 5, 2, 6), Span("f.yaml", 2, 8, 2, 9)]  # type: ignore
    moved = Span("g.py", 9, 1, 9, 2)
    mapping.key_spans = {"a": moved}  # type: ignore[union-attr]
    assert mapping.span_of_key("a") == moved  # type: ignore[union-attr]
    built = YMap(Span("g.py", 1, 1, 1, 1))  # positioned values built by hand (Pulumi input)
    built["k"] = "v"
    built.value_spans["k"] = moved
    assert (built.span_of_value("k"), built.span_of_key("k")) == (moved, built.span)


def test_big_mapping_lookups_use_an_index() -> None:
    mapping = root("".join(f"k{i}: {i}\n" for i in range(500)))
    assert mapping.span_of_value("k499") == Span("f.yaml", 500, 7, 500, 10)  # type: ignore[union-attr]
    assert mapping.span_of_key("k0") == Span("f.yaml", 1, 1, 1, 3)  # type: ignore[union-attr]


def test_json_surrogate_pairs_are_characters() -> None:
    # Python's json.dumps writes U+1F600 as a surrogate pair: valid JSON, invalid YAML escapes.
    assert root('{"a": "\\ud83d\\ude00", "b": "\\\\ud83d", "c": "\\ud800"}') == {"a": "😀", "b": "\\ud83d", "c": "\ufffd"}
    assert problems('a: "\\ud83d\\ude00"\n')[0][:3] == ("syntax", 1, 7)  # YAML forbids them, as go-yaml does


def test_unrendered_helm_expressions_are_text_and_reported_once() -> None:
    result = parse_text("a: {{ .Values.a }}\nb:\n  c: {{ include \"x\" . }}\n", "f.yaml")
    assert result.documents[0].root == {"a": "{{ .Values.a }}", "b": {"c": '{{ include "x" . }}'}}
    assert [(p.kind, p.span.line, p.span.column, p.message) for p in result.problems] == [
        ("syntax", 1, 4, "unrendered Helm template expression '{{ .Values.a }}' (and 1 more): "
                         "lint the output of `helm template` instead")]


def test_messages_quote_values_in_bounded_form() -> None:
    deep: object = "x"
    for _ in range(50):
        deep = [deep]
    assert short_repr(deep) == "[[[[…]]]]"
    assert short_repr(list(range(100))) == "[0, 1, 2, 3, 4, 5, … (100 items)]"
    assert short_repr("y" * 100) == repr("y" * 60) + "… (100 characters)"
    assert short_repr({"a": None, "b": True}) == "{'a': null, 'b': true}"
    assert short_repr(2 ** 1000).startswith("<integer of 302 digits>")


# -- the pure-Python parser -------------------------------------------------------------------------

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "invalid"


@pytest.mark.parametrize("name", ["alias-bomb.yaml", "control-character.yaml", "deep-flow-nesting-abort.yaml",
                                  "duplicate-keys.yaml", "helm-expressions.yaml", "mapping-keys.yaml",
                                  "merge-keys.yaml", "numbers.yaml", "syntax-error.yaml", "tabs.yaml", "tags.yaml"])
def test_pure_python_parser_gives_the_same_result(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Where PyYAML was built without libyaml, its own parser is used: same documents, same problems.
    import yaml

    from policylint.load import yaml_reader

    text = (CORPUS / name).read_text(encoding="utf-8")
    fast = parse_text(text, name)
    monkeypatch.setattr(yaml_reader, "_EventLoader", yaml.SafeLoader)
    slow = parse_text(text, name)
    assert [d.root for d in slow.documents] == [d.root for d in fast.documents]
    assert [(p.kind, p.span.line, p.span.column) for p in slow.problems] == \
        [(p.kind, p.span.line, p.span.column) for p in fast.problems]


# -- limits ----------------------------------------------------------------------------------------

def test_depth_limit_counts_containers() -> None:
    limits = Limits(max_depth=3)
    assert parse_text("a: {b: {c: 1}}\n", "f.yaml", limits).problems == []
    assert problems("a: {b: {c: [1]}}\n", limits) == [
        ("limit", 1, 12, "document nested deeper than 3 levels (limit max-depth); document skipped")]


def test_depth_limit_is_capped_whatever_the_config_says() -> None:
    text = "a: " + "[" * 600 + "]" * 600 + "\n"
    # The 500th bracket opens the 501st container (the root mapping is the first).
    assert problems(text, Limits(max_depth=10_000)) == [
        ("limit", 1, 3 + 500, "document nested deeper than 500 levels (limit max-depth); document skipped")]


def test_refused_document_does_not_stop_the_next_one() -> None:
    result = parse_text("a: [[[[1]]]]\n---\nb: 2\n", "f.yaml", Limits(max_depth=3))
    assert [d.root for d in result.documents] == [{"b": 2}]
    assert [(p.kind, p.span.line) for p in result.problems] == [("limit", 1)]


def test_alias_bomb_is_refused_cheaply() -> None:
    levels = ["a: &a [" + ", ".join(["lol"] * 9) + "]"]
    for previous, name in zip("abcdefghijklmnopqrstuvwxy", "bcdefghijklmnopqrstuvwxyz"):
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    text = "\n".join(levels) + "\n---\nafter: 1\n"  # 9^26 values if expanded
    tracemalloc.start()
    try:
        result = parse_text(text, "f.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(p.kind, p.span.line, p.span.column) for p in result.problems] == [("limit", 6, 8)]
    assert [d.root for d in result.documents] == [{"after": 1}]
    assert peak < 5_000_000  # bytes: the bomb is never expanded


def test_shared_aliases_below_the_limit_are_read() -> None:
    # {x: 1} counts three values (the mapping, its key and its value): two aliases make 6.
    mapping = root("a: &a {x: 1}\nb: [*a, *a]\n", Limits(max_alias_nodes=6))
    assert mapping["b"] == [{"x": 1}, {"x": 1}]  # type: ignore[index]
    assert problems("a: &a {x: 1}\nb: [*a, *a, *a]\n", Limits(max_alias_nodes=6))[0][:3] == ("limit", 2, 13)


def test_limits_come_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / ".policylint.yaml").write_text("limits:\n  max-file-bytes: 100\n  max-depth: 4\n  max-alias-nodes: 7\n")
    config = load_config(tmp_path / ".policylint.yaml")
    assert config.limits == Limits(max_file_bytes=100, max_depth=4, max_alias_nodes=7)
    (tmp_path / "deep.yaml").write_text("kind: ConfigMap\ndata: {a: {b: {c: {d: 1}}}}\n")
    (tmp_path / "big.yaml").write_text("kind: ConfigMap\ndata: {a: '" + "x" * 100 + "'}\n")
    (tmp_path / "aliases.yaml").write_text("kind: ConfigMap\nx: &x [1, 2]\ndata: [*x, *x, *x]\n")
    found = analyse([str(tmp_path / n) for n in ("deep.yaml", "big.yaml", "aliases.yaml")], config, select=["PL007"])
    assert sorted((Path(f.path).name, f.line, f.column) for f in found.findings) == [
        ("aliases.yaml", 3, 16), ("big.yaml", 1, 1), ("deep.yaml", 2, 19)]


def test_default_limits() -> None:
    assert Limits() == Limits(max_file_bytes=default_max_file_bytes(), max_depth=100, max_alias_nodes=100_000)


@pytest.mark.parametrize("available, expected_mib", [
    (None, None),  # whatever this machine has: between the bounds, a power of two
    (1 << 30, 64),  # 1 GiB free: 32 MiB by the budget (32 bytes per byte), raised to the floor
    (2 << 30, 64),  # 64 MiB by the budget
    (8 << 30, 256),  # 256 MiB: a 150,000-pod export (134 MB) is admitted
    (20 << 30, 512),  # 640 MiB by the budget -> 512 MiB
    (64 << 30, 1024),  # 2,048 MiB, capped at 1 GiB
    (512 << 30, 1024),
])
def test_default_file_limit_follows_available_memory(available, expected_mib) -> None:
    found = default_max_file_bytes(available)
    if expected_mib is None:
        assert 64 << 20 <= found <= 1 << 30 and found & (found - 1) == 0
    else:
        assert found == expected_mib << 20
