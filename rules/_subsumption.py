"""Shared by PL401 (redundant-rule), PL402 (redundant-policy) and PL403 (duplicate-policy):
what a selector, a peer and a rule mean, as values that can be compared and contained.

Redundancy must hold for every pod that may ever exist, not only for the workloads of the
input (a rule for `app: b` is not redundant because no `app: b` pod is deployed yet). So
containment is decided on the selectors, ipBlocks and ports themselves:

- a label selector becomes one `KeyConstraint` per key; selector A is contained in B when every
  constraint of B follows from A's (`implies`). `matchLabels` and a one-value `In` are the same
  constraint, so equal meanings compare equal (PL403);
- a peer becomes a region: everything (a rule without peers), an address range set (ipBlock,
  as inclusive intervals), or a pair (namespace constraint, pod constraint), where a
  `podSelector`-only peer has the namespace constraint `kubernetes.io/metadata.name = <own>`;
- a region is split into cases (one per value of a multi-value `In`, one per address piece cut at
  the other rules' ipBlock edges), and each case must be inside a peer of the covering rules whose
  ports, together, contain the rule's ports. Named ports are compared by name and protocol: a name
  resolves per destination pod, and pods that the input does not hold may number it differently.

Everything is conservative: what cannot be proven is not redundant. This module is not a rule.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import product
from typing import Any, Iterable, Sequence

from policylint.engine.ipset import block_ranges
from policylint.engine.ports import MAX_PORT, MIN_PORT, PortSpec, rule_port_spec
from policylint.model.types import NAMESPACE_NAME_LABEL, LabelSelector, NetworkPolicy, Peer, Rule

MAX_CASES = 256
WHOLE = ((MIN_PORT, MAX_PORT),)


# -- label selectors -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class KeyConstraint:
    """What a selector requires of one label key."""

    required: bool = False
    allowed: frozenset[str] | None = None  # None: any value
    forbidden: frozenset[str] = frozenset()  # NotIn values (only when `allowed` is None)
    absent: bool = False  # DoesNotExist


Constraints = dict[str, KeyConstraint]
FREE = KeyConstraint()


def constraints(selector: LabelSelector | None) -> Constraints | None:
    """The selector's constraints per key; None when it can match nothing (or is invalid)."""
    if selector is None:
        return {}
    if not selector.valid:
        return None
    acc: dict[str, dict[str, Any]] = {}

    def entry(key: str) -> dict[str, Any]:
        return acc.setdefault(key, {"required": False, "allowed": None, "forbidden": set(), "absent": False})

    def allow(key: str, values: Iterable[str]) -> None:
        e = entry(key)
        e["required"] = True
        e["allowed"] = set(values) if e["allowed"] is None else e["allowed"] & set(values)

    for key, value in selector.match_labels:
        allow(key, (value,))
    for req in selector.expressions:
        if req.operator == "In":
            allow(req.key, req.values)
        elif req.operator == "NotIn":
            entry(req.key)["forbidden"] |= set(req.values)
        elif req.operator == "Exists":
            entry(req.key)["required"] = True
        elif req.operator == "DoesNotExist":
            entry(req.key)["absent"] = True
        else:
            return None
    result: Constraints = {}
    for key, e in acc.items():
        allowed = e["allowed"]
        if allowed is not None:
            allowed = frozenset(allowed - e["forbidden"])
            if not allowed:
                return None
            result[key] = KeyConstraint(True, allowed, frozenset(), e["absent"])
        else:
            result[key] = KeyConstraint(e["required"], None, frozenset(e["forbidden"]), e["absent"])
        if result[key].required and result[key].absent:
            return None
    return result


def implies(a: Constraints, b: Constraints) -> bool:
    """Whether every label set satisfying `a` satisfies `b`."""
    for key, want in b.items():
        have = a.get(key, FREE)
        if want.absent:
            if not have.absent:
                return False
            continue
        if want.required and not have.required:
            return False
        if want.allowed is not None and (have.allowed is None or not have.allowed <= want.allowed):
            return False
        if want.forbidden and not (
                have.absent or (have.allowed is not None and not have.allowed & want.forbidden)
                or want.forbidden <= have.forbidden):
            return False
    return True


