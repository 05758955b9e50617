"""Why one side of a connection is decided the way it is, through the tiers.

The walk repeats, for one pair, what `engine/tiers.py` does for whole rows: the admin tier's rules
in precedence order, each deciding the ports still undecided that it matches; what a Pass hands
down or nothing matched goes to the NetworkPolicies if one isolates the pod, else to the baseline
tier, then to the default allow. Each step names its tier, policy, rule and line, so `reach` can
say what decided and what a Pass handed down.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from policylint.engine.bits import has
from policylint.engine.endpoints import Endpoint
from policylint.engine.ports import ALL_PORTS, EMPTY_PORTS, PortSet
from policylint.load.nodes import where
from policylint.model.tier_types import ADMIN, ALLOW, DENY, PASS, TierPeer, TierPolicy, TierRule
from policylint.model.types import EGRESS

if TYPE_CHECKING:
    from policylint.engine.connectivity import Engine

UNKNOWN = "unknown"
VERBS = {ALLOW: "allows", DENY: "denies", PASS: "passes", UNKNOWN: "may decide (unknown offline)"}


@dataclass(frozen=True, slots=True)
class TierStep:
    """One rule that decided some ports of the pair (or passed them down)."""

    tier: str  # Admin or Baseline
    policy: TierPolicy
    rule: TierRule
    verdict: str  # allow, deny, pass, or unknown (a peer that cannot be judged offline)
    ports: PortSet  # the ports this rule decided for the pair
    peer: TierPeer | None  # the peer that matched (or may match)
    peer_index: int | None

    def line(self) -> str:
        span = self.rule.source.span
        peer = ""
        if self.peer is not None:
            at = f" ({where(self.peer.source.span)})" if self.peer.source is not None else ""
            peer = f" via {self.rule.peers_key}[{self.peer_index}] {self.peer.describe()}{at}"
        return (f"{self.tier.lower()} tier: {self.policy.id} ({self.policy.where}) {self.rule.label} "
                f"({where(span)}) {VERBS[self.verdict]} {self.ports.describe()}{peer}")


@dataclass(frozen=True, slots=True)
class TierTrace:
    admin: tuple[TierStep, ...]
    handed_down: PortSet  # what the admin tier left to the tiers below (passed or unmatched)
    passed: PortSet  # of which handed down by a Pass
    networkpolicy_decides: bool  # a NetworkPolicy isolates this side: it decides what was handed down
    baseline: tuple[TierStep, ...]
    default: PortSet  # what reached the default allow
    allowed: PortSet
    unknown: PortSet


def trace(engine: Engine, direction: str, src: Endpoint, dst: Endpoint, networkpolicy_ports: PortSet) -> TierTrace | None:
    """The tier walk of one side; None for an external end (it has no side)."""
    tiers = engine.tiers
    pod, other = (src, dst) if direction == EGRESS else (dst, src)
    if tiers is None or pod.is_external:
        return None
    admin_rules, baseline_rules = tiers.rules_for(direction, pod.atom)
    admin, undecided, passed, allowed, unknown = _walk(engine, admin_rules, other, dst, ALL_PORTS)
    handed = undecided | passed
    isolated = engine.isolated(pod, direction)
    baseline: tuple[TierStep, ...] = ()
    default = EMPTY_PORTS
    if isolated:
        allowed = allowed | (handed & networkpolicy_ports)
    else:
        baseline, rest, passed_b, allowed_b, unknown_b = _walk(engine, baseline_rules, other, dst, handed)
        default = rest | passed_b
        allowed = allowed | allowed_b | default
        unknown = unknown | unknown_b
    return TierTrace(admin, handed, passed, isolated, baseline, default, allowed, unknown)


def _walk(engine: Engine, rules, other: Endpoint, dst: Endpoint, undecided: PortSet):
    steps: list[TierStep] = []
    passed = allowed = unknown = EMPTY_PORTS
    for r in rules:
        sure, maybe = has(r.sure, other.atom), has(r.maybe, other.atom)
        if not (sure or maybe):
            continue
        decided = undecided & engine.resolve_spec(r.spec, dst)
        if decided.is_empty:
            continue
        undecided = undecided - decided
        bits = r.peer_sure if sure else r.peer_maybe
        index = next((i for i, b in enumerate(bits) if has(b, other.atom)), None)
        peer = r.rule.peers[index] if index is not None else None
        verdict = UNKNOWN if not sure else r.rule.verdict
        steps.append(TierStep(r.policy.tier, r.policy, r.rule, verdict, decided, peer, index))
        if verdict == UNKNOWN:
            unknown = unknown | decided
        elif verdict == ALLOW:
            allowed = allowed | decided
        elif verdict == PASS:
            passed = passed | decided
    return tuple(steps), undecided, passed, allowed, unknown


def relevant(steps: tuple[TierStep, ...], wanted) -> tuple[TierStep, ...]:
    """The steps that bear on the probe (`wanted(ports) -> bool`)."""
    return tuple(s for s in steps if wanted(s.ports))


__all__ = ["ADMIN", "TierStep", "TierTrace", "trace", "relevant"]
