"""Markdown for a pull-request comment: the counts first, then the findings by file.

Beyond `COLLAPSE_AFTER` findings each file's table folds into a `<details>` block, so a large
report does not bury the conversation. The first line is an HTML comment that bots can search
for to update their previous comment instead of adding a new one.
"""
from __future__ import annotations

from itertools import groupby

from policylint.findings import Finding, Severity
from policylint.report.escape import lines as escape_lines
from policylint.report.escape import md_code, md_html, md_text
from policylint.report.model import Report
from policylint.report.paths import relative_path
from policylint.report.text import plural

MARKER = "<!-- policylint report -->"
COLLAPSE_AFTER = 20
_SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
_HEADER = ["| Location | Code | Severity | Message |", "| --- | --- | --- | --- |"]


def render(report: Report) -> str:
    lines = [MARKER, f"### policylint: {_headline(report)}", "", _scope(report), ""]
    groups = [(path, list(group)) for path, group in groupby(report.findings, key=lambda f: relative_path(f.path))]
    if len(report.findings) > COLLAPSE_AFTER:
        for path, findings in groups:
            counts = ", ".join(_counts(findings))
            lines += [f"<details><summary><code>{md_html(path)}</code>: {counts}</summary>", "",
                      *_HEADER, *(_row(path, f) for f in findings), "", "</details>", ""]
    elif groups:
        lines += [*_HEADER, *(_row(path, f) for path, findings in groups for f in findings), ""]
    lines += _fixes(report)
    return "\n".join(lines)


def _fixes(report: Report) -> list[str]:
    """The proved fixes as one patch per fix, folded: a reviewer opens what they want to apply."""
    fixes = report.extra.get("fixes", {})
    shown = [(f, fixes[k]) for f in report.findings if (k := f.stable_key) in fixes and fixes[k].diff]
    if not shown:
        return []
    lines = [f"#### Fixes ({len(shown)})", ""]
    for finding, fix in shown:
        patch = escape_lines(fix.diff.rstrip("\n"))  # the manifests' own lines: no control characters
        # A context line " ~~~" would close a ~~~ fence (closing fences may be indented): count after blanks.
        runs = [len(text) - len(text.lstrip("~")) for text in (line.lstrip(" ") for line in patch.splitlines())]
        fence = "~" * max([3, *(run + 1 for run in runs if run >= 3)])
        title = md_html(f"{finding.code} {relative_path(finding.path)}:{finding.line}: {fix.title}"
                        + (" (unsafe)" if fix.safety != "safe" else ""))
        lines += [f"<details><summary>{title}</summary>", "", f"{fence}diff", patch, fence, "",
                  "</details>", ""]
    return lines


def _headline(report: Report) -> str:
    if not report.findings:
        return "No findings"
    return ", ".join(plural(report.count(sev), sev.label) for sev in _SEVERITIES)


def _scope(report: Report) -> str:
    s = report.summary
    checked = f"{plural(s.files, 'file')} and {plural(s.policies, 'NetworkPolicy', 'NetworkPolicies')} checked"
    verdict = "**failed**" if report.failed else "passed"
    return f"{checked}; result: {verdict} (fail-on: {report.fail_on.label})."


def _counts(findings: list[Finding]) -> list[str]:
    return [plural(n, sev.label) for sev in _SEVERITIES if (n := sum(f.severity == sev for f in findings))]


def _row(path: str, f: Finding) -> str:
    cells = [_code(f"{path}:{f.line}"), f"{_code(f.code)} {_text(f.name)}", f.severity.label, _text(f.message)]
    return "| " + " | ".join(cells) + " |"


# The shared Markdown escaping (diff renderers import these names too).
_code = md_code
_text = md_text
