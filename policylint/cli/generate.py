"""`policylint generate`: least-privilege NetworkPolicies for a namespace or a training job."""
from __future__ import annotations

import sys
from typing import Any

import click

from policylint.cli.common import (write_output, EXIT_FINDINGS, EXIT_OK, check_missing, config_options, fail, paths_argument,
                                   require_paths, resolve_config, setup_logging)


@click.command()
@paths_argument
@click.option("--for-namespace", "target_namespace", metavar="NS",
              help="Generate the namespace's policy set (it replaces the namespace's NetworkPolicies).")
@click.option("--job", metavar="[KIND/]NS/NAME", help="Generate policies for one training job's pods only.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the policies to FILE instead of stdout.")
@config_options
def generate(paths: tuple[str, ...], target_namespace: str | None, job: str | None, output: str | None,
             config_path: str | None, default_namespace: str | None, debug: bool) -> None:
    """Write the NetworkPolicies that allow exactly what the workloads in scope need — DNS, the
    training job's peers, rendezvous and ssh, the data services it uses — and deny the rest.
    Every allowance is a proved fix of a finding. Exit 0 when the generated set leaves no
    finding in scope, 1 when some need cannot be met from the scope's own policies."""
    from policylint.analysis import analyse
    from policylint.fix.generate import GenerateError
    from policylint.fix.generate import generate as build

    setup_logging(debug)
    require_paths(paths)
    if (target_namespace is None) == (job is None):
        fail("give exactly one of --for-namespace NS or --job [KIND/]NS/NAME")
    config = resolve_config(config_path, default_namespace)

    def analyse_files(files: list[str]) -> Any:
        return analyse(files, config, debug=debug)

    analysis = analyse(paths, config, debug=debug)
    check_missing(analysis.load.missing, len(analysis.load.files), analysis.load.excluded)
    try:
        result = build(analysis, config, analyse_files, namespace=target_namespace, job=job)
    except GenerateError as error:
        fail(str(error))
        return
    if output:
        write_output(output, result.text)
    else:
        click.echo(result.text, nl=False)
    for policy in result.replaced:
        click.echo(f"replaces: NetworkPolicy {policy}", err=True)
    for title, code in dict.fromkeys((fix.title, fix.finding.code) for fix in result.outcome.applied):
        click.echo(f"allows: {title} (for {code})", err=True)
    for finding in result.left:
        click.echo(f"not met by the generated policies: {finding.code} {finding.message}", err=True)
    for problem in result.unjustified:
        click.echo(f"allowed beyond the needs: {problem}", err=True)
    sys.exit(EXIT_FINDINGS if result.left or result.unjustified else EXIT_OK)
