"""Build AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy values.

The checks are those of the CRD schemas of kubernetes-sigs/network-policy-api (v1alpha1 for the
first two kinds, v1alpha2 for ClusterNetworkPolicy): enums, minimum and maximum values and item
counts, "exactly one field" (MinProperties/MaxProperties 1), and the CEL rules (the baseline
singleton is named `default`, a port range starts below its end, no named port next to a peer
without pods). Every problem is an issue of kind "tier" at its line (PL600); selectors are checked
as everywhere (PL101), wrong types are shape issues (PL003), unknown fields PL009.

What the API server would reject matches nothing: an invalid peer, port or action, and a policy
whose tier, priority or subject is invalid.
"""
from __future__ import annotations

from typing import Any

from policylint.load.nodes import YMap, YSeq
from policylint.model.fields import WRONG_TYPE, Fields, join_path, type_name
from policylint.model.selector_parsing import build_selector
from policylint.model.tier_types import (
    ADMIN,
    ALLOW,
    ANP,
    BANP,
    BASELINE,
    CNP,
    DENY,
    DOMAIN_NAMES,
    NAMESPACES,
    NETWORKS,
    NODES,
    PASS,
    PODS,
    TierPeer,
    TierPolicy,
    TierPort,
    TierRule,
    TierSubject,
)
from policylint.model.types import EGRESS, INGRESS, PROTOCOLS, LabelSelector
from policylint.model.validation import parse_cidr
import re

# Per kind: the actions and what they do, the most rules per direction, the most peers and
# ports per rule, the peer kinds an egress rule may use, and the spec fields.
ACTIONS = {
    ANP: {"Allow": ALLOW, "Deny": DENY, "Pass": PASS},
    BANP: {"Allow": ALLOW, "Deny": DENY},
    CNP: {"Accept": ALLOW, "Deny": DENY, "Pass": PASS},
}
MAX_RULES = {ANP: 100, BANP: 100, CNP: 25}
MAX_PEERS = {ANP: 100, BANP: 100, CNP: 25}
MAX_NETWORKS = 25
EGRESS_PEERS = {
    ANP: (NAMESPACES, PODS, NODES, NETWORKS, DOMAIN_NAMES),
    BANP: (NAMESPACES, PODS, NODES, NETWORKS),
    CNP: (NAMESPACES, PODS, NODES, NETWORKS, DOMAIN_NAMES),
}
INGRESS_PEERS = (NAMESPACES, PODS)
SPEC_FIELDS = {
    ANP: ("priority", "subject", "ingress", "egress"),
    BANP: ("subject", "ingress", "egress"),
    CNP: ("tier", "priority", "subject", "ingress", "egress"),
}
MAX_PRIORITY = 1000
MAX_RULE_NAME = 100
MAX_CIDR_LENGTH = 43
DOMAIN_NAME = re.compile(r"^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$")


def build_tier_policy(fields: Fields, node: YMap, prefix: str, kind: str, api_version: str, name: str) -> TierPolicy:
    spec_path = prefix + "spec"
    spec = fields.mapping(node, "spec", prefix.rstrip("."))
    valid = True
    if not isinstance(spec, YMap):
        if spec is None:
            fields.issue("tier", node.span_of_value("spec") if "spec" in node else node.span, spec_path,
                         f"{kind} has no `spec`")
        spec = YMap(node.span)
        valid = False
    for key in spec:
        if key not in SPEC_FIELDS[kind]:
            fields.issue("unknown-field", spec.span_of_key(key), join_path(spec_path, str(key)),
                         f"unknown field {key!r} in {kind} spec")
    if kind == BANP and name and name != "default":
        meta = node.get("metadata")
        span = meta.span_of_value("name") if isinstance(meta, YMap) and "name" in meta else node.span
        fields.issue("tier", span, prefix + "metadata.name",
                     f"a BaselineAdminNetworkPolicy must be named \"default\", not {name!r}: the API server "
                     "accepts only that one object")
        valid = False
    tier, ok = _tier(fields, spec, spec_path, kind)
    valid &= ok
    priority, ok = _priority(fields, spec, spec_path, kind)
    valid &= ok
    subject = _subject(fields, spec, spec_path, kind)
    valid &= subject.valid
    ingress = _rules(fields, spec, spec_path, kind, INGRESS)
    egress = _rules(fields, spec, spec_path, kind, EGRESS)
    return TierPolicy(kind, api_version, name, tier, priority, subject, ingress, egress, valid,
                      fields.source(node, prefix.rstrip(".")))


