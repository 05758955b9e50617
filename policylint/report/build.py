"""Assemble a `Report` from an analysis."""
from __future__ import annotations

from typing import Any, Iterable

from policylint.findings import Finding, Severity
from policylint.report.model import Report, Summary
from policylint.rule_api import RuleSpec


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
        unused=tuple(sorted((u.object, u.span.path, u.span.line, u.reason) for u in cluster.unused)),
        skipped=tuple(sorted((s.path, s.reason) for s in getattr(analysis.load, "skipped", ()))),
        rendered=tuple(sorted(getattr(analysis.load, "rendered", ()))),
    )
    chosen = tuple(analysis.findings if findings is None else findings)
    return Report(
        findings=chosen,
        summary=summary,
        rules=_rules(analysis, chosen),
        fail_on=fail_on,
        color=color,
        verbose=verbose,
        files=tuple(f.path for f in analysis.load.files),
    )


def _rules(analysis: Any, findings: tuple[Finding, ...]) -> tuple[RuleSpec, ...]:
    """The rules that ran, plus any that reported without being selected (the runner's PL005)."""
    from policylint.analysis import registry

    specs = {r.spec.code: r.spec for r in analysis.rules}
    known = registry()
    for f in findings:
        if f.code not in specs and f.code in known:
            specs[f.code] = known[f.code]
    return tuple(specs[code] for code in sorted(specs))
