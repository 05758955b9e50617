"""Shared by PL305 (egress-without-dns) and PL306 (dns-single-protocol): on which protocols a
pod that a policy isolates for egress may reach the cluster DNS on port 53.

The DNS pods are the workloads whose namespace and labels match the cluster facts (by default
`kubernetes.io/metadata.name: kube-system` and `k8s-app: kube-dns`). When the input holds none,
a stand-in pod with those labels and CoreDNS's container ports is used: a rule's peers are
evaluated against its labels and its namespace's labels (the Namespace manifest's labels when the
input declares it). A rule whose peer is a (valid) `ipBlock` and that allows port 53 counts as
DNS too: it may be the node-local cache, an upstream resolver or the DNS Service's address.

A policy that selects no workload of the input is judged for a hypothetical pod that carries
exactly the labels its selector requires; the policies of its namespace that would select that
pod contribute their egress rules as well. This module is not a rule and is not registered.
"""
from __future__ import annotations

from typing import Any, Iterable

from policylint.engine.bits import has, iter_bits
from policylint.engine.near_miss import Target
from policylint.engine.label_index import matches
from policylint.engine.ports import PortSet, PortSpec
from policylint.listing import listing
from policylint.model.types import EGRESS, NAMESPACE_NAME_LABEL, ContainerPort, LabelSelector, NetworkPolicy, Rule
from policylint.rule_api import RuleContext
from policylint.rules._workloads import WorkloadIndex, index, selector

DNS_PORT = 53
DNS_PROTOCOLS = ("UDP", "TCP")
# CoreDNS's container ports (its Deployment in kubeadm and most distributions), for the stand-in.
COREDNS_PORTS = (ContainerPort("dns", 53, "UDP"), ContainerPort("dns-tcp", 53, "TCP"),
                 ContainerPort("metrics", 9153, "TCP"))
ANY_VALUE = "policylint-any-value"  # the value a hypothetical pod has for an `Exists` requirement

Protocols = frozenset[str]


def dns_protocols(ports: PortSet) -> Protocols:
    return frozenset(p for p in DNS_PROTOCOLS if ports.contains(p, DNS_PORT))


def hypothetical_labels(selector_: LabelSelector) -> dict[str, str]:
    """The labels of a pod that carries exactly what the selector requires."""
    labels = dict(selector_.match_labels)
    for req in selector_.expressions:
        if req.operator == "In" and req.values and req.key not in labels:
            labels[req.key] = req.values[0]
        elif req.operator == "Exists" and req.key not in labels:
            labels[req.key] = ANY_VALUE
    return labels


