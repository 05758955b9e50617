"""One cause, one finding: fold the findings that a root cause explains into the cause's finding.

Some mistakes trip several rules: an `ipBlock` of `0.0.0.0/0` is an any-address peer (PL205) and
therefore reaches the metadata endpoint (PL206), and for training pods that is PL508 again; an
upper-case Kubeflow replica type (PL116) is why a policy selects no pods (PL112). Reporting each
rule's view separately buries the cause under its consequences.

The mechanism is general, declared by the rules themselves:

- a rule module may declare `SUBSUMES = ("PL206", …)`: the codes whose findings its own findings
  explain when they share a cause;
- a finding's *causes* are what it is about: by default its own location (rule findings at the
  same node share it), or the keys a rule gives explicitly with `ctx.finding(…, causes=…)` —
  e.g. `("host-network", workload id)` for every hostNetwork workload a finding names;
- after suppression, a finding of a subsumed code is folded away when every one of its causes is
  a cause of some finding of a rule that subsumes it; it becomes a related location of each of
  those findings (SARIF `relatedLocations`, JSON `related`), with its code and message.

Only findings that were reported are folded: when only the consequence's rule is selected (or the
cause's finding is suppressed), the consequence is reported on its own. A merged finding takes
the highest severity of the findings it stands for, so folding never lets a build pass that would
have failed.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Hashable, Iterable, Mapping

from policylint.findings import Finding, Related, Severity
from policylint.load.nodes import Span


def cause_at(span: Span) -> Hashable:
    """The cause key of a location: findings at the same node share it."""
    return ("at", span.path, span.line, span.column)


def causes_of(finding: Finding) -> frozenset[Hashable]:
    return finding.causes or frozenset((cause_at(finding.span),))


def fold(findings: Iterable[Finding], subsumes: Mapping[str, tuple[str, ...]]) -> list[Finding]:
    """The findings with every explained consequence folded into its causes' findings.

    `subsumes` maps a code to the codes it explains; it must be acyclic (the registry checks it),
    so a chain (PL205 explains PL206, which explains PL508) always ends at findings that stay."""
    findings = list(findings)
    explainers: dict[str, list[int]] = {}  # consequence code -> indexes of findings that may explain it
    for i, finding in enumerate(findings):
        for code in subsumes.get(finding.code, ()):
            explainers.setdefault(code, []).append(i)
    if not explainers:
        return findings
    into: dict[int, list[int]] = {}  # folded finding -> the findings that explain it
    for j, finding in enumerate(findings):
        wanted = causes_of(finding)
        covering = [i for i in explainers.get(finding.code, ()) if causes_of(findings[i]) & wanted]
        if covering and wanted <= frozenset().union(*(causes_of(findings[i]) for i in covering)):
            into[j] = covering

    def roots(i: int) -> list[int]:
        return [r for k in into[i] for r in roots(k)] if i in into else [i]

    folded: dict[int, list[Finding]] = {}
    for j in into:
        for root in dict.fromkeys(roots(j)):
            folded.setdefault(root, []).append(findings[j])
    return [_merged(f, folded[i]) if i in folded else f for i, f in enumerate(findings) if i not in into]


def _merged(cause: Finding, consequences: list[Finding]) -> Finding:
    related = list(cause.related)
    for consequence in sorted(consequences, key=Finding.sort_key):
        item = Related(consequence.span, f"{consequence.code} ({consequence.name}), same cause: {consequence.message}")
        if item not in related:
            related.append(item)
    severity = max([cause.severity, *(c.severity for c in consequences)], key=int)
    return dataclasses.replace(cause, related=tuple(related), severity=Severity(severity))


# -- cause keys shared by the rules ------------------------------------------------------------------

def selector_cause(selector: Any) -> Hashable:
    """A label selector as written (PL116's upper-case value, PL112's podSelector)."""
    return ("selector",) + cause_at(selector.source.span)


def peer_cause(peer: Any) -> Hashable:
    """A peer as written (PL109 and PL110 on the same podSelector-only peer)."""
    return ("peer",) + cause_at(peer.source.span)


def host_network_cause(workload: Any) -> Hashable:
    """A workload on the host network (PL509 at its `hostNetwork`, PL115 where policies select it)."""
    return ("host-network", workload.id)
