"""Assemble a `Report` from an analysis."""
from __future__ import annotations

from typing import Any, Iterable

from policylint.findings import Finding, Severity
from policylint.report.model import Report, Summary


def build_report(analysis: Any, fail_on: Severity, *, color: bool = False, verbose: bool = False,
                 findings: Iterable[Finding] | None = None) -> Report:
    cluster = analysis.cluster
    summary = Summary(
        files=len(analysis.load.files),
        objects=len(analysis.load.objects),
        namespaces=len(cluster.namespaces),
        workloads=len(cluster.workloads),
        policies=len(cluster.policies),
        unknown_kinds=tuple(sorted(cluster.unknown_kinds.items())),
        not_analysed=tuple(sorted(f"{p.kind} {p.namespace + '/' if p.namespace else ''}{p.name}" for p in cluster.other_policies)),
    )
    return Report(
        findings=tuple(analysis.findings if findings is None else findings),
        summary=summary,
        rules=tuple(r.spec for r in analysis.rules),
        fail_on=fail_on,
        color=color,
        verbose=verbose,
    )
