"""Hypothesis strategies: random clusters as manifest text, fed through the real loader and model.

Labels, names, ports and addresses come from small vocabularies so that selectors, named ports
and ipBlocks actually hit the pods they are generated next to. Every peer and port entry is
generated together with a flag saying whether the API server would accept it, so that a test can
also build the same cluster with the invalid parts taken out (see `GenCluster.sanitised`).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import yaml
from hypothesis import strategies as st

from policylint.load.objects import split_objects
from policylint.load.yaml_reader import parse_text
from policylint.model import build_cluster
from policylint.model.types import Cluster


class KubectlSafeDumper(yaml.SafeDumper):
    """PyYAML's dumper quotes the strings PyYAML would read as something else; Kubernetes'
    decoder (go-yaml v2) reads more as something else (`y`, `080`, `1e2`, `0o7`): quote those too,
    so that the text means to policylint exactly the values that were generated."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    from policylint.load.yaml_reader import _resolve_plain

    if text and _resolve_plain(text) != text or text != text.strip():
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
    return yaml.SafeDumper.represent_str(dumper, text)


KubectlSafeDumper.add_representer(str, _represent_str)


def dump_all(documents: list[Any], **options: Any) -> str:
    return yaml.dump_all(documents, Dumper=KubectlSafeDumper, sort_keys=False, **options)

NAMESPACES = ["x", "y", "z"]
LABEL_KEYS = ["app", "tier", "env"]
LABEL_VALUES = ["a", "b", "c"]
PORT_NAMES = ["web", "dns", "metrics"]
PORT_NUMBERS = [53, 80, 81, 443, 8080]
PROTOCOLS = ["TCP", "UDP", "SCTP"]
V4_POD_IPS = ["10.0.0.1", "10.0.0.2", "10.0.0.5", "10.0.1.7", "192.168.0.1"]
V6_POD_IPS = ["fd00::1", "fd00::2", "fd00::1:5"]
V4_CIDRS = ["0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/24", "10.0.0.0/30", "10.0.0.4/31", "10.0.1.0/24",
            "192.168.0.0/16", "10.0.0.5/24", "10.0.0.1/32"]
V6_CIDRS = ["::/0", "fd00::/8", "fd00::/112", "fd00::/127", "fd00::1:0/112", "fd00::1/128"]

Doc = dict[str, Any]

NAME_LABEL = "kubernetes.io/metadata.name"

labels_st = st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=3)


@dataclass
class Item:
    """A peer or port entry as written, and whether the API server would accept it."""

    doc: Any
    valid: bool


@dataclass
class GenRule:
    peers: list[Item] | None  # None: key absent
    ports: list[Item] | None


@dataclass
class GenPolicy:
    namespace: str
    name: str
    pod_selector: Any  # None: absent
    selector_valid: bool
    policy_types: list[str] | None
    ingress: list[GenRule] | None
    egress: list[GenRule] | None


@dataclass
class GenCluster:
    namespaces: list[Doc]
    workloads: list[Doc]
    policies: list[GenPolicy] = field(default_factory=list)
    tier_policies: list[Doc] = field(default_factory=list)  # cluster-wide policies, as written

    def documents(self, sanitise: bool = False) -> list[Doc]:
        docs = list(self.namespaces) + list(self.workloads) + list(self.tier_policies)
        for policy in self.policies:
            doc = _policy_doc(policy, sanitise)
            if doc is not None:
                docs.append(doc)
        return docs

    def text(self, sanitise: bool = False) -> str:
        return dump_all(self.documents(sanitise))

    def cluster(self, sanitise: bool = False) -> Cluster:
        return cluster_from_text(self.text(sanitise))

    def mentioned_ports(self) -> set[int]:
        found: set[int] = set()
        for policy in self.policies:
            for rule in (policy.ingress or []) + (policy.egress or []):
                for item in rule.ports or []:
                    if isinstance(item.doc, dict):
                        for key in ("port", "endPort"):
                            if isinstance(item.doc.get(key), int):
                                found.add(item.doc[key])
        if self.tier_policies:
            from tests.strategies_tiers import tier_ports_mentioned

            found |= tier_ports_mentioned(self.tier_policies)
        for workload in self.workloads:
            for container in _pod_spec(workload).get("containers", []):
                for port in container.get("ports", []):
                    found.add(port["containerPort"])
        return found

    def mentioned_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        found = []
        for policy in self.policies:
            for rule in (policy.ingress or []) + (policy.egress or []):
                for item in rule.peers or []:
                    block = item.doc.get("ipBlock") if isinstance(item.doc, dict) else None
                    if not isinstance(block, dict):
                        continue
                    for text in [block.get("cidr")] + list(block.get("except", [])):
                        try:
                            found.append(ipaddress.ip_network(text, strict=False))
                        except (TypeError, ValueError):
                            pass
        if self.tier_policies:
            from tests.strategies_tiers import tier_networks_mentioned

            found.extend(ipaddress.ip_network(n, strict=False) for n in tier_networks_mentioned(self.tier_policies))
        return found