def canonical(c: Constraints | None) -> Any:
    if c is None:
        return None
    return frozenset((k, v.required, v.allowed, v.forbidden, v.absent) for k, v in c.items())


def split(c: Constraints) -> list[Constraints] | None:
    """One constraint set per combination of the values of multi-value keys (None: too many)."""
    multi = [(k, sorted(v.allowed)) for k, v in c.items() if v.allowed is not None and len(v.allowed) > 1]
    count = 1
    for _, values in multi:
        count *= len(values)
    if count > MAX_CASES:
        return None
    cases = []
    for combination in product(*(values for _, values in multi)):
        case = dict(c)
        for (key, _), value in zip(multi, combination):
            case[key] = KeyConstraint(True, frozenset((value,)), frozenset(), False)
        cases.append(case)
    return cases


# -- peers -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Region:
    """What a peer matches. kind: "all", "block" (ranges) or "pods" (namespaces x pods)."""

    kind: str
    ranges: tuple[tuple[int, int, int], ...] = ()  # (family, first, last), sorted, disjoint
    namespaces: Constraints | None = None
    pods: Constraints | None = None

    def key(self) -> Any:
        return (self.kind, self.ranges, canonical(self.namespaces), canonical(self.pods))


ALL = Region("all")


def own_namespace(namespace: str) -> Constraints:
    return {NAMESPACE_NAME_LABEL: KeyConstraint(True, frozenset((namespace,)), frozenset(), False)}


def region(namespace: str, peer: Peer) -> Region | None:
    """A peer's region; None when it is invalid or can match nothing."""
    if not peer.valid:
        return None
    if peer.ip_block is not None:
        block = peer.ip_block
        if peer.pod_selector is not None or peer.namespace_selector is not None or block.network is None:
            return None
        if any(e.network is None for e in block.excepts):
            return None
        ranges = block_ranges(block.network, [e.network for e in block.excepts])
        return Region("block", tuple(sorted((r.version, r.first, r.last) for r in ranges))) if ranges else None
    if peer.pod_selector is None and peer.namespace_selector is None:
        return None
    namespaces = own_namespace(namespace) if peer.namespace_selector is None else constraints(peer.namespace_selector)
    pods = constraints(peer.pod_selector)
    if namespaces is None or pods is None:
        return None
    return Region("pods", namespaces=namespaces, pods=pods)


def rule_regions(namespace: str, rule: Rule) -> list[Region] | None:
    """The regions of a rule's peers ([ALL] without peers); None if a peer is unusable."""
    if not rule.peers:
        return [ALL]
    regions = [region(namespace, p) for p in rule.peers]
    return None if any(r is None for r in regions) else regions  # type: ignore[return-value]


def _inside(piece: tuple[int, int, int], ranges: tuple[tuple[int, int, int], ...]) -> bool:
    family, first, last = piece
    return any(f == family and a <= first and last <= b for f, a, b in ranges)


def covers(outer: Region, case: Region) -> bool:
    if outer.kind == "all":
        return True
    if case.kind == "block" and outer.kind == "block":
        return all(_inside(piece, outer.ranges) for piece in case.ranges)
    if case.kind == "pods" and outer.kind == "pods":
        return implies(case.namespaces, outer.namespaces) and implies(case.pods, outer.pods)  # type: ignore[arg-type]
    return False


