"""Output injection: values from the input cannot drive a terminal, forge CI commands or break a
report's format. Exact escapes for hand-written cases, then a property test that feeds random
text into names, namespaces, labels, ports and file names and checks every output format.
"""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policylint.analysis import analyse
from policylint.config import Config
from policylint.findings import Severity
from policylint.report import FORMATS, renderer
from policylint.report.build import build_report
from policylint.report.escape import UNSAFE, json_dumps, md_code, md_html, md_text, text

# -- the escaping functions, case by case (expected values written by hand) --------------------


def test_terminal_sequences_are_shown_escaped() -> None:
    osc_clipboard = "x\x1b]52;c;ZXZpbA==\x07"
    assert text(osc_clipboard) == "x\\x1b]52;c;ZXZpbA==\\x07"
    assert text("a\x1b[2J\x1b[1;1H") == "a\\x1b[2J\\x1b[1;1H"
    assert text("8-bit CSI \x9b2J, DEL \x7f") == "8-bit CSI \\x9b2J, DEL \\x7f"
    assert text("tab\there\r\nnext") == "tab\\there\\r\\nnext"
    assert text("admin\u202egnp.yaml") == "admin\\u202egnp.yaml"  # right-to-left override
    assert text("zero\u200bwidth\ufeff") == "zero\\u200bwidth\\ufeff"
    assert text("line\u2028sep") == "line\\u2028sep"
    assert text("tag\U000e0041") == "tag\\U000e0041"
    assert text("bad-utf8-\udcff.yaml") == "bad-utf8-\\udcff.yaml"  # a file name that is not UTF-8


def test_ci_commands_cannot_start_a_line() -> None:
    assert text("::error::forged") == "\\x3a:error::forged"
    assert text("  ::add-mask::secret") == "  \\x3a:add-mask::secret"
    assert text("::warning file=a.yaml,line=1::x") == "\\x3a:warning file=a.yaml,line=1::x"
    assert text("::STOP-COMMANDS::token") == "\\x3a:STOP-COMMANDS::token"
    assert text("ns\n::error::forged") == "ns\\n::error::forged"  # the newline is what is escaped
    assert text("##vso[task.setvariable variable=x]1") == "#\\x23vso[task.setvariable variable=x]1"
    assert text("a ##[error]b ###") == "a #\\x23[error]b #\\x23#"
    assert text("##teamcity[buildStatus text='x']") == "#\\x23teamcity[buildStatus text='x']"


def test_addresses_and_ordinary_text_are_unchanged() -> None:
    for value in ("::/0", "::ffff:10.0.0.1", "::a-::b", "fd00::/8", "ml-workloads/trainer[PyTorchJob/Worker]",
                  "port 'http' must be a name", "a: b", "10.0.0.0/8 except 10.1.0.0/16", "café", "训练"):
        assert text(value) == value


def test_escaping_is_idempotent() -> None:
    for value in ("::error::x", "a\x1b[2J", "###", "\u202e", "a\\x1b"):
        assert text(text(value)) == text(value)


def test_unsafe_characters_are_exactly_the_invisible_categories() -> None:
    expected = {cp for cp in range(0x110000) if unicodedata.category(chr(cp)) in {"Cc", "Cf", "Zl", "Zp", "Cs"}}
    expected |= {0xFFFE, 0xFFFF}
    found = {cp for cp in range(0x110000) if UNSAFE.match(chr(cp))}
    assert found == expected


def test_markdown_text_is_inert() -> None:
    assert md_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert md_text("<!-- hidden -->") == "&lt;\\!-- hidden --&gt;"
    assert md_text("@octocat and @github/security") == "@&#8203;octocat and @&#8203;github/security"
    assert md_text("a | b\n| --- |") == "a \\| b\\\\n\\| --- \\|"
    assert md_text("[click](https://x) *b* `c`") == "\\[click\\](https://x) \\*b\\* \\`c\\`"
    assert md_text("&#64;x") == "&amp;\\#64;x"  # an entity in the input stays text


