"""`policylint rules` (the catalogue) and `policylint rule CODE` (one rule's documentation)."""
from __future__ import annotations

import click


@click.command()
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
def rules(output_format: str) -> None:
    """List every rule: code, name, severity and summary."""
    from policylint.analysis import registry
    from policylint.rule_catalogue import rules_json, rules_markdown, rules_text

    render = {"text": rules_text, "markdown": rules_markdown, "json": rules_json}[output_format]
    click.echo(render(registry()), nl=False)


@click.command()
@click.argument("code_or_name")
def rule(code_or_name: str) -> None:
    """Print the documentation of one rule (by code, e.g. PL201, or name)."""
    from policylint.analysis import registry
    from policylint.cli.common import fail

    for spec in registry().values():
        if code_or_name in (spec.code, spec.name) or code_or_name.upper() == spec.code:
            click.echo(f"{spec.code} {spec.name} ({spec.severity.label}, scope {spec.scope})\n")
            click.echo(spec.doc)
            click.echo(f"\n## Remediation\n{spec.remediation}")
            if spec.defaults:
                click.echo("\n## Defaults")
                for key, value in sorted(spec.defaults.items()):
                    click.echo(f"- {key}: {value!r} — {spec.options.get(key, '')}")
            return
    fail(f"unknown rule {code_or_name!r} (see `policylint rules`)")
