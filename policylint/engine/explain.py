"""Why a connection is allowed or denied: the policies and rules on each side, with positions.

The verdicts come from the engine's compiled bitsets (so an explanation never disagrees with the
matrix); this module only adds the words — which peer matched, or why the closest ones did not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Callable

from policylint.engine.bits import has
from policylint.engine.endpoints import Endpoint
from policylint.engine.label_index import matches
from policylint.engine.ports import EMPTY_PORTS, PortSet
from policylint.load.nodes import Span, where
from policylint.model.types import EGRESS, INGRESS, Cluster, NetworkPolicy, Peer, Rule

if TYPE_CHECKING:
    from policylint.engine.connectivity import Engine


def probe_matches(ports: PortSet, protocol: str | None, port: int | None) -> bool:
    """Does a port set allow the probe? A missing protocol or port means "any"."""
    if protocol is not None and port is not None:
        return ports.contains(protocol, port)
    if protocol is not None:
        return bool(ports.intervals(protocol))
    if port is not None:
        return any(ports.contains(p, port) for p in ("TCP", "UDP", "SCTP"))
    return not ports.is_empty


def probe_text(protocol: str | None, port: int | None) -> str:
    if protocol is None and port is None:
        return "any port"
    if port is None:
        return f"{protocol} (any port)"
    return f"{protocol}/{port}" if protocol is not None else f"port {port} (any protocol)"


@dataclass(frozen=True, slots=True)
class PeerVerdict:
    peer: Peer | None  # None: the rule has no peers and matches everything
    index: int | None
    matches: bool
    text: str  # the peer as written, shortly
    # Why it matches or not: the text, or a function that writes it when first asked (rules
    # explain thousands of pairs and read the reasons of a few).
    _reason: str | Callable[[], str] = field(repr=False, compare=False)

    @property
    def reason(self) -> str:
        return _text(self, "_reason")

    @property
    def span(self) -> Span | None:
        return self.peer.source.span if self.peer is not None else None


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    policy: NetworkPolicy
    rule: Rule
    peers: tuple[PeerVerdict, ...]
    peer_matches: bool
    ports: PortSet  # what the rule allows towards the destination when a peer matches
    port_matches: bool
    _port_reason: str | Callable[[], str] = field(repr=False, compare=False)  # as PeerVerdict._reason

    @property
    def port_reason(self) -> str:
        return _text(self, "_port_reason")

    @property
    def allows(self) -> bool:
        return self.peer_matches and self.port_matches

    @property
    def matching_peer(self) -> PeerVerdict | None:
        return next((p for p in self.peers if p.matches), None)

    @property
    def label(self) -> str:
        return f"{self.rule.direction.lower()}[{self.rule.index}]"


@dataclass(frozen=True, slots=True)
class SideExplanation:
    direction: str  # Egress: the source's side; Ingress: the destination's side
    endpoint: Endpoint
    isolated: bool
    policies: tuple[NetworkPolicy, ...]  # those that isolate this side
    rules: tuple[RuleVerdict, ...]  # every rule of those policies, with its verdict
    allowed: bool
    ports: PortSet  # everything this side allows for the pair
    invalid: tuple[tuple[NetworkPolicy, tuple[str, ...]], ...]  # policies with invalid parts here
    # With cluster-wide policies: the walk through the tiers (engine/explain_tiers.py), and the
    # ports this side cannot decide offline.
    trace: Any = None
    unknown: PortSet = EMPTY_PORTS
    probe: tuple[str | None, int | None] = (None, None)  # (protocol, port) asked about; None: any

    @property
    def applies(self) -> bool:
        return not self.endpoint.is_external

    @property
    def allowing_rules(self) -> tuple[RuleVerdict, ...]:
        return tuple(r for r in self.rules if r.allows)

    @property
    def invalid_may_cause(self) -> bool:
        """A denial here might be due to a part that the API server would reject."""
        return not self.allowed and bool(self.invalid)


@dataclass(frozen=True, slots=True)
class Explanation:
    src: Endpoint
    dst: Endpoint
    protocol: str | None  # None: any protocol
    port: int | None  # None: any port
    egress: SideExplanation
    ingress: SideExplanation
    ports: PortSet  # every port allowed for the pair
    unknown_ports: PortSet = EMPTY_PORTS  # ports whose answer cannot be known offline (tiers only)

    @property
    def allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed

    @property
    def unknown(self) -> bool:
        """Not allowed for sure, but not denied either: a peer that cannot be judged offline may decide."""
        return not self.allowed and probe_matches(self.unknown_ports, self.protocol, self.port)

    @property
    def verdict(self) -> str:
        return "allowed" if self.allowed else "unknown" if self.unknown else "denied"

    @property
    def depends_on_invalid(self) -> bool:
        return bool(self.egress.invalid or self.ingress.invalid)

    def lines(self) -> list[str]:
        out = [f"{self.src.id} -> {self.dst.id} {probe_text(self.protocol, self.port)}: {self.verdict}"]
        for side in (self.egress, self.ingress):
            out.extend(_side_lines(side, self))
        out.append(f"allowed for this pair: {self.ports.describe()}")
        if not self.unknown_ports.is_empty:
            out.append(f"unknown for this pair (cannot be judged offline): {self.unknown_ports.describe()}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.src.id,
            "to": self.dst.id,
            "protocol": self.protocol,
            "port": self.port,
            "allowed": self.allowed,
            "ports": self.ports.to_json(),
            "depends_on_invalid": self.depends_on_invalid,
            "egress": _side_json(self.egress),
            "ingress": _side_json(self.ingress),
        } | ({} if self.egress.trace is None and self.ingress.trace is None else {
            "verdict": self.verdict,
            "unknown_ports": self.unknown_ports.to_json(),
        })


def _text(verdict: Any, name: str) -> str:
    """A verdict's text field, written on first use."""
    value = getattr(verdict, name)
    if not isinstance(value, str):
        value = value()
        object.__setattr__(verdict, name, value)  # frozen for callers; filled in once here
    return value