def cluster_from_text(text: str, path: str = "generated.yaml") -> Cluster:
    parsed = parse_text(text, path)
    assert not parsed.problems, parsed.problems
    objects, problems = split_objects(parsed.documents)
    assert not problems, problems
    return build_cluster(objects)


def _pod_spec(workload: Doc) -> Doc:
    if workload["kind"] == "Pod":
        return workload["spec"]
    return workload["spec"]["template"]["spec"]


def _policy_doc(policy: GenPolicy, sanitise: bool) -> Doc | None:
    if sanitise and not policy.selector_valid:
        return None  # a policy whose podSelector the API server rejects selects nothing
    spec: Doc = {}
    if policy.pod_selector is not None:
        spec["podSelector"] = policy.pod_selector
    types = policy.policy_types
    if sanitise and not types:
        # Pin the defaulting to what the original means: dropping rules must not change isolation.
        types = ["Ingress"] + (["Egress"] if policy.egress else [])
    if types is not None:
        spec["policyTypes"] = types
    for key, rules in (("ingress", policy.ingress), ("egress", policy.egress)):
        if rules is None:
            continue
        out = []
        peer_key = "from" if key == "ingress" else "to"
        for rule in rules:
            doc = _rule_doc(rule, peer_key, sanitise)
            if doc is not None:
                out.append(doc)
        spec[key] = out
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": policy.name, "namespace": policy.namespace}, "spec": spec}


def _rule_doc(rule: GenRule, peer_key: str, sanitise: bool) -> Doc | None:
    doc: Doc = {}
    for key, items in ((peer_key, rule.peers), ("ports", rule.ports)):
        if items is None:
            continue
        kept = [i.doc for i in items if i.valid or not sanitise]
        if sanitise and items and not kept:
            return None  # only invalid entries: the rule matches nothing, so drop it whole
        doc[key] = kept
    return doc


# -- selectors -----------------------------------------------------------------------------

@st.composite
def requirement(draw, allow_invalid: bool) -> tuple[Doc, bool]:
    key = draw(st.sampled_from(LABEL_KEYS + ["missing"]))
    operator = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"] + (["Bad"] if allow_invalid else [])))
    if operator in ("In", "NotIn"):
        values = draw(st.lists(st.sampled_from(LABEL_VALUES), min_size=0 if allow_invalid else 1, max_size=2, unique=True))
        return {"key": key, "operator": operator, "values": values}, bool(values)
    return {"key": key, "operator": operator}, operator != "Bad"


@st.composite
def selector(draw, allow_invalid: bool = True) -> tuple[Doc, bool]:
    doc: Doc = {}
    valid = True
    if draw(st.booleans()):
        doc["matchLabels"] = draw(st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=2))
        if draw(st.integers(0, 4)) == 0:  # the label every namespace carries
            doc["matchLabels"][NAME_LABEL] = draw(st.sampled_from(NAMESPACES))
    if draw(st.booleans()):
        reqs = draw(st.lists(requirement(allow_invalid and draw(st.integers(0, 5)) == 0), max_size=2))
        doc["matchExpressions"] = [r for r, _ in reqs]
        valid = all(ok for _, ok in reqs)
    return doc, valid


# -- peers -----------------------------------------------------------------------------------

