"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding.

Escaping follows the runner's rules (actions/toolkit `command.ts`): in the message `%`, CR and
LF are percent-encoded; in property values `:` and `,` are too, since they delimit properties.
GitHub only honours `col`/`endColumn` when the annotation starts and ends on one line.
"""
from __future__ import annotations

from policylint.findings import Finding, Severity
from policylint.report.escape import text as esc
from policylint.report.model import Report
from policylint.report.paths import is_pseudo, relative_path
from policylint.report.text import summary_line

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(report: Report) -> str:
    lines = [annotation(f, verbose=report.verbose) for f in report.findings]
    lines.append(summary_line(report))  # a plain log line, not a command
    return "\n".join(lines) + "\n"


def annotation(f: Finding, verbose: bool = False) -> str:
    properties = [(key, str(value)) for key, value in _location(f)]
    properties.append(("title", f"{f.code} {f.name}"))
    message = esc(f.message)
    if verbose and f.remediation:
        message += f"\n{f.remediation}"
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{COMMANDS[f.severity]} {rendered}::{escape_data(message)}"


def _location(f: Finding) -> list[tuple[str, int | str]]:
    if is_pseudo(f.path):  # stdin has no file to annotate; the title and message still show
        return []
    span = f.span
    location: list[tuple[str, int | str]] = [("file", esc(relative_path(f.path))), ("line", span.line)]
    if span.end_line == span.line and span.end_column >= span.column:
        location += [("col", span.column), ("endLine", span.end_line), ("endColumn", span.end_column)]
    elif span.end_line > span.line:
        location.append(("endLine", span.end_line))
    else:
        location.append(("col", span.column))
    return location


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