def explain(engine: Engine, src: Endpoint, dst: Endpoint, protocol: str | None, port: int | None) -> Explanation:
    egress = _side(engine, EGRESS, src, src, dst, protocol, port)
    ingress = _side(engine, INGRESS, dst, src, dst, protocol, port)
    return Explanation(src, dst, protocol, port, egress, ingress, engine.allowed_ports(src, dst),
                       engine.unknown_ports(src, dst))


def _side(engine: Engine, direction: str, pod: Endpoint, src: Endpoint, dst: Endpoint,
          protocol: str | None, port: int | None) -> SideExplanation:
    ports = engine.egress_ports(src, dst) if direction == EGRESS else engine.ingress_ports(src, dst)
    if pod.is_external:
        return SideExplanation(direction, pod, False, (), (), True, ports, ())
    other = dst if direction == EGRESS else src
    policies = tuple(engine.policies_selecting(pod, direction))
    verdicts = tuple(
        _rule_verdict(engine, policy, rule, other, dst, protocol, port)
        for policy in policies for rule in policy.rules(direction)
    )
    invalid = tuple((p, engine.compiled(p).invalid_for(direction)) for p in engine.invalid_policies_on(direction, pod))
    isolated = engine.isolated(pod, direction)
    if engine.has_tiers:
        from policylint.engine.explain_tiers import trace

        networkpolicy_ports = EMPTY_PORTS
        for r in verdicts:
            if r.peer_matches:
                networkpolicy_ports = networkpolicy_ports | r.ports
        walk = trace(engine, direction, src, dst, networkpolicy_ports)
        unknown = engine.side_unknown_ports(direction, src, dst)
        return SideExplanation(direction, pod, isolated, policies, verdicts, probe_matches(ports, protocol, port),
                               ports, invalid, walk, unknown, (protocol, port))
    return SideExplanation(direction, pod, isolated, policies, verdicts, probe_matches(ports, protocol, port), ports, invalid)


def _rule_verdict(engine: Engine, policy: NetworkPolicy, rule: Rule, other: Endpoint, dst: Endpoint,
                  protocol: str | None, port: int | None) -> RuleVerdict:
    compiled = engine.compiled_rule(policy, rule)
    if not rule.peers:
        peers = (PeerVerdict(None, None, True, "(any)", f"no `{rule.peers_key}`: matches every peer"),)
    else:
        peers = tuple(
            _peer_verdict(engine, policy, peer, i, has(bits, other.atom), other)
            for i, (peer, bits) in enumerate(zip(rule.peers, compiled.peer_bits))
        )
    ports = engine.resolve_spec(compiled.spec, dst)
    port_matches = probe_matches(ports, protocol, port)
    return RuleVerdict(policy, rule, peers, has(compiled.bits, other.atom), ports, port_matches,
                       partial(_port_reason, rule, ports, dst, protocol, port, port_matches, engine.cluster))


