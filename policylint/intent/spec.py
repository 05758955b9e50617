"""The `roles` and `expectations` sections of the config file, validated into typed values.

The config loader hands both sections, as positioned nodes, to `parse_intent_sections` once; it turns
them into `RoleDef` and `Expectation` values that remember their file:line, and raises
`ConfigError` naming the key and its file:line for anything it does not understand — an unknown
key, a malformed selector, a port that is not a port, a role that nobody defined.

```yaml
roles:
  data-service:                       # replaces the built-in definition
    namespace: data-services          # or namespaceSelector: {matchLabels: …}
    podSelector: {matchLabels: {app: feature-store}}
  training:
    extend: true                      # keep the built-in recognition, add these pods
    podSelector: {matchLabels: {app: trainer}}
expectations:
  - name: data service feeds training
    from: data-service                # a role, {role: …}, {namespace/namespaceSelector, podSelector}, {cidr: …},
                                      # or a Service: ns/name[Service] or {service: ns/name}
    to: training
    ports: [5000, 53/UDP, {port: 8000, endPort: 8100, protocol: TCP}]
    allow: true
```
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from policylint.engine.ports import EMPTY_PORTS, MAX_PORT, MIN_PORT, PortSet, PortSpec
from policylint.errors import ConfigError
from policylint.load.nodes import Span, YMap, YSeq, where
from policylint.model.fields import Fields
from policylint.model.selector_parsing import parse_selector
from policylint.model.types import NAMESPACE_NAME_LABEL, PROTOCOLS, LabelSelector, Source

BUILTIN_ROLES = ("training", "data-service", "dns", "object-storage")
ROLE_KEYS = ("description", "extend", "namespace", "namespaceSelector", "podSelector", "needed-by")
EXPECTATION_KEYS = ("name", "description", "from", "to", "ports", "allow", "max-hops")
PEER_SELECTOR_KEYS = ("namespace", "namespaceSelector", "podSelector")
_ROLE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_PORT_TEXT = re.compile(r"^(?:(?P<p1>[A-Za-z]+)/)?(?P<lo>\d+)(?:-(?P<hi>\d+))?(?:/(?P<p2>[A-Za-z]+))?$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SERVICE_NAME = re.compile(r"^[a-z0-9][-a-z0-9.]*/[a-z0-9][-a-z0-9.]*$")
_SERVICE_REF = re.compile(r"^(?P<ref>[a-z0-9][-a-z0-9.]*/[a-z0-9][-a-z0-9.]*)\[Service\]$")


@dataclass(frozen=True, slots=True)
class Selection:
    """A namespace selector and a pod selector; None means "any"."""

    namespace_selector: LabelSelector | None
    pod_selector: LabelSelector | None
    text: str  # how the config wrote it, shortly: "namespace data-services, podSelector app=x"


@dataclass(frozen=True, slots=True)
class RoleDef:
    name: str
    selection: Selection | None  # None for a built-in without config
    extend: bool  # a built-in name: keep the built-in matchers and add `selection`
    description: str
    span: Span | None  # where the config defines it; None for a built-in
    needed_by: tuple[str, ...] = ()  # roles whose every pod needs this role's pods (PL501, PL506)


@dataclass(frozen=True, slots=True)
class PeerSpec:
    """One side of an expectation: a role, a selection of pods, or an address range."""

    role: str | None = None
    selection: Selection | None = None
    cidr: str | None = None
    service: str | None = None  # "namespace/name" of a Service: the pods it selects
    span: Span | None = field(default=None, compare=False)

    def describe(self) -> str:
        if self.role is not None:
            return f"role {self.role}"
        if self.service is not None:
            return f"Service {self.service}"
        if self.cidr is not None:
            return self.cidr
        assert self.selection is not None
        return self.selection.text


@dataclass(frozen=True, slots=True)
class Expectation:
    name: str
    source: PeerSpec
    destination: PeerSpec
    ports: PortSpec | None  # None: no `ports` (any port for allow, every port for deny)
    ports_text: str
    allow: bool
    span: Span  # the expectation's item in the list
    index: int
    # A path expectation: about chains of at most this many allowed connections through workloads
    # (rule PL521), not single connections (PL500). `ports` then restricts every hop.
    max_hops: int | None = None


@dataclass(frozen=True, slots=True)
class IntentConfig:
    """The parsed sections (resolved on a cluster by `intent.context.resolve`)."""

    roles: dict[str, RoleDef] = field(default_factory=dict)  # only the ones the config defines
    expectations: tuple[Expectation, ...] = ()
    path: str | None = None


def parse_intent_sections(sections: dict[str, Any], key_spans: dict[str, Span] | None = None,
                          path: str | None = None) -> IntentConfig:
    """`key_spans`: where each section's key is, for errors about a section of the wrong type."""
    spans = key_spans or {}
    roles = _roles(sections["roles"], spans.get("roles")) if "roles" in sections else {}
    known = set(BUILTIN_ROLES) | set(roles)
    expectations = (_expectations(sections["expectations"], known, spans.get("expectations"))
                    if "expectations" in sections else ())
    return IntentConfig(roles, expectations, path)