def _tier(fields: Fields, spec: YMap, path: str, kind: str) -> tuple[str, bool]:
    if kind == ANP:
        return ADMIN, True
    if kind == BANP:
        return BASELINE, True
    value = fields.string(spec, "tier", path)
    if value in (ADMIN, BASELINE):
        return value, True
    if value is None:
        fields.issue("tier", spec.span, join_path(path, "tier"), "spec.tier is required: \"Admin\" or \"Baseline\"")
    elif value is not WRONG_TYPE:
        fields.issue("tier", spec.span_of_value("tier"), join_path(path, "tier"),
                     f"unsupported tier {value!r}: must be \"Admin\" or \"Baseline\"")
    return ADMIN, False


def _priority(fields: Fields, spec: YMap, path: str, kind: str) -> tuple[int | None, bool]:
    if kind == BANP:
        return None, True
    value = fields.integer(spec, "priority", path)
    if value is None:
        fields.issue("tier", spec.span, join_path(path, "priority"), "spec.priority is required (0 to 1000)")
        return 0, False
    if value is WRONG_TYPE:
        return 0, False
    if not 0 <= value <= MAX_PRIORITY:
        fields.issue("tier", spec.span_of_value("priority"), join_path(path, "priority"),
                     f"priority {value} must be between 0 and {MAX_PRIORITY}, inclusive")
        return value, False
    return value, True


def _exactly_one(fields: Fields, node: YMap, path: str, allowed: tuple[str, ...], what: str) -> str | None:
    """The one field set among `allowed`, or None after recording why there is not exactly one."""
    present = [k for k in node if node.get(k) is not None]
    for key in present:
        if key not in allowed:
            fields.issue("tier", node.span_of_key(key), join_path(path, str(key)),
                         f"{what} may not use {key!r} (allowed: {', '.join(allowed)})")
    known = [k for k in present if k in allowed]
    if len(known) == 1 and len(present) == 1:
        return known[0]
    if not present:
        fields.issue("tier", node.span, path, f"{what} must set exactly one of {', '.join(allowed)}")
    elif len(known) > 1:
        fields.issue("tier", node.span_of_key(known[1]), join_path(path, known[1]),
                     f"{what} must set exactly one of {', '.join(allowed)}, not {' and '.join(known)}")
    return None


def _selector(fields: Fields, node: YMap, key: str, path: str, required: bool) -> tuple[LabelSelector | None, bool]:
    selector = build_selector(fields, node, key, path)
    if selector is WRONG_TYPE:
        return None, False
    if selector is None:
        if required:
            fields.issue("tier", node.span, join_path(path, key), f"`{key}` is required (`{{}}` selects everything)")
            return None, False
        return None, True
    return selector, selector.valid


def _namespaced_pod(fields: Fields, node: Any, path: str, kind: str) -> tuple[LabelSelector | None, LabelSelector | None, bool]:
    if not isinstance(node, YMap):
        return None, None, False
    for key in node:
        if key not in ("namespaceSelector", "podSelector"):
            fields.issue("unknown-field", node.span_of_key(key), join_path(path, str(key)), f"unknown field {key!r} in `pods`")
    # v1alpha1 requires both selectors; v1alpha2 defaults an absent namespaceSelector to all.
    ns, ok1 = _selector(fields, node, "namespaceSelector", path, required=kind != CNP)
    pods, ok2 = _selector(fields, node, "podSelector", path, required=True)
    return ns, pods, ok1 and ok2


