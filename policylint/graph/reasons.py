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
    from policylint.findings import Related
    from policylint.graph.paths import Hop, Path
    from policylint.load.nodes import Span
    from policylint.model.types import Source

OPEN, EXTERNAL, RULES = "not-isolated", "external", "rules"


@dataclass(frozen=True, slots=True)
class AllowingRule:
    policy: str  # "ml-workloads/allow-notebook"
    rule: str  # "ingress[0]"
    source: Source  # the rule's place in the manifests
    ports: PortSet  # what the rule allows towards the hop's destination
    peer: str | None  # the matching peer as written; None for a rule without peers

    @property
    def span(self) -> Span:
        return self.source.span

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
                rules.append(AllowingRule(verdict.policy.id, verdict.label, verdict.rule.source, verdict.ports,
                                          peer.text if peer is not None and peer.peer is not None else None))
            sides.append(SideReason(side.direction, side.endpoint, RULES, tuple(rules)))
    return HopReason(hop, sides[0], sides[1], explanation.depends_on_invalid)


def path_related(engine: Engine, path: Path, ports: PortSet | None = None, first: int = 1) -> list[Related]:
    """Related locations for a finding about a path: for each hop from number `first` on, the
    first allowing rule of each side, or the workload that no policy isolates on that side."""
    from policylint.findings import Related

    items = []
    for number, hop in enumerate(path.hops[first - 1:], first):
        reason = hop_reason(engine, hop, ports)
        where = f"hop {number} {hop.src.id} -> {hop.dst.id} on {hop.ports.describe()}"
        for side in (reason.egress, reason.ingress):
            if side.rules:
                rule = side.rules[0]
                items.append(Related(rule.span, f"{where}: {rule.policy} {rule.rule} allows it"))
            elif side.state == OPEN and side.endpoint.workload is not None:
                items.append(Related(side.endpoint.workload.source.span,
                                     f"{where}: {side.endpoint.id} is not isolated for {side.direction.lower()}"))
    return items