# -- roles --------------------------------------------------------------------------------------

def _roles(node: Any, key_span: Span | None) -> dict[str, RoleDef]:
    if not isinstance(node, YMap):
        raise ConfigError(f"{_at(node, key_span)}: `roles` must map role names to definitions")
    roles = {}
    for name, body in node.items():
        here = where(node.span_of_key(name))
        if not isinstance(name, str) or not _ROLE_NAME.match(name):
            raise ConfigError(f"{here}: role name {name!r} must be lower-case letters, digits and '-'")
        if not isinstance(body, YMap):
            raise ConfigError(f"{here}: role {name!r} must be a mapping with podSelector, namespace or namespaceSelector")
        _known_keys(body, ROLE_KEYS, f"role {name!r}")
        extend = body.get("extend", False)
        if not isinstance(extend, bool):
            raise ConfigError(f"{where(body.span_of_value('extend'))}: `extend` of role {name!r} must be true or false")
        if extend and name not in BUILTIN_ROLES:
            raise ConfigError(f"{where(body.span_of_key('extend'))}: `extend` needs a built-in role "
                              f"({', '.join(BUILTIN_ROLES)}); {name!r} is not one")
        needed_by = _needed_by(body, name)
        selects = any(k in body for k in PEER_SELECTOR_KEYS)
        if not selects and not (extend and needed_by):
            raise ConfigError(f"{here}: role {name!r} needs a podSelector, namespace or namespaceSelector")
        description = body.get("description", "")
        if not isinstance(description, str):
            raise ConfigError(f"{where(body.span_of_value('description'))}: `description` must be a string")
        selection = _selection(body, f"roles.{name}") if selects else None
        roles[name] = RoleDef(name, selection, extend, description, node.span_of_key(name), needed_by)
    return roles


def _needed_by(body: YMap, name: str) -> tuple[str, ...]:
    """`needed-by: [training]`: every pod of those roles needs this role's pods."""
    if "needed-by" not in body:
        return ()
    value = body["needed-by"]
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, YSeq) else None
    if not items or not all(isinstance(i, str) and _ROLE_NAME.match(i) for i in items):
        raise ConfigError(f"{where(body.span_of_value('needed-by'))}: `needed-by` of role {name!r} must be a role "
                          f"name or a list of role names, such as [training]")
    return tuple(items)


def _selection(body: YMap, path: str) -> Selection:
    if "namespace" in body and "namespaceSelector" in body:
        raise ConfigError(f"{where(body.span_of_key('namespaceSelector'))}: {path}: give `namespace` or "
                          f"`namespaceSelector`, not both")
    parts = []
    namespace_selector = None
    if "namespace" in body:
        name = body["namespace"]
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where(body.span_of_value('namespace'))}: {path}.namespace must be a namespace name")
        namespace_selector = _name_selector(name, body.span_of_value("namespace"))
        parts.append(f"namespace {name}")
    elif "namespaceSelector" in body:
        namespace_selector = _selector(body, "namespaceSelector", path)
        parts.append(f"namespaceSelector {namespace_selector.describe()}")
    pod_selector = None
    if "podSelector" in body:
        pod_selector = _selector(body, "podSelector", path)
        parts.append(f"podSelector {pod_selector.describe()}")
    return Selection(namespace_selector, pod_selector, ", ".join(parts))


def _selector(body: YMap, key: str, path: str) -> LabelSelector:
    node = body[key]
    here = where(body.span_of_value(key))
    if node is None:
        node = YMap(body.span_of_value(key))
    if not isinstance(node, YMap):
        raise ConfigError(f"{here}: {path}.{key} must be a label selector (matchLabels, matchExpressions)")
    issues: list = []
    selector = parse_selector(Fields(f"config {path}", issues), node, f"{path}.{key}")
    if issues:
        first = issues[0]
        raise ConfigError(f"{where(first.span)}: {first.field_path}: {first.message}")
    return selector


def _name_selector(name: str, span: Span) -> LabelSelector:
    return LabelSelector(((NAMESPACE_NAME_LABEL, name),), (), True, Source(None, "", "config", span))


# -- expectations -------------------------------------------------------------------------------

