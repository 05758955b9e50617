"""Hypothesis strategies for cluster-wide policies: AdminNetworkPolicy, BaselineAdminNetworkPolicy
and ClusterNetworkPolicy documents over the vocabulary of `tests.strategies`.

Mostly valid objects, with the occasional value the API server rejects (a priority out of range,
an action the kind does not have, a backwards port range, a peer with two fields) so that the
rule "what is rejected matches nothing" is exercised too. Peers include `nodes` and `domainNames`
and `networks` next to pods of unknown IP: the answers that cannot be known offline.
"""
from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.strategies import LABEL_KEYS, LABEL_VALUES, NAMESPACES, PORT_NAMES, PORT_NUMBERS, PROTOCOLS, V4_CIDRS, V6_CIDRS

Doc = dict[str, Any]
NAME_LABEL = "kubernetes.io/metadata.name"
# Addresses with no pod in them, next to the pod ranges: the metadata endpoint, a public resolver.
EXTRA_CIDRS = ["169.254.169.254/32", "8.8.8.8/32", "fd00:ec2::254/128"]


@st.composite
def plain_selector(draw) -> Doc:
    doc: Doc = {}
    if draw(st.booleans()):
        labels = draw(st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=1))
        if draw(st.integers(0, 3)) == 0:
            labels[NAME_LABEL] = draw(st.sampled_from(NAMESPACES))
        doc["matchLabels"] = labels
    if draw(st.integers(0, 3)) == 0:
        op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
        req: Doc = {"key": draw(st.sampled_from(LABEL_KEYS)), "operator": op}
        if op in ("In", "NotIn"):
            req["values"] = [draw(st.sampled_from(LABEL_VALUES))]
        doc["matchExpressions"] = [req]
    return doc


@st.composite
def subject(draw, kind: str) -> Doc:
    if draw(st.booleans()):
        return {"namespaces": draw(plain_selector())}
    pods: Doc = {"podSelector": draw(plain_selector())}
    if kind != "ClusterNetworkPolicy" or draw(st.booleans()):
        pods["namespaceSelector"] = draw(plain_selector())
    return {"pods": pods}


@st.composite
def tier_peer(draw, kind: str, egress: bool) -> Doc:
    shapes = ["namespaces", "pods", "pods"]
    if egress:
        shapes += ["networks", "networks", "nodes"]
        if kind != "BaselineAdminNetworkPolicy":
            shapes.append("domainNames")
    shape = draw(st.sampled_from(shapes + ["two"]))
    if shape == "namespaces":
        return {"namespaces": draw(plain_selector())}
    if shape == "pods":
        pods: Doc = {"podSelector": draw(plain_selector())}
        if kind != "ClusterNetworkPolicy" or draw(st.booleans()):
            pods["namespaceSelector"] = draw(plain_selector())
        return {"pods": pods}
    if shape == "networks":
        return {"networks": draw(st.lists(st.sampled_from(V4_CIDRS + V6_CIDRS + EXTRA_CIDRS), min_size=1, max_size=2, unique=True))}
    if shape == "nodes":
        return {"nodes": draw(plain_selector())}
    if shape == "domainNames":
        return {"domainNames": [draw(st.sampled_from(["example.com", "*.storage.example.com"]))]}
    return {"namespaces": {}, "pods": {"podSelector": {}, "namespaceSelector": {}}}  # rejected: two fields


@st.composite
def tier_port(draw, kind: str, named_ok: bool) -> Doc:
    shapes = ["number", "range"] + (["named", "named"] if named_ok else []) + ["bad-range"]
    shape = draw(st.sampled_from(shapes))
    protocol = draw(st.sampled_from(PROTOCOLS))
    start = draw(st.sampled_from(PORT_NUMBERS + [1]))
    end = draw(st.sampled_from([start + 1, 443, 8080, 65535]).filter(lambda e: e > start))
    if shape == "bad-range":
        start, end = end, start
    name = draw(st.sampled_from(PORT_NAMES + ["absent"]))
    if kind == "ClusterNetworkPolicy":
        if shape == "named":
            return {"destinationNamedPort": name}
        port = {"number": start} if shape == "number" else {"range": {"start": start, "end": end}}
        return {protocol.lower(): {"destinationPort": port}}
    if shape == "named":
        return {"namedPort": name}
    if shape == "number":
        return {"portNumber": {"protocol": protocol, "port": start}}
    return {"portRange": {"protocol": protocol, "start": start, "end": end}}


@st.composite
def tier_rule(draw, kind: str, egress: bool) -> Doc:
    actions = {"AdminNetworkPolicy": ["Allow", "Deny", "Pass"], "BaselineAdminNetworkPolicy": ["Allow", "Deny"],
               "ClusterNetworkPolicy": ["Accept", "Deny", "Pass"]}[kind]
    action = draw(st.sampled_from(actions + actions + ["Reject"]))
    peers = draw(st.lists(tier_peer(kind, egress), min_size=1, max_size=2))
    rule: Doc = {"action": action, "to" if egress else "from": peers}
    if draw(st.sampled_from([True, True, False])):
        named_ok = not any(k in p for p in peers for k in ("networks", "nodes", "domainNames"))
        key = "protocols" if kind == "ClusterNetworkPolicy" else "ports"
        rule[key] = draw(st.lists(tier_port(kind, named_ok), min_size=1, max_size=2))
    return rule


@st.composite
def tier_policy(draw, index: int) -> Doc:
    kind = draw(st.sampled_from(["AdminNetworkPolicy", "ClusterNetworkPolicy", "BaselineAdminNetworkPolicy"]))
    spec: Doc = {}
    name = f"t{index}"
    if kind == "BaselineAdminNetworkPolicy":
        name = draw(st.sampled_from(["default", "default", "default", "other"]))
    else:
        spec["priority"] = draw(st.sampled_from([0, 5, 5, 20, 1000, 1001]))
    if kind == "ClusterNetworkPolicy":
        spec["tier"] = draw(st.sampled_from(["Admin", "Baseline"]))
    spec["subject"] = draw(subject(kind))
    for key, egress in (("ingress", False), ("egress", True)):
        rules = draw(st.lists(tier_rule(kind, egress), max_size=3))
        if rules:
            spec[key] = rules
    version = "v1alpha2" if kind == "ClusterNetworkPolicy" else "v1alpha1"
    return {"apiVersion": f"policy.networking.k8s.io/{version}", "kind": kind, "metadata": {"name": name}, "spec": spec}


def tier_ports_mentioned(docs: list[Doc]) -> set[int]:
    found: set[int] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("port", "number", "start", "end") and isinstance(item, int):
                    found.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for doc in docs:
        walk(doc.get("spec"))
    return found


def tier_networks_mentioned(docs: list[Doc]) -> list[str]:
    return [n for doc in docs for rule in doc["spec"].get("egress", []) for peer in rule["to"]
            for n in peer.get("networks", [])]
