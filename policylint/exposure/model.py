"""What an exposure claim says: a described peer that the input does not contain, and ports."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from policylint.engine.ports import EMPTY_PORTS, PortSet
from policylint.exposure.constraints import DOES_NOT_EXIST_OR_IN, Conjunction

INBOUND = "ingress"  # the described peer connects to the workload
OUTBOUND = "egress"  # the workload connects to the described peer

# Which namespaces a pod description is about.
NAMED = "named"  # one namespace, by name (`namespace`), in the input or not (`in_input`)
MATCHING = "matching"  # every namespace whose labels match `namespace_selector`, in the input or not
NEW = "new"  # namespaces that are not in the input and whose labels match `namespace_selector`


@dataclass(frozen=True, slots=True)
class Peer:
    """A peer by what it would have to be: pods (in some namespaces, with some labels) or
    addresses outside the cluster."""

    kind: str  # "pods" or "addresses"
    scope: str = MATCHING  # NAMED, MATCHING or NEW (pods only)
    namespace: str | None = None  # with NAMED
    in_input: bool = False  # with NAMED: the namespace is in the input
    namespace_selector: Conjunction = Conjunction()  # with MATCHING and NEW (besides the name rules)
    pod_selector: Conjunction = Conjunction()
    cidrs: tuple[str, ...] = ()  # addresses: exactly these CIDRs
    summary: tuple[str, tuple[str, ...]] | None = None  # the same addresses as (cidr, except)

    def describe(self) -> str:
        if self.kind == "addresses":
            if self.summary is not None:
                return f"any address in {self.summary[0]} except {', '.join(self.summary[1])}"
            return "any address in " + ", ".join(self.cidrs)
        pods = "any pod" if self.pod_selector.is_everything else f"pods matching {{{describe(self.pod_selector)}}}"
        if self.scope == NAMED:
            where = f"namespace {self.namespace}" + ("" if self.in_input else " (not in the input)")
            return f"{pods} in {where}"
        selector = describe(self.namespace_selector)
        if self.scope == MATCHING:
            if self.namespace_selector.is_everything:
                return "any pod in the cluster" if self.pod_selector.is_everything else f"{pods} in any namespace"
            return f"{pods} in namespaces matching {{{selector}}}"
        if self.namespace_selector.is_everything:
            return f"{pods} in any namespace not in the input"
        return f"{pods} in namespaces not in the input matching {{{selector}}}"

    def fits(self, namespace: str, namespace_labels: Mapping[str, str], namespace_in_input: bool,
             labels: Mapping[str, str]) -> bool:
        """Whether a pod (its namespace, that namespace's labels, its own labels) fits the
        description."""
        if self.kind != "pods" or not self.pod_selector.matches(labels):
            return False
        if self.scope == NAMED:
            return namespace == self.namespace
        if self.scope == NEW and namespace_in_input:
            return False
        return self.namespace_selector.matches(namespace_labels)

    def to_json(self) -> dict:
        if self.kind == "addresses":
            out = {"kind": "addresses", "cidrs": list(self.cidrs)}
            if self.summary is not None:
                out["cidr"], out["except"] = self.summary[0], list(self.summary[1])
            return out
        out: dict = {"kind": "pods", "namespaces": self.scope}
        if self.scope == NAMED:
            out["namespace"] = self.namespace
            out["namespace_in_input"] = self.in_input
        else:
            out["namespace_selector"] = selector_json(self.namespace_selector)
        out["pod_selector"] = selector_json(self.pod_selector)
        return out


@dataclass(frozen=True, slots=True)
class Claim:
    """`peer` may connect to `endpoint` (INBOUND) or `endpoint` to `peer` (OUTBOUND) on `ports`;
    `unknown` are ports whose answer cannot be judged offline. Every peer fitting the
    description gets at least these ports; the claims of an endpoint and direction together give
    every port any such peer gets."""

    endpoint: str  # endpoint id
    direction: str  # INBOUND or OUTBOUND
    peer: Peer
    ports: PortSet
    unknown: PortSet = EMPTY_PORTS

    def sort_key(self) -> tuple:
        return (self.endpoint, self.direction != INBOUND, self.peer.kind != "pods", self.peer.describe(),
                str(self.ports), str(self.unknown))

    def to_json(self) -> dict:
        out = {"endpoint": self.endpoint, "direction": self.direction, "peer": self.peer.to_json(),
               "description": self.peer.describe(), "ports": self.ports.to_json()}
        if not self.unknown.is_empty:
            out["unknown_ports"] = self.unknown.to_json()
        return out


def describe(conj: Conjunction) -> str:
    """kubectl's selector spelling: `app=a`, `tier in (x, y)`, `env notin (prod)`, `gpu`, `!gpu`."""
    parts = []
    for req in conj.requirements():
        if req.operator == "In":
            parts.append(f"{req.key}={req.values[0]}" if len(req.values) == 1
                         else f"{req.key} in ({', '.join(req.values)})")
        elif req.operator == "NotIn":
            parts.append(f"{req.key} notin ({', '.join(req.values)})")
        elif req.operator == "Exists":
            parts.append(req.key)
        elif req.operator == "DoesNotExist":
            parts.append(f"!{req.key}")
        elif req.operator == DOES_NOT_EXIST_OR_IN:
            parts.append(f"!{req.key} or {req.key} in ({', '.join(req.values)})")
    return ", ".join(parts)


def selector_json(conj: Conjunction) -> dict:
    """A label selector in the API's shape: single-value `In` as matchLabels, the rest as
    matchExpressions (`DoesNotExistOrIn` is policylint's: absent or one of the values)."""
    labels: dict[str, str] = {}
    expressions = []
    for req in conj.requirements():
        if req.operator == "In" and len(req.values) == 1:
            labels[req.key] = req.values[0]
        else:
            expressions.append({"key": req.key, "operator": req.operator, "values": list(req.values)}
                               if req.values else {"key": req.key, "operator": req.operator})
    out: dict = {}
    if labels:
        out["matchLabels"] = labels
    if expressions:
        out["matchExpressions"] = expressions
    return out
