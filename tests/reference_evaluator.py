"""A literal reading of the NetworkPolicy semantics (docs/architecture.md, "Semantics reference").

It answers one question at a time — may `src` reach `dst` on (protocol, port)? — by walking every
policy, with no caching, no bitsets and no code shared with `policylint.engine`. It is meant to be
read next to the specification and to be obviously right; the fast engine must agree with it.

An endpoint is a `Workload` (a pod) or an `ipaddress` address (an external address).
"""
from __future__ import annotations

import ipaddress
from typing import Mapping, Union

from policylint.model.types import (
    Cluster,
    LabelSelector,
    NetworkPolicy,
    Peer,
    PolicyPort,
    Rule,
    Workload,
)

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
EndpointLike = Union[Workload, Address]


def allowed(cluster: Cluster, src: EndpointLike, dst: EndpointLike, protocol: str, port: int) -> bool:
    """S -> D is allowed iff S's egress allows it (or S is not isolated for egress) and D's ingress
    allows it (or D is not isolated for ingress). An external address has no side of its own.
    With cluster-wide policies, see `decision` (an unknown answer is not "allowed")."""
    if cluster.tier_policies:
        return decision(cluster, src, dst, protocol, port) == ALLOWED
    egress_ok = True
    if isinstance(src, Workload):
        egress_ok = side_allows(cluster, pod=src, direction="Egress", other=dst, dst=dst,
                                protocol=protocol, port=port)
    ingress_ok = True
    if isinstance(dst, Workload):
        ingress_ok = side_allows(cluster, pod=dst, direction="Ingress", other=src, dst=dst,
                                 protocol=protocol, port=port)
    return egress_ok and ingress_ok


def side_allows(cluster: Cluster, pod: Workload, direction: str, other: EndpointLike, dst: EndpointLike,
                protocol: str, port: int) -> bool:
    """One side: if no policy selecting `pod` has `direction` in policyTypes, everything is
    allowed; otherwise the union of those policies' rules of that direction decides."""
    isolating = [p for p in cluster.policies if policy_selects(cluster, p, pod) and direction in p.policy_types]
    if not isolating:
        return True
    for policy in isolating:
        rules = policy.ingress if direction == "Ingress" else policy.egress
        for rule in rules:
            if rule_matches_peer(cluster, policy, rule, other) and rule_matches_port(rule, dst, protocol, port):
                return True
    return False


def policy_selects(cluster: Cluster, policy: NetworkPolicy, pod: Workload) -> bool:
    return pod.namespace == policy.namespace and selector_matches(policy.pod_selector, pod.labels)


def selector_matches(selector: LabelSelector, labels: Mapping[str, str]) -> bool:
    if not selector.valid:
        return False
    for key, value in selector.match_labels:
        if key not in labels or labels[key] != value:
            return False
    for requirement in selector.expressions:
        has_key = requirement.key in labels
        if requirement.operator == "In":
            ok = has_key and labels[requirement.key] in requirement.values
        elif requirement.operator == "NotIn":
            ok = (not has_key) or labels[requirement.key] not in requirement.values
        elif requirement.operator == "Exists":
            ok = has_key
        elif requirement.operator == "DoesNotExist":
            ok = not has_key
        else:
            ok = False
        if not ok:
            return False
    return True


def rule_matches_peer(cluster: Cluster, policy: NetworkPolicy, rule: Rule, other: EndpointLike) -> bool:
    if len(rule.peers) == 0:
        return True  # no `from`/`to`: every pod and every address
    return any(peer_matches(cluster, policy, peer, other) for peer in rule.peers)


def peer_matches(cluster: Cluster, policy: NetworkPolicy, peer: Peer, other: EndpointLike) -> bool:
    if not peer.valid:
        return False
    if peer.ip_block is not None:
        if peer.pod_selector is not None or peer.namespace_selector is not None:
            return False
        block = peer.ip_block
        if not block.valid or block.network is None:
            return False
        addresses = list(other.pod_ips) if isinstance(other, Workload) else [other]
        return any(address_in_block(block, a) for a in addresses)
    if not isinstance(other, Workload):
        return False  # selectors only ever match pods
    if peer.pod_selector is None and peer.namespace_selector is None:
        return False
    if peer.namespace_selector is None:
        namespace_ok = other.namespace == policy.namespace
    else:
        namespace_ok = selector_matches(peer.namespace_selector, cluster.namespaces[other.namespace].labels)
    pod_ok = peer.pod_selector is None or selector_matches(peer.pod_selector, other.labels)
    return namespace_ok and pod_ok


def address_in_block(block, address: Address) -> bool:
    network = block.network
    if address.version != network.version or address not in network:
        return False
    for entry in block.excepts:
        if entry.network is None:
            return False  # an unparseable except makes the whole block invalid
        if entry.network.version == address.version and address in entry.network:
            return False
    return True


def rule_matches_port(rule: Rule, dst: EndpointLike, protocol: str, port: int) -> bool:
    if len(rule.ports) == 0:
        return True  # no `ports`: every port of every protocol
    return any(port_matches(entry, dst, protocol, port) for entry in rule.ports)


def port_matches(entry: PolicyPort, dst: EndpointLike, protocol: str, port: int) -> bool:
    if not entry.valid or entry.protocol != protocol:
        return False
    if entry.port is None:
        return True
    if isinstance(entry.port, str):
        # A named port means the destination pod's container port of that name and protocol.
        if not isinstance(dst, Workload):
            return False
        return any(cp.name == entry.port and cp.protocol == protocol and cp.port == port for cp in dst.ports)
    last = entry.end_port if entry.end_port is not None else entry.port
    return entry.port <= port <= last


