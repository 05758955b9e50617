"""GraphML and GEXF renderings of the matrix, for yEd, Gephi and networkx.

Both are written as they are computed, like the other matrix formats: nodes are the endpoints
shown (or namespace groups with `--aggregate namespace`), edges the allowed pairs with their
ports. Attributes: `kind`, `namespace`, `name` and `cidrs` on nodes; `ports` (as text),
`tcp`/`udp`/`sctp` (intervals as text, e.g. `80,443-450`), `depends_on_invalid` and, when
aggregated, `pairs` on edges; and `unknown` only when the input has cluster-wide rules whose peers
cannot be judged offline ("true" on the edges of ports no answer can be given for, listed after
the allowed ones, so a pair may have one edge of each). The bytes depend only on the input (no dates, no tool versions),
and `networkx.read_graphml` / `read_gexf` read both back (tests/test_paths_export.py).

With `--aggregate group` the file is the networkx graph of `build.py` instead, whose size stays
linear where one edge per pair would not: `group` nodes (`size`, `members` as endpoint ids, the
`namespace` when they share one, and the invalid marks `invalid_as_source` and
`invalid_as_destination`, which say what `depends_on_invalid` says per pair), `sources` and
`destinations` hubs, and the ports on the edges from the first to the second.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable
from xml.sax.saxutils import escape, quoteattr

from policylint.model.types import PROTOCOLS

NODE_KEYS = ("kind", "namespace", "name", "cidrs")
EDGE_KEYS = ("ports", "tcp", "udp", "sctp", "depends_on_invalid", "pairs")
GROUP_NODE_KEYS = ("kind", "namespace", "size", "members", "invalid_as_source", "invalid_as_destination")
PORT_KEYS = ("ports", "tcp", "udp", "sctp")
_TYPES = {"depends_on_invalid": "boolean", "pairs": "long", "unknown": "boolean", "size": "long",
          "invalid_as_source": "boolean", "invalid_as_destination": "boolean"}


def edge_keys(aggregated: bool, unknown: bool) -> tuple[str, ...]:
    return (EDGE_KEYS if aggregated else EDGE_KEYS[:-1]) + (("unknown",) if unknown else ())


def protocol_text(ports: Any, protocol: str) -> str:
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports.intervals(protocol))


def node_values(endpoint: Any) -> dict[str, str]:
    if endpoint.is_external:
        return {"kind": "External", "cidrs": " ".join(endpoint.cidrs)}
    return {"kind": endpoint.kind, "namespace": endpoint.namespace, "name": endpoint.name}


def port_values(ports: Any) -> dict[str, str]:
    values = {"ports": ports.describe()}
    values.update({p.lower(): protocol_text(ports, p) for p in PROTOCOLS})
    return values


def edge_values(ports: Any, invalid: bool, pairs: int | None = None, unknown: bool | None = None) -> dict[str, str]:
    values = port_values(ports)
    values["depends_on_invalid"] = "true" if invalid else "false"
    if pairs is not None:
        values["pairs"] = str(pairs)
    if unknown is not None:
        values["unknown"] = "true" if unknown else "false"
    return values


class GraphML:
    """GraphML 1.0 (http://graphml.graphdrawing.org/)."""

    def head(self, node_fields: tuple[str, ...], edge_fields: tuple[str, ...]) -> str:
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
                 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                 'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
                 'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
        for key in node_fields:
            lines.append(f'  <key id="n_{key}" for="node" attr.name="{key}" attr.type="{_TYPES.get(key, "string")}"/>')
        for key in edge_fields:
            lines.append(f'  <key id="e_{key}" for="edge" attr.name="{key}" attr.type="{_TYPES.get(key, "string")}"/>')
        lines.append('  <graph id="policylint" edgedefault="directed">')
        return "\n".join(lines) + "\n"

    def node(self, node_id: str, values: dict[str, str]) -> str:
        data = "".join(f'<data key="n_{k}">{escape(v)}</data>' for k, v in values.items() if v)
        return f"    <node id={quoteattr(node_id)}>{data}</node>\n"

    def edge_head(self, src: str) -> str:
        return f"    <edge source={quoteattr(src)} target="

    def edge_target(self, dst: str) -> str:
        return f"{quoteattr(dst)}>"

    def edge_tail(self, values: dict[str, str]) -> str:
        return "".join(f'<data key="e_{k}">{escape(v)}</data>' for k, v in values.items()) + "</edge>\n"

    def numbered(self, lines: Iterable[str], start: int) -> tuple[str, int]:
        text = "".join(lines)
        return text, start

    def middle(self) -> str:
        return ""

    def foot(self) -> str:
        return "  </graph>\n</graphml>\n"


class GEXF:
    """GEXF 1.3 (https://gexf.net/)."""

    def head(self, node_fields: tuple[str, ...], edge_fields: tuple[str, ...]) -> str:
        self._edge_ids = {k: str(i) for i, k in enumerate(edge_fields)}
        self._node_ids = {k: str(i) for i, k in enumerate(node_fields)}
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<gexf xmlns="http://gexf.net/1.3" version="1.3">',
                 "  <meta>", "    <creator>policylint</creator>",
                 "    <description>NetworkPolicy connectivity: endpoints and the ports allowed between them</description>",
                 "  </meta>",
                 '  <graph defaultedgetype="directed" mode="static">',
                 '    <attributes class="node">']
        lines += [f'      <attribute id="{i}" title="{k}" type="{_TYPES.get(k, "string")}"/>' for k, i in self._node_ids.items()]
        lines += ["    </attributes>", '    <attributes class="edge">']
        lines += [f'      <attribute id="{i}" title="{k}" type="{_TYPES.get(k, "string")}"/>'
                  for k, i in self._edge_ids.items()]
        lines += ["    </attributes>", "    <nodes>"]
        return "\n".join(lines) + "\n"

    def node(self, node_id: str, values: dict[str, str]) -> str:
        data = "".join(f'<attvalue for="{self._node_ids[k]}" value={quoteattr(v)}/>' for k, v in values.items() if v)
        return f"      <node id={quoteattr(node_id)} label={quoteattr(node_id)}><attvalues>{data}</attvalues></node>\n"

    def middle(self) -> str:
        return "    </nodes>\n    <edges>\n"

    def edge_head(self, src: str) -> str:
        return f" source={quoteattr(src)} target="

    def edge_target(self, dst: str) -> str:
        return f"{quoteattr(dst)}"

    def edge_tail(self, values: dict[str, str]) -> str:
        if not values:
            return "/>\n"
        data = "".join(f'<attvalue for="{self._edge_ids[k]}" value={quoteattr(v)}/>' for k, v in values.items())
        return f" label={quoteattr(values['ports'])}><attvalues>{data}</attvalues></edge>\n"

    def numbered(self, lines: Iterable[str], start: int) -> tuple[str, int]:
        """GEXF edges carry ids: number the lines of a row from `start`."""
        parts = []
        for line in lines:
            parts.append(f'      <edge id="{start}"' + line)
            start += 1
        return "".join(parts), start

    def foot(self) -> str:
        return "    </edges>\n  </graph>\n</gexf>\n"