class DnsView:
    """DNS reachability for the pods of one analysis (built once per run, in the run's cache)."""

    def __init__(self, ctx: RuleContext, idx: WorkloadIndex) -> None:
        self.engine = engine = idx.engine
        self.cluster = cluster = ctx.cluster
        facts = ctx.facts
        self.namespace_selector = selector(dict(facts.dns_namespace_labels))
        self.pod_selector = selector(dict(facts.dns_pod_labels))
        self.endpoints = [
            e for e in engine.endpoints
            if e.workload is not None and matches(self.pod_selector, e.workload.labels)
            and e.workload.namespace in cluster.namespaces
            and matches(self.namespace_selector, cluster.namespaces[e.workload.namespace].labels)
        ]
        # The stand-in's namespace: those of the input that match the facts, else one built from them.
        declared = [(ns.name, dict(ns.labels)) for ns in cluster.namespaces.values()
                    if matches(self.namespace_selector, ns.labels)]
        labels = dict(facts.dns_namespace_labels)
        self.stand_in_namespaces = declared or [(labels.get(NAMESPACE_NAME_LABEL), labels)]
        self.stand_in_labels = dict(facts.dns_pod_labels)
        self._rules: dict[tuple[int, int], Protocols] = {}
        self._atoms: dict[int, Protocols] = {}
        self._by_namespace: dict[str, list[NetworkPolicy]] = {}
        for policy in cluster.policies:
            self._by_namespace.setdefault(policy.namespace, []).append(policy)
        self.idx = idx

    # -- descriptions --------------------------------------------------------------------------

    def describe(self) -> str:
        if self.endpoints:
            return listing([e.id for e in self.endpoints], 3, quote=True)
        where = ", ".join(f"`{name}`" if name else f"`{self.namespace_selector.describe()}`"
                          for name, _ in self.stand_in_namespaces)
        return f"`{self.pod_selector.describe()}` pods in {where}"

    def targets(self) -> list[Target]:
        """The DNS pods (or the stand-in) as targets of near-miss questions."""
        namespaces = self.cluster.namespaces
        if self.endpoints:
            found = {}
            for e in self.endpoints:
                w = e.workload
                ns = namespaces[w.namespace]
                found.setdefault((w.namespace, tuple(sorted(w.labels.items()))),
                                 Target(w.namespace, ns.labels, ns.declared, w.labels, "the DNS pods"))
            return list(found.values())
        return [Target(name or "", labels, name in namespaces and namespaces[name].declared,
                       self.stand_in_labels, "the DNS pods")
                for name, labels in self.stand_in_namespaces]

    # -- one rule ------------------------------------------------------------------------------

    def rule_protocols(self, policy: NetworkPolicy, rule: Rule) -> Protocols:
        """The protocols on which this egress rule allows port 53 to DNS."""
        key = (id(policy), rule.index)
        found = self._rules.get(key)
        if found is None:
            found = self._rules[key] = self._rule_protocols(policy, rule)
        return found

    def _rule_protocols(self, policy: NetworkPolicy, rule: Rule) -> Protocols:
        compiled = self.engine.compiled_rule(policy, rule)
        found: set[str] = set()
        if any(p.valid and p.ip_block is not None and bits for p, bits in zip(rule.peers, compiled.peer_bits)):
            found |= dns_protocols(compiled.spec.static)  # names never resolve on an address
        if self.endpoints:
            for endpoint in self.endpoints:
                if has(compiled.bits, endpoint.atom):
                    found |= dns_protocols(self.engine.resolve_spec(compiled.spec, endpoint))
        elif self._stand_in_matches(policy, rule):
            found |= dns_protocols(compiled.spec.resolve(COREDNS_PORTS))
        return frozenset(found)

    def _stand_in_matches(self, policy: NetworkPolicy, rule: Rule) -> bool:
        if not rule.peers:
            return True
        for peer in rule.peers:
            if not peer.valid or peer.ip_block is not None:
                continue
            if peer.pod_selector is not None and not matches(peer.pod_selector, self.stand_in_labels):
                continue
            for name, labels in self.stand_in_namespaces:
                if peer.namespace_selector is None:
                    if name == policy.namespace:
                        return True
                elif matches(peer.namespace_selector, labels):
                    return True
        return False

    def policy_protocols(self, policies: Iterable[NetworkPolicy]) -> Protocols:
        found: set[str] = set()
        for policy in policies:
            for rule in policy.egress:
                found |= self.rule_protocols(policy, rule)
        return frozenset(found)

    # -- pods ----------------------------------------------------------------------------------

    def atom_protocols(self, atom: int) -> Protocols:
        """DNS protocols that the egress side of a pod class allows (the union of its policies)."""
        found = self._atoms.get(atom)
        if found is None:
            endpoint = self.engine.endpoint_of(self.idx.by_atom[atom][0])
            ports = set()
            for dns in self.endpoints:
                ports |= dns_protocols(self.engine.egress_ports(endpoint, dns))
            policies = self.engine.policies_selecting(endpoint, EGRESS)
            if not self.endpoints:
                ports |= self.policy_protocols(policies)  # the stand-in is no engine endpoint
            else:
                for policy in policies:  # ipBlocks do not match the DNS pods unless their IP is known
                    for rule in policy.egress:
                        compiled = self.engine.compiled_rule(policy, rule)
                        if any(p.valid and p.ip_block is not None and b for p, b in zip(rule.peers, compiled.peer_bits)):
                            ports |= dns_protocols(compiled.spec.static)
            found = self._atoms[atom] = frozenset(ports)
        return found

    def hypothetical_protocols(self, policy: NetworkPolicy) -> tuple[Protocols, list[NetworkPolicy]]:
        """DNS protocols of a pod carrying exactly the labels `policy` requires, and the
        policies of its namespace (other than `policy`) that would isolate it for egress too."""
        labels = hypothetical_labels(policy.pod_selector)
        others = [p for p in self._by_namespace.get(policy.namespace, ())
                  if p is not policy and p.isolates(EGRESS) and matches(p.pod_selector, labels)]
        return self.policy_protocols([policy, *others]), others

    def pod_states(self, policy: NetworkPolicy) -> dict[Protocols, list[Any]]:
        """For the workloads the policy selects: their DNS protocols -> the workloads."""
        states: dict[Protocols, list[Any]] = {}
        for atom in iter_bits(self.engine.compiled(policy).selected):
            states.setdefault(self.atom_protocols(atom), []).extend(self.idx.by_atom[atom])
        return states


def view(ctx: RuleContext) -> DnsView:
    return ctx.cached(DnsView, lambda: DnsView(ctx, index(ctx)))


def spec_entry_allows(spec: PortSpec, protocol: str) -> bool:
    """Whether a port entry's spec can allow `protocol` port 53 (numbers, or a name of that protocol)."""
    return spec.static.contains(protocol, DNS_PORT) or any(p == protocol for _, p in spec.named)