_PEER_TEXTS: dict[int, tuple[Peer, str]] = {}  # id(peer) -> (peer, text); the entry keeps the peer alive


def peer_text(peer: Peer) -> str:
    """The peer as written, shortly (memoised: the same peers are explained over and over)."""
    found = _PEER_TEXTS.get(id(peer))
    if found is not None and found[0] is peer:
        return found[1]
    text = _peer_text(peer)
    if len(_PEER_TEXTS) >= 100_000:
        _PEER_TEXTS.clear()
    _PEER_TEXTS[id(peer)] = (peer, text)
    return text


def _peer_text(peer: Peer) -> str:
    parts = []
    if peer.namespace_selector is not None:
        parts.append(f"namespaceSelector {peer.namespace_selector.describe()}")
    if peer.pod_selector is not None:
        parts.append(f"podSelector {peer.pod_selector.describe()}")
    if peer.ip_block is not None:
        block = peer.ip_block
        text = f"ipBlock {block.cidr_text!r}" if block.network is None else f"ipBlock {block.network}"
        if block.excepts:
            text += " except " + ", ".join(e.text or '""' for e in block.excepts)
        parts.append(text)
    return " + ".join(parts) if parts else "(empty peer)"


def _peer_verdict(engine: Engine, policy: NetworkPolicy, peer: Peer, index: int, matched: bool,
                  other: Endpoint) -> PeerVerdict:
    text = peer_text(peer)
    if not peer.valid:
        return PeerVerdict(peer, index, False, text, "invalid peer (the API server would reject it): matches nothing")
    if peer.ip_block is not None:
        reason: str | Callable[[], str] = partial(_block_reason, peer, other, matched)
    elif other.is_external:
        reason = "selectors match pods only, not external addresses"
    else:
        reason = partial(_selector_reason, engine, policy, peer, other, matched)
    return PeerVerdict(peer, index, matched, text, reason)


def _block_reason(peer: Peer, other: Endpoint, matched: bool) -> str:
    block = peer.ip_block
    assert block is not None and block.network is not None
    if other.is_external:
        assert other.range is not None
        if matched:
            return f"{other.id} is inside {block.network} and outside its excepts"
        hole = next((e.text for e in block.excepts if e.network is not None
                     and other.range.first_address in e.network), None)
        return f"{other.id} is in except {hole}" if hole else f"{other.id} is outside {block.network}"
    ips = [str(ip) for ip in other.workload.pod_ips] if other.workload is not None else []
    if matched:
        return f"pod IP of {other.id} ({', '.join(ips)}) is inside the block"
    if not ips:
        return f"{other.id} has no known pod IP (status.podIP), so an ipBlock cannot match it"
    return f"pod IP of {other.id} ({', '.join(ips)}) is not inside the block"


def _selector_reason(engine: Engine, policy: NetworkPolicy, peer: Peer, other: Endpoint, matched: bool) -> str:
    namespace = other.namespace or ""
    pod_ok = matches(peer.pod_selector, other.labels) if peer.pod_selector is not None else True
    if peer.namespace_selector is None:
        if matched:
            return f"{other.id} is in namespace {policy.namespace} and its labels match"
        labels_text = (f"labels of {other.id} do not match podSelector {peer.pod_selector.describe()}"
                       + _near_miss_text(engine, policy, peer, other))
        if namespace != policy.namespace:
            scope = (f"a podSelector without namespaceSelector only matches pods in the policy's namespace "
                     f"{policy.namespace}; {other.id} is in namespace {namespace}")
            # Blame the missing namespaceSelector only when it is the whole reason.
            return scope if pod_ok else f"{scope}, and its labels do not match either"
        return labels_text
    ns = engine.cluster.namespaces.get(namespace)
    ns_labels = ns.labels if ns is not None else {}
    ns_ok = matches(peer.namespace_selector, ns_labels)
    if matched:
        return f"namespace {namespace} and the labels of {other.id} match"
    reasons = []
    if not ns_ok:
        reasons.append(f"namespace {namespace} does not match namespaceSelector {peer.namespace_selector.describe()}")
    if not pod_ok:
        reasons.append(f"labels of {other.id} do not match podSelector {peer.pod_selector.describe()}")
    return "; ".join(reasons) + _near_miss_text(engine, policy, peer, other) if reasons else "does not match"


