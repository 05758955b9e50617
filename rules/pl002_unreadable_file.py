"""Unreadable file.

## What it does
Reports an input that cannot be read as text: a permission error, a folder that cannot be
listed, a binary file, or bytes that are not valid UTF-8.

Complexity: O(I) over the I load problems (a file is read once, up to the size limit).

## Why is this bad?
The file is not analysed at all, so any policy in it is invisible to the linter and to review.

## Example
A file `policy.yaml` saved in Latin-1 with the byte `0xe9` in a comment.

Use instead:
The same file saved as UTF-8.

## References
- https://kubernetes.io/docs/reference/using-api/api-concepts/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL002"
NAME = "unreadable-file"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Make the file readable and save it as UTF-8 text, or exclude it from the paths given to policylint."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("unreadable")