def _subject(fields: Fields, spec: YMap, spec_path: str, kind: str) -> TierSubject:
    path = join_path(spec_path, "subject")
    node = fields.mapping(spec, "subject", spec_path)
    if not isinstance(node, YMap):
        if node is None:
            fields.issue("tier", spec.span, path, "spec.subject is required (namespaces or pods)")
        return TierSubject(None, None, False, fields.source(None, path, spec.span_of_value("subject")))
    which = _exactly_one(fields, node, path, (NAMESPACES, PODS), "a subject")
    if which == NAMESPACES:
        selector = build_selector(fields, node, NAMESPACES, path)
        ok = isinstance(selector, LabelSelector) and selector.valid
        return TierSubject(selector if isinstance(selector, LabelSelector) else None, None, ok, fields.source(node, path))
    if which == PODS:
        pods_path = join_path(path, PODS)
        value = fields.mapping(node, PODS, path)
        ns, pods, ok = _namespaced_pod(fields, value, pods_path, kind)
        return TierSubject(ns, pods, ok, fields.source(node, path))
    return TierSubject(None, None, False, fields.source(node, path))


def _rules(fields: Fields, spec: YMap, spec_path: str, kind: str, direction: str) -> tuple[TierRule, ...]:
    key = "ingress" if direction == INGRESS else "egress"
    node = fields.sequence(spec, key, spec_path)
    path = join_path(spec_path, key)
    if not isinstance(node, YSeq):
        return ()
    if len(node) > MAX_RULES[kind]:
        fields.issue("tier", node.span, path,
                     f"at most {MAX_RULES[kind]} {key} rules are allowed in one {kind} (found {len(node)})")
    rules = []
    for index, item in enumerate(node):
        item_path = join_path(path, index)
        if not isinstance(item, YMap):
            fields.issue("shape", node.span_of_item(index), item_path, f"an {key} rule must be a mapping, not {type_name(item)}")
            rules.append(TierRule(direction, index, "", "", "", (), (), fields.source(None, item_path, node.span_of_item(index))))
            continue
        rules.append(_rule(fields, item, item_path, kind, direction, index))
    return tuple(rules)


def _rule(fields: Fields, node: YMap, path: str, kind: str, direction: str, index: int) -> TierRule:
    peers_key = "from" if direction == INGRESS else "to"
    ports_key = "protocols" if kind == CNP else "ports"
    for key in node:
        if key not in ("name", "action", peers_key, ports_key):
            fields.issue("unknown-field", node.span_of_key(key), join_path(path, str(key)),
                         f"unknown field {key!r} in a {kind} {direction.lower()} rule")
    name = fields.string(node, "name", path)
    name = name if isinstance(name, str) else ""
    if len(name) > MAX_RULE_NAME:
        fields.issue("tier", node.span_of_value("name"), join_path(path, "name"),
                     f"rule name is {len(name)} characters long: at most {MAX_RULE_NAME} are allowed")
    action = fields.string(node, "action", path)
    verdict = ""
    if action is None:
        fields.issue("tier", node.span, join_path(path, "action"),
                     f"action is required: {', '.join(ACTIONS[kind])}")
    elif action is not WRONG_TYPE:
        verdict = ACTIONS[kind].get(action, "")
        if not verdict:
            fields.issue("tier", node.span_of_value("action"), join_path(path, "action"),
                         f"unsupported action {action!r} for kind {kind}: must be {', '.join(ACTIONS[kind])}")
    peers = _peers(fields, node, path, kind, direction, peers_key)
    ports = _ports(fields, node, path, kind, ports_key)
    if direction == EGRESS and any(p.name is not None for p in ports) \
            and any(p.kind in (NODES, NETWORKS, DOMAIN_NAMES) for p in peers):
        fields.issue("tier", node.span_of_key(ports_key), join_path(path, ports_key),
                     "a named port cannot be used in a rule with a nodes, networks or domainNames peer: "
                     "those peers have no named ports")
        ports = tuple(TierPort(p.protocol, p.first, p.last, p.name, False, p.source) if p.name is not None else p
                      for p in ports)
    return TierRule(direction, index, name, action if isinstance(action, str) else "", verdict, peers, ports,
                    fields.source(node, path))


