"""`policylint reach`: may this endpoint connect to that one, on which ports, and why.

Exit codes: 0 every pair asked about is allowed, 1 at least one is denied, 2 usage error or an
endpoint that matches nothing (with the closest names).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import click

from policylint.cli.common import config_options, fail, paths_argument
from policylint.cli.engine_input import load_engine, resolve_endpoint, with_described
from policylint.load.nodes import where
from policylint.model.types import Service, ServicePort
from policylint.report.escape import json_dumps
from policylint.report.escape import text as esc

SCHEMA = "policylint.reach/v1"
EXIT_ALLOWED, EXIT_DENIED = 0, 1
PROTOCOL_CHOICES = ["TCP", "UDP", "SCTP"]


@click.command()
@paths_argument
@click.option("--from", "from_", required=True, metavar="ENDPOINT",
              help="Source: a workload id (ns/name[Kind]), ns/name (all its pod groups), an IP address or CIDR, "
                   "or a pod the input does not contain, described: ns:NAME/pod:k=v,… (in namespace NAME) or "
                   "ns:k=v,…/pod:k=v,… (in a new namespace with those labels).")
@click.option("--to", "to", required=True, metavar="ENDPOINT", help="Destination, in the same forms as --from, or ns/name[Service]: the pods the "
                   "Service selects, on the pod ports its ports forward to.")
@click.option("--port", metavar="[PROTO/]N", help="Destination port (TCP unless --protocol or PROTO/ says otherwise); the "
                                                 "Service's port when --to is a Service. Without it: any port "
                                                 "(every Service port).")
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
            fail(str(error))
            return
        if port_protocol is not None and protocol is not None and port_protocol != protocol.upper():
            fail(f"--port {port} contradicts --protocol {protocol}")
        protocol = port_protocol or protocol or "TCP"
    protocol = protocol.upper() if protocol else None
    engine = load_engine(paths, config_path, default_namespace, debug)
    engine, given = with_described(engine, {"--from": [from_], "--to": [to]})
    from_, to = given["--from"][0], given["--to"][0]
    sources = resolve_endpoint(engine, from_, "--from")
    destinations = resolve_endpoint(engine, to, "--to")
    pairs = [(s, d) for s in sources for d in destinations if not (s.is_external and d.is_external)]
    if not pairs:
        fail("both ends are external addresses: NetworkPolicy governs only traffic of pods")
    service = engine.service(to)
    if service is not None:
        results = _through_service(engine, service, pairs, protocol, number, port)
    else:
        results = [ServiceProbe(engine.explain(s, d, protocol, number)) for s, d in pairs]
    if output_format == "json":
        document = {"schema": SCHEMA, "allowed": all(r.allowed for r in results),
                    "results": [r.to_json() for r in results]}
        click.echo(json_dumps(document, indent=2))
    else:
        blocks = ["\n".join(esc(line) for line in r.lines()) for r in results]  # one line each
        click.echo("\n\n".join(blocks))
        if len(results) > 1:
            allowed = sum(r.allowed for r in results)
            click.echo(f"\n{allowed} of {len(results)} pairs allowed")
    sys.exit(EXIT_ALLOWED if all(r.allowed for r in results) else EXIT_DENIED)


@dataclass(frozen=True, slots=True)
class ServiceProbe:
    """One answer: a pair on a port, reached directly, or through a Service port that the Service
    forwards to a pod port (policies see the pod port, so that is what is asked)."""

    explanation: Any  # Explanation, or None when a named targetPort does not resolve
    service: Service | None = None
    service_port: ServicePort | None = None
    pair: tuple[Any, Any] | None = None  # (src, dst) when there is no explanation

    @property
    def allowed(self) -> bool:
        return self.explanation is not None and self.explanation.allowed

    def _via(self) -> str:
        assert self.service is not None and self.service_port is not None
        sp = self.service_port
        target = self.explanation.port if self.explanation is not None else None
        landed = f"pod port {sp.protocol}/{target}" if target is not None else "no pod port"
        return (f"via Service {self.service.id} port {sp.protocol}/{sp.port} ({where(sp.source.span)}): "
                f"targetPort {sp.target_port} -> {landed}")

    def lines(self) -> list[str]:
        if self.service is None:
            return self.explanation.lines()
        if self.explanation is None:
            src, dst = self.pair
            sp = self.service_port
            return [f"{src.id} -> {dst.id} via Service {self.service.id} port {sp.protocol}/{sp.port}: denied",
                    f"  {dst.id} declares no {sp.protocol} container port named {sp.target_port!r}, so the "
                    f"Service has no endpoint there ({where(sp.source.span)})"]
        return [self._via()] + self.explanation.lines()

    def to_json(self) -> dict[str, Any]:
        if self.service is None:
            return self.explanation.to_json()
        sp = self.service_port
        via = {"id": self.service.id, "protocol": sp.protocol, "port": sp.port, "target_port": sp.target_port,
               "location": where(sp.source.span)}
        if self.explanation is None:
            src, dst = self.pair
            return {"from": src.id, "to": dst.id, "protocol": sp.protocol, "port": None, "allowed": False,
                    "service": via, "unresolved_target_port": True}
        return {**self.explanation.to_json(), "service": via}


def _through_service(engine, service: Service, pairs: list, protocol: str | None, number: int | None,
                     port_text: str | None) -> list[ServiceProbe]:
    """Probes for a Service destination: `--port` names a Service port (as a client dials it);
    without it, every Service port. Each lands on the pod port its targetPort gives on that pod."""
    ports = [p for p in service.ports
             if (number is None or p.port == number) and (protocol is None or p.protocol == protocol)]
    if not ports:
        have = ", ".join(p.describe() for p in service.ports) or "none"
        asked = f"port {port_text}" if port_text else f"a {protocol} port"
        fail(f"--to {service.id} has no {asked} (its ports: {have}); with a Service, --port is the "
               f"Service's port, not the pod's")
    results = []
    for src, dst in pairs:
        for sp in ports:
            target = sp.target_on(dst.ports or ())
            if target is None:
                results.append(ServiceProbe(None, service, sp, (src, dst)))
            else:
                results.append(ServiceProbe(engine.explain(src, dst, sp.protocol, target), service, sp))
    return results

