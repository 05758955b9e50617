"""Build a `NetworkPolicy` (networking.k8s.io/v1) and record everything the API server rejects.

The checks mirror `ValidateNetworkPolicy` in kubernetes/kubernetes
`pkg/apis/networking/validation/validation.go`, except that every problem is recorded (the API
server stops at the first one in an ipBlock).
"""
from __future__ import annotations

from typing import Any

from policylint.load.nodes import YMap, YSeq
from policylint.model.fields import WRONG_TYPE, Fields, join_path, type_name
from policylint.model.selector_parsing import build_selector
from policylint.model.types import (
    EGRESS,
    INGRESS,
    PROTOCOLS,
    ExceptEntry,
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    Peer,
    PolicyPort,
    Rule,
)
from policylint.model.validation import parse_cidr, port_name_error, port_number_error

SPEC_FIELDS = ("podSelector", "policyTypes", "ingress", "egress")
RULE_FIELDS = {INGRESS: ("from", "ports"), EGRESS: ("to", "ports")}
PEER_FIELDS = ("podSelector", "namespaceSelector", "ipBlock")
PORT_FIELDS = ("protocol", "port", "endPort")


def build_policy(fields: Fields, node: YMap, prefix: str, namespace: str, name: str,
                 annotations: dict[str, str]) -> NetworkPolicy:
    spec_path = prefix + "spec"
    spec = fields.mapping(node, "spec", prefix.rstrip("."))
    if not isinstance(spec, YMap):
        if spec is None:
            fields.issue("shape", node.span_of_value("spec") if "spec" in node else node.span, spec_path,
                         "NetworkPolicy has no `spec`")
        spec = YMap(node.span)
    for key in spec:
        if key not in SPEC_FIELDS:
            fields.issue("unknown-field", spec.span_of_key(key), join_path(spec_path, str(key)),
                         f"unknown field {key!r} in NetworkPolicy spec")
    selector = _pod_selector(fields, spec, spec_path)
    ingress, ingress_written = _rules(fields, spec, spec_path, INGRESS)
    egress, egress_written = _rules(fields, spec, spec_path, EGRESS)
    written, effective = _policy_types(fields, spec, spec_path, egress_written_nonempty=bool(_raw_len(spec, "egress")))
    return NetworkPolicy(
        namespace=namespace,
        name=name,
        pod_selector=selector,
        policy_types=effective,
        policy_types_written=written,
        ingress=ingress,
        egress=egress,
        ingress_written=ingress_written,
        egress_written=egress_written,
        annotations=annotations,
        source=fields.source(node, prefix.rstrip(".")),
    )


def _raw_len(spec: YMap, key: str) -> int:
    value = spec.get(key)
    return len(value) if isinstance(value, YSeq) else 0


def _pod_selector(fields: Fields, spec: YMap, spec_path: str) -> LabelSelector:
    selector = build_selector(fields, spec, "podSelector", spec_path)
    if isinstance(selector, LabelSelector):
        return selector
    # Absent or null: the API server defaults to `{}` (all pods). A wrong type matches nothing.
    path = join_path(spec_path, "podSelector")
    return LabelSelector((), (), selector is not WRONG_TYPE, fields.source(None, path, spec.span_of_value("podSelector")))


