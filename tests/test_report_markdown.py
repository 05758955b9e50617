"""`--format markdown`: a pull-request comment, counts first."""
from __future__ import annotations

import dataclasses

from policylint.findings import Severity
from policylint.load.nodes import Span
from policylint.report import markdown
from tests.test_report_samples import ERROR, MIXED_ARGS, WARNING, run, sample_report

HEADER = ["| Location | Code | Severity | Message |", "| --- | --- | --- | --- |"]


def test_counts_then_one_table_grouped_by_file() -> None:
    assert markdown.render(sample_report()) == "\n".join([
        "<!-- policylint report -->",
        "### policylint: 1 error, 1 warning, 1 info",
        "",
        "3 files and 2 NetworkPolicies checked; result: **failed** (fail-on: error).",
        "",
        *HEADER,
        '| `k8s/train.yaml:27` | `PL201` invalid-cidr | error | ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is '
        "required |",
        # `|` would end the cell and `<b>` would be read as HTML
        "| `k8s/train.yaml:30` | `PL009` unknown-field | warning | unknown field 'a,b:c' in a peer (100% \\| &lt;b&gt;) |",
        "| `k8s/z.yaml:2` | `PL004` unused-suppression | info | suppression of 'PL202' silences nothing |",
        "",
    ])


def test_no_findings() -> None:
    text = markdown.render(sample_report([]))
    assert text.splitlines() == [
        "<!-- policylint report -->",
        "### policylint: No findings",
        "",
        "3 files and 2 NetworkPolicies checked; result: passed (fail-on: error).",
    ]
    assert "|" not in text


def test_warnings_alone_pass() -> None:
    assert "result: passed (fail-on: error)." in markdown.render(sample_report([WARNING]))


def test_markdown_in_messages_is_inert() -> None:
    finding = dataclasses.replace(ERROR, message="see [here](x) *now* _a_ `b`\nnext line")
    row = markdown.render(sample_report([finding])).splitlines()[7]
    assert row.endswith(r"| error | see \[here\](x) \*now\* \_a\_ \`b\`\\nnext line |")  # renders as `b`\nnext


def test_more_than_twenty_findings_fold_per_file() -> None:
    many = [dataclasses.replace(ERROR, span=Span("k8s/a.yaml", line, 1, line, 2), message=f"m{line}")
            for line in range(1, 16)]
    many += [dataclasses.replace(WARNING, span=Span("k8s/b.yaml", line, 1, line, 2), message=f"w{line}",
                                 severity=Severity.WARNING if line < 5 else Severity.INFO) for line in range(1, 7)]
    text = markdown.render(sample_report(many))
    lines = text.splitlines()
    assert lines[1] == "### policylint: 15 errors, 4 warnings, 2 infos"
    assert [line for line in lines if line.startswith("<details>")] == [
        "<details><summary><code>k8s/a.yaml</code>: 15 errors</summary>",
        "<details><summary><code>k8s/b.yaml</code>: 4 warnings, 2 infos</summary>",
    ]
    assert lines.count("</details>") == 2
    assert sum(line.startswith("| `k8s/") for line in lines) == 21
    # exactly twenty stay in one open table
    twenty = markdown.render(sample_report(many[:20]))
    assert "<details>" not in twenty
    assert twenty.splitlines().count(HEADER[0]) == 1


def test_real_mixed_output() -> None:
    first, second = run([*MIXED_ARGS, "-f", "markdown"]), run([*MIXED_ARGS, "-f", "markdown"])
    assert first.stdout_bytes == second.stdout_bytes
    lines = first.stdout.splitlines()
    assert lines[1:4] == ["### policylint: 2 errors, 1 warning, 1 info", "",
                          "3 files and 2 NetworkPolicies checked; result: **failed** (fail-on: error)."]
    rows = [line.split(" | ")[:3] for line in lines if line.startswith("| `")]
    assert rows == [
        ["| `fixtures/report/mixed/broken.yaml:5`", "`PL001` yaml-syntax-error", "error"],
        ["| `fixtures/report/mixed/net,pol.yaml:14`", "`PL009` unknown-field", "warning"],
        ["| `fixtures/report/mixed/net,pol.yaml:18`", "`PL201` invalid-cidr", "error"],
        ["| `fixtures/report/mixed/net,pol.yaml:19`", "`PL004` unused-suppression", "info"],
    ]


def test_a_pipe_in_a_path_does_not_split_the_row() -> None:
    finding = dataclasses.replace(ERROR, span=Span("k8s/a|b.yaml", 27, 19, 27, 21))
    row = markdown.render(sample_report([finding])).splitlines()[7]
    assert row.startswith(r"| `k8s/a\|b.yaml:27` | `PL201` invalid-cidr | error | ")
