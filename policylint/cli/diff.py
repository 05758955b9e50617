"""`policylint diff`: what a change does to connectivity, for code review."""
from __future__ import annotations

import os
import sys
from typing import Any

import click

from policylint.cli.common import (write_output, EXIT_FINDINGS, EXIT_OK, config_options, fail, resolve_config, setup_logging,
                                   split_tokens, stdin_binary)
from policylint.diff import FORMATS

STDIN = "-"


@click.command()
@click.argument("paths", nargs=-1, metavar="OLD NEW | --base REV PATH…", type=click.Path(allow_dash=True))
@click.option("--base", "base", metavar="REV",
              help="Compare PATH… as they are in the working tree with the same paths at this git revision "
                   "(a branch, tag or commit), read with git without a checkout.")
@click.option("--format", "-f", "output_format", type=click.Choice(list(FORMATS)), default="text", show_default=True,
              help="Output format; markdown is meant for a pull-request comment.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the diff to this file and print only a summary.")
@click.option("--fail-on-new", type=click.Choice(["error", "warning", "info"]),
              help="Exit 1 when the change introduces a finding of this severity or above.")
@click.option("--fail-on-widened", is_flag=True,
              help="Exit 1 when any connection, or any exposure to peers outside the input, is added or gains ports.")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rules (codes, prefixes such as PL2, or names).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules (codes, prefixes or names).")
@config_options
def diff(paths: tuple[str, ...], base: str | None, output_format: str, output: str | None, fail_on_new: str | None,
         fail_on_widened: bool, select: tuple[str, ...], ignore: tuple[str, ...], config_path: str | None,
         default_namespace: str | None, debug: bool) -> None:
    """Show what a change does: connections added, removed, widened or narrowed (with the rules
    responsible), workloads and policies added or removed, findings introduced and fixed.

    `policylint diff OLD NEW` compares two files or folders (one of them may be - for stdin).
    `policylint diff --base REV PATH…` compares PATH… in the working tree with the same paths at
    git revision REV; files of the base side are shown as REV:path. Without a --fail-on-* gate
    the exit code is 0 whatever the diff says.
    """
    from policylint.config import ConfigError
    from policylint.diff.revision import RevisionError
    from policylint.findings import Severity

    setup_logging(debug)
    config = resolve_config(config_path, default_namespace)
    from policylint.load.reuse import ParsedFiles

    # one for both sides: the files they have in common are parsed once
    options = {"select": split_tokens(select), "ignore": split_tokens(ignore), "debug": debug, "parsed": ParsedFiles()}
    export = None
    try:
        if base is not None:
            export, old, new = _base_sides(base, paths, config, options)
        else:
            old, new = _path_sides(paths, config, options)
        from policylint.diff.compute import compute_diff
        from policylint.diff.model import Gates

        gates = Gates(Severity.parse(fail_on_new) if fail_on_new else None, fail_on_widened)
        result = compute_diff(old, new, gates)
    except (ConfigError, RevisionError) as error:
        fail(str(error))
        return
    finally:
        if export is not None:
            export.close()
    from policylint.caveats import caveat_text

    for side, name in ((old, "old"), (new, "new")):  # policy kinds the answer ignores, never silently
        click.echo(caveat_text(side.cluster, name, side.display), err=True, nl=False)
    if result.exposure_unchecked:
        from policylint.diff.exposure import EXPOSURE_BUDGET

        click.echo(f"policylint: caveat: exposure to peers outside the input was not compared: the analysis needed "
                   f"more than {EXPOSURE_BUDGET:,} units of work on these inputs (many selectors per namespace); "
                   "`policylint matrix --exposure` on each side computes it without a limit", err=True)
    _emit(result, output_format, output, new.engine)
    sys.exit(EXIT_FINDINGS if result.failed else EXIT_OK)


def _path_sides(paths: tuple[str, ...], config: Any, options: dict[str, Any]) -> tuple[Any, Any]:
    from policylint.diff.sides import analyse_side

    if len(paths) != 2:
        fail(f"expected OLD and NEW (two files or folders), got {len(paths)} path{'s' if len(paths) != 1 else ''}; "
             "or use --base REV PATH…")
    if paths == (STDIN, STDIN):
        fail("only one of OLD and NEW can be - (standard input)")
    missing = [p for p in paths if p != STDIN and not os.path.lexists(p)]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    old = analyse_side(paths[0], [paths[0]], config, stdin=stdin_binary() if paths[0] == STDIN else None,
                       keep_raw=True, **options)
    new = analyse_side(paths[1], [paths[1]], config, stdin=stdin_binary() if paths[1] == STDIN else None,
                       carry=_carry(old, options), **options)
    if not old.analysis.load.files and not new.analysis.load.files:
        fail("no input found: no .yaml, .yml or .json files in OLD or NEW")
    return old, new


def _base_sides(base: str, paths: tuple[str, ...], config: Any, options: dict[str, Any]) -> tuple[Any, Any, Any]:
    from policylint.diff.revision import export as export_revision
    from policylint.diff.sides import analyse_side

    if not paths:
        fail("--base needs the paths to compare: policylint diff --base REV PATH…")
    if STDIN in paths:
        fail("--base compares files in the working tree; standard input (-) has no git revision")
    export = export_revision(base, list(paths), keep=lambda path: not config.is_excluded(path),
                             max_bytes=config.limits.max_file_bytes)
    from policylint.report.escape import text

    for name, why in export.refused:  # what the revision holds but may not be read: said, never silent
        click.echo(f"policylint: warning: {text(name)}: {why}", err=True)
    try:
        present = [p for p in paths if os.path.lexists(p)]
        gone = [p for p in paths if not os.path.lexists(p)]
        nowhere = [p for p in gone if p in export.absent]
        if nowhere:
            fail(f"no such file or folder in the working tree or at {base}: {', '.join(nowhere)}")
        old = analyse_side(", ".join(export.names), export.paths, config, display=export.display, revision=base,
                           absent=export.absent, root=export.root, keep_raw=True, **options)
        new = analyse_side(", ".join(paths), present, config, absent=gone, carry=_carry(old, options), **options)
    except BaseException:
        export.close()
        raise
    return export, old, new


def _carry(old: Any, options: dict[str, Any]) -> Any:
    from policylint.diff.carry import CarryOver

    return CarryOver(old.analysis, options["parsed"])


def _emit(result: Any, output_format: str, output: str | None, new_engine: Any = None) -> None:
    from policylint.diff import renderer
    from policylint.diff.words import headline

    # the HTML page marks the changes on the new version's connectivity, so it takes its engine
    rendered = renderer(output_format)(result, new_engine) if output_format == "html" else renderer(output_format)(result)
    if output is None:
        click.echo(rendered, nl=False)
        return
    write_output(output, rendered)
    verdict = "; failed: " + "; ".join(result.failures) if result.failed else ""
    click.echo(f"diff written to {output}: {headline(result)}{verdict}")
