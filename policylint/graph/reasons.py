"""Why each hop of a path is allowed: the rules (file:line) on the source's egress side and the
destination's ingress side, from the engine's explanation (so a path never disagrees with
`reach`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policylint.model.types import EGRESS

if TYPE_CHECKING:
    from policylint.engine.connectivity import Engine
    from policylint.engine.ports import PortSet
    from policylint.graph.paths import Hop
    from policylint.load.nodes import Span

OPEN, EXTERNAL, RULES = "not-isolated", "external", "rules"


@dataclass(frozen=True, slots=True)
class AllowingRule:
    policy: str  # "ml-workloads/allow-notebook"
    rule: str  # "ingress[0]"
    span: Span
    ports: PortSet  # what the rule allows towards the hop's destination
    peer: str | None  # the matching peer as written; None for a rule without peers

    @property
    def location(self) -> str:
        return f"{self.span.path}:{self.span.line}"


@dataclass(frozen=True, slots=True)
class SideReason:
    direction: str  # Egress (at the hop's source) or Ingress (at its destination)
    endpoint: Any  # Endpoint
    state: str  # OPEN, EXTERNAL or RULES
    rules: tuple[AllowingRule, ...] = ()

    def text(self) -> str:
        where = f"{'egress' if self.direction == EGRESS else 'ingress'} at {self.endpoint.id}"
        if self.state == EXTERNAL:
            return f"{where}: an external address, no policy applies"
        if self.state == OPEN:
            return f"{where}: not isolated, every connection allowed"
        return f"{where}: " + "; ".join(f"{r.policy} {r.rule} ({r.location})" for r in self.rules)

    def to_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "endpoint": self.endpoint.id,
            "state": self.state,
            "rules": [{"policy": r.policy, "rule": r.rule, "location": r.location, "ports": r.ports.to_json(),
                       "peer": r.peer} for r in self.rules],
        }

    @property
    def first_span(self) -> Span | None:
        return self.rules[0].span if self.rules else None


@dataclass(frozen=True, slots=True)
class HopReason:
    hop: Hop
    egress: SideReason
    ingress: SideReason
    depends_on_invalid: bool  # rests on a policy with parts the API server would reject


def hop_reason(engine: Engine, hop: Hop, ports: PortSet | None = None) -> HopReason:
    """The allowing rules of both sides of a hop; with `ports`, only rules that allow one of them."""
    explanation = engine.explain(hop.src, hop.dst, None, None)
    sides = []
    for side in (explanation.egress, explanation.ingress):
        if not side.applies:
            sides.append(SideReason(side.direction, side.endpoint, EXTERNAL))
        elif not side.isolated:
            sides.append(SideReason(side.direction, side.endpoint, OPEN))
        else:
            rules = []
            for verdict in side.allowing_rules:
                if ports is not None and (verdict.ports & ports).is_empty:
                    continue
                peer = verdict.matching_peer
                rules.append(AllowingRule(verdict.policy.id, verdict.label, verdict.rule.source.span, verdict.ports,
                                          peer.text if peer is not None and peer.peer is not None else None))
            sides.append(SideReason(side.direction, side.endpoint, RULES, tuple(rules)))
    return HopReason(hop, sides[0], sides[1], explanation.depends_on_invalid)
