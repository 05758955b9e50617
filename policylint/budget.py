"""A count of elementary work with a limit, for analyses whose cost can grow far faster than their
input (rules comparing every rule with every other, the exposure analysis). Past the limit the
work stops with `BudgetExceeded`; whoever set the budget says what was left unchecked."""
from __future__ import annotations


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

    def ensure(self, units: int) -> None:
        """Stop now if work that will surely spend `units` more would pass the limit: the verdict
        spending them would give, without doing the work first. Spends nothing."""
        if self.limit is not None and self.spent + units > self.limit:
            raise BudgetExceeded