FORMATS: dict[str, Callable[[], Any]] = {"graphml": GraphML, "gexf": GEXF}


def write_endpoints(fmt: Any, write: Callable[[str], None], view: Any, endpoints: list) -> None:
    """One node per endpoint shown, one edge per allowed pair, row by row (see MatrixView)."""
    has_unknown = view.may_have_unknown()
    write(fmt.head(NODE_KEYS, edge_keys(False, has_unknown)))
    write("".join(fmt.node(e.id, node_values(e)) for e in endpoints))
    write(fmt.middle())
    tails: dict[tuple[int, bool, bool], str] = {}

    def tail_for(unknown: bool) -> Callable[[Any, bool], str]:
        def tail(ports: Any, invalid: bool) -> str:
            key = (id(ports), invalid, unknown)
            text = tails.get(key)
            if text is None:
                text = tails[key] = fmt.edge_tail(edge_values(ports, invalid, unknown=unknown if has_unknown else None))
            return text
        return tail

    targets = [fmt.edge_target(e.id) for e in view.engine.endpoints]
    number = 0
    rows = [(src, source_invalid, items, tail_for(False)) for src, source_invalid, items in view.rows()]
    rows += [(src, False, items, tail_for(True)) for src, items in view.unknown_rows()]
    for src, source_invalid, items, tail in rows:
        head = fmt.edge_head(src.id)
        text, number = fmt.numbered((head + line for line in view.lines(items, source_invalid, tail, targets)),
                                    number)
        write(text)
    write(fmt.foot())


def render_rows(fmt: Any, rows: list, groups: list[str], unknown: list | None = None) -> str:
    """Aggregated lines (`--aggregate namespace`): one node per group, one edge per row; with
    `unknown` (the input has rules that cannot be judged offline), the `unknown` attribute."""
    parts = [fmt.head(NODE_KEYS, edge_keys(True, unknown is not None))]
    parts += [fmt.node(g, {}) for g in groups]
    parts.append(fmt.middle())
    marked = [(r, None if unknown is None else False) for r in rows] + [(r, True) for r in unknown or []]
    lines = [fmt.edge_head(r.src) + fmt.edge_target(r.dst)
             + fmt.edge_tail(edge_values(r.ports, r.invalid, r.pairs, unknown=mark)) for r, mark in marked]
    text, _ = fmt.numbered(lines, 0)
    parts += [text, fmt.foot()]
    return "".join(parts)


def write_groups(fmt: Any, write: Callable[[str], None], graph: Any) -> None:
    """The networkx graph of `build.py` (a ConnectivityGraph): its nodes and edges in its order."""
    write(fmt.head(GROUP_NODE_KEYS, PORT_KEYS))
    ids: dict[int, str] = {}
    parts = []
    for node in graph.nodes:
        ids[node.index] = node.id
        parts.append(fmt.node(node.id, group_values(node)))
    hubs = {"sources": 0, "destinations": 0}
    for index, kind in graph.graph.nodes(data="kind"):
        if index not in ids:
            ids[index] = f"{kind}#{hubs[kind]}"  # no endpoint id has this form
            hubs[kind] += 1
            parts.append(fmt.node(ids[index], {"kind": kind}))
    write("".join(parts))
    write(fmt.middle())
    tails: dict[int, str] = {}  # id(ports) -> tail: rows share their port sets
    empty = fmt.edge_tail({})
    number = 0
    for src, succ in graph.graph.succ.items():
        head = fmt.edge_head(ids[src])
        lines = []
        for dst, data in succ.items():
            ports = data.get("ports")
            tail = empty
            if ports is not None:
                tail = tails.get(id(ports))
                if tail is None:
                    tail = tails[id(ports)] = fmt.edge_tail(port_values(ports))
            lines.append(head + fmt.edge_target(ids[dst]) + tail)
        text, number = fmt.numbered(lines, number)
        write(text)
    write(fmt.foot())


def group_values(node: Any) -> dict[str, str]:
    namespaces = {e.namespace for e in node.endpoints}
    return {"kind": "group", "namespace": namespaces.pop() if len(namespaces) == 1 and not node.external else "",
            "size": str(len(node.endpoints)), "members": " ".join(e.id for e in node.endpoints),
            "invalid_as_source": "true" if node.invalid_as_source else "false",
            "invalid_as_destination": "true" if node.invalid_as_destination else "false"}