@st.composite
def ip_block(draw) -> tuple[Doc, bool]:
    if draw(st.integers(0, 15)) == 0:
        return {"cidr": draw(st.sampled_from(["", "10.0.0.0/33", "not-a-cidr"]))}, False
    cidr = draw(st.sampled_from(V4_CIDRS + V6_CIDRS))
    network = ipaddress.ip_network(cidr, strict=False)
    block: Doc = {"cidr": cidr}
    valid = True
    excepts = []
    for _ in range(draw(st.integers(0, 2))):
        if draw(st.integers(0, 12)) == 0:
            other_family = "fd00::/64" if network.version == 4 else "10.0.0.0/8"
            excepts.append(draw(st.sampled_from(["", cidr, other_family])))
            valid = False
            continue
        if network.prefixlen >= network.max_prefixlen:
            continue
        extra = draw(st.integers(1, min(network.max_prefixlen - network.prefixlen, 4)))
        subnets = list(network.subnets(prefixlen_diff=extra))
        # Long-prefix v4 blocks split into pieces at the pod addresses; keep the pool small.
        excepts.append(str(draw(st.sampled_from(subnets))))
    if excepts:
        block["except"] = excepts
    return block, valid


@st.composite
def peer(draw) -> Item:
    shape = draw(st.sampled_from(["ipblock", "pod", "ns", "both", "ipblock", "pod", "ns", "ipblock", "empty", "mixed"]))
    if shape == "empty":
        return Item({}, False)
    if shape == "ipblock":
        block, valid = draw(ip_block())
        return Item({"ipBlock": block}, valid)
    if shape == "mixed":
        block, _ = draw(ip_block())
        pod, _ = draw(selector(False))
        return Item({"ipBlock": block, "podSelector": pod}, False)
    doc: Doc = {}
    valid = True
    if shape in ("pod", "both"):
        doc["podSelector"], ok = draw(selector())
        valid &= ok
    if shape in ("ns", "both"):
        doc["namespaceSelector"], ok = draw(selector())
        valid &= ok
    return Item(doc, valid)


# -- ports -------------------------------------------------------------------------------------

@st.composite
def port_entry(draw) -> Item:
    shape = draw(st.sampled_from(["empty", "protocol", "number", "range", "named", "named", "invalid"]))
    protocol = draw(st.sampled_from(PROTOCOLS + [None]))
    doc: Doc = {} if protocol is None else {"protocol": protocol}
    if shape == "empty":
        return Item({}, True)
    if shape == "protocol":
        return Item({"protocol": draw(st.sampled_from(PROTOCOLS))}, True)
    if shape == "number":
        doc["port"] = draw(st.sampled_from(PORT_NUMBERS + [1, 65535]))
        return Item(doc, True)
    if shape == "range":
        start = draw(st.sampled_from(PORT_NUMBERS + [1]))
        doc["port"] = start
        doc["endPort"] = draw(st.sampled_from([start, start + 1, 443, 8080, 65535]).filter(lambda e: e >= start))
        return Item(doc, True)
    if shape == "named":
        doc["port"] = draw(st.sampled_from(PORT_NAMES + ["absent"]))
        return Item(doc, True)
    bad = draw(st.sampled_from(["named-range", "zero", "lowercase", "backwards"]))
    if bad == "named-range":
        return Item({"port": draw(st.sampled_from(PORT_NAMES)), "endPort": 90}, False)
    if bad == "zero":
        return Item({"port": 0}, False)
    if bad == "lowercase":
        return Item({"protocol": "tcp", "port": 80}, False)
    return Item({"port": 443, "endPort": 80}, False)


@st.composite
def rule(draw) -> GenRule:
    some_peers = st.lists(peer(), min_size=1, max_size=3)
    some_ports = st.lists(port_entry(), min_size=1, max_size=3)
    # Hypothesis leans towards the first alternatives: put the rich ones first.
    peers = draw(st.sampled_from(["some", "some", "some", "absent", "empty"]))
    peers = draw(some_peers) if peers == "some" else None if peers == "absent" else []
    ports = draw(st.sampled_from(["some", "some", "absent", "empty"]))
    ports = draw(some_ports) if ports == "some" else None if ports == "absent" else []
    return GenRule(peers, ports)


