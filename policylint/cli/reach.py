"""`policylint reach`: may this endpoint connect to that one, on which ports, and why.

Exit codes: 0 every pair asked about is allowed, 1 at least one is denied, 2 usage error or an
endpoint that matches nothing (with the closest names).
"""
from __future__ import annotations

import json
import sys

import click

from policylint.cli.common import EXIT_USAGE, config_options, paths_argument
from policylint.cli.matrix import load_engine, unknown_endpoint_message

SCHEMA = "policylint.reach/v1"
EXIT_ALLOWED, EXIT_DENIED = 0, 1
PROTOCOL_CHOICES = ["TCP", "UDP", "SCTP"]


@click.command()
@paths_argument
@click.option("--from", "from_", required=True, metavar="ENDPOINT",
              help="Source: a workload id (ns/name[Kind]), ns/name (all its pod groups), or an IP address or CIDR.")
@click.option("--to", "to", required=True, metavar="ENDPOINT", help="Destination, in the same forms as --from.")
@click.option("--port", metavar="[PROTO/]N", help="Destination port (TCP unless --protocol or PROTO/ says otherwise). "
                                                 "Without it: any port.")
@click.option("--protocol", type=click.Choice(PROTOCOL_CHOICES, case_sensitive=False),
              help="Protocol (default TCP when --port is given; any protocol otherwise).")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@config_options
def reach(paths: tuple[str, ...], from_: str, to: str, port: str | None, protocol: str | None, output_format: str,
          config_path: str | None, default_namespace: str | None, debug: bool) -> None:
    """Explain whether ENDPOINT --from may connect to --to, with the file:line of each policy and
    rule involved. PATH… are files, folders or - for stdin."""
    from policylint.engine.ports import parse_port_filter

    number = None
    if port is not None:
        try:
            port_protocol, number = parse_port_filter(port)
        except ValueError as error:
            _usage(str(error))
            return
        if port_protocol is not None and protocol is not None and port_protocol != protocol.upper():
            _usage(f"--port {port} contradicts --protocol {protocol}")
        protocol = port_protocol or protocol or "TCP"
    protocol = protocol.upper() if protocol else None
    engine = load_engine(paths, config_path, default_namespace, debug)
    sources = _resolve(engine, from_, "--from")
    destinations = _resolve(engine, to, "--to")
    pairs = [(s, d) for s in sources for d in destinations if not (s.is_external and d.is_external)]
    if not pairs:
        _usage("both ends are external addresses: NetworkPolicy governs only traffic of pods")
    explanations = [engine.explain(s, d, protocol, number) for s, d in pairs]
    if output_format == "json":
        document = {"schema": SCHEMA, "allowed": all(e.allowed for e in explanations),
                    "results": [e.to_json() for e in explanations]}
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        blocks = ["\n".join(e.lines()) for e in explanations]
        click.echo("\n\n".join(blocks))
        if len(explanations) > 1:
            allowed = sum(e.allowed for e in explanations)
            click.echo(f"\n{allowed} of {len(explanations)} pairs allowed")
    sys.exit(EXIT_ALLOWED if all(e.allowed for e in explanations) else EXIT_DENIED)


def _resolve(engine, text: str, option: str) -> list:
    found = engine.resolve(text)
    if not found:
        _usage(unknown_endpoint_message(engine, text, option))
    return found


def _usage(message: str) -> None:
    click.echo(f"policylint: error: {message}", err=True)
    sys.exit(EXIT_USAGE)
