"""A work budget for the rules whose cost grows faster than their input (PL401, PL402).

Comparing every rule with every other rule is quadratic at best, and a crafted policy (a few
hundred rules whose ipBlocks cut each other, or selectors with long `In` lists) can make it much
worse. A rule that may do that much work counts it in a `Budget`; past the limit it stops and
says so with a PL025 (check-budget-exceeded) finding on the object it could not finish, instead
of stalling the build or skipping the object silently. This module is not a rule.
"""
from __future__ import annotations

from typing import Any

from policylint.findings import Finding, Related
from policylint.load.nodes import Span
from policylint.rule_api import RuleContext


class BudgetExceeded(Exception):
    """Raised by `Budget.spend` once the limit is passed."""


class Budget:
    """A count of elementary comparisons, with a limit (None: no limit)."""

    __slots__ = ("limit", "spent")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self, units: int) -> None:
        self.spent += units
        if self.limit is not None and self.spent > self.limit:
            raise BudgetExceeded


def budget_finding(ctx: RuleContext, span: Span, object: str, field_path: str, what: str,
                   limit: int, related: tuple[Related, ...] = ()) -> Finding:
    """The PL025 finding for an object that rule `ctx.spec` could not finish within `limit`."""
    from policylint.rules import pl025_check_budget_exceeded as rule  # the code and texts live there

    spec = ctx.spec
    return Finding(
        code=rule.CODE,
        name=rule.NAME,
        severity=rule.SEVERITY,
        message=f"{what} not fully checked by {spec.code} ({spec.name}): budget of {limit:,} comparisons "
                f"exceeded (option `budget` of {spec.code})",
        span=span,
        object=object,
        field_path=field_path,
        remediation=rule.REMEDIATION,
        related=related,
    )


def limit_of(options: dict[str, Any]) -> int | None:
    """The rule's `budget` option: a positive count, or 0 for no limit."""
    value = int(options.get("budget", 0))
    return value if value > 0 else None
