"""`policylint fix`: apply the fixes that the engine proves, or show them as a diff."""
from __future__ import annotations

import re
import sys
from typing import Any

import click

from policylint.cli.common import (EXIT_FINDINGS, EXIT_OK, check_missing, config_options, fail, paths_argument,
                                   pulumi_options, require_paths, resolve_config, setup_logging, split_tokens)


@click.command()
@paths_argument
@click.option("--select", multiple=True, metavar="CODES", help="Fix only these findings (codes, prefixes or names).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules (codes, prefixes or names).")
@click.option("--diff", "show_diff", is_flag=True, help="Print the unified diff of the fixes and change nothing.")
@click.option("--unsafe-fixes", is_flag=True,
              help="Also apply fixes that may allow more than the finding needs (shown, never applied by default).")
@pulumi_options
@config_options
def fix(paths: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...], show_diff: bool,
        unsafe_fixes: bool, config_path: str | None, default_namespace: str | None, debug: bool,
        pulumi: Any) -> None:
    """Fix what can be fixed mechanically in PATH… (files or folders), each fix proved first:
    the finding goes away, no other finding appears, and no connection changes beyond what the
    finding asked for. Exit 0 when nothing is left to fix, 1 when --diff shows changes."""
    setup_logging(debug)
    require_paths(paths, pulumi)
    config = resolve_config(config_path, default_namespace)
    outcome = run(paths, config, split_tokens(select), split_tokens(ignore), unsafe_fixes, debug, pulumi)
    if show_diff:
        click.echo(diff_text(outcome), nl=False)
        click.echo(details(outcome), nl=False, err=True)
        click.echo(summary(outcome), err=True)
        sys.exit(EXIT_FINDINGS if outcome.changed_paths else EXIT_OK)
    write(outcome)
    click.echo(details(outcome), nl=False)
    click.echo(summary(outcome))
    sys.exit(EXIT_OK)


def run(paths: tuple[str, ...], config: Any, select: tuple[str, ...], ignore: tuple[str, ...], unsafe: bool,
        debug: bool, pulumi: Any = None) -> Any:
    """Pulumi programs (`--pulumi`) are analysed too; their findings get the change as text."""
    from policylint.analysis import analyse
    from policylint.config import ConfigError
    from policylint.fix.plan import FixRequest, run_fixes

    def analyse_files(files: list[str]) -> Any:
        return analyse(files, config, ignore=ignore, debug=debug, pulumi=pulumi)

    try:
        analysis = analyse(paths, config, ignore=ignore, debug=debug, pulumi=pulumi)
    except ConfigError as error:
        fail(str(error))
        raise
    check_missing(analysis.load.missing, len(analysis.load.files), analysis.load.excluded)
    return run_fixes(analysis, config, FixRequest(select, unsafe), analyse_files)


def proved_fixes(analysis: Any, config: Any, ignore: tuple[str, ...], unsafe: bool, debug: bool,
                 pulumi: Any = None) -> dict:
    """Finding sort key -> FixView for the report, without writing anything."""
    from policylint.analysis import analyse
    from policylint.fix.plan import FixRequest, run_fixes
    from policylint.fix.views import fix_views

    def analyse_files(files: list[str]) -> Any:
        return analyse(files, config, ignore=ignore, debug=debug, pulumi=pulumi)

    return fix_views(run_fixes(analysis, config, FixRequest((), unsafe), analyse_files))


def write(outcome: Any) -> None:
    for path in outcome.changed_paths:
        try:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(outcome.texts[path][1])
        except OSError as error:
            fail(f"cannot write {path}: {error.strerror or error}")


def diff_text(outcome: Any) -> str:
    """The fixes as a unified diff. Lines of the files go to a terminal or a CI log as they are,
    except a line that could act on either (control characters, a workflow command, `##[`):
    that one is shown escaped, visibly, and the patch will not apply there."""
    from policylint.fix.text import unified_diff

    text = "".join(unified_diff(p, *outcome.texts[p]) for p in outcome.changed_paths)
    return "".join(_safe_line(line) for line in text.splitlines(keepends=True))


_CI_COMMAND = re.compile(r"^\s*::[A-Za-z]|##(?:vso)?\[")


def _safe_line(line: str) -> str:
    from policylint.report import escape

    body = line[:-1] if line.endswith("\n") else line
    if escape.UNSAFE.search(body) or _CI_COMMAND.search(body[1:]):
        return escape.text(body) + ("\n" if line.endswith("\n") else "")
    return line


def _where(finding: Any) -> str:
    return f"{finding.path}:{finding.line}:{finding.column}: {finding.code}"


def details(outcome: Any) -> str:
    where = lambda finding: _where(outcome.as_read(finding))  # noqa: E731
    lines = [(outcome.as_read(f.finding), f"{where(f.finding)} fixed: {f.title}") for f in outcome.applied]
    lines += [(outcome.as_read(f.finding), f"{where(f.finding)} not fixed: {f.title}: {reason}")
              for f, reason in outcome.refused]
    lines += [(outcome.as_read(f.finding), f"{where(f.finding)} unsafe fix (--unsafe-fixes): {f.title}")
              for f in outcome.skipped_unsafe]
    lines += [(outcome.as_read(n.finding), f"{where(n.finding)} no automatic fix: {n.reason}") for n in outcome.unfixable]
    lines.sort(key=lambda item: (item[0].sort_key(), item[1]))
    return "".join(text + "\n" for _, text in lines)


def summary(outcome: Any) -> str:
    parts = [f"{len(outcome.applied)} fixed"]
    if outcome.refused:
        parts.append(f"{len(outcome.refused)} refused by the proof")
    if outcome.skipped_unsafe:
        parts.append(f"{len(outcome.skipped_unsafe)} unsafe left (--unsafe-fixes)")
    if outcome.unfixable:
        parts.append(f"{len(outcome.unfixable)} without an automatic fix")
    files = len(outcome.changed_paths)
    return f"{', '.join(parts)}; {files} file{'s' if files != 1 else ''} changed"
