"""Internal error in a rule.

## What it does
Reports that a rule raised an unexpected error on an object. The other rules still run and
their findings are still reported.

Complexity: O(1) per crash, in the runner.

## Why is this bad?
The object was not fully checked by that rule. It is a bug in policylint: please report it with
the input that triggers it (`--debug` prints the traceback).

## Example
No manifest should trigger this rule.

Use instead:
Any manifest.

## References
- https://github.com/ (the project's issue tracker)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL005"
NAME = "rule-crashed"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Report the bug with the input that triggers it; run with --debug to see the traceback."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    # Reported by the runner when another rule raises (see policylint.analysis).
    return iter(())
