"""Compile policies into bitsets over endpoint atoms, once.

Atoms are numbered: pod classes 0..C-1, then external ranges C..C+R-1. A policy becomes the set
of classes it selects; each rule the set of atoms its peers match and the ports it allows. After
this, every connectivity question is integer arithmetic.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from policylint.engine.bits import from_positions, iter_bits, span
from policylint.engine.endpoints import EndpointSpace
from policylint.engine.ipset import IPRange, block_ranges
from policylint.engine.label_index import LabelIndex, selector_key
from policylint.engine.ports import PortSpec, rule_port_spec
from policylint.model.types import (
    EGRESS,
    INGRESS,
    NAMESPACE_NAME_LABEL,
    Cluster,
    IPBlock,
    NetworkPolicy,
    Peer,
    PolicyPort,
    Rule,
)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One rule of a policy, its peers matched against the atoms: what the engine unions per spec."""

    policy_index: int
    rule: Rule
    peer_bits: tuple[int, ...]  # one per peer; empty when the rule has no peers
    bits: int  # atoms on the other side that the rule matches (all atoms when it has no peers)
    spec: PortSpec


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy with the classes it selects and its rules compiled, per direction."""

    index: int
    policy: NetworkPolicy
    selected: int  # classes the policy selects
    ingress: tuple[CompiledRule, ...]
    egress: tuple[CompiledRule, ...]
    invalid_parts: tuple[str, ...]  # field paths of parts the API server would reject

    def rules(self, direction: str) -> tuple[CompiledRule, ...]:
        return self.ingress if direction == INGRESS else self.egress

    def isolates(self, direction: str) -> bool:
        return direction in self.policy.policy_types

    def invalid_for(self, direction: str) -> tuple[str, ...]:
        """Invalid parts that bear on one direction: those outside the other direction's rules."""
        other = "egress" if direction == INGRESS else "ingress"
        return tuple(p for p in self.invalid_parts if not re.search(rf"(^|\.){other}(\[|$)", p))


