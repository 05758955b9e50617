"""`policylint paths`: multi-hop paths between endpoints, and blast radius.

- `--from A --to B`: for each endpoint of B, one shortest path from A, each hop with its ports and
  the rules (file:line) that allow it. Exit 0 when some path exists, 1 when none does.
- `--from A`: everything reachable from A within `--max-hops`, grouped by namespace and role.
- `--to B`: everything that can reach B within `--max-hops`.
- `--from A --to B --chokepoints`: for each endpoint of B that A reaches, the workloads every path
  (of any length) goes through, nearest A first. Exit 0 when some path exists, 1 when none does.

The JSON output is the contract `policylint.paths/v1` (policylint/schemas/paths-v1.schema.json),
and with `--chokepoints` `policylint.chokepoints/v1` (chokepoints-v1.schema.json).
"""
from __future__ import annotations

import json
import sys
from typing import Any

import click

from policylint.cli.common import EXIT_OK, EXIT_USAGE, config_options, fail, paths_argument, resolve_config
from policylint.matrix.group_counts import EXTERNAL_GROUP, group_sort_key

SCHEMA = "policylint.paths/v1"
CHOKEPOINTS_SCHEMA = "policylint.chokepoints/v1"
EXIT_FOUND, EXIT_NONE = 0, 1
RADIUS_HOPS = 3


@click.command()
@paths_argument
@click.option("--from", "from_", multiple=True, metavar="ENDPOINT",
              help="Where paths start: a workload id, ns/name, NS/* (a namespace), an IP address or CIDR "
                   "(0.0.0.0/0: the outside world), a role (role:training, or the bare role name), or a pod "
                   "the input does not contain, described (ns:NAME/pod:k=v or ns:k=v/pod:k=v). Repeatable.")
@click.option("--to", multiple=True, metavar="ENDPOINT", help="Where paths end, in the same forms. Repeatable.")
@click.option("--max-hops", type=click.IntRange(min=1), metavar="N",
              help=f"Longest path considered (default: no limit with --from and --to, {RADIUS_HOPS} for a "
                   "blast radius).")
@click.option("--port", "ports", multiple=True, metavar="[PROTO/]N|lateral",
              help="Only hops allowed on one of these ports (TCP/22, 8888 for any protocol, or the preset "
                   "`lateral`: ssh, remote shells and unauthenticated code-execution ports). Repeatable; "
                   "default: any port.")
@click.option("--chokepoints", is_flag=True,
              help="With --from and --to: instead of one shortest path, the workloads every path of any length "
                   "goes through (where locking one down cuts them all), nearest --from first; --port applies.")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json follows the policylint.paths/v1 schema (policylint.chokepoints/v1 "
                                      "with --chokepoints).")
@config_options
def paths(paths: tuple[str, ...], from_: tuple[str, ...], to: tuple[str, ...], max_hops: int | None,
          ports: tuple[str, ...], chokepoints: bool, output_format: str, config_path: str | None,
          default_namespace: str | None, debug: bool) -> None:
    """Shortest multi-hop paths from --from to --to, or the blast radius of --from (or of --to,
    backwards). PATH… are files, folders or - for stdin."""
    from policylint.cli.engine_input import load_engine
    from policylint.config import ConfigError
    from policylint.graph.query import QueryError, parse_ports, resolve_ends
    from policylint.intent.context import intent_config, resolve

    if not from_ and not to:
        fail("give --from, --to or both")
    if chokepoints and not (from_ and to):
        fail("--chokepoints needs both --from and --to")
    if chokepoints and max_hops:
        fail("--chokepoints considers paths of any length: drop --max-hops")
    try:
        port_set = parse_ports(ports)
    except ValueError as error:
        fail(str(error))
        return
    config = resolve_config(config_path, default_namespace)
    try:
        parsed = intent_config(config)
    except ConfigError as error:
        fail(str(error))
        return
    engine = load_engine(paths, config_path, default_namespace, debug)
    from policylint.cli.engine_input import with_described

    asked = {"from": list(from_), "to": list(to)}  # as given, described peers included
    engine, given = with_described(engine, {"--from": list(from_), "--to": list(to)})
    from_, to = tuple(given["--from"]), tuple(given["--to"])
    intent = resolve(engine.cluster, config.facts, parsed)
    try:
        sources = resolve_ends(engine, intent.roles, from_, "--from")
        targets = resolve_ends(engine, intent.roles, to, "--to")
    except QueryError as error:
        fail(str(error))
        return
    from policylint.graph.rows import Rows

    graph = Rows(engine)
    query = {"from": asked["from"], "to": asked["to"], "max_hops": max_hops, "ports": port_set}
    if chokepoints:
        document, text = _chokepoints(engine, graph, sources, targets, port_set, query)
        code = EXIT_FOUND if document["chokepoints"] else EXIT_NONE
    elif from_ and to:
        document, text = _paths(engine, graph, sources, targets, max_hops, port_set, query)
        code = EXIT_FOUND if document["paths"] else EXIT_NONE
    else:
        hops = max_hops or RADIUS_HOPS
        document, text = _radius(graph, intent.roles, sources or targets, bool(from_), hops, port_set, query)
        code = EXIT_OK
    if output_format == "json":
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        click.echo(text, nl=False)
    sys.exit(code)