def cases(r: Region, others: Sequence[Region]) -> list[Region] | None:
    """`r` cut into pieces that each lie wholly inside or wholly outside every other region."""
    if r.kind == "all":
        return [r]
    if r.kind == "block":
        pieces = []
        for family, first, last in r.ranges:
            cuts = sorted({first, last + 1} | {
                edge for o in others if o.kind == "block" for f, a, b in o.ranges if f == family
                for edge in (a, b + 1) if first < edge <= last})
            pieces.extend(Region("block", ((family, lo, hi - 1),)) for lo, hi in zip(cuts, cuts[1:]))
        return pieces
    ns_cases = split(r.namespaces)  # type: ignore[arg-type]
    pod_cases = split(r.pods)  # type: ignore[arg-type]
    if ns_cases is None or pod_cases is None or len(ns_cases) * len(pod_cases) > MAX_CASES:
        return None
    return [Region("pods", namespaces=n, pods=p) for n in ns_cases for p in pod_cases]


# -- ports -----------------------------------------------------------------------------------------

def spec_covered(spec: PortSpec, others: Iterable[PortSpec]) -> bool:
    """Whether `spec` allows nothing, on any destination, that the union of `others` does not."""
    static = None
    named: set[tuple[str, str]] = set()
    for other in others:
        static = other.static if static is None else static | other.static
        named.update(other.named)
    if static is None:
        return False
    if not (spec.static - static).is_empty:
        return False
    return all(n in named or static.intervals(protocol) == WHOLE for n in spec.named for protocol in (n[1],))


# -- rules -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Allowance:
    """A rule as regions and ports, with whatever the caller uses to name it."""

    regions: tuple[Region, ...]
    spec: PortSpec
    label: Any


def allowance(namespace: str, rule: Rule, label: Any) -> Allowance | None:
    regions = rule_regions(namespace, rule)
    if regions is None or any(not p.valid for p in rule.ports):
        return None
    return Allowance(tuple(regions), rule_port_spec(rule.ports), label)


def covered_by(rule: Allowance, others: Sequence[Allowance]) -> list[Any] | None:
    """The labels of `others` that together allow everything `rule` allows, or None.

    A single covering rule is preferred (it makes the shortest explanation); otherwise, per
    piece, one rule that covers it alone, else every rule whose peers contain it."""
    for other in others:
        if _covered(rule, [other]) is not None:
            return [other.label]
    return _covered(rule, others)


def _covered(rule: Allowance, others: Sequence[Allowance]) -> list[Any] | None:
    used: dict[int, Any] = {}
    all_regions = [r for o in others for r in o.regions]
    for r in rule.regions:
        pieces = cases(r, all_regions)
        if pieces is None:
            return None
        for piece in pieces:
            covering = [o for o in others if any(covers(q, piece) for q in o.regions)]
            alone = next((o for o in covering if spec_covered(rule.spec, (o.spec,))), None)
            if alone is not None:
                covering = [alone]
            elif not covering or not spec_covered(rule.spec, (o.spec for o in covering)):
                return None
            for o in covering:
                used.setdefault(id(o), o.label)
    return list(used.values())


# -- canonical policies (PL403) --------------------------------------------------------------------

def _raw(node: Any) -> str:
    return json.dumps(node, sort_keys=True, default=str)


def _peer_key(namespace: str, peer: Peer) -> Any:
    found = region(namespace, peer)
    return found.key() if found is not None else ("unusable", _raw(peer.source.node))


def rule_key(namespace: str, rule: Rule) -> Any:
    peers = frozenset(_peer_key(namespace, p) for p in rule.peers) if rule.peers else "all"
    invalid_ports = tuple(sorted(_raw(p.source.node) for p in rule.ports if not p.valid))
    return (peers, rule_port_spec(rule.ports), invalid_ports)


def policy_key(policy: NetworkPolicy) -> Any:
    """What a policy means (its namespace, selection, isolation and rules), ignoring how it is written."""
    selector = constraints(policy.pod_selector)
    selection = canonical(selector) if selector is not None else ("invalid", _raw(policy.pod_selector.source.node))
    directions = tuple(sorted(policy.policy_types))
    rules = tuple(frozenset(rule_key(policy.namespace, r) for r in policy.rules(d)) for d in directions)
    return (policy.namespace, selection, directions, rules)