@st.composite
def policy(draw, index: int, namespaces: list[str]) -> GenPolicy:
    namespace = draw(st.sampled_from(namespaces))
    kind = draw(st.sampled_from(["selector", "selector", "empty", "absent"]))
    pod_selector, valid = (None, True) if kind == "absent" else ({}, True) if kind == "empty" else draw(selector())
    types = draw(st.sampled_from([["Ingress", "Egress"], None, ["Egress"], ["Ingress"], [], ["Egress", "Ingress"]]))
    def rules() -> list[GenRule] | None:
        shape = draw(st.sampled_from(["some", "some", "some", "absent", "empty", "allow-all"]))
        if shape == "some":
            return draw(st.lists(rule(), min_size=1, max_size=3))
        return None if shape == "absent" else [] if shape == "empty" else [GenRule(None, None)]

    return GenPolicy(namespace, f"p{index}", pod_selector, valid, types, rules(), rules())


# -- workloads -------------------------------------------------------------------------------

@st.composite
def container_ports(draw) -> list[Doc]:
    ports = []
    used: set[tuple[int, str]] = set()
    for _ in range(draw(st.integers(0, 3))):
        number = draw(st.sampled_from(PORT_NUMBERS))
        protocol = draw(st.sampled_from(PROTOCOLS))
        if (number, protocol) in used:
            continue
        used.add((number, protocol))
        entry: Doc = {"containerPort": number}
        if protocol != "TCP" or draw(st.booleans()):
            entry["protocol"] = protocol
        name = draw(st.sampled_from(PORT_NAMES + [None]))
        if name is not None:
            entry["name"] = name
        ports.append(entry)
    return ports


@st.composite
def workload(draw, index: int, namespaces: list[str], used_ips: set[str]) -> Doc:
    namespace = draw(st.sampled_from(namespaces))
    labels = draw(labels_st)
    spec: Doc = {"containers": [{"name": "c", "image": "busybox", "ports": draw(container_ports())}]}
    if draw(st.integers(0, 5)) == 0:
        spec["hostNetwork"] = True  # modelled as an ordinary pod
    if draw(st.integers(0, 4)) == 0:
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"w{index}", "namespace": namespace},
                "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                         "template": {"metadata": {"labels": labels}, "spec": spec}}}
    doc: Doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"w{index}", "namespace": namespace, "labels": labels},
                "spec": spec}
    ips = []
    free_v4 = [ip for ip in V4_POD_IPS if ip not in used_ips]
    free_v6 = [ip for ip in V6_POD_IPS if ip not in used_ips]
    if free_v4 and draw(st.booleans()):
        ips.append(draw(st.sampled_from(free_v4)))
    if free_v6 and draw(st.integers(0, 2)) == 0:
        ips.append(draw(st.sampled_from(free_v6)))
    used_ips.update(ips)
    if ips:
        doc["status"] = {"podIP": ips[0], "podIPs": [{"ip": ip} for ip in ips]}
    return doc


@st.composite
def clusters(draw, max_pods: int = 5, max_policies: int = 4, max_tier_policies: int = 0) -> GenCluster:
    """Random clusters; with `max_tier_policies`, also cluster-wide policies (strategies_tiers)."""
    namespaces = sorted(draw(st.lists(st.sampled_from(NAMESPACES), min_size=1, max_size=3, unique=True)))
    declared = []
    for name in namespaces:
        if draw(st.integers(0, 3)) > 0:  # sometimes undeclared: the model synthesises it
            declared.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": draw(labels_st)}})
    used_ips: set[str] = set()
    workloads = [draw(workload(i, namespaces, used_ips)) for i in range(draw(st.integers(1, max_pods)))]
    count = draw(st.sampled_from(list(range(max_policies, -1, -1))))  # rich first
    policies = [draw(policy(i, namespaces)) for i in range(count)]
    tier_docs = []
    if max_tier_policies:
        from tests.strategies_tiers import tier_policy

        tier_count = draw(st.sampled_from(list(range(max_tier_policies, 0, -1))))
        tier_docs = [draw(tier_policy(i)) for i in range(tier_count)]
        # Two BaselineAdminNetworkPolicies named alike are one object defined twice: the API
        # server (and the model) keep the last one, so the generated cluster holds only that one.
        last = {(doc["kind"], doc["metadata"]["name"]): doc for doc in tier_docs}
        tier_docs = [doc for doc in tier_docs if last[(doc["kind"], doc["metadata"]["name"])] is doc]
    return GenCluster(declared, workloads, policies, tier_docs)