def _expectations(node: Any, known_roles: set[str], key_span: Span | None) -> tuple[Expectation, ...]:
    if not isinstance(node, YSeq):
        raise ConfigError(f"{_at(node, key_span)}: `expectations` must be a list of expectations")
    result: list[Expectation] = []
    names: set[str] = set()
    for index, item in enumerate(node):
        span = node.span_of_item(index)
        if not isinstance(item, YMap):
            raise ConfigError(f"{where(span)}: expectations[{index}] must be a mapping with name, from, to")
        _known_keys(item, EXPECTATION_KEYS, f"expectations[{index}]")
        for required in ("name", "from", "to"):
            if required not in item:
                raise ConfigError(f"{where(span)}: expectations[{index}] needs `{required}`")
        name = item["name"]
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where(item.span_of_value('name'))}: expectations[{index}].name must be a non-empty string")
        if name in names:
            raise ConfigError(f"{where(item.span_of_value('name'))}: expectation name {name!r} is used twice")
        names.add(name)
        label = f"expectation {name!r}"
        allow = item.get("allow", True)
        if not isinstance(allow, bool):
            raise ConfigError(f"{where(item.span_of_value('allow'))}: `allow` of {label} must be true or false")
        source = _peer(item, "from", label, known_roles)
        destination = _peer(item, "to", label, known_roles)
        ports, ports_text = _ports(item, label) if "ports" in item else (None, "")
        max_hops = _max_hops(item, label, ports)
        result.append(Expectation(name, source, destination, ports, ports_text, allow, span, index, max_hops=max_hops))
    return tuple(result)


def _max_hops(item: YMap, label: str, ports: PortSpec | None) -> int | None:
    if "max-hops" not in item:
        return None
    value = item["max-hops"]
    here = where(item.span_of_value("max-hops"))
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{here}: `max-hops` of {label} must be a whole number of at least 1")
    if ports is not None and ports.named:
        raise ConfigError(f"{where(item.span_of_value('ports'))}: `ports` of {label} must be numbers with "
                          f"`max-hops` (a hop's destination changes along the path, so a port name has no one meaning)")
    return value


def _peer(item: YMap, key: str, label: str, known_roles: set[str]) -> PeerSpec:
    value = item[key]
    span = item.span_of_key(key)
    here = where(item.span_of_value(key))
    if isinstance(value, str):
        service = _SERVICE_REF.match(value.strip())
        if service:
            return PeerSpec(service=service["ref"], span=span)
        if _is_address(value):
            return PeerSpec(cidr=_cidr(value, here, f"{label} `{key}`"), span=span)
        return PeerSpec(role=_role_ref(value, here, label, known_roles), span=span)
    if not isinstance(value, YMap):
        raise ConfigError(f"{here}: `{key}` of {label} must be a role name, a mapping with role, cidr, or "
                          f"namespace/namespaceSelector/podSelector")
    kinds = [k for k in ("role", "cidr", "service") if k in value]
    selectors = [k for k in PEER_SELECTOR_KEYS if k in value]
    for extra in value:
        if extra not in ("role", "cidr", "service", *PEER_SELECTOR_KEYS):
            raise ConfigError(f"{where(value.span_of_key(extra))}: unknown key {extra!r} in `{key}` of {label} "
                              f"(known: cidr, namespace, namespaceSelector, podSelector, role, service)")
    if len(kinds) + (1 if selectors else 0) != 1:
        raise ConfigError(f"{here}: `{key}` of {label} must give exactly one of role, cidr, service, or "
                          f"namespace/namespaceSelector/podSelector")
    if "service" in value:
        ref = value["service"]
        ref_here = where(value.span_of_value("service"))
        if not isinstance(ref, str) or not _SERVICE_NAME.match(ref.strip()):
            raise ConfigError(f"{ref_here}: `service` of {label} must be namespace/name of a Service")
        return PeerSpec(service=ref.strip(), span=span)
    if "role" in value:
        role = value["role"]
        role_here = where(value.span_of_value("role"))
        if not isinstance(role, str):
            raise ConfigError(f"{role_here}: `role` must be a role name")
        return PeerSpec(role=_role_ref(role, role_here, label, known_roles), span=span)
    if "cidr" in value:
        cidr = value["cidr"]
        if not isinstance(cidr, str):
            raise ConfigError(f"{where(value.span_of_value('cidr'))}: `cidr` of {label} must be a string")
        return PeerSpec(cidr=_cidr(cidr, where(value.span_of_value("cidr")), f"{label} `{key}`"), span=span)
    return PeerSpec(selection=_selection(value, f"{label} {key}"), span=span)


def _role_ref(name: str, here: str, label: str, known: set[str]) -> str:
    if name not in known:
        raise ConfigError(f"{here}: {label} names role {name!r}, which is not defined "
                          f"(known: {', '.join(sorted(known))})")
    return name


def _is_address(text: str) -> bool:
    return any(c in text for c in "./:") and not _ROLE_NAME.match(text)


