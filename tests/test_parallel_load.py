"""Reading on several processes gives exactly what one process gives.

The parallel paths (files parsed by worker processes, one `kind: List` file cut at its items and
parsed in parts) are forced on small inputs by lowering their thresholds. What is compared is
everything the loader hands on — every container's span and every key's, value's and item's —
and the `check --format json` report byte for byte.
"""
from __future__ import annotations

import json
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

from policylint.cli.main import cli
from policylint.load import load_paths, parallel, split
from policylint.load.nodes import YMap, YSeq
from policylint.load.yaml_reader import Limits, parse_text


def _values(value: Any) -> Any:
    """A value with the position of every part of it, to compare two loads exactly."""
    if isinstance(value, YMap):
        return ("map", value.span, [(k, value.span_of_key(k), value.span_of_value(k), _values(v))
                                    for k, v in value.items()])
    if isinstance(value, YSeq):
        return ("seq", value.span, [(value.span_of_item(i), _values(v)) for i, v in enumerate(value)])
    return (type(value).__name__, repr(value))


def _documents(documents: list[Any]) -> list[Any]:
    return [(d.path, d.index, d.span, _values(d.root)) for d in documents]


def _snapshot(result: Any) -> Any:
    return ([(f.path, _documents(f.documents), f.problems, f.directive_lines, f.meant_as_manifest)
             for f in result.files],
            [(o.kind, o.api_version, o.field_prefix, o.node.span) for o in result.objects],
            result.problems, result.skipped)


class _InProcess:
    """A pool that runs each task at once, here: the split's logic without processes."""

    workers = 2

    def submit(self, function: Any, *args: Any) -> Future:
        future: Future = Future()
        future.set_result(function(*args))
        return future


POD = """\
- apiVersion: v1
  kind: Pod
  metadata:
    name: {name}
    namespace: {namespace}
    labels:
      app: {name}
      port: "{port}"
      code: 01{digit}
  spec:
    containers:
    - name: main
      ports:
      - containerPort: {port}
        name: http
"""


def _export(pods: int, extra: str = "", indent: str = "") -> str:
    items = "".join(POD.format(name=f"web-{i}", namespace=f"ns-{i % 3}", port=8000 + i % 7, digit=i % 8) for i in range(pods))
    items = "".join(indent + line if line else line for line in items.splitlines(keepends=True))
    return "# exported\napiVersion: v1\nitems:\n" + extra + items + "kind: List\nmetadata:\n  resourceVersion: \"\"\n"


def _json_export(pods: int) -> str:
    items = [{"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": f"api-{i}", "namespace": f"ns-{i % 3}", "labels": {"app": f"api-{i % 4}"}},
              "spec": {"containers": [{"name": "main", "ports": [{"containerPort": 9000 + i, "name": "grpc"}]}]}}
             for i in range(pods)]
    # as kubectl writes it: four spaces, sorted keys
    return json.dumps({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}},
                      indent=4, sort_keys=True) + "\n"


@pytest.fixture()
def low_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(parallel, "SPLIT_MIN_BYTES", 4_000)


def _tree(root: Path) -> Path:
    (root / "ns").mkdir(parents=True)
    (root / "cluster.yaml").write_text(_export(40), encoding="utf-8")  # cut in parts
    (root / "cluster.json").write_text(_json_export(30), encoding="utf-8")  # likewise
    for i in range(6):
        (root / "ns" / f"app-{i}.yaml").write_text(
            f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-{i}\n"
            f"  namespace: ns-{i % 3}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n", encoding="utf-8")
    # a broken manifest, a duplicate key and a JSON file: their problems must come out alike
    (root / "ns" / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n", encoding="utf-8")
    (root / "ns" / "dup.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n"
                                          "spec:\n  selector: {app: web-1}\n  ports: [{port: 80}]\n", encoding="utf-8")
    (root / "ns" / "np.json").write_text(json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                                     "metadata": {"name": "j", "namespace": "ns-1"},
                                                     "spec": {"podSelector": {"matchLabels": {"app": "web-4"}},
                                                              "ingress": [{"from": [{"podSelector": {}}]}]}},
                                                    indent=4), encoding="utf-8")
    return root


def test_parallel_load_equals_one_process(tmp_path: Path, low_thresholds: None,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path)
    one = load_paths([str(root)], jobs=1)
    calls: list[str] = []
    original = split.parse_split
    monkeypatch.setattr(split, "parse_split", lambda *a: calls.append(a[1]) or original(*a))
    several = load_paths([str(root)], jobs=2)
    assert calls == [str(root / "cluster.json"), str(root / "cluster.yaml")]
    assert len(one.objects) == 30 + 40 + 6 + 2  # the broken file holds none
    assert any(p.kind == "syntax" for p in one.problems) and any(p.kind == "duplicate-key" for p in one.problems)
    assert _snapshot(several) == _snapshot(one)