def _peers(fields: Fields, rule: YMap, path: str, kind: str, direction: str, key: str) -> tuple[TierPeer, ...]:
    node = fields.sequence(rule, key, path)
    peers_path = join_path(path, key)
    if not isinstance(node, YSeq) or len(node) == 0:
        if node is not WRONG_TYPE:
            fields.issue("tier", rule.span_of_value(key) if key in rule else rule.span, peers_path,
                         f"`{key}` is required and must list at least one peer")
        return (TierPeer("", valid=False, source=fields.source(None, peers_path, rule.span_of_value(key))),)
    if len(node) > MAX_PEERS[kind]:
        fields.issue("tier", node.span, peers_path, f"at most {MAX_PEERS[kind]} peers are allowed in `{key}` (found {len(node)})")
    allowed = INGRESS_PEERS if direction == INGRESS else EGRESS_PEERS[kind]
    return tuple(_peer(fields, node, index, join_path(peers_path, index), kind, allowed) for index in range(len(node)))


def _peer(fields: Fields, parent: YSeq, index: int, path: str, kind: str, allowed: tuple[str, ...]) -> TierPeer:
    node = parent[index]
    if not isinstance(node, YMap):
        fields.issue("tier" if node is None else "shape", parent.span_of_item(index), path,
                     "a peer must set exactly one of " + ", ".join(allowed) if node is None
                     else f"a peer must be a mapping, not {type_name(node)}")
        return TierPeer("", valid=False, source=fields.source(None, path, parent.span_of_item(index)))
    which = _exactly_one(fields, node, path, allowed, "a peer")
    source = fields.source(node, path)
    if which == NAMESPACES:
        selector, ok = _selector(fields, node, NAMESPACES, path, required=True)
        return TierPeer(NAMESPACES, namespace_selector=selector, valid=ok, source=source)
    if which == PODS:
        ns, pods, ok = _namespaced_pod(fields, fields.mapping(node, PODS, path), join_path(path, PODS), kind)
        return TierPeer(PODS, namespace_selector=ns, pod_selector=pods, valid=ok, source=source)
    if which == NODES:
        selector, ok = _selector(fields, node, NODES, path, required=True)
        return TierPeer(NODES, node_selector=selector, valid=ok, source=source)
    if which == NETWORKS:
        networks, ok = _networks(fields, node, path)
        return TierPeer(NETWORKS, networks=networks, valid=ok, source=source)
    if which == DOMAIN_NAMES:
        names, ok = _domain_names(fields, node, path)
        return TierPeer(DOMAIN_NAMES, domain_names=names, valid=ok, source=source)
    return TierPeer("", valid=False, source=source)


def _networks(fields: Fields, peer: YMap, path: str) -> tuple[tuple, bool]:
    node = fields.sequence(peer, NETWORKS, path)
    list_path = join_path(path, NETWORKS)
    if not isinstance(node, YSeq):
        return (), False
    ok = True
    if not 1 <= len(node) <= MAX_NETWORKS:
        fields.issue("tier", node.span, list_path, f"`networks` must list 1 to {MAX_NETWORKS} CIDRs (found {len(node)})")
        ok = False
    networks = []
    seen = set()
    for index, value in enumerate(node):
        item_path = join_path(list_path, index)
        span = node.span_of_item(index)
        if not isinstance(value, str):
            fields.issue("tier", span, item_path, f"network {value!r} must be a string CIDR, not {type_name(value)}")
            ok = False
            continue
        network, error, _ = parse_cidr(value)
        if error or len(value) > MAX_CIDR_LENGTH:
            fields.issue("tier", span, item_path, f"network {value!r} is not a valid CIDR (e.g. 10.0.0.0/8 or fd00::/8)")
            ok = False
            continue
        if value in seen:  # listType=set
            fields.issue("tier", span, item_path, f"network {value!r} is listed twice: `networks` is a set")
            ok = False
        seen.add(value)
        networks.append(network)
    return tuple(networks), ok