def _near_miss_text(engine: Engine, policy: NetworkPolicy, peer: Peer, other: Endpoint) -> str:
    """` (near miss: <fix>)` when one part of the peer alone keeps it from matching `other`."""
    from policylint.engine.near_miss import MATCHES, Target, peer_fix

    if other.workload is None or other.namespace is None:
        return ""
    ns = engine.cluster.namespaces.get(other.namespace)
    target = Target(other.namespace, ns.labels if ns is not None else {}, ns is not None and ns.declared,
                    other.labels, f"the pods of {other.id}")
    fix = peer_fix(policy, peer, target, strict=True)
    return f" (near miss: {fix})" if fix is not None and fix != MATCHES else ""


def _port_reason(rule: Rule, ports: PortSet, dst: Endpoint, protocol: str | None, port: int | None, ok: bool,
                 cluster: Cluster | None = None) -> str:
    wanted = probe_text(protocol, port)
    if ok:
        return f"ports: {ports.describe()}" if port is None else f"{wanted} is among its ports"
    unresolved = [
        f"{p.protocol}/{p.port}" for p in rule.ports
        if p.valid and p.is_named and (dst.ports is None or not any(
            cp.name == p.port and cp.protocol == p.protocol for cp in dst.ports))
    ]
    invalid = [p.source.field_path for p in rule.ports if not p.valid]
    text = f"its ports ({ports.describe()}) do not include {wanted}"
    if unresolved:
        text += f"; named port {', '.join(unresolved)} is not a container port of {dst.id}"
    if invalid:
        text += f"; invalid port entries match nothing ({', '.join(invalid)})"
    if cluster is not None and protocol is not None and port is not None and dst.workload is not None:
        text += _service_port_near_miss(cluster, ports, dst, protocol, port)
    return text


def _service_port_near_miss(cluster: Cluster, ports: PortSet, dst: Endpoint, protocol: str, port: int) -> str:
    """When the rule allows a Service's port and the wanted port is where that Service forwards it."""
    assert dst.workload is not None
    for service in cluster.services_of(dst.workload):
        for sp in service.ports:
            if (sp.protocol == protocol and sp.port != port and ports.contains(protocol, sp.port)
                    and sp.target_on(dst.ports or ()) == port):
                name = f" or `{sp.target_port}`" if isinstance(sp.target_port, str) else ""
                return (f" (near miss: {sp.port} is the port of Service {service.namespace}/{service.name}, which "
                        f"forwards it to {port}; policies see the pod's port: allow {port}{name})")
    return ""


def _side_lines(side: SideExplanation, ex: Explanation) -> list[str]:
    where_ = "egress at" if side.direction == EGRESS else "ingress at"
    head = f"  {where_} {side.endpoint.id}:"
    if not side.applies:
        return [f"{head} an external address: no policy applies"]
    if side.trace is not None:
        return _tier_lines(side, ex, head)
    if not side.isolated:
        return [f"{head} not isolated (no policy selecting it has {side.direction} in policyTypes): allowed"]
    verdict = "allowed" if side.allowed else "denied"
    count = len(side.policies)
    out = [f"{head} isolated by {count} polic{'y' if count == 1 else 'ies'}: {verdict}"]
    for policy in side.policies:
        out.append(f"    policy {policy.id} ({where(policy.source.span)})")
        rules = [r for r in side.rules if r.policy is policy]
        if not rules:
            out.append(f"      no {side.direction.lower()} rules: denies all {side.direction.lower()}")
        for r in rules:
            out.extend(_rule_lines(r, side))
    for policy, parts in side.invalid:
        out.append(f"    note: policy {policy.id} has parts the API server would reject ({', '.join(parts)}); "
                   f"they match nothing here" + (" and may be why this is denied" if side.invalid_may_cause else ""))
    return out