def test_markdown_code_spans_cannot_be_closed_from_inside() -> None:
    assert md_code("a`b") == "`` a`b ``"
    assert md_code("``x```") == "```` ``x``` ````"
    assert md_code("a|b") == "`a\\|b`"
    assert md_code("a\nb") == "`a\\nb`"
    assert md_html("<b>@x</b>") == "&lt;b&gt;@&#8203;x&lt;/b&gt;"


def test_json_keeps_exact_values_in_printable_text() -> None:
    value = {"n\x1b]0;t\x07": "a\x9b\u2028\u202e##\udcff\U000e0041"}
    out = json_dumps(value, indent=2)
    assert out == '{\n  "n\\u001b]0;t\\u0007": "a\\u009b\\u2028\\u202e#\\u0023\\udcff\\udb40\\udc41"\n}'
    assert json.loads(out) == value


def test_json_of_ascii_text_escapes_delete_and_double_hash() -> None:
    # ASCII documents skip the full pattern: what it would still find there must be escaped.
    out = json_dumps({"a##b": "c\x7fd###"})
    assert out == '{"a#\\u0023b": "c\\u007fd#\\u0023\\u0023"}'
    assert json_dumps(["# a #", "plain"]) == '["# a #", "plain"]'


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("#\x7f\x1b\x9b\u2028\U000e0041az09 \"\\")), max_size=4))
def test_json_dumps_escapes_as_the_full_pattern(values: list[str]) -> None:
    from policylint.report.escape import _json_escape, _json_unsafe

    for options in ({}, {"indent": 2}, {"separators": (", ", ": ")}):
        plain = json.dumps(values, ensure_ascii=False, **options)
        assert json_dumps(values, **options) == _json_unsafe().sub(_json_escape, plain)


_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(alphabet=st.sampled_from("#\x7fa\u2028\"\\"))),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(_json_values)
def test_json_dumper_writes_what_json_dumps_writes(value: object) -> None:
    """`json_dumper` keeps the C encoder between calls: the same text as `json_dumps`, for strings,
    numbers (NaN and infinities too), containers and their nesting."""
    from policylint.report.escape import json_dumper

    for options in ({}, {"separators": (", ", ": ")}, {"sort_keys": True}):
        assert json_dumper(**options)(value) == json_dumps(value, **options)


def test_json_dumper_after_a_failed_value() -> None:
    """A value that cannot be encoded raises as json.dumps does, and leaves nothing behind that the
    next call would take for a circular reference."""
    from policylint.report.escape import json_dumper

    dumps = json_dumper(separators=(", ", ": "))
    items: list = [1, object()]
    with pytest.raises(TypeError):
        dumps({"items": items})  # fails inside `items`, which the encoder was walking
    items.pop()
    assert dumps({"items": items}) == '{"items": [1]}'
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValueError):
        dumps(cycle)
    cycle.pop()
    assert dumps(cycle) == "[]"


# -- end to end: the command line on a hostile manifest ------------------------------------------

