"""Path expectations: `expectations:` entries with `max-hops` (rule PL521).

- `allow: false`: no path of at most `max-hops` hops leads from any `from` endpoint to any `to`
  endpoint (the shortest offending path is reported, hop by hop);
- `allow: true`: every (`from`, `to`) pair is joined by such a path.

Paths step through workloads only, as for `policylint paths`; `ports` restricts every hop. A
`cidr` side means the outside world: the external ranges it overlaps.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from policylint.engine.ports import PortSet
from policylint.findings import Related
from policylint.graph.paths import FORWARD, Path, Search
from policylint.graph.reasons import path_related
from policylint.intent.blame import Anchor
from policylint.intent.expectations import resolve_peer
from policylint.intent.spec import Expectation

if TYPE_CHECKING:
    from policylint.engine.connectivity import Engine
    from policylint.engine.endpoints import Endpoint
    from policylint.graph.rows import Rows
    from policylint.intent.roles import RoleTable
    from policylint.model.types import Cluster


@dataclass(frozen=True, slots=True)
class Broken:
    """What a finding about a broken path expectation says, and where."""

    anchor: Anchor
    message: str
    related: tuple[Related, ...]


def _ends(engine: Engine, cluster: Cluster, roles: RoleTable, expectation: Expectation, side: str) -> list[Endpoint]:
    peer = expectation.source if side == "from" else expectation.destination
    found = resolve_peer(engine, cluster, roles, peer)
    if peer.cidr is not None:
        external = [e for e in found if e.is_external]
        return external or found
    return found


def check_path_expectation(engine: Engine, graph: Rows, cluster: Cluster, roles: RoleTable,
                           expectation: Expectation) -> Broken | None:
    assert expectation.max_hops is not None
    name, hops = expectation.name, expectation.max_hops
    anchor = Anchor(expectation.span, f"expectation {name!r}", f"expectations[{expectation.index}]")
    sources = _ends(engine, cluster, roles, expectation, "from")
    targets = _ends(engine, cluster, roles, expectation, "to")
    for side, found in (("from", sources), ("to", targets)):
        if not found:
            peer = expectation.source if side == "from" else expectation.destination
            return Broken(Anchor(peer.span or expectation.span, anchor.object, f"{anchor.field_path}.{side}"),
                          f"expectation {name!r} cannot be checked: `{side}` ({peer.describe()}) matches nothing "
                          f"in the input", ())
    ports: PortSet | None = expectation.ports.static if expectation.ports is not None else None
    within = f"at most {hops} hop{'s' if hops != 1 else ''}"
    if not expectation.allow:
        search = Search(graph, sources, FORWARD, hops, ports)
        paths = [p for p in (search.path_to(t) for t in targets) if p is not None]
        if not paths:
            return None
        path = min(paths, key=len)
        more = len(paths) - 1
        tail = f" (and {more} more destination{'s' if more != 1 else ''})" if more else ""
        return Broken(anchor, f"expectation {name!r} not met: a path of {len(path)} hop{'s' if len(path) != 1 else ''} "
                              f"leads from {path.start.id} to {path.end.id}: {_route(path)}{tail}",
                      tuple(path_related(engine, path, ports)))
    missing = []
    for source in sources:
        search = Search(graph, [source], FORWARD, hops, ports)
        missing.extend((source, t) for t in targets if t is not source and search.path_to(t) is None)
    if not missing:
        return None
    src, dst = missing[0]
    more = len(missing) - 1
    tail = f" (and {more} more pair{'s' if more != 1 else ''})" if more else ""
    return Broken(anchor, f"expectation {name!r} not met: no path of {within} from {src.id} to {dst.id}{tail}", ())


def _route(path: Path) -> str:
    return " -> ".join(e.id for e in path.endpoints)

