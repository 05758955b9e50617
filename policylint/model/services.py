"""Read a core/v1 `Service` into the model: its selector and how its ports map to the pods' ports.

Defaulting follows the API server: `type` is ClusterIP, a port's `protocol` is TCP, and its
`targetPort` is the `port` itself when absent, `0` or `""`. A value the API server would reject
(a port out of range, a target port name that is not a port name, an unknown protocol) drops
that port from the model and is reported as an invalid shape, naming the field; the rest of the
Service is still used.

References: https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/
(ServiceSpec, ServicePort), and the `FindPort` helper of the endpoint controller, which resolves a
named `targetPort` on each pod by name *and* protocol.
"""
from __future__ import annotations

from typing import Any

from policylint.load.nodes import YMap, YSeq
from policylint.model.fields import Fields, join_path, type_name
from policylint.model.types import PROTOCOLS, Service, ServicePort
from policylint.model.validation import label_key_error, label_value_error, port_name_error, port_number_error

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")


def build_service(fields: Fields, node: YMap, prefix: str, namespace: str, name: str) -> Service:
    spec_path = prefix + "spec"
    spec = fields.mapping(node, "spec", prefix.rstrip("."))
    spec = spec if isinstance(spec, YMap) else YMap(node.span)
    kind = fields.string(spec, "type", spec_path)
    if not isinstance(kind, str) or not kind:
        kind = "ClusterIP"
    elif kind not in SERVICE_TYPES:
        fields.issue("shape", spec.span_of_value("type"), join_path(spec_path, "type"),
                     f"Service type {kind!r} is not one of {', '.join(SERVICE_TYPES)}")
    selector, selector_source = _selector(fields, spec, spec_path)
    ports = _ports(fields, spec, spec_path)
    return Service(namespace, name, kind, selector, ports, fields.source(node, prefix.rstrip(".")), selector_source)


def _selector(fields: Fields, spec: YMap, spec_path: str) -> tuple[tuple[tuple[str, str], ...] | None, Any]:
    labels = fields.string_map(spec, "selector", spec_path)
    if not isinstance(spec.get("selector"), YMap):
        return None, None
    node = spec["selector"]
    path = join_path(spec_path, "selector")
    for key, value in labels.items():
        error = label_key_error(key) or label_value_error(value)
        if error:
            fields.issue("shape", node.span_of_value(key), join_path(path, key),
                         f"selector label {key}={value!r} {error}: the API server rejects this Service")
    # The API documents an empty selector like an absent one: the endpoints are managed elsewhere.
    return (tuple(sorted(labels.items())) or None), fields.source(node, path)


def _ports(fields: Fields, spec: YMap, spec_path: str) -> tuple[ServicePort, ...]:
    entries = fields.sequence(spec, "ports", spec_path)
    if not isinstance(entries, YSeq):
        return ()
    path = join_path(spec_path, "ports")
    ports = []
    for index, entry in enumerate(entries):
        port = _port(fields, entries, index, join_path(path, index))
        if port is not None:
            ports.append(port)
    return tuple(ports)


def _port(fields: Fields, parent: YSeq, index: int, path: str) -> ServicePort | None:
    node = parent[index]
    if not isinstance(node, YMap):
        fields.issue("shape", parent.span_of_item(index), path, f"a Service port must be a mapping, not {type_name(node)}")
        return None
    name = fields.string(node, "name", path)
    name = name if isinstance(name, str) and name else None
    protocol = fields.string(node, "protocol", path)
    if protocol is None:
        protocol = "TCP"
    elif protocol not in PROTOCOLS:
        if isinstance(protocol, str):
            fields.issue("shape", node.span_of_value("protocol"), join_path(path, "protocol"),
                         f"Service port protocol {protocol!r} must be TCP, UDP or SCTP")
        return None
    number = node.get("port")
    if number is None:
        fields.issue("shape", node.span, join_path(path, "port"), "a Service port needs `port`")
        return None
    if isinstance(number, bool) or not isinstance(number, int):
        fields.issue("shape", node.span_of_value("port"), join_path(path, "port"),
                     f"Service `port` must be an integer, not {type_name(number)}")
        return None
    error = port_number_error(number)
    if error:
        fields.issue("shape", node.span_of_value("port"), join_path(path, "port"), f"Service port {number} {error}")
        return None
    target = _target(fields, node, path)
    if target is None:
        return None
    given = target != 0 and target != ""
    return ServicePort(name, number, target if given else number, given, protocol, fields.source(node, path))


def _target(fields: Fields, node: YMap, path: str) -> int | str | None:
    """The targetPort as written (0 when absent); None after reporting a value the API rejects."""
    target = node.get("targetPort", 0)
    where = node.span_of_value("targetPort") if "targetPort" in node else node.span
    target_path = join_path(path, "targetPort")
    if target is None:
        return 0
    if isinstance(target, bool) or not isinstance(target, (int, str)):
        fields.issue("shape", where, target_path, f"`targetPort` must be an integer or a port name, not {type_name(target)}")
        return None
    if isinstance(target, int):
        error = port_number_error(target) if target != 0 else None
        if error:
            fields.issue("shape", where, target_path, f"targetPort {target} {error}")
            return None
        return target
    if target == "":
        return target
    error = port_name_error(target)
    if error:
        hint = f" (a quoted number is a name: write {target} without quotes)" if target.isdigit() else ""
        fields.issue("shape", where, target_path, f"targetPort name {target!r} {error}{hint}")
        return None
    return target
