"""`--format junit`: a test suite per file, a test case per rule that ran on it."""
from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from policylint.findings import Finding, Severity
from policylint.load.nodes import Span
from policylint.report import junit
from tests.test_report_samples import ERROR, MIXED_ARGS, SEED, run, sample_report


def parse(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def counts(element: ET.Element) -> tuple[str | None, str | None, str | None]:
    return element.get("tests"), element.get("failures"), element.get("errors")


def test_sample_suites_cases_and_failures() -> None:
    root = parse(junit.render(sample_report()))
    assert root.tag == "testsuites"
    # 3 files x 3 rules that ran; failures: train.yaml/PL009, train.yaml/PL201, z.yaml/PL004
    assert counts(root) == ("9", "3", "0")
    suites = root.findall("testsuite")
    assert [(s.get("name"), *counts(s)) for s in suites] == [
        ("k8s/namespaces.yaml", "3", "0", "0"),
        ("k8s/train.yaml", "3", "2", "0"),
        ("k8s/z.yaml", "3", "1", "0"),
    ]
    train = suites[1]
    assert [(c.get("name"), c.get("classname"), c.find("failure") is not None) for c in train.findall("testcase")] == [
        ("PL004 unused-suppression", "k8s/train", False),
        ("PL009 unknown-field", "k8s/train", True),
        ("PL201 invalid-cidr", "k8s/train", True),
    ]
    failure = train.findall("testcase")[2].find("failure")
    assert failure.get("type") == "PL201"
    assert failure.get("message") == '1 finding: ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required'
    assert failure.text == 'k8s/train.yaml:27:19: error: ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required'


def test_a_failure_lists_every_finding_of_its_rule_and_file() -> None:
    second = dataclasses.replace(ERROR, span=Span("k8s/train.yaml", 33, 19, 33, 21), message="ipBlock.cidr is \"x\"")
    root = parse(junit.render(sample_report([ERROR, second])))
    [failure] = root.iter("failure")
    assert failure.get("message").startswith("2 findings: ")
    assert failure.text.splitlines() == [
        'k8s/train.yaml:27:19: error: ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required',
        'k8s/train.yaml:33:19: error: ipBlock.cidr is "x"',
    ]


def test_unlisted_rule_and_file_still_get_a_case_and_control_characters_stay_parseable() -> None:
    odd = Finding("PL005", "rule-crashed", Severity.ERROR, "bad value \"\x01\" & <x>", Span("k8s/new.yaml", 1, 1, 1, 1))
    root = parse(junit.render(sample_report([odd])))
    assert counts(root) == ("16", "1", "0")  # 4 files x (3 rules that ran + PL005)
    [failure] = root.iter("failure")
    assert failure.text == 'k8s/new.yaml:1:1: error: bad value "\\x01" & <x>'  # shown escaped, visibly


def test_real_mixed_output() -> None:
    first, second = run([*MIXED_ARGS, "-f", "junit"]), run([*MIXED_ARGS, "-f", "junit"])
    assert first.exit_code == 1
    assert first.stdout_bytes == second.stdout_bytes
    root = parse(first.stdout)
    # 3 files x 5 selected rules; failures: broken/PL001, net,pol/PL009, PL201, PL004
    assert counts(root) == ("15", "4", "0")
    assert [(s.get("name"), *counts(s)) for s in root.findall("testsuite")] == [
        ("fixtures/report/mixed/broken.yaml", "5", "1", "0"),
        ("fixtures/report/mixed/clean.yaml", "5", "0", "0"),
        ("fixtures/report/mixed/net,pol.yaml", "5", "3", "0"),
    ]
    failed = sorted(c.get("name") for c in root.iter("testcase") if c.find("failure") is not None)
    assert failed == ["PL001 yaml-syntax-error", "PL004 unused-suppression", "PL009 unknown-field", "PL201 invalid-cidr"]


def test_real_seed_output() -> None:
    root = parse(run(["check", SEED, "-f", "junit", "--select", "PL201,PL202"]).stdout)
    assert counts(root) == ("2", "2", "0")
    texts = [f.text for f in root.iter("failure")]
    assert [t.split(": ")[0] for t in texts] == ["fixtures/examples/seed/ml-training-policy.yaml:27:19",
                                                 "fixtures/examples/seed/ml-training-policy.yaml:29:17"]