def _query_json(query: dict[str, Any], max_hops: int | None) -> dict[str, Any]:
    ports = query["ports"]
    return {"from": query["from"], "to": query["to"], "max_hops": max_hops,
            "ports": ports.to_json() if ports is not None else None}


def _paths(engine, graph, sources, targets, max_hops, port_set, query) -> tuple[dict[str, Any], str]:
    from policylint.graph.paths import shortest_paths
    from policylint.graph.reasons import hop_reason

    found = shortest_paths(graph, sources, targets, max_hops, port_set)
    limit = f"within {max_hops} hop{'s' if max_hops != 1 else ''}" if max_hops else "at any length"
    entries = []
    lines = []
    for path in found:
        reasons = [hop_reason(engine, hop, port_set) for hop in path.hops]
        entries.append({"from": path.start.id, "to": path.end.id, "length": len(path),
                        "hops": [_hop_json(r) for r in reasons]})
        lines.append(f"{path.start.id} -> {path.end.id}: {len(path)} hop{'s' if len(path) != 1 else ''}")
        for number, reason in enumerate(reasons, 1):
            hop = reason.hop
            mark = " !" if reason.depends_on_invalid else ""
            lines.append(f"  {number}. {hop.src.id} -> {hop.dst.id} on {hop.ports.describe()}{mark}")
            for side in (reason.egress, reason.ingress):
                if side.state != "external":
                    lines.append(f"       {side.text()}")
    ends = {p.end.id for p in found}
    unreached = [t for t in sorted(set(targets)) if t.id not in ends]
    if not found:
        lines.append(f"no path {limit} from {_names(sources)} to {_names(targets)}")
    elif unreached:
        lines.append(f"no path {limit} to {_names(unreached)}")
    if any(r["depends_on_invalid"] for e in entries for r in e["hops"]):
        lines.append("! rests on a policy with parts the API server would reject (they match nothing)")
    document = {"schema": SCHEMA, "mode": "paths", "query": _query_json(query, max_hops),
                "paths": entries, "unreached": [t.id for t in unreached]}
    return document, "\n".join(lines) + "\n"


def _chokepoints(engine, rows, sources, targets, port_set, query) -> tuple[dict[str, Any], str]:
    from policylint.graph.build import build_graph
    from policylint.graph.chokepoints import chokepoints

    found = chokepoints(build_graph(engine, rows), sources, targets, port_set)
    reached = {c.target for c in found}
    unreached = [t for t in sorted(set(targets)) if t not in sources and t not in reached]
    lines = [f"on every path from {_names(sources)} (any length{'' if port_set is None else ', hops on ' + port_set.describe()}):"]
    for item in found:
        steps = [g[0].id if len(g) == 1 else f"one of {len(g)} ({_names(g)})" for g in item.through]
        lines.append(f"  {item.target.id}: " + (", then ".join(steps) if steps else "no single workload"))
    if not found:
        lines = [f"no path from {_names(sources)} to {_names(unreached)}"] if unreached else []
    elif unreached:
        lines.append(f"no path to {_names(unreached)}")
    lines.extend(_starts_note(sources, targets))
    document = {"schema": CHOKEPOINTS_SCHEMA, "query": _query_json(query, None),
                "chokepoints": [{"to": c.target.id, "through": [[e.id for e in g] for g in c.through]} for c in found],
                "unreached": [t.id for t in unreached]}
    return document, "\n".join(lines) + "\n"


