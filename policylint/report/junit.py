"""JUnit XML for CI test viewers: a test suite per file, a test case per rule that ran on it.

A rule with no finding in a file is a passing test case, so the viewer shows what was checked
and not only what failed; a rule with findings fails and lists each one as `file:line:column`.
The shape (`testsuites` > `testsuite` > `testcase` > `failure`, with `tests`/`failures`/`errors`
counts) is the common subset that Jenkins, GitLab, Azure DevOps and the GitHub reporters read.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from policylint.findings import Finding
from policylint.report.escape import text as _clean  # XML 1.0 cannot carry control characters even escaped
from policylint.report.model import Report
from policylint.report.text import plural



def render(report: Report) -> str:
    names = {spec.code: spec.name for spec in report.rules} | {f.code: f.name for f in report.findings}
    by_case: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_case[(f.path, f.code)].append(f)
    files = list(dict.fromkeys([*report.files, *(f.path for f in report.findings)]))
    root = ET.Element("testsuites", name="policylint")
    for path in sorted(files):
        suite = ET.SubElement(root, "testsuite", name=_clean(path))
        for code in sorted(names):
            _testcase(suite, path, code, names[code], by_case.get((path, code), []))
        _count(suite, suite)
    _count(root, *root)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _testcase(suite: ET.Element, path: str, code: str, name: str, findings: list[Finding]) -> None:
    case = ET.SubElement(suite, "testcase", name=f"{code} {name}", classname=_clean(_classname(path)))
    if findings:
        failure = ET.SubElement(case, "failure", type=code,
                                message=_clean(f"{plural(len(findings), 'finding')}: {findings[0].message}"))
        failure.text = "\n".join(
            f"{_clean(f.path)}:{f.line}:{f.column}: {f.severity.label}: {_clean(f.message)}" for f in findings)


def _count(element: ET.Element, *suites: ET.Element) -> None:
    cases = [case for suite in suites for case in suite.iter("testcase")]
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
    element.set("errors", "0")


def _classname(path: str) -> str:
    # Viewers split classname at dots into package and class; without the suffix a file reads as one class.
    return re.sub(r"\.(ya?ml|json)$", "", path)
