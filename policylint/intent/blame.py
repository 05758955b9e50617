"""Which side of a connection blocks it, and where in the manifests to point.

Built on the engine's explanation (`Engine.explain`), so a finding never disagrees with `reach`
or `matrix`. For a side that denies, the most telling place is chosen, in this order:

1. a peer that names the right pods but cannot match them because it has no
   `namespaceSelector` (it only matches the policy's own namespace), or because the namespace
   does not match — the seed's mistake;
2. a rule whose peer matches but whose `ports` leave the wanted port out;
3. the `ingress`/`egress` list (or the `policyTypes` entry) of the first policy that isolates the
   pod, when no rule comes close.

The other isolating policies and their rules become related locations, with the reason each
one gives.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from policylint.engine.label_index import matches
from policylint.findings import Related
from policylint.load.nodes import Span, YMap, YSeq
from policylint.model.types import EGRESS, INGRESS, NetworkPolicy, Workload

if TYPE_CHECKING:
    from policylint.engine.endpoints import Endpoint
    from policylint.engine.explain import Explanation, PeerVerdict, SideExplanation

MAX_RELATED = 8
_NO_NAMESPACE_SELECTOR = "a podSelector without namespaceSelector"


@dataclass(frozen=True, slots=True)
class Anchor:
    span: Span
    object: str
    field_path: str


@dataclass(frozen=True, slots=True)
class SideBlame:
    direction: str  # Egress: the source's side; Ingress: the destination's side
    where: str  # "egress at ml-workloads/bert[PyTorchJob/Worker]"
    anchor: Anchor
    reason: str
    related: tuple[Related, ...]
    policies: tuple[NetworkPolicy, ...]


def side_label(direction: str, endpoint: Endpoint) -> str:
    return f"{'egress' if direction == EGRESS else 'ingress'} at {endpoint.id}"


def direction_anchor(policy: NetworkPolicy, direction: str) -> Anchor:
    """The `ingress`/`egress` key of a policy's spec, else its policyTypes entry, else the policy."""
    key = "ingress" if direction == INGRESS else "egress"
    spec = policy.source.node.get("spec") if isinstance(policy.source.node, YMap) else None
    base = policy.source.child_path("spec")
    if isinstance(spec, YMap):
        if key in spec:
            return Anchor(spec.span_of_key(key), policy.source.object, f"{base}.{key}")
        types = spec.get("policyTypes")
        if isinstance(types, YSeq):
            for index, value in enumerate(types):
                if value == direction:
                    return Anchor(types.span_of_item(index), policy.source.object, f"{base}.policyTypes[{index}]")
            return Anchor(spec.span_of_key("policyTypes"), policy.source.object, f"{base}.policyTypes")
        if "podSelector" in spec:
            return Anchor(spec.span_of_key("podSelector"), policy.source.object, f"{base}.podSelector")
    return Anchor(policy.source.span, policy.source.object, policy.source.field_path)


def workload_anchor(workload: Workload) -> Anchor:
    return Anchor(workload.source.span, workload.source.object, workload.source.field_path)


