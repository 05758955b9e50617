"""The exposure claims a command asks for: --from, --to, --namespace and --port, as for the
matrix itself (a source's row is what it may reach; a destination's column, who may reach it)."""
from __future__ import annotations

from policylint.exposure.analysis import analyse
from policylint.exposure.model import INBOUND, OUTBOUND, Claim


def focused_claims(engine, sources, destinations, namespace: str | None,
                   port_filter: tuple[str | None, int] | None) -> list[Claim]:
    """With neither --from nor --to, every workload both ways (of --namespace, when given); with
    --from, the outbound claims of those endpoints; with --to, the inbound claims of those."""
    wanted: dict[str, set[str]] = {}
    if sources is None and destinations is None:
        for e in engine.endpoints:
            if not e.is_external and (not namespace or e.namespace == namespace):
                wanted.setdefault(e.id, set()).update((INBOUND, OUTBOUND))
    for e in sources or ():
        wanted.setdefault(e.id, set()).add(OUTBOUND)
    for e in destinations or ():
        wanted.setdefault(e.id, set()).add(INBOUND)
    chosen = [e for e in engine.endpoints if e.id in wanted and not e.is_external]
    directions = {d for ds in wanted.values() for d in ds}
    claims = analyse(engine, chosen, [d for d in (INBOUND, OUTBOUND) if d in directions]) if chosen else []
    claims = [c for c in claims if c.direction in wanted.get(c.endpoint, ())]
    if port_filter is not None:
        from policylint.matrix.view import port_allows

        claims = [c for c in claims if port_allows(c.ports, *port_filter) or port_allows(c.unknown, *port_filter)]
    return claims
