"""Suppressions: YAML comments and object annotations that silence findings, with a reason.

- `# policylint: disable=PL201,egress-without-dns` silences those rules on its own line and on
  the line below (so it works as a trailing comment and on the line above).
- `# policylint: disable-file=PL201` silences them in the whole file.
- The annotation `policylint.io/ignore: "PL201: reason; PL305: other reason"` silences them for
  every finding on that object. The reason is required; it survives `helm template` and
  `kubectl get -o yaml`, where comments do not.

A suppression that silences nothing is reported (PL004), so stale ones do not pile up.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from policylint.findings import Finding
from policylint.load.inputs import LoadedFile
from policylint.load.nodes import Span, YMap

ANNOTATION = "policylint.io/ignore"
_COMMENT = re.compile(r"#\s*policylint:\s*(disable|disable-file)\s*=\s*([A-Za-z0-9_,\- ]+)")


@dataclass(frozen=True, slots=True)
class Suppression:
    token: str  # a code, a code prefix, a rule name, or "all"
    span: Span  # where it is written
    scope: str  # "line", "file" or "object"
    target: str  # path (line/file scopes) or object label
    line: int = 0  # for "line": the comment's line
    reason: str = ""

    def covers(self, finding: Finding, matches: Callable[[str, Finding], bool]) -> bool:
        if not matches(self.token, finding):
            return False
        if self.scope == "object":  # the object in this file, not a same-named one elsewhere
            return finding.object == self.target and finding.path == self.span.path
        if finding.path != self.target:
            return False
        return self.scope == "file" or finding.line in (self.line, self.line + 1)


@dataclass(frozen=True, slots=True)
class BadSuppression:
    span: Span
    message: str


def collect(files: Iterable[LoadedFile], annotations: dict[tuple[str, str], YMap]) -> tuple[list[Suppression], list[BadSuppression]]:
    found: list[Suppression] = []
    bad: list[BadSuppression] = []
    for loaded in files:
        for line, text in sorted(loaded.directive_lines.items()):
            for match in _COMMENT.finditer(text):
                column = match.start() + 1
                span = Span(loaded.path, line, column, line, match.end() + 1)
                scope = "file" if match.group(1) == "disable-file" else "line"
                for token in _tokens(match.group(2)):
                    found.append(Suppression(token, span, scope, loaded.path, line))
    for (_, label), node in sorted(annotations.items()):
        if ANNOTATION not in node:
            continue
        value = node[ANNOTATION]
        span = node.span_of_value(ANNOTATION)
        if not isinstance(value, str):
            bad.append(BadSuppression(span, f"{ANNOTATION} must be a string like \"PL201: reason\""))
            continue
        for entry in filter(None, (e.strip() for e in re.split(r"[;\n]", value))):
            token, colon, reason = entry.partition(":")
            token, reason = token.strip(), reason.strip()
            if not colon or not reason:
                bad.append(BadSuppression(span, f"suppression {entry!r} has no reason: write \"{token}: why it is fine\""))
                continue
            found.append(Suppression(token, span, "object", label, reason=reason))
    return found, bad


def _tokens(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def apply(findings: list[Finding], suppressions: list[Suppression],
          matches: Callable[[str, Finding], bool]) -> tuple[list[Finding], list[Suppression]]:
    """Split findings into kept ones; return them with the suppressions that silenced nothing."""
    used: set[int] = set()
    kept: list[Finding] = []
    for finding in findings:
        silenced = False
        for index, suppression in enumerate(suppressions):
            if suppression.covers(finding, matches):
                used.add(index)
                silenced = True
        if not silenced:
            kept.append(finding)
    unused = [s for i, s in enumerate(suppressions) if i not in used]
    return kept, unused