def _policy_types(fields: Fields, spec: YMap, spec_path: str, egress_written_nonempty: bool
                  ) -> tuple[tuple[Any, ...] | None, tuple[str, ...]]:
    path = join_path(spec_path, "policyTypes")
    node = fields.sequence(spec, "policyTypes", spec_path)
    if not isinstance(node, YSeq) or len(node) == 0:
        written = None if node is None or node is WRONG_TYPE else ()
        if node is WRONG_TYPE:
            # Unreadable policyTypes: isolate both directions rather than guess less isolation.
            return None, (INGRESS, EGRESS)
        return written, (INGRESS, EGRESS) if egress_written_nonempty else (INGRESS,)
    written = tuple(node)
    if len(node) > 2:
        fields.issue("policy-types", node.span, path,
                     f"may not specify more than two policyTypes (found {len(node)})")
    effective: list[str] = []
    for index, value in enumerate(node):
        if value in (INGRESS, EGRESS):
            if value not in effective:
                effective.append(value)
        else:
            fields.issue("policy-types", node.span_of_item(index), join_path(path, index),
                         f"unsupported value {'null' if value is None else repr(value)}: must be \"Ingress\" or \"Egress\"")
            # The API server would reject the object. Analyse it as isolating both directions:
            # the written rules still apply, and nothing is widened by the error.
            for direction in (INGRESS, EGRESS):
                if direction not in effective:
                    effective.append(direction)
    return written, tuple(sorted(effective))


def _rules(fields: Fields, spec: YMap, spec_path: str, direction: str) -> tuple[tuple[Rule, ...], bool]:
    key = "ingress" if direction == INGRESS else "egress"
    written = key in spec
    node = fields.sequence(spec, key, spec_path)
    if not isinstance(node, YSeq):
        return (), written
    rules = []
    for index, item in enumerate(node):
        path = join_path(join_path(spec_path, key), index)
        if item is None:
            item = YMap(node.span_of_item(index))  # `- ` with nothing: an empty rule
        if not isinstance(item, YMap):
            fields.issue("shape", node.span_of_item(index), path, f"an {key} rule must be a mapping, not {type_name(item)}")
            # A rule we cannot read allows nothing (it must not become "allow all").
            rules.append(Rule(direction, index, (_unreadable_peer(fields, node, index, path),), (), fields.source(None, path, node.span_of_item(index))))
            continue
        rules.append(_rule(fields, item, path, direction, index))
    return tuple(rules), written


def _unreadable_peer(fields: Fields, parent: Any, index: int, path: str) -> Peer:
    return Peer(None, None, None, False, fields.source(None, path, parent.span_of_item(index)))


def _rule(fields: Fields, node: YMap, path: str, direction: str, index: int) -> Rule:
    peers_key, _ = RULE_FIELDS[direction]
    for key in node:
        if key not in RULE_FIELDS[direction]:
            fields.issue("unknown-field", node.span_of_key(key), join_path(path, str(key)),
                         f"unknown field {key!r} in an {direction.lower()} rule")
    peers: list[Peer] = []
    peers_node = fields.sequence(node, peers_key, path)
    if peers_node is WRONG_TYPE:
        peers_path = join_path(path, peers_key)
        peers.append(Peer(None, None, None, False, fields.source(None, peers_path, node.span_of_value(peers_key))))
    elif isinstance(peers_node, YSeq):
        for peer_index, item in enumerate(peers_node):
            peers.append(_peer(fields, peers_node, peer_index, join_path(join_path(path, peers_key), peer_index)))
    ports: list[PolicyPort] = []
    ports_node = fields.sequence(node, "ports", path)
    if ports_node is WRONG_TYPE:
        ports.append(PolicyPort("TCP", False, None, None, False, fields.source(None, join_path(path, "ports"), node.span_of_value("ports"))))
    elif isinstance(ports_node, YSeq):
        for port_index in range(len(ports_node)):
            ports.append(_port(fields, ports_node, port_index, join_path(join_path(path, "ports"), port_index)))
    return Rule(direction, index, tuple(peers), tuple(ports), fields.source(node, path))