def blame_side(side: SideExplanation, other: Endpoint, other_text: str | None = None) -> SideBlame:
    """Why one side (already known to deny) denies, and where to point. `other_text` names the
    other end in the reason (default: its endpoint id)."""
    where = side_label(side.direction, side.endpoint)
    other_name = other_text or other.id
    if side.trace is not None:  # cluster-wide policies: a tier may have decided before the NetworkPolicies
        tiered = _tier_blame(side, where, other_name)
        if tiered is not None:
            return tiered
    policies = side.policies
    related = _related(side)
    for verdict in side.rules:
        if verdict.peer_matches and not verdict.port_matches:
            source = verdict.rule.source
            key = "ports" if isinstance(source.node, YMap) and "ports" in source.node else None
            span = source.key_span(key) if key else source.span
            anchor = Anchor(span, source.object, source.child_path(key) if key else source.field_path)
            reason = f"{verdict.policy.id} {verdict.label} admits {other_name} only on {verdict.ports.describe()}"
            near = verdict.port_reason.partition(" (near miss: ")[2]
            reason += f" (near miss: {near}" if near else ""
            return SideBlame(side.direction, where, anchor, reason, related, policies)
    for verdict in side.rules:
        if verdict.peer_matches:
            continue
        for peer in verdict.peers:
            near = _near_miss(peer, other)
            if near is None:
                continue
            policy = verdict.policy
            anchor = Anchor(peer.peer.source.span, peer.peer.source.object, peer.peer.source.field_path)
            if near == "no-namespace-selector":
                reason = (f"peer {peer.text} of {policy.id} {verdict.label} has no namespaceSelector, so it only "
                          f"matches pods in namespace {policy.namespace}, not {other.namespace}")
            else:
                reason = f"peer {peer.text} of {policy.id} {verdict.label}: {peer.reason}"
            return SideBlame(side.direction, where, anchor, reason, related, policies)
    if not policies:  # denied without isolation can only come from an external side: not expected
        return SideBlame(side.direction, where, Anchor(Span("<unknown>", 1, 1, 1, 1), "", ""), "denied", related, ())
    first = policies[0]
    anchor = direction_anchor(first, side.direction)
    names = ", ".join(p.id for p in policies)
    noun = "policy" if len(policies) == 1 else "policies"
    direction = side.direction.lower()
    rules = [r for r in side.rules]
    if not rules:
        detail = f"with no {direction} rules"
    elif all(p.peer is not None and not p.peer.valid for r in rules for p in r.peers) and all(r.peers for r in rules):
        detail = "whose peers are all invalid and match nothing"
    else:
        detail = f"and no rule admits {other_name}"
    return SideBlame(side.direction, where, anchor, f"{direction} is isolated by {noun} {names} {detail}", related, policies)


def _tier_blame(side: SideExplanation, where: str, other_name: str) -> SideBlame | None:
    """The rule that denies (or may deny) the ports asked about: in the admin tier when it decided
    them all, else in the baseline tier when no NetworkPolicy isolates the side; None when the
    NetworkPolicies decide (what the admin tier handed down)."""
    from policylint.engine.explain import probe_matches

    trace = side.trace
    protocol, port = side.probe

    def wanted(ports) -> bool:
        return probe_matches(ports, protocol, port)

    denying = ("deny", "unknown")
    if wanted(trace.handed_down):
        if trace.networkpolicy_decides:
            return None
        steps = [s for s in trace.baseline if s.verdict in denying and wanted(s.ports)]
    else:
        steps = [s for s in trace.admin if s.verdict in denying and wanted(s.ports)]
    if not steps:
        return None
    step = steps[0]
    source = step.rule.source
    key = "action" if isinstance(source.node, YMap) and "action" in source.node else None
    anchor = Anchor(source.span_of(key) if key else source.span, source.object,
                    source.child_path(key) if key else source.field_path)
    verb = "denies" if step.verdict == "deny" else "may deny (a peer that cannot be judged offline)"
    reason = (f"{step.tier.lower()} tier: {step.policy.id} ({step.policy.where}) {step.rule.label} {verb} "
              f"{other_name} on {step.ports.describe()}")
    related = tuple(Related(s.rule.source.span, f"{s.tier.lower()} tier: {s.policy.id} {s.rule.label}")
                    for s in steps[1:MAX_RELATED])
    return SideBlame(side.direction, where, anchor, reason, related, ())


