"""`--format gitlab`: a GitLab Code Quality report (Code Climate issues)."""
from __future__ import annotations

import dataclasses
import json
import re

from policylint.load.nodes import Span
from policylint.report import gitlab
from tests.test_report_samples import ERROR, INFO, MIXED_ARGS, run, sample_report

GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def assert_code_quality(issues: object) -> None:
    """The fields GitLab requires, with the types it expects."""
    assert isinstance(issues, list)
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"]
        assert re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
        assert issue["severity"] in GITLAB_SEVERITIES
        assert isinstance(issue["location"]["path"], str) and issue["location"]["path"]
        begin = issue["location"]["lines"]["begin"]
        assert isinstance(begin, int) and begin >= 1
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints)


def test_sample_issues() -> None:
    issues = json.loads(gitlab.render(sample_report()))
    assert_code_quality(issues)
    assert [{k: v for k, v in issue.items() if k != "fingerprint"} for issue in issues] == [
        {"type": "issue", "check_name": "PL201",
         "description": 'ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required (PL201 invalid-cidr)',
         "severity": "critical", "location": {"path": "k8s/train.yaml", "lines": {"begin": 27, "end": 27}}},
        {"type": "issue", "check_name": "PL009",
         "description": "unknown field 'a,b:c' in a peer (100% | <b>) (PL009 unknown-field)",
         "severity": "major", "location": {"path": "k8s/train.yaml", "lines": {"begin": 30, "end": 31}}},
        {"type": "issue", "check_name": "PL004",
         "description": "suppression of 'PL202' silences nothing (PL004 unused-suppression)",
         "severity": "info", "location": {"path": "k8s/z.yaml", "lines": {"begin": 2, "end": 2}}},
    ]


def test_fingerprints_ignore_lines_and_tell_equal_findings_apart() -> None:
    [original] = json.loads(gitlab.render(sample_report([ERROR])))
    [moved] = json.loads(gitlab.render(sample_report([dataclasses.replace(ERROR, span=Span("k8s/train.yaml", 50, 1, 50, 3))])))
    assert moved["fingerprint"] == original["fingerprint"]
    twice = [INFO, dataclasses.replace(INFO, span=Span("k8s/z.yaml", 9, 15, 9, 44))]
    issues = json.loads(gitlab.render(sample_report(twice)))
    assert_code_quality(issues)  # unique although code, file and message are equal


def test_no_findings_is_an_empty_array() -> None:
    assert gitlab.render(sample_report([])) == "[]\n"


def test_real_mixed_output() -> None:
    first, second = run([*MIXED_ARGS, "-f", "gitlab"]), run([*MIXED_ARGS, "-f", "gitlab"])
    assert first.exit_code == 1
    assert first.stdout_bytes == second.stdout_bytes
    issues = json.loads(first.stdout)
    assert_code_quality(issues)
    assert [(i["location"]["path"], i["location"]["lines"]["begin"], i["check_name"], i["severity"]) for i in issues] == [
        ("fixtures/report/mixed/broken.yaml", 5, "PL001", "critical"),
        ("fixtures/report/mixed/net,pol.yaml", 14, "PL009", "major"),
        ("fixtures/report/mixed/net,pol.yaml", 18, "PL201", "critical"),
        ("fixtures/report/mixed/net,pol.yaml", 19, "PL004", "info"),
    ]
