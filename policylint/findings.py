"""The finding: one problem at one place, as an immutable value."""
from __future__ import annotations

from dataclasses import dataclass, field

from policylint.load.nodes import Span
from policylint.severity import Severity  # noqa: F401  (where findings' users take it from)


@dataclass(frozen=True, slots=True)
class Related:
    """A second location that explains a finding (the policy that isolates, the peer, ...)."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding of a rule: where, what, and how severe."""

    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    object: str = ""  # "NetworkPolicy ml-workloads/ml-training-communication"
    field_path: str = ""  # "spec.egress[0].to[0].ipBlock.cidr"
    remediation: str = ""
    related: tuple[Related, ...] = field(default=())
    # What the finding is about, for folding consequences into causes (policylint.consequences);
    # empty means "its own location". Not part of the finding's identity.
    causes: frozenset = field(default=frozenset(), compare=False)

    @property
    def path(self) -> str:
        return self.span.path

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def stable_key(self) -> tuple[str, str, str]:
        """What identifies a finding across edits of its file, whose lines and messages shift."""
        return (self.code, self.object, self.field_path)

    def sort_key(self) -> tuple:
        s = self.span
        return (s.path, s.line, s.column, self.code, self.message, self.field_path)


def sorted_findings(findings: list[Finding] | tuple[Finding, ...]) -> list[Finding]:
    """Findings in report order, without exact duplicates."""
    unique = {(f.sort_key(), f.object, f.severity): f for f in findings}
    return [unique[k] for k in sorted(unique)]