def _near_miss(peer: PeerVerdict, other: Endpoint) -> str | None:
    """A peer whose pod selector names `other` but whose namespace scope leaves it out."""
    selector_peer = peer.peer
    if selector_peer is None or not selector_peer.valid or selector_peer.ip_block is not None or other.is_external:
        return None
    if "(near miss: " in peer.reason:  # one label away (explain names the fix)
        return "one-label"
    if selector_peer.pod_selector is not None and not matches(selector_peer.pod_selector, other.labels):
        return None
    if selector_peer.namespace_selector is None:
        if selector_peer.pod_selector is None or selector_peer.pod_selector.is_empty:
            return None  # `podSelector: {}` names no one in particular
        return "no-namespace-selector" if peer.reason.startswith(_NO_NAMESPACE_SELECTOR) else None
    return "namespace" if "does not match namespaceSelector" in peer.reason else None


def blame(explanation: Explanation) -> list[SideBlame]:
    """The denying sides of a pair, egress first."""
    found = []
    if not explanation.egress.allowed:
        found.append(blame_side(explanation.egress, explanation.dst))
    if not explanation.ingress.allowed:
        found.append(blame_side(explanation.ingress, explanation.src))
    return found


def _related(side: SideExplanation) -> tuple[Related, ...]:
    items: list[Related] = []
    direction = side.direction.lower()
    for policy in side.policies:
        anchor = direction_anchor(policy, side.direction)
        items.append(Related(anchor.span, f"{policy.id} isolates {direction} of {side.endpoint.id}"))
        for verdict in side.rules:
            if verdict.policy is not policy:
                continue
            if verdict.allows:
                text = f"{policy.id} {verdict.label}: allows ({verdict.port_reason})"
            elif verdict.peer_matches:
                text = f"{policy.id} {verdict.label}: peer matches but {verdict.port_reason}"
            else:
                reasons = "; ".join(f"{p.text}: {p.reason}" for p in verdict.peers)
                text = f"{policy.id} {verdict.label}: no peer matches ({reasons})"
            items.append(Related(verdict.rule.source.span, text))
    return tuple(items[:MAX_RELATED])


def allowing_related(explanation: Explanation) -> tuple[Related, ...]:
    """For a connection that should be denied: what lets it through on each side."""
    items: list[Related] = []
    for side in (explanation.egress, explanation.ingress):
        if not side.applies:
            continue
        if not side.isolated:
            workload = side.endpoint.workload
            if workload is not None:
                items.append(Related(workload.source.span, f"{side.endpoint.id} is not isolated for "
                                                             f"{side.direction.lower()}: no policy selects it"))
            continue
        for verdict in side.allowing_rules:
            peer = verdict.matching_peer
            via = f" via {peer.text}" if peer is not None and peer.peer is not None else ""
            items.append(Related(verdict.rule.source.span, f"{verdict.policy.id} {verdict.label} allows it{via}"))
    return tuple(items[:MAX_RELATED])


def restricting_rules(engine, direction: str, src: Endpoint, dst: Endpoint, other_text: str) -> SideBlame | None:
    """For a side that admits the pair on some ports only: the first rule that admits it (where
    to point) and what it allows. Cheaper than a full explanation; None when no rule admits it."""
    pod = src if direction == EGRESS else dst
    policies = tuple(engine.policies_selecting(pod, direction))
    found: list[tuple[NetworkPolicy, object, object]] = []
    for policy in policies:
        for rule in policy.rules(direction):
            ports = engine.rule_ports(policy, rule, src, dst)
            if not ports.is_empty:
                found.append((policy, rule, ports))
    if not found:
        return None
    policy, rule, ports = found[0]
    source = rule.source
    key = "ports" if isinstance(source.node, YMap) and "ports" in source.node else None
    span = source.key_span(key) if key else source.span
    anchor = Anchor(span, source.object, source.child_path(key) if key else source.field_path)
    label = f"{direction.lower()}[{rule.index}]"
    reason = f"{policy.id} {label} admits {other_text} only on {ports.describe()}"
    related = tuple(Related(r.source.span, f"{p.id} {direction.lower()}[{r.index}] admits {other_text} on "
                                           f"{allowed.describe()}") for p, r, allowed in found[1:MAX_RELATED])
    return SideBlame(direction, side_label(direction, pod), anchor, reason, related, policies)
