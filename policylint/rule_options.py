"""Rule options: each rule declares its options once, as `OPTIONS = {name: Option(...)}`.

The declaration gives the default, the one-line help and the kind of value allowed. The config
loader checks every value against it when the file is read (type, allowed values, ranges), so a
bad value is a configuration error naming file:line, key and what is allowed, never a rule that
crashes or quietly ignores it at run time. `check` then receives values it can trust.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

_PORT_RANGE = re.compile(r"\s*(\d+)\s*-\s*(\d+)\s*")


class Kind:
    """What values an option allows; `problem` says why a value is not one of them (None: fine)."""

    allowed = "a value"

    def problem(self, value: Any) -> str | None:
        raise NotImplementedError


class Flag(Kind):
    allowed = "true or false"

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else "not true or false"


@dataclass(frozen=True)
class Choice(Kind):
    choices: tuple[str, ...]

    @property
    def allowed(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(self.choices)

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, str) and value in self.choices else f"{value!r} is not allowed"


class _ListKind(Kind):
    """A list whose items are each checked by `item_problem`."""

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, list):
            return "not a list"
        for item in value:
            problem = self.item_problem(item)
            if problem is not None:
                return problem
        return None

    def item_problem(self, item: Any) -> str | None:
        raise NotImplementedError


@dataclass(frozen=True)
class IntList(_ListKind):
    low: int
    high: int

    @property
    def allowed(self) -> str:  # type: ignore[override]
        return f"a list of integers from {self.low} to {self.high}"

    def item_problem(self, item: Any) -> str | None:
        if not isinstance(item, int) or isinstance(item, bool):
            return f"{item!r} is not an integer"
        return None if self.low <= item <= self.high else f"{item} is out of range"


PORTS = IntList(1, 65535)


@dataclass(frozen=True)
class Int(Kind):
    low: int
    high: int

    @property
    def allowed(self) -> str:  # type: ignore[override]
        return f"an integer from {self.low} to {self.high}"

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{value!r} is not an integer"
        return None if self.low <= value <= self.high else f"{value} is out of range"


class AddressList(_ListKind):
    allowed = "a list of IP addresses"

    def item_problem(self, item: Any) -> str | None:
        try:
            ipaddress.ip_address(item if isinstance(item, str) else "?")
        except ValueError:
            return f"{item!r} is not an IP address"
        return None


class CidrList(_ListKind):
    allowed = "a list of CIDRs (such as 52.216.0.0/15)"

    def item_problem(self, item: Any) -> str | None:
        try:
            ipaddress.ip_network(item if isinstance(item, str) else "?", strict=False)
        except ValueError:
            return f"{item!r} is not a CIDR"
        return None


class NameList(_ListKind):
    allowed = "a list of names"

    def item_problem(self, item: Any) -> str | None:
        return None if isinstance(item, str) and item else f"{item!r} is not a name"


class PortRange(Kind):
    allowed = "FIRST-LAST with 1 <= FIRST <= LAST <= 65535 (such as 32768-60999)"

    def problem(self, value: Any) -> str | None:
        match = _PORT_RANGE.fullmatch(value) if isinstance(value, str) else None
        if match is None or not 1 <= int(match.group(1)) <= int(match.group(2)) <= 65535:
            return f"{value!r} is not a port range"
        return None


@dataclass(frozen=True)
class Option:
    """One option of a rule: its default, what it does, and what values it allows."""

    default: Any
    help: str
    kind: Kind

    def problem(self, value: Any) -> str | None:
        return self.kind.problem(value)
