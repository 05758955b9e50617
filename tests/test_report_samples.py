"""Shared inputs of the report tests: a hand-built report, the mixed fixture and a CLI runner.

The hand-built report has one finding of each severity, a related location, a multi-line span
and a message with the characters that the formats must escape (`,` `:` `%` `|` `<`). Its
values are chosen here, so the expected outputs in the format tests are derived from them by
hand. The tests in this module guard that the sample keeps covering what the others rely on.
"""
from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from policylint.cli.main import cli
from policylint.findings import Finding, Related, Severity, sorted_findings
from policylint.load.nodes import Span
from policylint.report.model import Report, Summary
from policylint.rule_api import RuleSpec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = "fixtures/examples/"
SEED = "fixtures/examples/seed/ml-training-policy.yaml"  # for exact values: the examples folder grows
MIXED = "fixtures/report/mixed"
MIXED_CONFIG = "fixtures/report/mixed/.policylint.yaml"
# The rules the mixed fixture exercises; naming them keeps the tests exact while rules are added.
MIXED_RULES = "PL001,PL004,PL009,PL201,PL202"
MIXED_ARGS = ["check", MIXED, "--config", MIXED_CONFIG, "--select", MIXED_RULES]

DOC = """Example rule title.

## What it does
Reports the thing
on two lines.

## Why is this bad?
Because.

## Example
```yaml
cidr: ""
```
"""


def spec(code: str, name: str, severity: Severity, doc: str = DOC, remediation: str = "Fix it.") -> RuleSpec:
    return RuleSpec(code=code, name=name, severity=severity, scope="policy", remediation=remediation,
                    summary=doc.splitlines()[0].rstrip("."), doc=doc.strip(), options={}, defaults={},
                    check=lambda *args: iter(()), module=types.ModuleType(f"sample_{code}"))


POLICY = "NetworkPolicy ml-workloads/ml-training-communication"
ERROR = Finding(
    "PL201", "invalid-cidr", Severity.ERROR, 'ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required',
    Span("k8s/train.yaml", 27, 19, 27, 21), object=POLICY, field_path="spec.egress[0].to[0].ipBlock.cidr",
    remediation="Set `cidr` to a CIDR.",
    related=(Related(Span("k8s/namespaces.yaml", 3, 9, 3, 21), "namespace ml-workloads is declared here"),),
)
WARNING = Finding(
    "PL009", "unknown-field", Severity.WARNING, "unknown field 'a,b:c' in a peer (100% | <b>)",
    Span("k8s/train.yaml", 30, 11, 31, 5), object=POLICY, field_path="spec.ingress[0].from[0]",
)
INFO = Finding("PL004", "unused-suppression", Severity.INFO, "suppression of 'PL202' silences nothing",
               Span("k8s/z.yaml", 2, 15, 2, 44))
SPECS = (
    spec("PL004", "unused-suppression", Severity.WARNING),
    spec("PL009", "unknown-field", Severity.WARNING),
    spec("PL201", "invalid-cidr", Severity.ERROR, remediation="Set `cidr` to a CIDR."),
)
SUMMARY = Summary(files=3, objects=4, namespaces=1, workloads=0, policies=2)
FILES = ("k8s/train.yaml", "k8s/namespaces.yaml", "k8s/z.yaml")


def sample_report(findings: list[Finding] | tuple[Finding, ...] = (ERROR, WARNING, INFO), **changes: Any) -> Report:
    values: dict[str, Any] = dict(findings=tuple(sorted_findings(list(findings))), summary=SUMMARY, rules=SPECS,
                                  files=FILES)
    values.update(changes)
    return Report(**values)


def run(args: list[str], env: dict[str, str | None] | None = None, input: bytes | str | None = None) -> Result:
    """The CLI in-process, outside GitHub Actions unless `env` says otherwise."""
    environment: dict[str, str | None] = {"GITHUB_ACTIONS": None, "NO_COLOR": None}
    environment.update(env or {})
    return CliRunner().invoke(cli, args, env=environment, input=input, catch_exceptions=False)


def run_process(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
    """`python -m policylint …` in the repository root, outside GitHub Actions."""
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR")}
    return subprocess.run([sys.executable, "-m", "policylint", *args], cwd=ROOT, env=env, capture_output=True,
                          timeout=120, **kwargs)


def test_sample_covers_every_severity_and_a_related_location() -> None:
    report = sample_report()
    assert [f.severity for f in report.findings] == [Severity.ERROR, Severity.WARNING, Severity.INFO]
    assert any(f.related for f in report.findings)
    assert any(f.span.end_line > f.span.line for f in report.findings)