# -- cluster-wide policies (network-policy-api: AdminNetworkPolicy, BaselineAdminNetworkPolicy,
# ClusterNetworkPolicy) ------------------------------------------------------------------------
#
# Each side is decided on its own: the admin tier (policies by ascending priority, rules in the
# order written, first match decides; Pass skips to the next tier), then the NetworkPolicies if
# one isolates the pod, then the baseline tier, then allowed. A rule whose peer cannot be judged
# offline and that might be the first to match makes the side unknown.

ALLOWED, DENIED, UNKNOWN = "allowed", "denied", "unknown"
PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")]
NOT_PODS = [ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128")]
KIND_ORDER = ["AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"]


def decision(cluster: Cluster, src: EndpointLike, dst: EndpointLike, protocol: str, port: int) -> str:
    """allowed, denied or unknown: allowed when both sides allow, denied when either denies."""
    sides = []
    if isinstance(src, Workload):
        sides.append(tiered_side(cluster, src, "Egress", dst, dst, protocol, port))
    if isinstance(dst, Workload):
        sides.append(tiered_side(cluster, dst, "Ingress", src, dst, protocol, port))
    if DENIED in sides:
        return DENIED
    if UNKNOWN in sides:
        return UNKNOWN
    return ALLOWED


def tiered_side(cluster: Cluster, pod: Workload, direction: str, other: EndpointLike, dst: EndpointLike,
                protocol: str, port: int) -> str:
    answer = tier_answer(cluster, "Admin", pod, direction, other, dst, protocol, port)
    if answer is not None:
        return answer
    isolating = [p for p in cluster.policies if policy_selects(cluster, p, pod) and direction in p.policy_types]
    if isolating:
        return ALLOWED if side_allows(cluster, pod, direction, other, dst, protocol, port) else DENIED
    answer = tier_answer(cluster, "Baseline", pod, direction, other, dst, protocol, port)
    return answer if answer is not None else ALLOWED


def tier_answer(cluster, tier: str, pod: Workload, direction: str, other, dst, protocol: str, port: int) -> str | None:
    """The first matching rule of the tier decides; None when none matches or one passes."""
    def order(policy):
        priority = policy.priority if policy.priority is not None else 2 ** 31
        return (priority, KIND_ORDER.index(policy.kind), policy.name)

    policies = [p for p in cluster.tier_policies if p.tier == tier and p.valid and subject_holds(cluster, p, pod)]
    for policy in sorted(policies, key=order):
        rules = policy.ingress if direction == "Ingress" else policy.egress
        for rule in rules:
            if rule.verdict == "":
                continue  # an invalid action: the rule matches nothing
            if not tier_port_matches(rule, dst, protocol, port):
                continue
            matches = [tier_peer_matches(cluster, peer, other) for peer in rule.peers]
            if True in matches:
                if rule.verdict == "pass":
                    return None
                return ALLOWED if rule.verdict == "allow" else DENIED
            if "maybe" in matches:
                return UNKNOWN
    return None


def subject_holds(cluster: Cluster, policy, pod: Workload) -> bool:
    if pod.host_network:
        return False  # host-network pods are never subjects
    subject = policy.subject
    if subject.namespace_selector is not None and not selector_matches(
            subject.namespace_selector, cluster.namespaces[pod.namespace].labels):
        return False
    return subject.pod_selector is None or selector_matches(subject.pod_selector, pod.labels)


def tier_peer_matches(cluster: Cluster, peer, other: EndpointLike):
    """True, False, or "maybe" when nobody can tell offline."""
    if not peer.valid:
        return False
    if peer.kind in ("namespaces", "pods"):
        if not isinstance(other, Workload) or other.host_network:
            return False
        if peer.namespace_selector is not None and not selector_matches(
                peer.namespace_selector, cluster.namespaces[other.namespace].labels):
            return False
        return peer.kind == "namespaces" or peer.pod_selector is None or selector_matches(peer.pod_selector, other.labels)
    if peer.kind == "nodes":
        # A node's addresses: outside the pods, unless the pod shares its node's network.
        if isinstance(other, Workload):
            return "maybe" if other.host_network else False
        return "maybe"
    if peer.kind == "domainNames":
        return "maybe" if not isinstance(other, Workload) else False
    if peer.kind == "networks":
        if isinstance(other, Workload):
            if other.pod_ips:
                return any(ip in network for ip in other.pod_ips for network in peer.networks
                           if ip.version == network.version)
            # IP unknown: it is somewhere in the private ranges, never link-local or the metadata address.
            for network in peer.networks:
                if any(network.version == n.version and network.subnet_of(n) for n in NOT_PODS):
                    continue
                if any(network.version == p.version and network.overlaps(p) for p in PRIVATE):
                    return "maybe"
            return False
        return any(other.version == network.version and other in network for network in peer.networks)
    return False


def tier_port_matches(rule, dst: EndpointLike, protocol: str, port: int) -> bool:
    if len(rule.ports) == 0:
        return True
    for entry in rule.ports:
        if not entry.valid:
            continue
        if entry.name is not None:
            if isinstance(dst, Workload) and any(
                    cp.name == entry.name and cp.protocol == protocol and cp.port == port for cp in dst.ports):
                return True
        elif entry.protocol == protocol and entry.first <= port <= entry.last:
            return True
    return False
