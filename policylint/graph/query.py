"""What `--from`/`--to` and `--port` of `policylint paths` (and path expectations) name."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from policylint.engine.ipset import parse_address_or_network
from policylint.engine.ports import PortSet, parse_port_filter
from policylint.graph.paths import PRESETS, preset_ports
from policylint.model.types import PROTOCOLS

if TYPE_CHECKING:
    from policylint.engine.connectivity import Engine
    from policylint.engine.endpoints import Endpoint
    from policylint.intent.roles import RoleTable


class QueryError(ValueError):
    """An end that matches nothing, or a port that is not one."""


def parse_ports(texts: Iterable[str]) -> PortSet | None:
    """`TCP/22`, `8888` (every protocol) or a preset name; None when none is given (any port)."""
    result: PortSet | None = None
    for text in texts:
        for token in (t.strip() for t in text.split(",")):
            if not token:
                continue
            if token.lower() in PRESETS:
                ports = preset_ports(token.lower())
            else:
                protocol, number = parse_port_filter(token)
                protocols = [protocol] if protocol is not None else list(PROTOCOLS)
                ports = PortSet.of({p: [(number, number)] for p in protocols})
            result = ports if result is None else result | ports
    return result


def resolve_end(engine: Engine, roles: RoleTable, text: str) -> list[Endpoint]:
    """One `--from`/`--to` value. An address or CIDR names the outside world: the external ranges
    it overlaps (a pod whose IP is inside is a workload, named by its id); only when no range
    overlaps it (a single pod IP) the pods that have it."""
    text = text.strip()
    role = text[5:] if text.startswith("role:") else text
    if role in roles.roles and "/" not in text:
        return sorted(engine.endpoint_of(w) for w in roles.members(role))
    found = engine.resolve(text)
    if parse_address_or_network(text) is not None and engine.endpoint(text) is None:
        external = [e for e in found if e.is_external]
        return external or found
    return found


def resolve_ends(engine: Engine, roles: RoleTable, texts: Iterable[str], option: str) -> list[Endpoint]:
    found: set[Endpoint] = set()
    for text in texts:
        matches = resolve_end(engine, roles, text)
        if not matches:
            raise QueryError(_unknown(engine, roles, text, option))
        found.update(matches)
    return sorted(found)


def _unknown(engine: Engine, roles: RoleTable, text: str, option: str) -> str:
    import difflib

    role = text[5:] if text.startswith("role:") else text
    if role in roles.roles:
        return f"{option} {text!r}: role {role!r} has no workload in the input"
    names = [e.id for e in engine.endpoints] + sorted({f"{e.namespace}/{e.name}" for e in engine.endpoints
                                                       if not e.is_external}) + sorted(roles.roles)
    close = difflib.get_close_matches(text, names, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return (f"{option} {text!r} matches no endpoint (a workload id, namespace/name, NS/*, an IP address or CIDR, "
            f"or a role: {', '.join(sorted(roles.roles))}){hint}")
