"""Cluster-wide policies in the engine: the admin tier, NetworkPolicy, the baseline tier.

Each side of a connection (egress at the source, ingress at the destination) is decided on its
own, port by port, in this order (network-policy-api, ClusterNetworkPolicySpec.Tier):

1. the admin tier: the rules of the AdminNetworkPolicies and Admin-tier ClusterNetworkPolicies
   whose subject holds the pod, by ascending priority, then in the order written; the first rule
   whose peer and port match decides: allow (Allow/Accept), deny, or pass (skip the rest of the
   tier);
2. the NetworkPolicies, exactly as without tiers, when one of them isolates the pod;
3. the baseline tier, like the admin tier (a Pass there goes on to the default);
4. allowed.

Some peers cannot be judged offline: `nodes` (the input has no Node objects), `domainNames`
(their addresses are whatever DNS answers), and `networks` against a pod whose IP is not in the
input. Where such a rule *might* match first, the side's answer is *unknown* for those ports:
never a silent allow or deny.

The work keeps the engine's design: sets of endpoints are bitsets over atoms, port sets are
canonical (interned), and a source's row is a few *cells* (ports -> destinations). A side is
computed by refining cells rule by rule; a cell's state is four port sets: still undecided in the
current tier, passed on, allowed, unknown. The destinations of an ingress side are grouped by the
ordered list of tier rules that apply to them, of which a cluster has few.
"""
from __future__ import annotations

import ipaddress
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policylint.engine.bits import has, iter_bits
from policylint.engine.ipset import IPRange
from policylint.engine.ports import ALL_PORTS, ALL_SPEC, EMPTY_PORTS, PortSet, PortSpec
from policylint.model.tier_types import (
    ADMIN,
    ALLOW,
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
)
from policylint.model.types import EGRESS, INGRESS, PROTOCOLS

if TYPE_CHECKING:
    from policylint.engine.connectivity import Engine

