"""The diff as text for a terminal: counts, then each kind of change, then the verdict."""
from __future__ import annotations

import textwrap

from policylint.diff import words
from policylint.diff.grouping import Line, group
from policylint.diff.model import CHANGE_KINDS, DiffResult, ObjectChanges
from policylint.findings import Finding
from policylint.report.escape import text as esc
from policylint.report.text import plural

WIDTH = 100
_INDENT = " " * 6


def render(result: DiffResult) -> str:
    out = [f"policylint diff: {result.old.label} → {result.new.label}", *words.absent(result), ""]
    out += [f"connections: {words.connection_counts(result)} (pairs of endpoints)",
            f"workloads: {words.object_counts(result.workloads)}",
            f"policies: {words.object_counts(result.policies)}",
            f"namespaces: {words.object_counts(result.namespaces)}",
            f"findings: {len(result.introduced)} introduced, {len(result.fixed)} fixed", ""]
    lines = group(result.connections)
    for kind in CHANGE_KINDS:
        chosen = [line for line in lines if line.change == kind]
        if chosen:
            pairs = sum(line.pairs for line in chosen)
            out.append(f"Connections {words.TITLES[kind]}: {plural(pairs, 'pair')}")
            for line in chosen:
                out.extend(_line(line))
            out.append("")
    out.extend(_exposure(result))
    for title, changes in (("Workloads", result.workloads), ("Policies", result.policies),
                           ("Namespaces", result.namespaces)):
        out.extend(_objects(title, changes))
    for title, findings in (("Findings introduced", result.introduced), ("Findings fixed", result.fixed)):
        if findings:
            out.append(title)
            out.extend(_finding(f) for f in findings)
            out.append("")
    out.append(_verdict(result))
    # Every item is one line by construction, so escaping each whole line escapes every value in it.
    return "\n".join(esc(line) for line in out) + "\n"


def _line(line: Line) -> list[str]:
    src, dst = words.ends(line)
    count = f" ({plural(line.pairs, 'pair')})" if line.pairs > 1 else ""
    out = [f"  {src} → {dst}{count}: {words.ports(line)}"]
    if len(line.sources) > 1:
        out.extend(_wrapped("from: ", [words.endpoint(e) for e in line.sources]))
    if len(line.destinations) > 1:
        out.extend(_wrapped("to: ", [words.endpoint(e) for e in line.destinations]))
    for label, items in words.reasons(line):
        if label:
            out.append(f"{_INDENT}{label}: {items[0]}")
            out.extend(f"{_INDENT}{' ' * (len(label) + 2)}{item}" for item in items[1:])
        else:
            out.extend(f"{_INDENT}{item}" for item in items)
    return out


def _exposure(result: DiffResult) -> list[str]:
    """Claims about peers the input does not contain that changed (diff/exposure.py)."""
    if not result.exposure:
        return []
    out = ["Exposure to peers the input does not contain"]
    for c in result.exposure:
        arrow = f"{c.description} → {c.endpoint}" if c.direction == "ingress" else f"{c.endpoint} → {c.description}"
        out.append(f"  {c.change}: {arrow}: {words.exposure_ports(c)}")
    out.append("")
    return out


def _wrapped(label: str, items: list[str]) -> list[str]:
    return textwrap.wrap(label + ", ".join(items), WIDTH, initial_indent=_INDENT,
                         subsequent_indent=_INDENT + " " * len(label), break_on_hyphens=False, break_long_words=False)


def _objects(title: str, changes: ObjectChanges) -> list[str]:
    if not (changes.added or changes.removed or changes.changed):
        return []
    out = [title]
    for ref in changes.added:
        out.append(f"  + {ref.id}  ({words.where(ref.location)})")
    for ref in changes.removed:
        out.append(f"  - {ref.id}  ({words.where(ref.location)})")
    for edit in changes.changed:
        what = "; ".join(_field(name, before, after) for name, before, after in edit.fields)
        out.append(f"  ~ {edit.id}  {what}  ({words.where(edit.old.location)} → {words.where(edit.new.location)})")
    out.append("")
    return out


def _field(name: str, before: str, after: str) -> str:
    if not before and not after:
        return f"{name} edited"
    return f"{name}: {before or '(none)'} → {after or '(none)'}"


def _finding(f: Finding) -> str:
    return f"  {f.path}:{f.line}:{f.column}: {f.severity.label} {f.code} {f.message}  ({f.name})"


def _verdict(result: DiffResult) -> str:
    if result.failed:
        return "result: failed: " + "; ".join(result.failures)
    gates = result.gates
    if gates.fail_on_new is None and not gates.fail_on_widened:
        return "result: no gate set (--fail-on-new, --fail-on-widened)"
    return "result: passed"