def test_check_json_report_is_byte_identical(tmp_path: Path, low_thresholds: None) -> None:
    root = _tree(tmp_path)
    runner = CliRunner()
    reports = [runner.invoke(cli, ["check", "--format", "json", "--jobs", jobs, str(root)]) for jobs in ("1", "2")]
    assert reports[0].exit_code == reports[1].exit_code == 1, reports[0].output
    assert reports[0].stdout == reports[1].stdout
    findings = json.loads(reports[0].stdout)["findings"]
    # the unclosed `[x` of line 4 is found at the end of the text: line 5, column 1
    assert any(f["file"].endswith("broken.yaml") and (f["code"], f["line"], f["column"]) == ("PL001", 5, 1)
               for f in findings)
    assert sum(f["file"].endswith("cluster.yaml") for f in findings) >= 40  # the octal `code` labels


def test_a_list_on_standard_input_is_cut_too(low_thresholds: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = split.parse_split
    monkeypatch.setattr(split, "parse_split", lambda *a: calls.append(a[1]) or original(*a))
    text = _export(30)
    reports = [CliRunner().invoke(cli, ["check", "--format", "json", "--jobs", jobs, "-"], input=text)
               for jobs in ("1", "2")]
    assert calls == ["<stdin>"]
    assert reports[0].exit_code == reports[1].exit_code == 1 and reports[0].stdout == reports[1].stdout


def test_the_split_parse_is_the_whole_parse(tmp_path: Path) -> None:
    text = _export(30)
    found = split.plan(text)
    assert found is not None and len(found.starts) == 30 and found.indent == 0 and not found.json
    assert text[found.close:].startswith("kind: List")
    whole = parse_text(text, "x.yaml")
    parts = split.parse_split(text, "x.yaml", Limits(), _InProcess(), 4)
    assert _documents(parts.documents) == _documents(whole.documents)
    assert parts.problems == whole.problems and [p.kind for p in whole.problems] == ["typing"] * 30


class _NeverStarted:
    """A pool whose workers never start: this process parses every part itself."""

    workers = 2

    def submit(self, function: Any, *args: Any) -> Future:
        return Future()


@pytest.mark.parametrize("pool", [_InProcess(), _NeverStarted()], ids=["workers", "here"])
@pytest.mark.parametrize("make", [lambda: _export(25, indent="  "), lambda: _json_export(25)], ids=["yaml", "json"])
def test_parts_parsed_here_or_by_workers_join_alike(pool: Any, make: Any) -> None:
    text = make()
    whole = parse_text(text, "x")
    parts = split.parse_split(text, "x", Limits(), pool, 4)
    assert _documents(parts.documents) == _documents(whole.documents) and parts.problems == whole.problems


def test_indented_entries_are_cut_too() -> None:
    text = _export(12, indent="  ")
    found = split.plan(text)
    assert found is not None and found.indent == 2 and len(found.starts) == 12
    whole = parse_text(text, "x.yaml")
    assert _documents(split.parse_split(text, "x.yaml", Limits(), _InProcess(), 5).documents) == _documents(whole.documents)


def test_a_json_list_is_cut_between_its_entries() -> None:
    text = _json_export(20)
    found = split.plan(text)
    assert found is not None and found.json and found.indent == 8 and len(found.starts) == 20
    assert text[found.open] == "[" and text[found.close] == "]"
    whole = parse_text(text, "x.json")
    parts = split.parse_split(text, "x.json", Limits(), _InProcess(), 3)
    assert _documents(parts.documents) == _documents(whole.documents) and parts.problems == whole.problems == []


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.sampled_from("a{[}],:\" \\\n-#é"), max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "kind", "items"]), inner,
                                                                 max_size=3),
    max_leaves=8)


_json_items = st.dictionaries(st.sampled_from(["a", "b", "kind", "items", "é"]), _json_values, min_size=1, max_size=3)


@given(st.lists(st.one_of(_json_items, _json_items, _json_items, _json_values), min_size=2, max_size=6),
       st.integers(2, 5), st.sampled_from([2, 4]))
def test_cutting_json_anywhere_gives_the_whole_parse(items: list[Any], parts: int, indent: int) -> None:
    text = json.dumps({"apiVersion": "v1", "items": items, "kind": "List"}, indent=indent)
    whole = parse_text(text, "x.json")
    cut = split.parse_split(text, "x.json", Limits(), _InProcess(), parts)
    assert (_documents(cut.documents), cut.problems) == (_documents(whole.documents), whole.problems)


