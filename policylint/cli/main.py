"""The `policylint` command. Each sub-command lives in its own module and is registered here."""
from __future__ import annotations

import click

from policylint import __version__
from policylint.cli.check import check
from policylint.cli.diff import diff
from policylint.cli.matrix import matrix
from policylint.cli.reach import reach
from policylint.cli.roles import roles
from policylint.cli.rules_cmd import rule, rules


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="policylint")
def cli() -> None:
    """Offline static analyzer and linter for Kubernetes NetworkPolicy.

    Reads manifests (files, folders, `-` for stdin), evaluates the exact NetworkPolicy
    semantics and reports what the API server would reject, what is legal but wrong, and who
    can reach whom. Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error.
    """


cli.add_command(check)
cli.add_command(diff)
cli.add_command(matrix)
cli.add_command(reach)
cli.add_command(rules)
cli.add_command(rule)
cli.add_command(roles)


def main() -> None:
    cli(prog_name="policylint")
