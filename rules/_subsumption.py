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
from policylint.rules._budget import Budget

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


def covered_by(rule: Allowance, others: Sequence[Allowance], budget: Budget | None = None) -> list[Any] | None:
    """The labels of `others` that together allow everything `rule` allows, or None.

    A single covering rule is preferred (it makes the shortest explanation); otherwise, per
    piece, one rule that covers it alone, else every rule whose peers contain it.

    Cost: the rule's regions are cut into pieces once; for each piece, which of `others` contain
    it is a bitset (bit k: `others[k]`) built by a sweep over the ipBlock edges, or from one
    bitset per selector case, never by testing every piece against every region. That is
    O(E log E + pieces x slots) bitset operations for E region edges and `slots` the most peers of
    one rule, plus one implication test per (selector case, region). `budget` counts that work."""
    if not others:
        return None
    pieces = _piece_masks(rule, others, budget)
    if pieces is None:
        return None
    alone = 0
    answers: dict[PortSpec, bool] = {}  # rules share few distinct port sets: one test per set
    for k, other in enumerate(others):
        ok = answers.get(other.spec)
        if ok is None:
            ok = answers[other.spec] = spec_covered(rule.spec, (other.spec,))
        if ok:
            alone |= 1 << k
    single = alone
    for mask in pieces:
        single &= mask
        if not single:
            break
    if single:
        return [others[_lowest(single)].label]
    used: dict[int, Any] = {}
    for mask in pieces:
        hit = mask & alone
        if hit:
            covering = [_lowest(hit)]
        else:
            covering = _members(mask)
            if budget is not None:
                budget.spend(len(covering))
            if not covering or not spec_covered(rule.spec, (others[k].spec for k in covering)):
                return None
        for k in covering:
            used.setdefault(id(others[k]), others[k].label)
    return list(used.values())


def _lowest(mask: int) -> int:
    return (mask & -mask).bit_length() - 1


def _members(mask: int) -> list[int]:
    members = []
    while mask:
        low = mask & -mask
        members.append(low.bit_length() - 1)
        mask ^= low
    return members


def _piece_masks(rule: Allowance, others: Sequence[Allowance], budget: Budget | None) -> list[int] | None:
    """For each piece of `rule`'s regions (in the order of `cases`), the bitset of the `others`
    with a region that contains it; None when a selector has too many cases to compare."""
    # Region t of other k sets bit k of slot t: one bitset per slot, OR-ed per piece.
    everything = 0
    blocks: list[tuple[int, int, Region]] = []
    selectors: list[tuple[int, int, Region]] = []
    slots = 0
    for k, other in enumerate(others):
        slots = max(slots, len(other.regions))
        for t, q in enumerate(other.regions):
            if q.kind == "all":
                everything |= 1 << k
            elif q.kind == "block":
                blocks.append((k, t, q))
            else:
                selectors.append((k, t, q))
    if budget is not None:
        budget.spend(len(others) + len(blocks) + len(selectors))
    masks: list[int] = []
    for r in rule.regions:
        if r.kind == "all":
            masks.append(everything)
        elif r.kind == "block":
            masks.extend(_block_masks(r, blocks, everything, slots, budget))
        else:
            found = _selector_masks(r, selectors, everything, slots, budget)
            if found is None:
                return None
            masks.extend(found)
    return masks


def _block_masks(r: Region, blocks: list[tuple[int, int, Region]], everything: int, slots: int,
                 budget: Budget | None) -> list[int]:
    """A sweep over the edges of the other ipBlocks. Each range of `r` is cut at every edge of
    another block inside it, so each piece lies wholly inside or wholly outside every other
    range; the pieces come in address order, and the bitset of a piece is read off the ranges
    open at its first address."""
    masks: list[int] = []
    for family in sorted({f for f, _, _ in r.ranges}):
        events: list[tuple[int, int, int, int]] = []  # (point, 0 leave / 1 enter, slot, other)
        for k, t, q in blocks:
            for f, a, b in q.ranges:
                if f == family:
                    events.append((a, 1, t, k))
                    events.append((b + 1, 0, t, k))
        events.sort()
        if budget is not None:
            budget.spend(len(events))
        active = [0] * max(slots, 1)
        e = 0
        for f, first, last in r.ranges:
            if f != family:
                continue
            # Start the piece at `first` with every event up to it applied, then cut at each
            # later edge inside the range: the same pieces as `cases`.
            while e < len(events) and events[e][0] <= first:
                e = _apply(events, e, active)
            piece_masks = [_union(active, everything)]
            while e < len(events) and events[e][0] <= last:
                point = events[e][0]
                while e < len(events) and events[e][0] == point:
                    e = _apply(events, e, active)
                piece_masks.append(_union(active, everything))
            masks.extend(piece_masks)
            if budget is not None:
                budget.spend(len(piece_masks) * max(slots, 1))
    return masks


def _apply(events: list[tuple[int, int, int, int]], e: int, active: list[int]) -> int:
    _, enter, t, k = events[e]
    if enter:
        active[t] |= 1 << k
    else:
        active[t] &= ~(1 << k)
    return e + 1


def _union(active: list[int], everything: int) -> int:
    mask = everything
    for slot in active:
        mask |= slot
    return mask


def _selector_masks(r: Region, selectors: list[tuple[int, int, Region]], everything: int, slots: int,
                    budget: Budget | None) -> list[int] | None:
    """A selector region's pieces: one per (namespace case, pod case) of `split`, namespace cases
    outermost. A piece is inside a region when both of its cases imply the region's: one
    implication test per (case, region) instead of per (piece, region)."""
    ns_cases = split(r.namespaces)  # type: ignore[arg-type]
    pod_cases = split(r.pods)  # type: ignore[arg-type]
    if ns_cases is None or pod_cases is None or len(ns_cases) * len(pod_cases) > MAX_CASES:
        return None
    if budget is not None:
        budget.spend(len(selectors) * (len(ns_cases) + len(pod_cases)) + len(ns_cases) * len(pod_cases) * max(slots, 1))
    width = max(slots, 1)
    ns_masks = [[0] * width for _ in ns_cases]
    pod_masks = [[0] * width for _ in pod_cases]
    for k, t, q in selectors:
        bit = 1 << k
        for i, case in enumerate(ns_cases):
            if implies(case, q.namespaces):  # type: ignore[arg-type]
                ns_masks[i][t] |= bit
        for j, case in enumerate(pod_cases):
            if implies(case, q.pods):  # type: ignore[arg-type]
                pod_masks[j][t] |= bit
    masks = []
    for ns in ns_masks:
        for pods in pod_masks:
            mask = everything
            for t in range(width):
                mask |= ns[t] & pods[t]
            masks.append(mask)
    return masks


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