# Where pod IPs live when the input does not say: the private ranges every common CNI assigns
# from (RFC 1918, RFC 6598 shared space, IPv6 unique local). A `networks` CIDR that overlaps them
# may hold a pod whose IP is unknown; one that does not (169.254.169.254/32, 8.8.8.8/32) cannot,
# nor one inside the addresses no pod is given: link-local, and the cloud metadata endpoint's
# IPv6 address (fd00:ec2::254, inside the unique local range).
POD_ADDRESS_RANGES = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))
NEVER_POD_ADDRESSES = tuple(ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128"))


def may_hold_pods(network) -> bool:
    if any(network.version == r.version and network.subnet_of(r) for r in NEVER_POD_ADDRESSES):
        return False
    return any(network.version == r.version and network.overlaps(r) for r in POD_ADDRESS_RANGES)


@dataclass(frozen=True, slots=True)
class CompiledTierRule:
    policy: TierPolicy
    rule: TierRule
    sure: int  # atoms on the other side the rule certainly matches
    maybe: int  # atoms it may match: offline, nobody can tell (disjoint from sure)
    spec: PortSpec
    peer_sure: tuple[int, ...]
    peer_maybe: tuple[int, ...]


def tier_port_spec(ports: tuple[TierPort, ...]) -> PortSpec:
    """A rule's ports; none means every port. An invalid entry matches nothing. A name matches a
    destination container port of that name whatever its protocol."""
    if not ports:
        return ALL_SPEC
    static = EMPTY_PORTS
    named: list[tuple[str, str]] = []
    for entry in ports:
        if not entry.valid:
            continue
        if entry.name is not None:
            named.extend((entry.name, p) for p in PROTOCOLS if (entry.name, p) not in named)
        elif entry.protocol in PROTOCOLS and entry.first is not None and entry.last is not None:
            static = static.union(PortSet.single(entry.protocol, entry.first, entry.last))
    return PortSpec(static, tuple(sorted(named)))


class TierCompiler:
    """Tier policies as bitsets over the engine's atoms."""

    def __init__(self, engine: Engine) -> None:
        c = engine._compiler
        self.c = c
        classes = engine._space.classes
        self.host_network = 0
        self.unknown_ip = 0
        for i, cls in enumerate(classes):
            if cls.host_network:
                self.host_network |= 1 << i
            if not cls.pod_ips:
                self.unknown_ip |= 1 << i
        self.ordinary = c.pods & ~self.host_network

    def subject_bits(self, policy: TierPolicy) -> int:
        if not policy.valid:
            return 0
        s = policy.subject
        return self._pods(s.namespace_selector, s.pod_selector)

    def _pods(self, namespace_selector, pod_selector) -> int:
        c = self.c
        scope = c.pods if namespace_selector is None else c.namespace_bits(namespace_selector)
        return scope & c.pod_index.match(pod_selector) & self.ordinary

    def peer_bits(self, peer: TierPeer) -> tuple[int, int]:
        """(sure, maybe) atoms a peer matches."""
        c = self.c
        if not peer.valid:
            return 0, 0
        if peer.kind == NAMESPACES:
            return self._pods(peer.namespace_selector, None), 0
        if peer.kind == PODS:
            return self._pods(peer.namespace_selector, peer.pod_selector), 0
        if peer.kind == NODES:
            # Node addresses: any address outside the pod ranges, and host-network pods.
            return 0, c.external | self.host_network
        if peer.kind == DOMAIN_NAMES:
            return 0, c.external
        if peer.kind == NETWORKS:
            sure = maybe = 0
            for network in peer.networks:
                sure |= self._network_bits(network)
                if may_hold_pods(network):
                    maybe |= self.unknown_ip
            return sure, maybe & ~sure
        return 0, 0

    def _network_bits(self, network) -> int:
        from bisect import bisect_left, bisect_right

        c = self.c
        r = IPRange.of_network(network)
        bits = c.range_bits(r)
        ips = c.pod_ips[r.version]
        lo = bisect_left(ips, (r.first, -1))
        hi = bisect_right(ips, (r.last, c.classes))
        for _, cls in ips[lo:hi]:
            bits |= 1 << cls
        return bits

    def compile_rule(self, policy: TierPolicy, rule: TierRule) -> CompiledTierRule:
        peer_sure: list[int] = []
        peer_maybe: list[int] = []
        for peer in rule.peers:
            s, m = self.peer_bits(peer)
            peer_sure.append(s)
            peer_maybe.append(m)
        sure = maybe = 0
        if rule.verdict:  # an invalid action matches nothing
            for s, m in zip(peer_sure, peer_maybe):
                sure |= s
                maybe |= m
        return CompiledTierRule(policy, rule, sure, maybe & ~sure, tier_port_spec(rule.ports),
                                tuple(peer_sure), tuple(peer_maybe))


State = tuple[PortSet, PortSet, PortSet, PortSet]  # undecided, passed, allowed, unknown
Cells = dict[tuple[int, int, int, int], tuple[State, int]]


class TierEngine:
    """The tiered answers of an `Engine` whose input has cluster-wide policies."""

    ROWS_KEPT = 64  # rows memoised for pair queries (a row is a few bitsets)

    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.compiler = TierCompiler(engine)
        order = sorted(engine.cluster.tier_policies, key=TierPolicy.precedence)
        self.policies = order
        self.subjects = {id(p): self.compiler.subject_bits(p) for p in order}
        self.compiled: dict[int, CompiledTierRule] = {}
        classes = engine._compiler.classes
        # class -> direction -> (admin rules, baseline rules), in precedence order
        per_class: dict[str, list[tuple[list, list]]] = {d: [([], []) for _ in range(classes)] for d in (INGRESS, EGRESS)}
        for policy in order:
            subject = self.subjects[id(policy)]
            for direction in (INGRESS, EGRESS):
                rules = [self._compile(policy, r) for r in policy.rules(direction)]
                if not subject or not rules:
                    continue
                slot = 0 if policy.tier == ADMIN else 1
                for cls in iter_bits(subject):
                    per_class[direction][cls][slot].extend(rules)
        # Classes with the same rule lists share one tuple (and one ingress group).
        self.lists: dict[str, list[tuple[tuple, tuple]]] = {}
        self.groups: dict[str, dict[tuple, int]] = {}
        for direction in (INGRESS, EGRESS):
            interned: dict[tuple, tuple] = {}
            out = []
            groups: dict[tuple, int] = {}
            for cls, (admin, baseline) in enumerate(per_class[direction]):
                key = (tuple(id(r) for r in admin), tuple(id(r) for r in baseline))
                value = interned.setdefault(key, (tuple(admin), tuple(baseline)))
                out.append(value)
                groups[key] = groups.get(key, 0) | (1 << cls)
            self.lists[direction] = out
            self.groups[direction] = groups
        self.ingress_groups = self._ingress_group_lists()
        self._rows: OrderedDict[int, tuple] = OrderedDict()
        self.tainted = {INGRESS: 0, EGRESS: 0}
        for policy in order:
            for direction in (INGRESS, EGRESS):
                if _invalid_parts(policy, direction):
                    self.tainted[direction] |= self.subjects[id(policy)]

    def _compile(self, policy: TierPolicy, rule: TierRule) -> CompiledTierRule:
        found = self.compiled.get(id(rule))
        if found is None:
            found = self.compiled[id(rule)] = self.compiler.compile_rule(policy, rule)
        return found

    def _ingress_group_lists(self) -> list[tuple[tuple, int]]:
        by_key: dict[tuple, tuple] = {}
        for cls, lists in enumerate(self.lists[INGRESS]):
            key = (tuple(id(r) for r in lists[0]), tuple(id(r) for r in lists[1]))
            by_key.setdefault(key, lists)
        return [(by_key[k], bits) for k, bits in self.groups[INGRESS].items()]

    def rules_for(self, direction: str, atom: int) -> tuple[tuple, tuple]:
        """(admin rules, baseline rules) applying to a pod class, in precedence order."""
        if atom >= self.e._compiler.classes:
            return (), ()
        return self.lists[direction][atom]

    # -- rows ------------------------------------------------------------------------------------

    def row(self, s: int) -> tuple[list, list, list[tuple[PortSet, int]], list[tuple[PortSet, int]]]:
        """(egress cells, ingress cells, allowed cells, unknown cells) of source atom s over every
        destination; side cells are ((allowed, unknown), destinations)."""
        found = self._rows.get(s)
        if found is not None:
            self._rows.move_to_end(s)
            return found
        c = self.e._compiler
        mask = c.all if s < c.classes else c.pods
        egress = self._egress(s, mask)
        ingress = self._ingress(s, mask)
        allowed: dict[int, int] = {}
        unknown: dict[int, int] = {}
        memo = self.e._memo
        for (ea, ek), eb in egress:
            emay = memo.either(ea, ek)
            for (ia, ik), ib in ingress:
                y = eb & ib
                if not y:
                    continue
                a = memo.both(ea, ia)
                if a is not EMPTY_PORTS:
                    allowed[id(a)] = allowed.get(id(a), 0) | y
                if ek is EMPTY_PORTS and ik is EMPTY_PORTS:
                    continue
                k = memo.minus(memo.both(emay, memo.either(ia, ik)), a)
                if k is not EMPTY_PORTS:
                    unknown[id(k)] = unknown.get(id(k), 0) | y
        by_id = memo.by_id
        result = (egress, ingress, [(by_id[k], b) for k, b in allowed.items()],
                  [(by_id[k], b) for k, b in unknown.items()])
        self._rows[s] = result
        if len(self._rows) > self.ROWS_KEPT:
            self._rows.popitem(last=False)
        return result

    def cells(self, s: int, mask: int) -> list[tuple[PortSet, int]]:
        return [(p, b & mask) for p, b in self.row(s)[2] if b & mask]

    def unknown_cells(self, s: int, mask: int) -> list[tuple[PortSet, int]]:
        return [(p, b & mask) for p, b in self.row(s)[3] if b & mask]

    @staticmethod
    def _lookup(cells, atom: int):
        for value, bits in cells:
            if (bits >> atom) & 1:
                return value
        return None

    def allowed(self, s: int, d: int) -> PortSet:
        return self._lookup(self.row(s)[2], d) or EMPTY_PORTS

    def unknown(self, s: int, d: int) -> PortSet:
        return self._lookup(self.row(s)[3], d) or EMPTY_PORTS

    def side(self, direction: str, s: int, d: int) -> tuple[PortSet, PortSet]:
        """(allowed, unknown) of one side of the pair s -> d."""
        cells = self.row(s)[0 if direction == EGRESS else 1]
        return self._lookup(cells, d) or (EMPTY_PORTS, EMPTY_PORTS)

    # -- one pod's rules, for the rules that judge the rules -------------------------------------

    def walk(self, direction: str, pod: int, rules, upto: int | None = None) -> list[tuple[State, int]]:
        """The cells over the other side's atoms after the first `upto` of `rules` (all by default)
        for pod class `pod` in `direction`: (undecided, passed, allowed, unknown) per atoms. A
        rule's ports resolve on the destination: the other atoms for egress, the pod for ingress."""
        c = self.e._compiler
        cells = _start(c.all)
        for r in rules[:upto]:
            cells = self._apply(cells, r, r.sure, r.maybe, self.parts_for(direction, pod, r))
        return list(cells.values())

    def parts_for(self, direction: str, pod: int, r: CompiledTierRule):
        if direction == EGRESS:
            return self.e._parts(r.spec)
        return [(self.e._compiler.all, self.e._resolve_atom(r.spec, pod))]

    # -- sides -------------------------------------------------------------------------------------

    def _egress(self, s: int, mask: int) -> list:
        e = self.e
        memo = e._memo
        if s >= e._compiler.classes:
            return [((ALL_PORTS, EMPTY_PORTS), mask)]
        admin, baseline = self.lists[EGRESS][s]
        isolated = has(e._isolated[EGRESS], s)
        np = list(e._groups[EGRESS][s].items()) if isolated else []
        cells = _start(mask)
        for r in admin:
            cells = self._apply(cells, r, r.sure, r.maybe)
        cells = _end_tier(cells, memo)
        if isolated:
            cells = self._np(cells, mask, np)
        for r in baseline:
            cells = self._apply(cells, r, r.sure, r.maybe)
        return _finish(cells, memo)

    def _ingress(self, s: int, mask: int) -> list:
        e = self.e
        c = e._compiler
        memo = e._memo
        out: list = []
        external = mask & c.external
        if external:
            out.append(((ALL_PORTS, EMPTY_PORTS), external))
        iso_all = e._isolated[INGRESS]
        np = list(e._ingress_from(s).items())
        for (admin, baseline), group in self.ingress_groups:
            g = group & mask
            if not g:
                continue
            cells = _start(g)
            for r in admin:
                cells = self._apply(cells, r, g if has(r.sure, s) else 0, g if has(r.maybe, s) else 0)
            cells = _end_tier(cells, memo)
            iso = g & iso_all
            if iso:
                cells = self._np(cells, iso, np)
            for r in baseline:
                cells = self._apply(cells, r, g if has(r.sure, s) else 0, g if has(r.maybe, s) else 0)
            out.extend(_finish(cells, memo))
        return out

    def _apply(self, cells: Cells, r: CompiledTierRule, sure: int, maybe: int, parts=None) -> Cells:
        hit_all = sure | maybe
        if not hit_all:
            return cells
        memo = self.e._memo
        if parts is None:
            parts = self.e._parts(r.spec)
        out: Cells = {}
        for key, (state, bits) in cells.items():
            undecided, passed, allowed, unknown = state
            hit = bits & hit_all
            if not hit or undecided is EMPTY_PORTS:
                _add(out, key, state, bits)
                continue
            rest = bits & ~hit
            if rest:
                _add(out, key, state, rest)
            for pbits, ports in parts:
                for x, maybe_only in ((hit & sure & pbits, False), (hit & maybe & pbits, True)):
                    if not x:
                        continue
                    d = memo.both(undecided, ports)
                    if d is EMPTY_PORTS:
                        _add(out, key, state, x)
                        continue
                    new = (memo.minus(undecided, d), passed, allowed, unknown)
                    if maybe_only:
                        new = (new[0], passed, allowed, memo.either(unknown, d))
                    elif r.rule.verdict == ALLOW:
                        new = (new[0], passed, memo.either(allowed, d), unknown)
                    elif r.rule.verdict == PASS:
                        new = (new[0], memo.either(passed, d), allowed, unknown)
                    _add(out, _key(new), new, x)
        return out

    def _np(self, cells: Cells, isolated: int, groups: list[tuple[PortSpec, int]]) -> Cells:
        """The NetworkPolicy tier on the destinations it isolates: what is still undecided is
        allowed where a rule allows it, denied elsewhere; nothing goes further down."""
        memo = self.e._memo
        parts = self.e._parts
        # Disjoint (ports NetworkPolicy allows -> destinations) over the isolated ones.
        np: dict[int, int] = {id(EMPTY_PORTS): isolated}
        for spec, bits in groups:
            bits &= isolated
            if not bits:
                continue
            for pbits, ports in parts(spec):
                x = bits & pbits
                if not x:
                    continue
                refined: dict[int, int] = {}
                for known, kb in np.items():
                    y = kb & x
                    if y:
                        merged = id(memo.either(memo.by_id[known], ports))
                        refined[merged] = refined.get(merged, 0) | y
                    if kb & ~x:
                        refined[known] = refined.get(known, 0) | (kb & ~x)
                np = refined
        out: Cells = {}
        for key, (state, bits) in cells.items():
            inside = bits & isolated
            if bits & ~isolated:
                _add(out, key, state, bits & ~isolated)
            if not inside:
                continue
            undecided, passed, allowed, unknown = state
            for known, kb in np.items():
                y = inside & kb
                if not y:
                    continue
                new = (EMPTY_PORTS, EMPTY_PORTS, memo.either(allowed, memo.both(undecided, memo.by_id[known])), unknown)
                _add(out, _key(new), new, y)
        return out


def _key(state: State) -> tuple[int, int, int, int]:
    return (id(state[0]), id(state[1]), id(state[2]), id(state[3]))


def _add(cells: Cells, key, state: State, bits: int) -> None:
    found = cells.get(key)
    cells[key] = (state, found[1] | bits) if found is not None else (state, bits)


def _start(bits: int) -> Cells:
    state = (ALL_PORTS, EMPTY_PORTS, EMPTY_PORTS, EMPTY_PORTS)
    return {_key(state): (state, bits)}


def _end_tier(cells: Cells, memo) -> Cells:
    """What the tier left undecided or passed goes on to the next tier, undecided."""
    out: Cells = {}
    for state, bits in cells.values():
        undecided, passed, allowed, unknown = state
        new = (memo.either(undecided, passed), EMPTY_PORTS, allowed, unknown)
        _add(out, _key(new), new, bits)
    return out


def _finish(cells: Cells, memo) -> list:
    """After the baseline tier: whatever is left is allowed by default."""
    out: dict[tuple[int, int], tuple[tuple[PortSet, PortSet], int]] = {}
    for state, bits in cells.values():
        undecided, passed, allowed, unknown = state
        a = memo.either(allowed, memo.either(undecided, passed))
        key = (id(a), id(unknown))
        found = out.get(key)
        out[key] = ((a, unknown), found[1] | bits if found else bits)
    return list(out.values())


def _invalid_parts(policy: TierPolicy, direction: str) -> bool:
    if not policy.valid:
        return False  # matches nothing and selects nothing: no pod's answer rests on it
    for rule in policy.rules(direction):
        if not rule.verdict or any(not p.valid for p in rule.peers) or any(not p.valid for p in rule.ports):
            return True
    return False
