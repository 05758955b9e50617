"""What every formatter receives: the findings and the context a report needs."""
from __future__ import annotations

from dataclasses import dataclass, field

from policylint import __version__
from policylint.findings import Finding, Severity
from policylint.rule_api import RuleSpec


@dataclass(frozen=True, slots=True)
class Summary:
    files: int
    objects: int
    namespaces: int
    workloads: int
    policies: int
    unknown_kinds: tuple[tuple[str, int], ...] = ()
    not_analysed: tuple[str, ...] = ()  # policy objects of kinds that are not evaluated
    # Objects read but not used, as (object, path, line, reason), and files read that hold no
    # Kubernetes object, as (path, reason): counted in the summary line, listed under -v.
    unused: tuple[tuple[str, str, int, str], ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    # Charts and kustomizations rendered, as (chart or kustomization file, how): listed under -v.
    rendered: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...]
    summary: Summary
    rules: tuple[RuleSpec, ...]  # the rules that ran, for SARIF metadata
    fail_on: Severity = Severity.ERROR
    color: bool = False
    verbose: bool = False
    tool_version: str = __version__
    extra: dict = field(default_factory=dict)
    files: tuple[str, ...] = ()  # every input file read, in load order (JUnit has a suite per file)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def failed(self) -> bool:
        return any(f.severity >= self.fail_on for f in self.findings)