@pytest.mark.parametrize("extra", [
    "- a: &anchor {b: 1}\n- c: *anchor\n",  # aliases cross items
    "- a: \"multi-line\n- b: not an item\"\n",  # a quoted scalar over a line that looks like an entry
    "- a: [1,\n- 2]\n",  # a flow sequence likewise
    "---\n",
])
def test_what_cannot_be_cut_is_parsed_whole(extra: str) -> None:
    text = _export(8, extra)
    whole = parse_text(text, "x.yaml")
    parts = split.parse_split(text, "x.yaml", Limits(), _InProcess(), 6)
    assert (_documents(parts.documents), parts.problems) == (_documents(whole.documents), whole.problems)


def test_limits_inside_an_item_behave_as_in_the_whole_parse() -> None:
    deep = "- apiVersion: v1\n  kind: Pod\n  spec: " + "[" * 8 + "]" * 8 + "\n"
    text = _export(6, deep)
    limits = Limits(max_depth=6)
    whole = parse_text(text, "x.yaml", limits)
    assert any(p.kind == "limit" for p in whole.problems)
    parts = split.parse_split(text, "x.yaml", limits, _InProcess(), 4)
    assert (_documents(parts.documents), parts.problems) == (_documents(whole.documents), whole.problems)


# Mostly values that parse, some that look like an entry or a key at the cut's column from inside
# a quoted, block or flow scalar, and some that break the text.
_benign = st.sampled_from(["x", "010", "0o17", "yes", "~", "'q'", "{a: 1}", "[1, 2]", "a #c", "", "|\n    - x\n    y",
                          ">-\n     kind: x\n\n     - y", "\"a\n    - b: c\"", "'\n    - '", "[\n    - 1]"])
_tricky = st.sampled_from(["\"a\n- b: c\"", "\"a\nkind: List\"", "[1,\n- 2]", "'\n- '", "- x", "{a: [\n]}", "\"\n\""])
# Mostly values that parse, some that look like an entry or a key at the cut's column from inside
# a quoted, block or flow scalar, and some that break the text.
_scalars = st.one_of(_benign, _benign, _benign, _benign, _benign, _benign, _tricky,
                     st.text(st.sampled_from("ab -:#'\"\n[]{},"), max_size=8).map(json.dumps))


@given(st.lists(st.lists(st.tuples(st.sampled_from(["a", "b", "kind", "items", "a"]), _scalars),
                         min_size=1, max_size=4), min_size=2, max_size=8),
       st.sampled_from(["", "  "]), st.integers(2, 5), st.booleans())
def test_cutting_anywhere_gives_the_whole_parse(items: list[list[tuple[str, str]]], indent: str, parts: int,
                                               comments: bool) -> None:
    body = []
    for entries in items:
        lines = [f"{indent}{'- ' if i == 0 else '  '}{key}: {value}" for i, (key, value) in enumerate(entries)]
        body.append("\n".join(lines) + "\n" + ("# between\n" if comments else ""))
    text = "apiVersion: v1\nitems:\n" + "".join(body) + "kind: List\n"
    whole = parse_text(text, "x.yaml")
    cut = split.parse_split(text, "x.yaml", Limits(), _InProcess(), parts)
    assert (_documents(cut.documents), cut.problems) == (_documents(whole.documents), whole.problems)


def test_no_pool_means_one_process(tmp_path: Path, low_thresholds: None, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path)
    one = load_paths([str(root)], jobs=1)
    monkeypatch.setattr(parallel.Pool, "_start", lambda self: None)
    assert _snapshot(load_paths([str(root)], jobs=2)) == _snapshot(one)


def test_a_worker_that_fails_costs_only_time(tmp_path: Path, low_thresholds: None,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path)
    one = load_paths([str(root)], jobs=1)

    def broken(*args: Any) -> Future:
        future: Future = Future()
        future.set_exception(RuntimeError("worker died"))
        return future

    monkeypatch.setattr(parallel.Pool, "submit", lambda self, *a: broken())
    assert _snapshot(load_paths([str(root)], jobs=2)) == _snapshot(one)


def test_jobs_option_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parallel.resolve_jobs(3) == 3
    monkeypatch.setattr(parallel, "usable_cores", lambda: 4)
    for load, idle in ((0.2, 4), (1.4, 3), (3.6, 1), (9.0, 1)):  # cores the load average leaves idle
        monkeypatch.setattr(parallel.os, "getloadavg", lambda load=load: (load, load, load))
        assert parallel.resolve_jobs(0) == parallel.resolve_jobs(None) == idle
    assert parallel.resolve_jobs(2) == 2  # asked for: whatever the load
    result = CliRunner().invoke(cli, ["check", "--jobs", "x", "fixtures/examples/seed"])
    assert result.exit_code == 2 and "--jobs" in result.output