def _domain_names(fields: Fields, peer: YMap, path: str) -> tuple[tuple[str, ...], bool]:
    node = fields.sequence(peer, DOMAIN_NAMES, path)
    list_path = join_path(path, DOMAIN_NAMES)
    if not isinstance(node, YSeq):
        return (), False
    ok = True
    if not 1 <= len(node) <= MAX_NETWORKS:
        fields.issue("tier", node.span, list_path, f"`domainNames` must list 1 to {MAX_NETWORKS} names (found {len(node)})")
        ok = False
    names = []
    for index, value in enumerate(node):
        if not isinstance(value, str) or not DOMAIN_NAME.match(value):
            fields.issue("tier", node.span_of_item(index), join_path(list_path, index),
                         f"domain name {value!r} is not valid: labels of letters, digits, '-' and '_', "
                         "with an optional leading '*.'")
            ok = False
            continue
        names.append(value)
    return tuple(names), ok


def _ports(fields: Fields, rule: YMap, path: str, kind: str, key: str) -> tuple[TierPort, ...]:
    node = fields.sequence(rule, key, path)
    ports_path = join_path(path, key)
    if node is WRONG_TYPE:
        return (TierPort("TCP", None, None, None, False, fields.source(None, ports_path, rule.span_of_value(key))),)
    if not isinstance(node, YSeq):
        return ()
    if len(node) == 0:
        # MinItems 1: an empty list is rejected; it must not become "every port".
        fields.issue("tier", rule.span_of_value(key), ports_path, f"`{key}` must list at least one entry when present")
        return (TierPort("TCP", None, None, None, False, fields.source(None, ports_path, rule.span_of_value(key))),)
    limit = MAX_PEERS[kind]
    if len(node) > limit:
        fields.issue("tier", node.span, ports_path, f"at most {limit} entries are allowed in `{key}` (found {len(node)})")
    reader = _cnp_protocol if kind == CNP else _anp_port
    return tuple(reader(fields, node, index, join_path(ports_path, index)) for index in range(len(node)))


def _bad_port(fields: Fields, path: str, span: Any) -> TierPort:
    return TierPort("TCP", None, None, None, False, fields.source(None, path, span))


def _anp_port(fields: Fields, parent: YSeq, index: int, path: str) -> TierPort:
    node = parent[index]
    if not isinstance(node, YMap):
        fields.issue("tier" if node is None else "shape", parent.span_of_item(index), path,
                     "a port entry must set exactly one of portNumber, namedPort, portRange")
        return _bad_port(fields, path, parent.span_of_item(index))
    which = _exactly_one(fields, node, path, ("portNumber", "namedPort", "portRange"), "a port entry")
    if which == "namedPort":
        return _named(fields, node, "namedPort", path)
    if which == "portNumber":
        value = fields.mapping(node, "portNumber", path)
        sub = join_path(path, "portNumber")
        if not isinstance(value, YMap):
            return _bad_port(fields, sub, node.span_of_value("portNumber"))
        _only(fields, value, sub, ("protocol", "port"))
        protocol, ok = _protocol(fields, value, sub)
        port, ok2 = _number(fields, value, "port", sub)
        return TierPort(protocol, port, port, None, ok and ok2, fields.source(value, sub))
    if which == "portRange":
        value = fields.mapping(node, "portRange", path)
        sub = join_path(path, "portRange")
        if not isinstance(value, YMap):
            return _bad_port(fields, sub, node.span_of_value("portRange"))
        _only(fields, value, sub, ("protocol", "start", "end"))
        protocol, ok = _protocol(fields, value, sub)
        return _range(fields, value, sub, protocol, ok)
    return _bad_port(fields, path, node.span)