def _hop_json(reason) -> dict[str, Any]:
    hop = reason.hop
    return {"from": hop.src.id, "to": hop.dst.id, "ports": hop.ports.to_json(),
            "depends_on_invalid": reason.depends_on_invalid,
            "egress": reason.egress.to_json(), "ingress": reason.ingress.to_json()}


def _radius(graph, roles, starts, forward: bool, hops: int, port_set, query) -> tuple[dict[str, Any], str]:
    from policylint.graph.paths import BACKWARD, FORWARD, Search

    search = Search(graph, starts, FORWARD if forward else BACKWARD, hops, port_set)
    reached = search.reached()
    role_names = {}
    for item in reached:
        workload = item.endpoint.workload
        role_names[item.endpoint.index] = sorted(m.role for m in roles.memberships(workload)) if workload else []
    entries = [{"endpoint": r.endpoint.id, "namespace": r.endpoint.namespace, "roles": role_names[r.endpoint.index],
                "hops": len(r.path), "path": [e.id for e in r.path.endpoints]} for r in reached]
    by_namespace: dict[str, list] = {}
    by_role: dict[str, list[str]] = {}
    for item, entry in zip(reached, entries):
        by_namespace.setdefault(item.endpoint.namespace or EXTERNAL_GROUP, []).append(entry)
        for role in entry["roles"]:
            by_role.setdefault(role, []).append(entry["endpoint"])
    order = sorted(by_namespace, key=group_sort_key)
    mode = "from" if forward else "to"
    document = {
        "schema": SCHEMA, "mode": mode, "query": _query_json(query, hops),
        "starts": [e.id for e in search.starts],
        "reachable": entries,
        "namespaces": [{"namespace": None if n == EXTERNAL_GROUP else n, "endpoints": len(by_namespace[n])}
                       for n in order],
        "roles": [{"role": role, "endpoints": ids} for role, ids in sorted(by_role.items())],
    }
    verb = "reachable from" if forward else "that can reach"
    lines = [f"{len(entries)} endpoint{'s' if len(entries) != 1 else ''} {verb} {_names(search.starts)} "
             f"within {hops} hop{'s' if hops != 1 else ''}"]
    for namespace in order:
        members = by_namespace[namespace]
        lines.append(f"{namespace} ({len(members)})")
        width = max(len(m["endpoint"]) for m in members)
        for m in members:
            roles_text = f"  [{', '.join(m['roles'])}]" if m["roles"] else ""
            via = " -> ".join(m["path"])
            lines.append(f"  {m['endpoint']:<{width}}  {m['hops']} hop{'s' if m['hops'] != 1 else ''}"
                         f"{roles_text}  via {via}")
    if by_role:
        lines.append("by role: " + "; ".join(f"{role} {len(ids)}" for role, ids in sorted(by_role.items())))
    return document, "\n".join(lines) + "\n"


def _starts_note(sources, targets) -> list[str]:
    """A destination that is also a start is where the paths begin (chokepoints are of every path
    from the starts): say so rather than let "no path" suggest it cannot be reached."""
    both = sorted(set(sources) & set(targets))
    if not both:
        return []
    return [f"not searched as destinations, since they are starts too: {_names(both)} "
            "(give one of them alone as --from to see what every path to the others goes through)"]


def _names(endpoints, limit: int = 3) -> str:
    ids = [e.id for e in sorted(set(endpoints))]
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


__all__ = ["paths", "EXIT_USAGE"]
