"""The diff as Markdown for a pull-request comment: the counts first, then the changes grouped by
namespace, then objects and findings. Sections fold into `<details>` once the comment would be
long, so the conversation stays readable; the first line is an HTML comment a bot can search for
to update its previous comment.
"""
from __future__ import annotations

from itertools import groupby

from policylint.diff import words
from policylint.diff.grouping import Line, group
from policylint.diff.model import CHANGE_KINDS, DiffResult, EndpointRef, ObjectChanges
from policylint.findings import Finding
from policylint.report.escape import md_code as _code, md_html, md_text as _text  # one escaping layer
from policylint.report.text import plural

MARKER = "<!-- policylint diff -->"
COLLAPSE_AFTER = 12  # lines (connections, objects or findings) beyond which sections fold
LIST_INLINE = 3  # endpoints listed on the line itself; more go on a nested list


def render(result: DiffResult) -> str:
    lines = group(result.connections)
    fold = len(lines) > COLLAPSE_AFTER
    out = [MARKER, f"### policylint diff: {_text(words.headline(result))}", "",
           f"{_code(result.old.label)} → {_code(result.new.label)}", ""]
    out += _counts(result)
    for namespace, members in groupby(lines, key=lambda line: line.namespace):
        out += _namespace(namespace, list(members), fold)
    out += _exposure(result)
    out += _objects(result)
    out += _findings("Findings introduced", result.introduced)
    out += _findings("Findings fixed", result.fixed)
    return "\n".join(out).rstrip("\n") + "\n"


def _exposure(result: DiffResult) -> list[str]:
    if not result.exposure:
        return []
    out = ["#### Exposure to peers the input does not contain", "", "| Change | Workload | Direction | Peer | Ports |",
           "| --- | --- | --- | --- | --- |"]
    for c in result.exposure:
        direction = "inbound from" if c.direction == "ingress" else "outbound to"
        out.append(f"| {c.change} | {_code(c.endpoint)} | {direction} | {_code(c.description)} | "
                   f"{_text(words.exposure_ports(c)).replace('|', '/')} |")
    return out + [""]


def _counts(result: DiffResult) -> list[str]:
    out = ["| | " + " | ".join(CHANGE_KINDS) + " |",
           "| --- |" + " ---: |" * len(CHANGE_KINDS),
           "| Connections (pairs) | " + " | ".join(str(result.count(kind)) for kind in CHANGE_KINDS) + " |", "",
           "| Objects | added | removed | changed |", "| --- | ---: | ---: | ---: |"]
    for title, changes in (("Workloads", result.workloads), ("Policies", result.policies),
                           ("Namespaces", result.namespaces)):
        c = changes.counts()
        out.append(f"| {title} | {c['added']} | {c['removed']} | {c['changed']} |")
    out += ["", f"**Findings:** {_severities(result.introduced, 'introduced')} · {_severities(result.fixed, 'fixed')}. "
                f"**Result:** {_verdict(result)}", ""]
    for note in words.absent(result):
        out += [_text(note[0].upper() + note[1:]) + ".", ""]
    for version, side in (("old", result.old), ("new", result.new)):
        if side.not_evaluated:
            out.append(f"> **Caveat ({version}):** the connectivity ignores {plural(len(side.not_evaluated), 'object')} "
                       "of kinds policylint does not evaluate:")
            out += [f"> - {_code(words.where(i.location))} {_text(i.kind)} "
                    f"{_code((i.namespace + '/' if i.namespace else '') + i.name)} ({_code(i.api_version)})"
                    for i in side.not_evaluated]
            out.append("")
    return out


def _severities(findings: tuple[Finding, ...], what: str) -> str:
    text = f"{len(findings)} {what}"
    by = [plural(n, sev) for sev in ("error", "warning", "info")
          if (n := sum(1 for f in findings if f.severity.label == sev))]
    return f"{text} ({', '.join(by)})" if by else text


def _verdict(result: DiffResult) -> str:
    if result.failed:
        return "**failed**: " + _text("; ".join(result.failures))
    if result.gates.fail_on_new is None and not result.gates.fail_on_widened:
        return "no gate set."
    return "passed."


def _namespace(namespace: str, lines: list[Line], fold: bool) -> list[str]:
    title = _code(namespace) if namespace else "external"
    body = [item for line in lines for item in _line(line)]
    if not fold:
        return [f"#### Namespace {title}", "", *body, ""]
    counts = ", ".join(f"{sum(l.pairs for l in lines if l.change == kind)} {kind}"
                       for kind in CHANGE_KINDS if any(l.change == kind for l in lines))
    summary = f"<b>{md_html(namespace or 'external')}</b>: {md_html(counts)} ({plural(sum(l.pairs for l in lines), 'pair')})"
    return [f"<details><summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _end(ends: tuple[EndpointRef, ...], word: str) -> str:
    if len(ends) == 1:
        return _code(words.endpoint(ends[0]))
    return f"**{plural(len(ends), word)}**"


def _line(line: Line) -> list[str]:
    count = f" ({plural(line.pairs, 'pair')})" if line.pairs > 1 else ""
    out = [f"- **{line.change}** {_end(line.sources, 'source')} → {_end(line.destinations, 'destination')}{count}: "
           f"{_text(words.ports(line))}"]
    for label, ends in (("from", line.sources), ("to", line.destinations)):
        if len(ends) > 1:
            out.append(f"  - {label}: " + ", ".join(_code(words.endpoint(e)) for e in ends))
    for label, items in words.reasons(line, _code):  # every value in them is a code span
        out.append(f"  - {label}: {'; '.join(items)}" if label else f"  - {'; '.join(items)}")
    return out


def _objects(result: DiffResult) -> list[str]:
    items: list[str] = []
    for title, changes in (("Workload", result.workloads), ("Policy", result.policies),
                           ("Namespace", result.namespaces)):
        items += _object_items(title, changes)
    if not items:
        return []
    if len(items) > COLLAPSE_AFTER:
        return [f"<details><summary>Objects: {len(items)} changes</summary>", "", *items, "", "</details>", ""]
    return ["#### Objects", "", *items, ""]


def _object_items(title: str, changes: ObjectChanges) -> list[str]:
    out = []
    for ref in changes.added:
        out.append(f"- {title} **added** {_code(ref.id)} ({_code(words.where(ref.location))})")
    for ref in changes.removed:
        out.append(f"- {title} **removed** {_code(ref.id)} ({_code(words.where(ref.location))})")
    for edit in changes.changed:
        what = "; ".join(f"{name} edited" if not (before or after) else
                         f"{name}: {before or '(none)'} → {after or '(none)'}" for name, before, after in edit.fields)
        out.append(f"- {title} **changed** {_code(edit.id)}: {_text(what)} "
                   f"({_code(words.where(edit.old.location))} → {_code(words.where(edit.new.location))})")
    return out


_HEADER = ["| Location | Code | Severity | Message |", "| --- | --- | --- | --- |"]


def _findings(title: str, findings: tuple[Finding, ...]) -> list[str]:
    if not findings:
        return []
    rows = [f"| {_code(f'{f.path}:{f.line}')} | {_code(f.code)} {_text(f.name)} | {f.severity.label} | {_text(f.message)} |"
            for f in findings]
    if len(findings) > COLLAPSE_AFTER:
        return [f"<details><summary>{title}: {len(findings)}</summary>", "", *_HEADER, *rows, "", "</details>", ""]
    return [f"#### {title}", "", *_HEADER, *rows, ""]