def _tier_lines(side: SideExplanation, ex: Explanation, head: str) -> list[str]:
    """A side through the tiers: the rules that decided the probe, in evaluation order."""
    t = side.trace

    def wanted(ports: PortSet) -> bool:
        return probe_matches(ports, ex.protocol, ex.port)

    verdict = "allowed" if side.allowed else "unknown" if wanted(side.unknown) else "denied"
    out = [f"{head} {verdict}"]
    admin = [s for s in t.admin if wanted(s.ports)]
    out.extend(f"    {s.line()}" for s in admin)
    if not admin:
        out.append(f"    admin tier: no rule matches this pair on {probe_text(ex.protocol, ex.port)}")
    handed = t.handed_down
    if wanted(handed):
        passed = "" if t.passed.is_empty else f" (passed by a Pass: {t.passed.describe()})"
        out.append(f"    handed down by the admin tier: {handed.describe()}{passed}")
        if t.networkpolicy_decides:
            np_side = SideExplanation(side.direction, side.endpoint, True, side.policies, side.rules,
                                      wanted(handed & side.ports), side.ports, side.invalid)
            lines = _side_lines(np_side, ex)
            count = len(side.policies)
            decided = "allowed" if np_side.allowed else "denied"
            out.append(f"    networkpolicy tier: isolated by {count} polic{'y' if count == 1 else 'ies'}, which "
                       f"decide{'s' if count == 1 else ''} what was handed down: {decided}")
            out.extend("  " + line for line in lines[1:])
        else:
            out.append("    networkpolicy tier: no NetworkPolicy isolates this side: handed on to the baseline tier")
            out.extend(f"    {s.line()}" for s in t.baseline if wanted(s.ports))
            if wanted(t.default):
                out.append(f"    default: allowed ({t.default.describe()}): no rule of any tier decided it")
    return out


def _rule_lines(r: RuleVerdict, side: SideExplanation) -> list[str]:
    span = where(r.rule.source.span)
    if r.allows:
        peer = r.matching_peer
        peer_part = "" if peer is None or peer.peer is None else f" via {peer.text} ({where(peer.span)})"
        return [f"      {r.label} ({span}): allows{peer_part}: {r.port_reason}"]
    if r.peer_matches:
        return [f"      {r.label} ({span}): peer matches but {r.port_reason}"]
    out = [f"      {r.label} ({span}): no peer matches"]
    for p in r.peers:
        location = f" ({where(p.span)})" if p.span is not None else ""
        out.append(f"        {r.rule.peers_key}[{p.index}] {p.text}{location}: {p.reason}")
    return out


def _side_json(side: SideExplanation) -> dict[str, Any]:
    return {
        "endpoint": side.endpoint.id,
        "applies": side.applies,
        "isolated": side.isolated,
        "allowed": side.allowed,
        "ports": side.ports.to_json(),
        "policies": [{"id": p.id, "location": where(p.source.span)} for p in side.policies],
        "rules": [
            {
                "policy": r.policy.id,
                "rule": r.label,
                "location": where(r.rule.source.span),
                "allows": r.allows,
                "peer_matches": r.peer_matches,
                "port_matches": r.port_matches,
                "ports": r.ports.to_json(),
                "port_reason": r.port_reason,
                "peers": [
                    {"index": p.index, "peer": p.text, "matches": p.matches, "reason": p.reason,
                     "location": where(p.span) if p.span is not None else None}
                    for p in r.peers
                ],
            }
            for r in side.rules
        ],
        "invalid": [{"policy": p.id, "parts": list(parts)} for p, parts in side.invalid],
        "invalid_may_cause": side.invalid_may_cause,
    } | ({} if side.trace is None else {"tiers": _trace_json(side.trace), "unknown": side.unknown.to_json()})


def _trace_json(trace) -> dict[str, Any]:
    """The walk through the tiers of one side (engine/explain_tiers.py): every rule that decided
    some ports of the pair, in evaluation order, and what went on to the tiers below."""
    def step(s) -> dict[str, Any]:
        return {"tier": s.tier.lower(), "policy": s.policy.id, "rule": s.rule.label, "verdict": s.verdict,
                "ports": s.ports.to_json(), "location": where(s.rule.source.span),
                "peer": s.peer.describe() if s.peer is not None else None}

    return {"admin": [step(s) for s in trace.admin], "handed_down": trace.handed_down.to_json(),
            "passed": trace.passed.to_json(), "networkpolicy_decides": trace.networkpolicy_decides,
            "baseline": [step(s) for s in trace.baseline], "default": trace.default.to_json()}
