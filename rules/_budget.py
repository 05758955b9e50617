"""A work budget for the rules whose cost grows faster than their input (PL401, PL402).

Comparing every rule with every other rule is quadratic at best, and a crafted policy (a few
hundred rules whose ipBlocks cut each other, or selectors with long `In` lists) can make it much
worse. A rule that may do that much work counts it in a `Budget`; past the limit it stops and
says so with a PL025 (check-budget-exceeded) finding on the object it could not finish, instead
of stalling the build or skipping the object silently. This module is not a rule.
"""
from __future__ import annotations

from typing import Any

from policylint.budget import Budget, BudgetExceeded  # noqa: F401  (the rules' names for them)
from policylint.findings import Finding, Related
from policylint.load.nodes import Span
from policylint.rule_api import RuleContext


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


# The exposure analysis (PL404, PL406, PL507) counts the regions it cuts the peers the input does not
# contain into and the overlap tests that describe them: both grow with the selectors that bear
# on a class, far faster than the input in crafted or very selector-rich inputs.
EXPOSURE_BUDGET = 1_000_000


def exposure_budget_option() -> Any:
    from policylint.rule_options import Int, Option

    return Option(EXPOSURE_BUDGET, "the most units of exposure analysis (regions and overlap tests) spent before "
                  "the rule stops and reports PL025; 0 for no limit", Int(0, 10**12))


def limit_of(options: dict[str, Any]) -> int | None:
    """The rule's `budget` option: a positive count, or 0 for no limit."""
    value = int(options.get("budget", 0))
    return value if value > 0 else None
