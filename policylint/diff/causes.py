"""Why a pair's ports changed: the rules responsible, and isolation that appeared or went away.

A connection needs both ends: the source's egress side and the destination's ingress side (an
external range has no side). Only a side whose answer changed is blamed — when the source could
already send the gained ports before, its egress rules are not why the connection is new. On
that side, ports gained are blamed on the NEW rules that allow some of them, ports lost on the
OLD rules that allowed some of them; when no rule is left to blame, the side stopped (or
started) being isolated, and the policies that isolated it are named instead.
"""
from __future__ import annotations

from typing import Iterable

from policylint.diff.model import NEW, OLD, Because, IsolationChange, Location, PolicyRef, RuleRef, TierRuleRef
from policylint.diff.sides import Side
from policylint.engine.blocks import SHIFT, Blocks, to_blocks
from policylint.engine.endpoints import Endpoint
from policylint.engine.ports import ALL_PORTS, EMPTY_PORTS, PortSet
from policylint.model.types import EGRESS, INGRESS, NetworkPolicy

Pair = tuple[Endpoint, Endpoint]
BLOCK_MASK = (1 << SHIFT) - 1


class Blame:
    def __init__(self, old: Side, new: Side, edited: set[str]) -> None:
        self.sides = {OLD: old, NEW: new}
        self.edited = edited  # ids of policies added, removed or edited
        self._policy_refs: dict[tuple[str, int], PolicyRef] = {}
        self._rule_refs: dict[tuple[str, int, int], RuleRef] = {}
        self._differences: dict[tuple[PortSet, PortSet], PortSet] = {}
        self._tiered = any(s.engine.tiers is not None for s in (old, new))
        self._by_key: dict[tuple, Because] = {}  # see because_pods
        self._engines = {OLD: old.engine, NEW: new.engine}
        # per version: source index -> its egress policies; destination index -> its ingress rules' peers
        self._sources: dict[str, dict[int, tuple]] = {OLD: {}, NEW: {}}
        self._admitting: dict[str, dict[int, list[Blocks]]] = {OLD: {}, NEW: {}}

    def because_pods(self, old_pair: Pair | None, new_pair: Pair | None, gained: PortSet, lost: PortSet) -> Because:
        """`because` for one workload pair, made once for the pairs whose answer cannot differ.

        A change to a policy that every pod goes through (the cluster DNS policy) changes a pair
        per pod of the cluster, and most of those pairs have the same explanation. In each version
        the explanation of (S, D) reads the policies that select S for egress (S's egress side is
        the union of their rules: what it allows towards D, and which rules allow it), the rules
        of the policies that select D for ingress whose peers hold S (D's ingress side from S is
        the union of those), D itself (named ports resolve on it; its policies), and whether the
        answer rests on an invalid policy. The key holds each of these, so pairs with equal keys
        get the explanation `because` would give each. With cluster-wide policies the tiers are
        traced per pair, as before."""
        if self._tiered:
            return self.because([(old_pair, new_pair)], gained, lost)
        key = (gained, lost, self._pair_key(OLD, old_pair), self._pair_key(NEW, new_pair))
        found = self._by_key.get(key)
        if found is None:
            found = self._by_key[key] = self.because([(old_pair, new_pair)], gained, lost)
        return found

    def _pair_key(self, version: str, pair: Pair | None) -> tuple | None:
        if pair is None:
            return None
        src, dst = pair
        engine = self._engines[version]
        sources = self._sources[version]
        source = sources.get(src.index)
        if source is None:
            source = sources[src.index] = tuple(map(id, engine.policies_selecting(src, EGRESS)))
        admitting = self._admitting[version]
        peers = admitting.get(dst.index)
        if peers is None:
            peers = admitting[dst.index] = [
                to_blocks(engine.compiled_rule(policy, rule).bits)
                for policy in engine.policies_selecting(dst, INGRESS) for rule in policy.rules(INGRESS)]
        block, bit = src.atom >> SHIFT, src.atom & BLOCK_MASK
        holding = 0  # which of those rules' peers hold the source
        for i, blocks in enumerate(peers):
            if (blocks.get(block, 0) >> bit) & 1:
                holding |= 1 << i
        return id(dst), source, holding, engine.depends_on_invalid(src, dst)

    def because(self, pairs: Iterable[tuple[Pair | None, Pair | None]], gained: PortSet, lost: PortSet) -> Because:
        """`pairs`: (old pair, new pair) standing for the connection in each version (None where
        an end does not exist in that version; several for a merged external range)."""
        rules: set[RuleRef] = set()
        isolation: set[IsolationChange] = set()
        invalid: set[str] = set()
        tiers: set[RuleRef] = set()
        for old_pair, new_pair in pairs:
            if not gained.is_empty and new_pair is not None:
                self._blame(NEW, new_pair, OLD, old_pair, gained, rules, isolation)
                if self._tiered:
                    self._tiers(NEW, new_pair, OLD, old_pair, gained, tiers)
            if not lost.is_empty and old_pair is not None:
                self._blame(OLD, old_pair, NEW, new_pair, lost, rules, isolation)
                if self._tiered:
                    self._tiers(OLD, old_pair, NEW, new_pair, lost, tiers)
            for version, pair in ((OLD, old_pair), (NEW, new_pair)):
                if pair is not None and self.sides[version].engine.depends_on_invalid(*pair):
                    invalid.add(version)
        return Because(tuple(sorted(rules)), tuple(sorted(isolation)), tuple(v for v in (OLD, NEW) if v in invalid),
                       tuple(sorted(tiers)))

    def _tiers(self, version: str, pair: Pair, other_version: str, other_pair: Pair | None, ports: PortSet,
               found: set) -> None:
        """The tier rules that allow `ports` in `version`, and that deny them in the other."""
        from policylint.engine.explain_tiers import UNKNOWN, trace
        from policylint.model.tier_types import ALLOW, DENY

        for v, p, verdicts in ((version, pair, (ALLOW,)), (other_version, other_pair, (DENY, UNKNOWN))):
            engine = self.sides[v].engine
            if p is None or engine.tiers is None:
                continue
            for direction in (EGRESS, INGRESS):
                walk = trace(engine, direction, p[0], p[1], _side_ports(engine, direction, p))
                if walk is None:
                    continue
                for step in walk.admin + walk.baseline:
                    if step.verdict in verdicts and not (step.ports & ports).is_empty:
                        rule = step.rule
                        found.add(TierRuleRef(self._location(v, rule.source.span), step.policy.id,
                                              f"{rule.direction.lower()}[{rule.index}]", rule.name,
                                              step.tier.lower(), step.verdict, step.policy.id in self.edited))

    def _blame(self, version: str, pair: Pair, other_version: str, other_pair: Pair | None, ports: PortSet,
               rules: set[RuleRef], isolation: set[IsolationChange]) -> None:
        """Blame `ports`, allowed in `version` and not in the other, on the sides that differ."""
        engine = self.sides[version].engine
        other = self.sides[other_version].engine
        src, dst = pair
        for direction, end_index in ((EGRESS, 0), (INGRESS, 1)):
            end = pair[end_index]
            if end.is_external:
                continue
            fresh = ports if other_pair is None else self._minus(ports, _side_ports(other, direction, other_pair))
            if fresh.is_empty:
                continue  # this side allowed them in the other version too: not why they changed
            if self._tiered:  # without cluster-wide policies every port is handed down
                fresh = fresh & _handed_down(engine, direction, pair)
                if fresh.is_empty:
                    continue  # the admin tier decided them in this version: its rules are named instead
            policies = engine.policies_selecting(end, direction)
            for policy in policies:
                for rule in policy.rules(direction):
                    if not (engine.rule_ports(policy, rule, src, dst) & fresh).is_empty:
                        rules.add(self._rule_ref(version, policy, rule))
            if not policies and other_pair is not None:
                # Not isolated here, isolated in the other version: that is the change.
                others = other.policies_selecting(other_pair[end_index], direction)
                if others:
                    refs = tuple(sorted(self._policy_ref(other_version, p) for p in others))
                    old, new = (refs, ()) if other_version == OLD else ((), refs)
                    isolation.add(IsolationChange(direction, old, new))

    def _minus(self, a: PortSet, b: PortSet) -> PortSet:
        # the pairs of one change mostly subtract the same sets: each difference is made once
        found = self._differences.get((a, b))
        if found is None:
            found = self._differences[(a, b)] = a - b
        return found

    def _location(self, version: str, span) -> Location:
        path, line = self.sides[version].where(span)
        return Location(version, path, line)

    def _rule_ref(self, version: str, policy: NetworkPolicy, rule) -> RuleRef:
        # made once per rule: a policy many pods go through is blamed for each of their pairs
        key = (version, id(policy), id(rule))
        ref = self._rule_refs.get(key)
        if ref is None:
            ref = self._rule_refs[key] = RuleRef(self._location(version, rule.source.span), policy.id,
                                                 f"{rule.direction.lower()}[{rule.index}]", policy.id in self.edited)
        return ref

    def _policy_ref(self, version: str, policy: NetworkPolicy) -> PolicyRef:
        key = (version, id(policy))
        ref = self._policy_refs.get(key)
        if ref is None:
            ref = self._policy_refs[key] = PolicyRef(self._location(version, policy.source.span), policy.id)
        return ref


def _handed_down(engine, direction: str, pair: Pair) -> PortSet:
    """The ports of this side that the admin tier leaves to the NetworkPolicies (all of them
    without cluster-wide policies): only for these can a NetworkPolicy rule be the reason."""
    if engine.tiers is None:
        return ALL_PORTS
    from policylint.engine.explain_tiers import trace

    walk = trace(engine, direction, pair[0], pair[1], EMPTY_PORTS)
    return ALL_PORTS if walk is None else walk.handed_down


def _side_ports(engine, direction: str, pair: Pair) -> PortSet:
    return engine.egress_ports(*pair) if direction == EGRESS else engine.ingress_ports(*pair)