HOSTILE = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: "x\\e]52;c;ZXZpbA==\\a"
  namespace: "a\\n::error::forged\\n<img src=x>\\n| x | y |"
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 99999
"""


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policylint", *args], cwd=cwd, capture_output=True, timeout=120)


def test_check_text_and_verbose_show_escapes(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(HOSTILE)
    done = _run("check", "-v", "--no-color", "p.yaml", cwd=tmp_path)
    assert done.returncode == 1
    out = done.stdout.decode()
    assert "\x1b" not in out and "\x07" not in out
    assert ("                   object: NetworkPolicy a\\n::error::forged\\n<img src=x>\\n| x | y |/"
            "x\\x1b]52;c;ZXZpbA==\\x07 at metadata.name\n") in out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("::")]


def test_check_markdown_keeps_the_table(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(HOSTILE)
    out = _run("check", "-f", "markdown", "p.yaml", cwd=tmp_path).stdout.decode()
    rows = [line for line in out.splitlines() if line.startswith("| `p.yaml")]
    assert len(rows) == 3
    assert rows[1] == ("| `p.yaml:5` | `PL102` invalid-object-name | error | namespace 'a\\\\n::error::forged\\\\n"
                       "&lt;img src=x&gt;\\\\n\\| x \\| y \\|' must be a lowercase RFC 1123 label "
                       "(\\[a-z0-9\\] and '-', starting and ending alphanumeric) |")


# -- property: random text in every input-derived place, every format -----------------------------

_ALPHABET = st.characters(codec=None, exclude_categories=())
_INTERESTING = st.sampled_from(["\x1b]52;c;eA==\x07", "\x1b[2J", "\n::error::x\n", "::add-mask::s", "##vso[x]",
                                "##[error]", "<!--", "<img src=x>", "@octocat", "|", "`", "```", "\u202e", "\x9b",
                                "\r", "\u2028", "%0A", "]]>", "&amp;", "\\", "\"", "'", "*", "_"])
_PIECE = st.text(alphabet=_ALPHABET, max_size=6) | _INTERESTING
HOSTILE_TEXT = st.lists(_PIECE, min_size=1, max_size=4).map("".join).filter(lambda s: "\x00" not in s)


def _is_yaml_safe(s: str) -> bool:
    # What a YAML stream can carry at all (escaped): surrogates and U+FFFE/FFFF cannot.
    return not re.search("[\ud800-\udfff\ufffe\uffff]", s)


def _manifests(name: str, namespace: str, key: str, value: str) -> str:
    objects = [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": {key: value}},
         "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"name": value, "containerPort": 80}]}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": name, "namespace": namespace, "labels": {key: value}},
         "spec": {"podSelector": {"matchLabels": {key: value}},
                  "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {key: value}}},
                                        {"ipBlock": {"cidr": value}}],
                               "ports": [{"port": value}, {"port": name, "protocol": value}]}]}},
        {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": name, "namespace": namespace}},
        {"apiVersion": "example.com/v1", "kind": key, "metadata": {"name": name}},
    ]
    return "\n---\n".join(json.dumps(o) for o in objects)


_COMMAND = re.compile(r"^\s*::[A-Za-z](?:[A-Za-z-]*[A-Za-z])?(?:\s|::)", re.IGNORECASE)


def _assert_printable(out: str, fmt: str) -> None:
    bad = {ch for ch in UNSAFE.findall(out) if ch != "\n"}
    assert not bad, (fmt, bad)


def _assert_no_ci_command(out: str, fmt: str) -> None:
    for line in out.split("\n"):
        if fmt == "github" and re.match(r"::(error|warning|notice) ", line):
            continue  # the format's own annotations; their data is percent-encoded
        assert not _COMMAND.match(line), (fmt, line)
        stripped = re.sub(r"^#{2,6} ", "", line) if fmt == "markdown" else line  # our own headings
        assert "##" not in stripped, (fmt, line)


def _outside_code_spans(line: str) -> str:
    """The line without its code spans (backslash-escaped backticks open none)."""
    out, i = [], 0
    while i < len(line):
        if line[i] == "\\":
            out.append(line[i:i + 2])
            i += 2
            continue
        if line[i] == "`":
            run = re.match(r"`+", line[i:]).group()
            close = re.search(rf"(?<!`){run}(?!`)", line[i + len(run):])
            if close:
                i += len(run) + close.end()
                continue
            out.append(run)
            i += len(run)
            continue
        out.append(line[i])
        i += 1
    return "".join(out)


_OWN_TAGS = re.compile(r"</?(details|summary|code|b)>|<!-- policylint (report|diff) -->")


def _cells(line: str) -> int:
    return len(re.split(r"(?<!\\)\|", re.sub(r"\\\\", "", line)))


def _assert_markdown_inert(out: str) -> None:
    header = 0
    for line in out.split("\n"):
        rest = _OWN_TAGS.sub("", _outside_code_spans(line))
        assert "<" not in rest, line
        assert not re.search(r"@[A-Za-z0-9]", rest), line
        if not line.startswith("|"):
            header = 0
        elif not header:
            header = _cells(line)
        else:
            assert _cells(line) == header, line  # no cell added or lost: the table holds


def _check_report_outputs(analysis) -> None:
    for fmt in FORMATS:
        out = renderer(fmt)(build_report(analysis, Severity.ERROR, verbose=True))
        out.encode("utf-8")  # no lone surrogate
        _assert_printable(out, fmt)
        _assert_no_ci_command(out, fmt)
        if fmt in ("json", "sarif", "gitlab"):
            json.loads(out)
        elif fmt == "junit":
            ET.fromstring(out.encode("utf-8"))
        elif fmt == "markdown":
            _assert_markdown_inert(out)


def _check_diff_outputs(old_dir: str, new_dir: str) -> None:
    from policylint.caveats import caveat_markdown, caveat_text
    from policylint.diff import FORMATS as DIFF_FORMATS
    from policylint.diff import renderer as diff_renderer
    from policylint.diff.compute import compute_diff
    from policylint.diff.sides import analyse_side

    old = analyse_side(old_dir, [old_dir], Config())
    new = analyse_side(new_dir, [new_dir], Config())
    result = compute_diff(old, new)
    outputs = {fmt: diff_renderer(fmt)(result) for fmt in DIFF_FORMATS}
    outputs["text-caveat"] = caveat_text(new.cluster, "new")
    outputs["markdown-caveat"] = caveat_markdown(new.cluster, "new")
    for fmt, out in outputs.items():
        out.encode("utf-8")
        _assert_printable(out, fmt)
        _assert_no_ci_command(out, "markdown" if fmt.startswith("markdown") else fmt)
        if fmt == "json":
            json.loads(out)
        if fmt.startswith("markdown"):
            _assert_markdown_inert(out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=HOSTILE_TEXT, namespace=HOSTILE_TEXT, key=HOSTILE_TEXT, value=HOSTILE_TEXT, filename=HOSTILE_TEXT)
def test_every_format_stays_safe_with_any_text(name: str, namespace: str, key: str, value: str, filename: str) -> None:
    if not all(_is_yaml_safe(s) for s in (name, namespace, key, value)):
        name, namespace, key, value = (re.sub("[\ud800-\udfff\ufffe\uffff]", "?", s) for s in (name, namespace, key, value))
    safe_name = filename.replace("/", "_").replace("\x00", "_")[:80] or "_"
    with tempfile.TemporaryDirectory() as tmp:
        old_dir, new_dir = Path(tmp, "old"), Path(tmp, "new")
        old_dir.mkdir()
        new_dir.mkdir()
        (old_dir / "empty.yaml").write_text("")
        try:
            target = new_dir / f"{safe_name}.yaml"
            target.write_text(_manifests(name, namespace, key, value), encoding="utf-8")
        except (OSError, UnicodeEncodeError):  # a name the file system refuses
            target = new_dir / "p.yaml"
            target.write_text(_manifests(name, namespace, key, value), encoding="utf-8")
        analysis = analyse([str(new_dir)], Config())
        assert analysis.findings  # the hostile values are reported, in every format
        _check_report_outputs(analysis)
        _check_diff_outputs(str(old_dir), str(new_dir))


# -- exit codes: an undelivered report is exit 2 with one line, never a traceback or exit 1 -------

GOOD_MANIFEST = Path(__file__).resolve().parent.parent / "fixtures" / "rules" / "PL201" / "seed-empty-cidr.yaml"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a device that is always full)")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_full_disk_on_stdout_is_exit_2(fmt: str) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "policylint", "check", "-f", fmt, str(GOOD_MANIFEST)],
                              stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 2
    assert done.stderr.decode() == "policylint: error: cannot write the output to standard output: No space left on device\n"


def test_closed_pipe_is_exit_2() -> None:
    child = subprocess.Popen([sys.executable, "-m", "policylint", "check", "-f", "json", str(GOOD_MANIFEST)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # the reader is gone before anything is written
    _, err = child.communicate(timeout=120)
    assert child.returncode == 2
    assert err.decode() == "policylint: error: cannot write the output to standard output: Broken pipe\n"


def test_closed_stdout_is_exit_2() -> None:
    done = subprocess.run([sys.executable, "-c", "import os, sys; os.close(1); sys.stdout = None; "
                           "sys.argv = ['policylint', 'check', sys.argv[1]]; "
                           "from policylint.cli.main import main; main()", str(GOOD_MANIFEST)],
                          stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 2
    assert done.stderr.decode() == "policylint: error: standard output is closed\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a device that is always full)")
def test_full_disk_on_output_file_is_exit_2() -> None:
    done = subprocess.run([sys.executable, "-m", "policylint", "check", "-o", "/dev/full", str(GOOD_MANIFEST)],
                          capture_output=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.decode() == "policylint: error: cannot write /dev/full: No space left on device\n"


MATRIX_INPUT = """\
apiVersion: v1
kind: Pod
metadata: {name: "w\\e]0;pwn\\a", namespace: "::add-mask::ns"}
---
apiVersion: v1
kind: Pod
metadata: {name: "b|<img>@octocat", namespace: shop}
"""


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "dot", "markdown"])
@pytest.mark.parametrize("aggregate", ["workload", "namespace"])
def test_matrix_outputs_are_escaped(tmp_path: Path, fmt: str, aggregate: str) -> None:
    (tmp_path / "m.yaml").write_text(MATRIX_INPUT)
    done = _run("matrix", "-f", fmt, "--aggregate", aggregate, "m.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    _assert_printable(out, fmt)
    _assert_no_ci_command(out, fmt)
    if fmt == "json":
        document = json.loads(out)
        if aggregate == "workload":  # exact values, read back
            assert "::add-mask::ns/w\x1b]0;pwn\x07" in {e["id"] for e in document["endpoints"]}
        else:
            assert "::add-mask::ns" in {g["id"] for g in document["groups"]}
    if fmt == "markdown":
        _assert_markdown_inert(out)
    if fmt == "text" and aggregate == "workload":
        assert re.search(r"^\\x3a:add-mask::ns/w\\x1b\]0;pwn\\x07 +shop/b\|<img>@octocat +all ports$", out, re.M), out


CSV_FORMULAS = """\
apiVersion: v1
kind: Namespace
metadata: {name: "=cmd|' /C calc'!A0"}
---
apiVersion: v1
kind: Pod
metadata: {name: "+1", namespace: "=cmd|' /C calc'!A0"}
---
apiVersion: v1
kind: Pod
metadata: {name: "-2", namespace: "@sum"}
---
apiVersion: v1
kind: Pod
metadata: {name: "p", namespace: "  =1+1"}
"""


@pytest.mark.parametrize("aggregate", ["workload", "namespace"])
def test_csv_cells_never_start_a_formula(tmp_path: Path, aggregate: str) -> None:
    """OWASP "CSV Injection": a cell starting with = + - @ is a formula to a spreadsheet; each
    such cell gets a leading `'` (shown as text), and the file still parses as CSV."""
    (tmp_path / "m.yaml").write_text(CSV_FORMULAS)
    done = _run("matrix", "-f", "csv", "--aggregate", aggregate, "m.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout.decode())))
    assert rows[0] == ["from", "to", "tcp", "udp", "sctp", "depends_on_invalid", "pairs"]
    names = {cell for row in rows[1:] for cell in row[:2]}
    # No policy: everything reaches everything, the outside world (the whole of IPv4 and of IPv6) too.
    if aggregate == "namespace":
        assert names == {"'=cmd|' /C calc'!A0", "'@sum", "'  =1+1", "(external)"}
    else:
        assert names == {"'=cmd|' /C calc'!A0/+1", "'@sum/-2", "'  =1+1/p",
                         "0.0.0.0-255.255.255.255", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}
    assert all(not cell.lstrip().startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    again = _run("matrix", "-f", "csv", "--aggregate", aggregate, "m.yaml", cwd=tmp_path)
    assert again.stdout == done.stdout
