"""`--format github`: workflow commands that GitHub Actions turns into annotations."""
from __future__ import annotations

import dataclasses

from policylint.load.nodes import Span
from policylint.report import github
from tests.test_report_samples import ERROR, INFO, MIXED_ARGS, SEED, WARNING, run, sample_report


def test_escaping_follows_the_runner() -> None:
    assert github.escape_data("50%: a,b\r\nc") == "50%25: a,b%0D%0Ac"
    assert github.escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    assert github.escape_data("%0A") == "%250A"  # an already escaped-looking value stays literal


def test_each_severity_has_its_command() -> None:
    assert github.render(sample_report()).splitlines() == [
        "::error file=k8s/train.yaml,line=27,col=19,endLine=27,endColumn=21,title=PL201 invalid-cidr::"
        'ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required',
        # a region over two lines: GitHub ignores columns then, so none are sent
        "::warning file=k8s/train.yaml,line=30,endLine=31,title=PL009 unknown-field::"
        "unknown field 'a,b:c' in a peer (100%25 | <b>)",
        "::notice file=k8s/z.yaml,line=2,col=15,endLine=2,endColumn=44,title=PL004 unused-suppression::"
        "suppression of 'PL202' silences nothing",
        "3 files, 1 namespace, 0 workloads, 2 NetworkPolicies: 1 error, 1 warning, 1 info",
    ]


def test_properties_with_separators_are_escaped() -> None:
    finding = dataclasses.replace(INFO, span=Span("k8s/a,b:c.yaml", 2, 15, 2, 44))
    assert github.annotation(finding) == ("::notice file=k8s/a%2Cb%3Ac.yaml,line=2,col=15,endLine=2,endColumn=44,"
                                          "title=PL004 unused-suppression::suppression of 'PL202' silences nothing")


def test_verbose_adds_the_remediation_on_a_second_line() -> None:
    assert github.annotation(ERROR, verbose=True).endswith("is required%0ASet `cidr` to a CIDR.")


def test_stdin_has_no_file_to_annotate() -> None:
    finding = dataclasses.replace(WARNING, span=Span("<stdin>", 4, 3, 4, 9))
    assert github.annotation(finding) == ("::warning title=PL009 unknown-field::"
                                          "unknown field 'a,b:c' in a peer (100%25 | <b>)")


def test_auto_chooses_github_under_github_actions() -> None:
    args = ["check", SEED, "--select", "PL201"]
    expected = ("::error file=fixtures/examples/seed/ml-training-policy.yaml,line=27,col=19,endLine=27,endColumn=21,"
                'title=PL201 invalid-cidr::ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required')
    under_actions = run(args, env={"GITHUB_ACTIONS": "true"})
    assert under_actions.exit_code == 1
    assert under_actions.stdout.splitlines()[0] == expected
    assert not run(args).stdout.startswith("::")  # text elsewhere


def test_real_mixed_output_is_exact_and_byte_identical() -> None:
    first, second = run([*MIXED_ARGS, "-f", "github"]), run([*MIXED_ARGS, "-f", "github"])
    assert first.stdout_bytes == second.stdout_bytes
    lines = first.stdout.splitlines()
    assert len(lines) == 5
    # PL001's message is the YAML parser's; its location and title are ours
    assert lines[0].startswith("::error file=fixtures/report/mixed/broken.yaml,line=5,col=10,endLine=5,endColumn=10,"
                               "title=PL001 yaml-syntax-error::")
    assert lines[1].startswith("::warning file=fixtures/report/mixed/net%2Cpol.yaml,line=14,col=11,endLine=14,"
                               "endColumn=27,title=PL009 unknown-field::")
    assert lines[2:] == [
        "::error file=fixtures/report/mixed/net%2Cpol.yaml,line=18,col=19,endLine=18,endColumn=21,"
        'title=PL201 invalid-cidr::ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required',
        "::notice file=fixtures/report/mixed/net%2Cpol.yaml,line=19,col=15,endLine=19,endColumn=44,"
        "title=PL004 unused-suppression::suppression of 'PL202' silences nothing",
        "3 files, 1 namespace, 0 workloads, 2 NetworkPolicies: 2 errors, 1 warning, 1 info",
    ]
