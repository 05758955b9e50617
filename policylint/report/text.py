"""Text for humans: findings grouped by file, a summary line; colour only when asked."""
from __future__ import annotations

from itertools import groupby

from policylint.findings import Severity
from policylint.report.escape import text as esc
from policylint.report.model import Report

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render(report: Report) -> str:
    paint = _painter(report.color)
    lines: list[str] = []
    for path, group in groupby(report.findings, key=lambda f: f.path):
        lines.append(paint(_BOLD, esc(path)))
        for f in group:
            where = f"  {f.line}:{f.column}"
            # Pad outside the colour codes, which would otherwise count towards the width.
            severity = paint(_COLORS[f.severity], f.severity.label) + " " * (7 - len(f.severity.label))
            lines.append(f"{where:<10} {severity} {f.code} {esc(f.message)}  {paint(_DIM, f.name)}")
            if report.verbose:
                if f.object:
                    lines.append(f"{'':10} {'':7} object: {esc(f.object)}" + (f" at {esc(f.field_path)}" if f.field_path else ""))
                for related in f.related:
                    lines.append(f"{'':10} {'':7} {esc(related.span.path)}:{related.span.line}: {esc(related.message)}")
                if f.remediation:
                    lines.append(f"{'':10} {'':7} fix: {f.remediation}")
                proved = report.extra.get("fixes", {}).get(f.stable_key)
                if proved is not None:
                    unsafe = " (unsafe: --unsafe-fixes)" if proved.safety != "safe" else ""
                    lines.append(f"{'':10} {'':7} proved fix{unsafe}: {proved.title} (policylint fix)")
        lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def summary_line(report: Report) -> str:
    """One line: what was read and how many findings of each severity."""
    s = report.summary
    counts = ", ".join(plural(report.count(sev), sev.label) for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO))
    parts = [plural(s.files, "file"), plural(s.namespaces, "namespace"), plural(s.workloads, "workload"),
             plural(s.policies, "NetworkPolicy", "NetworkPolicies")]
    # What was read and not used is counted, never dropped silently (-v lists it).
    if s.skipped:
        parts.append(f"{plural(len(s.skipped), 'file')} without Kubernetes objects")
    if s.unused:
        parts.append(f"{plural(len(s.unused), 'object')} not used")
    return f"{', '.join(parts)}: {counts}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else many or singular + 's'}"


def _summary(report: Report) -> str:
    s = report.summary
    text = summary_line(report)
    if report.verbose and s.rendered:
        text += "\nrendered before the analysis:"
        text += "".join(f"\n  {esc(path)}: {esc(how)}" for path, how in s.rendered)
    if report.verbose and s.skipped:
        text += "\nfiles read that hold no Kubernetes object (skipped):"
        text += "".join(f"\n  {esc(path)}: {esc(reason)}" for path, reason in s.skipped)
    if report.verbose and s.unused:
        text += "\nobjects read but not used for the analysis:"
        text += "".join(f"\n  {esc(path)}:{line}: {esc(label)} ({esc(reason)})" for label, path, line, reason in s.unused)
    if s.not_analysed:
        text += f"\nnot evaluated (policy kinds policylint does not model yet): {esc(', '.join(s.not_analysed))}"
    return text


def _painter(enabled: bool):
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if enabled else text
    return paint
