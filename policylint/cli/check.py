"""`policylint check`: the CI lint step."""
from __future__ import annotations

import os
import sys

import click

from policylint.cli.common import (write_output, EXIT_FINDINGS, EXIT_OK, check_missing, config_options, fail, paths_argument,
                                   pulumi_options, require_paths, resolve_config, setup_logging, split_tokens,
                                   stdin_binary)
from policylint.pulumi import PulumiInputs
from policylint.report import FORMATS

FORMAT_CHOICES = ["auto", *FORMATS]


@click.command()
@paths_argument
@click.option("--format", "-f", "output_format", type=click.Choice(FORMAT_CHOICES), default="auto", show_default=True,
              help="Report format; auto is github under GitHub Actions, text otherwise.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file and print only a summary.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]),
              help="Lowest severity that makes the exit code 1 (default: error, or the config's fail-on).")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rules (codes, prefixes such as PL2, or names).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules (codes, prefixes or names).")
@click.option("--color/--no-color", default=None, help="Colour the text report (default: on a terminal, unless NO_COLOR is set).")
@click.option("--verbose", "-v", is_flag=True, help="Show objects, related locations and fixes; count ignored kinds.")
@click.option("--fix", "apply_fixes", is_flag=True,
              help="Apply the fixes the engine proves (see `policylint fix`), then report what is left.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the proved fixes as a unified diff; change nothing.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply or show fixes that may allow more than a finding needs.")
@click.option("--show-fixes", is_flag=True, help="Put each finding's proved fix in the report (json, sarif, markdown, html, -v text).")
@pulumi_options
@config_options
def check(paths: tuple[str, ...], output_format: str, output: str | None, fail_on: str | None,
          select: tuple[str, ...], ignore: tuple[str, ...], color: bool | None, verbose: bool,
          apply_fixes: bool, show_diff: bool, unsafe_fixes: bool, show_fixes: bool,
          config_path: str | None, default_namespace: str | None, debug: bool, pulumi: PulumiInputs) -> None:
    """Lint NetworkPolicy manifests: PATH… are files, folders (read recursively) or - for stdin."""
    from policylint.analysis import analyse
    from policylint.config import ConfigError
    from policylint.findings import Severity
    from policylint.report import renderer
    from policylint.report.build import build_report

    setup_logging(debug)
    require_paths(paths, pulumi)
    config = resolve_config(config_path, default_namespace)
    if apply_fixes or show_diff:
        from policylint.cli.fix import diff_text, run, summary, write

        outcome = run(paths, config, split_tokens(select), split_tokens(ignore), unsafe_fixes, debug, pulumi)
        if show_diff:
            click.echo(diff_text(outcome), nl=False)
            click.echo(summary(outcome), err=True)
            sys.exit(EXIT_FINDINGS if outcome.changed_paths else EXIT_OK)
        write(outcome)
        click.echo(summary(outcome), err=True)
    try:
        analysis = analyse(paths, config, select=split_tokens(select), ignore=split_tokens(ignore),
                           stdin=stdin_binary(), debug=debug, pulumi=pulumi)
    except ConfigError as error:
        fail(str(error))
        return
    check_missing(analysis.load.missing, len(analysis.load.files), analysis.load.excluded)
    if output_format == "auto":
        output_format = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    threshold = Severity.parse(fail_on) if fail_on else config.fail_on
    use_color = _use_color(color) and output is None and output_format == "text"
    report = build_report(analysis, threshold, color=use_color, verbose=verbose)
    if show_fixes:
        from policylint.cli.fix import proved_fixes

        report.extra["fixes"] = proved_fixes(analysis, config, split_tokens(ignore), unsafe_fixes, debug, pulumi)
    if output_format == "html":  # the page also shows connectivity and jobs, from the analysis itself
        report.extra["analysis"] = analysis
        report.extra["config"] = config
    rendered = renderer(output_format)(report)
    if output:
        write_output(output, rendered)
        from policylint.report.text import plural, summary_line

        click.echo(f"{plural(len(report.findings), 'finding')} written to {output}; {summary_line(report)}")
    else:
        click.echo(rendered, nl=False, color=use_color)  # click strips colour codes off a terminal unless told
    sys.exit(EXIT_FINDINGS if report.failed else EXIT_OK)


def _use_color(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()