def _peer(fields: Fields, parent: YSeq, index: int, path: str) -> Peer:
    node = parent[index]
    if not isinstance(node, YMap):
        if node is None:
            fields.issue("peer-empty", parent.span_of_item(index), path, "must specify a peer (podSelector, namespaceSelector or ipBlock)")
        else:
            fields.issue("shape", parent.span_of_item(index), path, f"a peer must be a mapping, not {type_name(node)}")
        return _unreadable_peer(fields, parent, index, path)
    for key in node:
        if key not in PEER_FIELDS:
            fields.issue("unknown-field", node.span_of_key(key), join_path(path, str(key)), f"unknown field {key!r} in a peer")
    pod = build_selector(fields, node, "podSelector", path)
    namespace = build_selector(fields, node, "namespaceSelector", path)
    block = _ip_block(fields, node, path)
    present = [k for k in PEER_FIELDS if node.get(k) is not None]
    valid = all(x is not WRONG_TYPE for x in (pod, namespace, block))
    valid &= all(sel is None or sel is WRONG_TYPE or sel.valid for sel in (pod, namespace))
    valid &= block is None or block is WRONG_TYPE or block.valid
    if not present:
        fields.issue("peer-empty", node.span, path, "must specify a peer (podSelector, namespaceSelector or ipBlock)")
        valid = False
    elif "ipBlock" in present and len(present) > 1:
        others = " and ".join(k for k in present if k != "ipBlock")
        fields.issue("peer-ipblock-mixed", node.span_of_key("ipBlock"), join_path(path, "ipBlock"),
                     f"may not specify both ipBlock and another peer ({others})")
        valid = False
    return Peer(
        pod if isinstance(pod, LabelSelector) else None,
        namespace if isinstance(namespace, LabelSelector) else None,
        block if isinstance(block, IPBlock) else None,
        valid,
        fields.source(node, path),
    )


def _ip_block(fields: Fields, peer: YMap, peer_path: str) -> IPBlock | None | Any:
    node = fields.mapping(peer, "ipBlock", peer_path)
    if not isinstance(node, YMap):
        return node
    path = join_path(peer_path, "ipBlock")
    for key in node:
        if key not in ("cidr", "except"):
            fields.issue("unknown-field", node.span_of_key(key), join_path(path, str(key)), f"unknown field {key!r} in an ipBlock")
    cidr_path = join_path(path, "cidr")
    raw = node.get("cidr")
    network, error, host_bits = None, None, False
    if raw is None or raw == "":
        error = "cidr is required" if raw is None else "cidr must not be empty"
        shown = "missing" if raw is None else '""'
        fields.issue("ipblock.cidr", node.span_of_value("cidr") if "cidr" in node else node.span, cidr_path,
                     f"ipBlock.cidr is {shown}: a CIDR such as 10.0.0.0/16 is required")
    elif not isinstance(raw, str):
        fields.issue("ipblock.cidr", node.span_of_value("cidr"), cidr_path, f"cidr {raw!r} must be a string CIDR, not {type_name(raw)}")
        error = "wrong type"
    else:
        network, error, host_bits = parse_cidr(raw)
        if error:
            fields.issue("ipblock.cidr", node.span_of_value("cidr"), cidr_path, f"cidr {raw!r} {error}")
    excepts = _excepts(fields, node, path, network)
    valid = error is None and all(e.valid for e in excepts)
    return IPBlock(raw if isinstance(raw, str) else "", network, host_bits, tuple(excepts), valid, fields.source(node, path))


def _excepts(fields: Fields, block: YMap, path: str, network: Any) -> list[ExceptEntry]:
    node = fields.sequence(block, "except", path)
    if node is WRONG_TYPE:
        return [ExceptEntry("", None, False, 0, source=fields.source(None, join_path(path, "except"), block.span_of_value("except")))]
    if not isinstance(node, YSeq):
        return []
    entries = []
    for index, raw in enumerate(node):
        item_path = join_path(join_path(path, "except"), index)
        span = node.span_of_item(index)
        source = fields.source(None, item_path, span)
        if not isinstance(raw, str) or raw == "":
            shown = '""' if raw == "" else repr(raw)
            fields.issue("ipblock.except", span, item_path, f"except entry {shown} is not a CIDR: it must be a valid CIDR inside cidr")
            entries.append(ExceptEntry(str(raw) if raw is not None else "", None, False, index, source=source))
            continue
        except_net, error, host_bits = parse_cidr(raw)
        if error:
            fields.issue("ipblock.except", span, item_path, f"except entry {raw!r} {error}")
            entries.append(ExceptEntry(raw, None, False, index, source=source))
            continue
        valid = True
        if network is not None:
            if except_net.version != network.version or not except_net.subnet_of(network) or except_net.prefixlen <= network.prefixlen:
                reason = ("is of another IP family than" if except_net.version != network.version
                          else "equals" if except_net == network
                          else "is wider than" if network.subnet_of(except_net)
                          else "is not inside")
                fields.issue("ipblock.except-subset", span, item_path,
                             f"except entry {raw!r} {reason} cidr {block.get('cidr')!r}: it must be a strict subset of cidr")
                valid = False
        entries.append(ExceptEntry(raw, except_net, valid, index, host_bits, source))
    return entries