class Compiler:
    """The indexes that turn selectors and ipBlocks into atom bitsets."""

    def __init__(self, cluster: Cluster, space: EndpointSpace) -> None:
        self.cluster = cluster
        self.classes = len(space.classes)
        self.atoms = self.classes + len(space.ranges)
        self.pods = span(0, self.classes)
        self.all = span(0, self.atoms)
        self.external = self.all & ~self.pods
        names = sorted(set(cluster.namespaces) | {c.namespace for c in space.classes})
        self.namespace_names = names
        self.namespace_index = LabelIndex([
            cluster.namespaces[n].labels if n in cluster.namespaces else {NAMESPACE_NAME_LABEL: n} for n in names
        ])
        self.classes_in_namespace: dict[str, int] = {n: 0 for n in names}
        for i, c in enumerate(space.classes):
            self.classes_in_namespace[c.namespace] |= 1 << i
        self.pod_index = LabelIndex([c.labels for c in space.classes])
        # Sorted (address, class) per family, and range starts per family, for ipBlock lookups.
        self.pod_ips: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for i, c in enumerate(space.classes):
            for ip in c.pod_ips:
                self.pod_ips[ip.version].append((int(ip), i))
        for entries in self.pod_ips.values():
            entries.sort()
        self.range_firsts: dict[int, list[int]] = {4: [], 6: []}
        self.range_lasts: dict[int, list[int]] = {4: [], 6: []}
        self.range_offset: dict[int, int] = {}
        for j, r in enumerate(space.ranges):
            self.range_offset.setdefault(r.version, self.classes + j)
            self.range_firsts[r.version].append(r.first)
            self.range_lasts[r.version].append(r.last)
        # policyTypes problems are only visible as issues (a wrong type leaves no value behind).
        self.policy_type_issues: dict[str, list[str]] = {}
        for issue in cluster.issues:
            if "policyTypes" in issue.field_path:
                self.policy_type_issues.setdefault(issue.object, []).append(issue.field_path)
        self._ns_cache: dict[tuple, int] = {}
        self._specs: dict[tuple, PortSpec] = {}  # see port_spec
        self._spec_objects: dict[PortSpec, PortSpec] = {}
        self._block_cache: dict[tuple, int] = {}

    # -- peers -------------------------------------------------------------------------------

    def namespace_bits(self, selector) -> int:
        """Classes in the namespaces a namespaceSelector matches."""
        key = selector_key(selector)
        if key not in self._ns_cache:
            bits = 0
            for i in iter_bits(self.namespace_index.match(selector)):
                bits |= self.classes_in_namespace[self.namespace_names[i]]
            self._ns_cache[key] = bits
        return self._ns_cache[key]

    def peer_bits(self, policy_namespace: str, peer: Peer) -> int:
        # An invalid peer matches nothing: it must not fall back to "no peer" (= everyone).
        if not peer.valid:
            return 0
        if peer.ip_block is not None:
            if peer.pod_selector is not None or peer.namespace_selector is not None:
                return 0  # the API server rejects ipBlock mixed with selectors
            return self.block_bits(peer.ip_block)
        if peer.pod_selector is None and peer.namespace_selector is None:
            return 0
        if peer.namespace_selector is None:
            scope = self.classes_in_namespace.get(policy_namespace, 0)
        else:
            scope = self.namespace_bits(peer.namespace_selector)
        return scope & self.pod_index.match(peer.pod_selector)

    def block_bits(self, block: IPBlock) -> int:
        if not block.valid or block.network is None or any(e.network is None for e in block.excepts):
            return 0
        key = (block.network, tuple(e.network for e in block.excepts))
        if key not in self._block_cache:
            self._block_cache[key] = self._compute_block(block)
        return self._block_cache[key]

    def _compute_block(self, block: IPBlock) -> int:
        bits = 0
        classes: set[int] = set()
        for r in block_ranges(block.network, [e.network for e in block.excepts]):
            bits |= self.range_bits(r)
            ips = self.pod_ips[r.version]
            lo = bisect_left(ips, (r.first, -1))
            hi = bisect_right(ips, (r.last, self.classes))
            classes.update(cls for _, cls in ips[lo:hi])
        # One int from every class at once: ORing them in one by one copied a growing int per
        # pod (a block holding a 150,000-pod cluster's pod range took 40 ms).
        return bits | from_positions(sorted(classes))

    def range_bits(self, r: IPRange) -> int:
        """External ranges that lie inside `r` (the partition never straddles a block edge)."""
        firsts = self.range_firsts[r.version]
        if not firsts:
            return 0
        lo = bisect_left(firsts, r.first)
        hi = bisect_right(firsts, r.last)
        return span(self.range_offset[r.version] + lo, hi - lo)

    def overlapping_range_bits(self, r: IPRange) -> int:
        """External ranges that share at least one address with `r` (for user queries)."""
        firsts = self.range_firsts[r.version]
        if not firsts:
            return 0
        lo = bisect_right(firsts, r.first) - 1
        if lo < 0 or self.range_lasts[r.version][lo] < r.first:
            lo += 1  # r starts in a hole (a pod IP) or before the first range
        hi = bisect_right(firsts, r.last)
        return span(self.range_offset[r.version] + lo, hi - lo)

    # -- policies ----------------------------------------------------------------------------

    def compile_policy(self, index: int, policy: NetworkPolicy) -> CompiledPolicy:
        selected = self.classes_in_namespace.get(policy.namespace, 0) & self.pod_index.match(policy.pod_selector)
        rules = {d: tuple(self._compile_rule(index, policy, r) for r in policy.rules(d)) for d in (INGRESS, EGRESS)}
        written = self.policy_type_issues.get(f"NetworkPolicy {policy.namespace}/{policy.name}", [])
        return CompiledPolicy(index, policy, selected, rules[INGRESS], rules[EGRESS], invalid_parts(policy, written))

    def _compile_rule(self, index: int, policy: NetworkPolicy, rule: Rule) -> CompiledRule:
        peer_bits = tuple(self.peer_bits(policy.namespace, p) for p in rule.peers)
        bits = self.all
        if rule.peers:
            bits = peer_bits[0]  # one peer (the usual case): share its bitset
            for b in peer_bits[1:]:
                bits |= b
        return CompiledRule(index, rule, peer_bits, bits, self.port_spec(rule.ports))

    def port_spec(self, entries: tuple[PolicyPort, ...]) -> PortSpec:
        """`rule_port_spec`, one object per distinct spec: rules repeat a few sets of ports, and
        the engine keeps what it derives from a spec (its parts, their blocks) by identity. Keyed
        by what the spec depends on (an entry's validity, protocol, port and endPort; the port's
        type too, so that a name never meets an equal-looking number)."""
        key = tuple((e.valid, e.protocol, e.port.__class__, e.port, e.end_port) for e in entries)
        spec = self._specs.get(key)
        if spec is None:
            spec = rule_port_spec(entries)
            spec = self._specs[key] = self._spec_objects.setdefault(spec, spec)
        return spec


def invalid_parts(policy: NetworkPolicy, policy_type_paths: list[str]) -> tuple[str, ...]:
    """Field paths of the parts of a policy that the API server would reject and that change
    what the policy matches (its selector, peers, ports and policyTypes)."""
    parts: list[str] = []
    if not policy.pod_selector.valid:
        parts.append(policy.pod_selector.source.field_path)
    for rule in policy.ingress + policy.egress:
        for peer in rule.peers:
            if not peer.valid:
                parts.append(peer.source.field_path)
        for port in rule.ports:
            if not port.valid:
                parts.append(port.source.field_path)
    if policy_type_paths:
        parts.extend(p for p in dict.fromkeys(policy_type_paths) if p not in parts)
    return tuple(parts)
