"""Phrases shared by the text and Markdown renderings of a diff."""
from __future__ import annotations

from typing import Callable

from policylint.diff.grouping import Line
from policylint.diff.model import (ADDED, CHANGE_KINDS, CHANGED, NARROWED, NEW, OLD, REMOVED, WIDENED, DiffResult,
                                   EndpointRef, IsolationChange, Location, PolicyRef, RuleRef)
from policylint.model.types import EGRESS
from policylint.report.text import plural

TITLES = {ADDED: "added", REMOVED: "removed", WIDENED: "widened", NARROWED: "narrowed",
          CHANGED: "changed (ports gained and lost)"}


def endpoint(e: EndpointRef) -> str:
    """A workload's id; an external range as its CIDR when it is one, else `first-last (CIDRs)`."""
    if not e.is_external:
        return e.id
    if len(e.cidrs) == 1:
        return e.cidrs[0]
    return f"{e.id} ({', '.join(e.cidrs)})" if len(e.cidrs) <= 8 else f"{e.id} ({len(e.cidrs)} CIDRs)"


def where(location: Location | None) -> str:
    return f"{location.path}:{location.line}" if location is not None else "(no file)"


def ends(line: Line) -> tuple[str, str]:
    """The two ends of a line: an endpoint, or "N sources"/"N destinations"."""
    src = endpoint(line.sources[0]) if len(line.sources) == 1 else plural(len(line.sources), "source")
    dst = endpoint(line.destinations[0]) if len(line.destinations) == 1 else plural(len(line.destinations), "destination")
    return src, dst


def ports(line: Line) -> str:
    """What the line's pairs allow now, and what that means against before."""
    return port_change(line.old, line.new)


def port_change(old, new) -> str:
    """`TCP 80 → TCP 80, 443 (gained TCP 443)`; a side that is empty says added or all lost."""
    if old.is_empty:
        return new.describe()
    if new.is_empty:
        return f"{old.describe()} (all lost)"
    delta = []
    gained, lost = new - old, old - new
    if not gained.is_empty:
        delta.append(f"gained {gained.describe()}")
    if not lost.is_empty:
        delta.append(f"lost {lost.describe()}")
    return f"{old.describe()} → {new.describe()} ({', '.join(delta)})"


Code = Callable[[str], str]


def _plain(text: str) -> str:
    return text


def rule(ref: RuleRef, code: Code = _plain) -> str:
    edited = ", edited" if ref.edited else ""
    return f"{code(ref.policy)} {code(ref.rule)} ({code(where(ref.location))}{edited})"


def tier_rule(ref, code: Code = _plain) -> str:
    edited = ", edited" if ref.edited else ""
    name = f" {code(repr(ref.name))}" if ref.name else ""
    return (f"{code(ref.policy)} {code(ref.rule)}{name}: {ref.tier} tier, {ref.verdict} "
            f"({code(where(ref.location))}{edited})")


def _policies(refs: tuple[PolicyRef, ...], code: Code) -> str:
    return ", ".join(f"{code(p.policy)} ({code(where(p.location))})" for p in refs)


def isolation(change: IsolationChange, code: Code = _plain) -> str:
    end = "source" if change.direction == EGRESS else "destination"
    direction = change.direction.lower()
    if change.old and not change.new:
        return f"{end} no longer isolated for {direction}: was isolated by {_policies(change.old, code)}"
    return f"{end} now isolated for {direction} by {_policies(change.new, code)}"


def reasons(line: Line, code: Code = _plain) -> list[tuple[str, list[str]]]:
    """(label, items) per reason: the rules by version, then sentences without a label."""
    out: list[tuple[str, list[str]]] = []
    for version, label in ((NEW, "allowed by"), (OLD, "was allowed by")):
        rules = [rule(r, code) for r in line.because.rules if r.location.version == version]
        if rules:
            out.append((label, rules))
    for version, label in ((NEW, "decided in a tier by"), (OLD, "was decided in a tier by")):
        tiers = [tier_rule(r, code) for r in line.because.tier_rules if r.location.version == version]
        if tiers:
            out.append((label, tiers))
    out.extend(("", [isolation(i, code)]) for i in line.because.isolation)
    if not out:
        out.append(("", ["no policy isolates either end" if line.change != REMOVED else "no policy isolated either end"]))
    if line.because.depends_on_invalid:
        versions = " and ".join(line.because.depends_on_invalid)
        out.append(("", [f"the {versions} answer rests on a policy the API server would reject"]))
    return out


def absent(result: DiffResult) -> list[str]:
    """Paths that one side does not have, which are compared with nothing."""
    notes = []
    if result.old.absent:
        notes.append(f"not present at {result.old.revision}: {', '.join(result.old.absent)} (compared with nothing)")
    if result.new.absent:
        notes.append(f"not present in the working tree: {', '.join(result.new.absent)} (compared with nothing)")
    return notes


def connection_counts(result: DiffResult) -> str:
    return ", ".join(f"{result.count(kind)} {kind}" for kind in CHANGE_KINDS)


def object_counts(changes) -> str:
    c = changes.counts()
    return f"{c['added']} added, {c['removed']} removed, {c['changed']} changed"


def headline(result: DiffResult) -> str:
    """The counts that matter most, for a title: "3 connections added, 2 findings fixed"."""
    parts = []
    for kind in CHANGE_KINDS:
        n = result.count(kind)
        if n:
            parts.append(f"{plural(n, 'connection')} {kind}")
    if result.introduced:
        parts.append(f"{plural(len(result.introduced), 'finding')} introduced")
    if result.fixed:
        parts.append(f"{plural(len(result.fixed), 'finding')} fixed")
    return ", ".join(parts) if parts else "no change in connectivity or findings"



def exposure_ports(change) -> str:
    """An exposure entry's ports: what the described peers gained, or what not all of them keep."""
    if change.change in (ADDED, WIDENED):
        gained = (change.new - change.old).describe()
        return f"gained {gained}" + (f" (had {change.old.describe()})" if not change.old.is_empty else "")
    lost = (change.old - change.new).describe()
    return f"lost {lost}, for some or all of them" + (f" (keep {change.new.describe()})" if not change.new.is_empty else "")