def _cnp_protocol(fields: Fields, parent: YSeq, index: int, path: str) -> TierPort:
    node = parent[index]
    if not isinstance(node, YMap):
        fields.issue("tier" if node is None else "shape", parent.span_of_item(index), path,
                     "a protocols entry must set exactly one of tcp, udp, sctp, destinationNamedPort")
        return _bad_port(fields, path, parent.span_of_item(index))
    which = _exactly_one(fields, node, path, ("tcp", "udp", "sctp", "destinationNamedPort"), "a protocols entry")
    if which == "destinationNamedPort":
        return _named(fields, node, "destinationNamedPort", path)
    if which is None:
        return _bad_port(fields, path, node.span)
    protocol = which.upper()
    sub = join_path(path, which)
    value = fields.mapping(node, which, path)
    if not isinstance(value, YMap):
        return _bad_port(fields, sub, node.span_of_value(which))
    _only(fields, value, sub, ("destinationPort",))
    port = fields.mapping(value, "destinationPort", sub)
    port_path = join_path(sub, "destinationPort")
    if port is None:
        # MinProperties 1 on the protocol: `tcp: {}` is rejected.
        fields.issue("tier", value.span, port_path, f"`{which}` must set destinationPort")
        return _bad_port(fields, sub, value.span)
    if not isinstance(port, YMap):
        return _bad_port(fields, port_path, value.span_of_value("destinationPort"))
    choice = _exactly_one(fields, port, port_path, ("number", "range"), "a destinationPort")
    if choice == "number":
        number, ok = _number(fields, port, "number", port_path)
        return TierPort(protocol, number, number, None, ok, fields.source(port, port_path))
    if choice == "range":
        span_node = fields.mapping(port, "range", port_path)
        range_path = join_path(port_path, "range")
        if not isinstance(span_node, YMap):
            return _bad_port(fields, range_path, port.span_of_value("range"))
        _only(fields, span_node, range_path, ("start", "end"))
        return _range(fields, span_node, range_path, protocol, True)
    return _bad_port(fields, port_path, port.span)


def _only(fields: Fields, node: YMap, path: str, keys: tuple[str, ...]) -> None:
    for key in node:
        if key not in keys:
            fields.issue("unknown-field", node.span_of_key(key), join_path(path, str(key)), f"unknown field {key!r}")


def _named(fields: Fields, node: YMap, key: str, path: str) -> TierPort:
    value = fields.string(node, key, path)
    ok = isinstance(value, str) and value != ""
    if value == "":
        fields.issue("tier", node.span_of_value(key), join_path(path, key), f"`{key}` must not be empty")
    return TierPort(None, None, None, value if isinstance(value, str) else "", ok, fields.source(node, path))


def _protocol(fields: Fields, node: YMap, path: str) -> tuple[str, bool]:
    value = fields.string(node, "protocol", path)
    if value is None:
        return "TCP", True  # +kubebuilder:default=TCP
    if value in PROTOCOLS:
        return value, True
    if value is not WRONG_TYPE:
        fields.issue("tier", node.span_of_value("protocol"), join_path(path, "protocol"),
                     f"unsupported protocol {value!r}: must be TCP, UDP or SCTP")
    return str(value), False


def _number(fields: Fields, node: YMap, key: str, path: str) -> tuple[int | None, bool]:
    value = fields.integer(node, key, path)
    if value is None:
        fields.issue("tier", node.span, join_path(path, key), f"`{key}` is required (1 to 65535)")
        return None, False
    if value is WRONG_TYPE:
        return None, False
    if not 1 <= value <= 65535:
        fields.issue("tier", node.span_of_value(key), join_path(path, key), f"{key} {value} must be between 1 and 65535, inclusive")
        return value, False
    return value, True


def _range(fields: Fields, node: YMap, path: str, protocol: str, ok: bool) -> TierPort:
    start, ok1 = _number(fields, node, "start", path)
    end, ok2 = _number(fields, node, "end", path)
    valid = ok and ok1 and ok2
    if ok1 and ok2 and not start < end:  # CEL: self.start < self.end
        fields.issue("tier", node.span_of_value("end"), join_path(path, "end"),
                     f"end {end} must be greater than start {start}")
        valid = False
    return TierPort(protocol, start, end, None, valid, fields.source(node, path))