def _port(fields: Fields, parent: YSeq, index: int, path: str) -> PolicyPort:
    node = parent[index]
    if node is None:
        node = YMap(parent.span_of_item(index))  # `- {}` written as `-`: protocol TCP, all ports
    if not isinstance(node, YMap):
        fields.issue("shape", parent.span_of_item(index), path, f"a port entry must be a mapping, not {type_name(node)}")
        return PolicyPort("TCP", False, None, None, False, fields.source(None, path, parent.span_of_item(index)))
    for key in node:
        if key not in PORT_FIELDS:
            fields.issue("unknown-field", node.span_of_key(key), join_path(path, str(key)), f"unknown field {key!r} in a port entry")
    valid = True
    protocol = node.get("protocol")
    protocol_given = protocol is not None
    if protocol is None:
        protocol = "TCP"
    elif not isinstance(protocol, str) or protocol not in PROTOCOLS:
        hint = f" (protocols are case-sensitive: {protocol.upper()!r})" if isinstance(protocol, str) and protocol.upper() in PROTOCOLS else ""
        fields.issue("port.protocol", node.span_of_value("protocol"), join_path(path, "protocol"),
                     f"unsupported protocol {protocol!r}: must be TCP, UDP or SCTP{hint}")
        protocol = str(protocol)
        valid = False
    port = node.get("port")
    port_path = join_path(path, "port")
    if isinstance(port, bool) or (port is not None and not isinstance(port, (int, str))):
        fields.issue("shape", node.span_of_value("port"), port_path, f"port must be an integer or a name, not {type_name(port)}")
        port, valid = None, False
    elif isinstance(port, int):
        error = port_number_error(port)
        if error:
            fields.issue("port.range", node.span_of_value("port"), port_path, f"port {port} {error}")
            valid = False
    elif isinstance(port, str):
        error = port_name_error(port)
        if error:
            hint = f" (a quoted number is a name: write {port} without quotes)" if port.isdigit() else ""
            fields.issue("port.name", node.span_of_value("port"), port_path, f"port name {port!r} {error}{hint}")
            valid = False
    end_port = node.get("endPort")
    end_path = join_path(path, "endPort")
    if end_port is not None:
        span = node.span_of_value("endPort")
        if isinstance(end_port, bool) or not isinstance(end_port, int):
            fields.issue("shape", span, end_path, f"endPort must be an integer, not {type_name(end_port)}")
            end_port, valid = None, False
        elif port is None:
            fields.issue("port.end-port", span, end_path, "endPort may not be specified when port is not specified")
            valid = False
        elif isinstance(port, str):
            fields.issue("port.end-port", span, end_path, f"endPort may not be specified when port is non-numeric ({port!r})")
            valid = False
        else:
            error = port_number_error(end_port)
            if error:
                fields.issue("port.range", span, end_path, f"endPort {end_port} {error}")
                valid = False
            elif end_port < port:
                fields.issue("port.end-port", span, end_path, f"endPort {end_port} must be greater than or equal to port {port}")
                valid = False
    return PolicyPort(protocol, protocol_given, port, end_port if isinstance(end_port, int) else None, valid, fields.source(node, path))