def _cidr(text: str, here: str, label: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise ConfigError(f"{here}: {label}: {text!r} is not an IP address or CIDR") from None


def _ports(item: YMap, label: str) -> tuple[PortSpec, str]:
    node = item["ports"]
    here = where(item.span_of_value("ports"))
    if not isinstance(node, YSeq) or not node:
        raise ConfigError(f"{here}: `ports` of {label} must be a non-empty list")
    static = EMPTY_PORTS
    named: list[tuple[str, str]] = []
    texts = []
    for index, entry in enumerate(node):
        at = where(node.span_of_item(index))
        if isinstance(entry, YMap):
            entry_spec, text = _port_mapping(entry, at, label)
        else:
            entry_spec, text = _port_scalar(entry, at, label)
        static = static | entry_spec.static
        named.extend(n for n in entry_spec.named if n not in named)
        texts.append(text)
    return PortSpec(static, tuple(sorted(named))), ", ".join(texts)


def _port_scalar(entry: Any, at: str, label: str) -> tuple[PortSpec, str]:
    if isinstance(entry, int) and not isinstance(entry, bool):
        return _numeric("TCP", entry, entry, at, label), f"TCP/{entry}"
    if isinstance(entry, str):
        match = _PORT_TEXT.match(entry.strip())
        if match:
            if match["p1"] and match["p2"]:
                raise ConfigError(f"{at}: port {entry!r} of {label} names its protocol twice")
            protocol = _protocol(match["p1"] or match["p2"] or "TCP", at, label)
            lo = int(match["lo"])
            hi = int(match["hi"]) if match["hi"] else lo
            text = f"{protocol}/{lo}" + (f"-{hi}" if hi != lo else "")
            return _numeric(protocol, lo, hi, at, label), text
        if _PORT_NAME.match(entry) and any(c.isalpha() for c in entry) and len(entry) <= 15:
            return PortSpec(EMPTY_PORTS, ((entry, "TCP"),)), f"TCP/{entry}"
    raise ConfigError(f"{at}: {entry!r} in `ports` of {label} is not a port: write 5000, 53/UDP, 8000-8100/TCP, "
                      f"a container port name, or a mapping with port, endPort, protocol")


def _port_mapping(entry: YMap, at: str, label: str) -> tuple[PortSpec, str]:
    for key in entry:
        if key not in ("port", "endPort", "protocol"):
            raise ConfigError(f"{where(entry.span_of_key(key))}: unknown key {key!r} in a port of {label} "
                              f"(known: endPort, port, protocol)")
    protocol = _protocol(entry.get("protocol", "TCP"), at, label)
    port = entry.get("port")
    end = entry.get("endPort")
    if port is None:
        if end is not None:
            raise ConfigError(f"{at}: `endPort` needs a numeric `port` in {label}")
        return PortSpec(PortSet.whole_protocol(protocol)), f"{protocol}/all"
    if isinstance(port, str) and not port.isdigit():
        if end is not None:
            raise ConfigError(f"{at}: `endPort` needs a numeric `port` in {label}")
        return PortSpec(EMPTY_PORTS, ((port, protocol),)), f"{protocol}/{port}"
    number = int(port) if isinstance(port, str) else port
    if not isinstance(number, int) or isinstance(number, bool):
        raise ConfigError(f"{at}: `port` of {label} must be a number or a port name")
    if end is not None and (not isinstance(end, int) or isinstance(end, bool)):
        raise ConfigError(f"{at}: `endPort` of {label} must be a number")
    hi = end if end is not None else number
    return _numeric(protocol, number, hi, at, label), f"{protocol}/{number}" + (f"-{hi}" if hi != number else "")


def _numeric(protocol: str, lo: int, hi: int, at: str, label: str) -> PortSpec:
    if not (MIN_PORT <= lo <= MAX_PORT and MIN_PORT <= hi <= MAX_PORT) or hi < lo:
        raise ConfigError(f"{at}: port {lo}" + (f"-{hi}" if hi != lo else "")
                          + f" of {label} is not a port range within {MIN_PORT}-{MAX_PORT}")
    return PortSpec(PortSet.single(protocol, lo, hi))


def _protocol(value: Any, at: str, label: str) -> str:
    if isinstance(value, str) and value.upper() in PROTOCOLS:
        return value.upper()
    raise ConfigError(f"{at}: protocol {value!r} of {label} must be TCP, UDP or SCTP")


# -- helpers ------------------------------------------------------------------------------------

def _known_keys(node: YMap, known: tuple[str, ...], what: str) -> None:
    for key in node:
        if key not in known:
            raise ConfigError(f"{where(node.span_of_key(key))}: unknown key {key!r} in {what} "
                              f"(known: {', '.join(sorted(known))})")


def _at(node: Any, fallback: Span | None) -> str:
    span = node.span if isinstance(node, (YMap, YSeq)) else fallback
    return where(span) if span is not None else "config"
