"""Cluster-wide policies (`policy.networking.k8s.io`): the values the tiers are made of.

AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy
(v1alpha2) share one shape once read: a policy in a tier (Admin or Baseline) with a priority, a
subject, and ordered rules whose action is allow, deny or pass. The kinds differ in spelling
(`Allow` against `Accept`, `ports` against `protocols`) and in what they accept; the builder in
`tier_policy` checks each kind's own rules and reduces them to these values.
"""
from __future__ import annotations

from dataclasses import dataclass
from policylint.model.types import EGRESS, INGRESS, IPNetwork, LabelSelector, Source

ADMIN = "Admin"
BASELINE = "Baseline"

ANP = "AdminNetworkPolicy"
BANP = "BaselineAdminNetworkPolicy"
CNP = "ClusterNetworkPolicy"
TIER_KINDS = (ANP, BANP, CNP)

# What a matching rule does, whatever the kind spells it.
ALLOW = "allow"
DENY = "deny"
PASS = "pass"

# Peer kinds.
NAMESPACES = "namespaces"
PODS = "pods"
NODES = "nodes"
NETWORKS = "networks"
DOMAIN_NAMES = "domainNames"

__all__ = ["ADMIN", "BASELINE", "ANP", "BANP", "CNP", "ALLOW", "DENY", "PASS", "INGRESS", "EGRESS",
           "TierSubject", "TierPeer", "TierPort", "TierRule", "TierPolicy"]


@dataclass(frozen=True, slots=True)
class TierSubject:
    """Pods in the namespaces `namespace_selector` matches, and of those the ones `pod_selector`
    matches (None: every pod). Host-network pods are never subjects."""

    namespace_selector: LabelSelector | None  # None: every namespace
    pod_selector: LabelSelector | None  # None: every pod of those namespaces
    valid: bool
    source: Source


@dataclass(frozen=True, slots=True)
class TierPeer:
    """A peer of a rule of a cluster-wide policy."""

    kind: str  # one of the peer kinds above; "" when unreadable (then valid is False)
    namespace_selector: LabelSelector | None = None
    pod_selector: LabelSelector | None = None
    node_selector: LabelSelector | None = None
    networks: tuple[IPNetwork, ...] = ()
    domain_names: tuple[str, ...] = ()
    valid: bool = True
    source: Source | None = None

    def describe(self) -> str:
        if self.kind == NAMESPACES:
            return f"namespaces {self.namespace_selector.describe() if self.namespace_selector else '{}'}"
        if self.kind == PODS:
            ns = self.namespace_selector.describe() if self.namespace_selector else "{}"
            pods = self.pod_selector.describe() if self.pod_selector else "{}"
            return f"pods {pods} in namespaces {ns}"
        if self.kind == NODES:
            return f"nodes {self.node_selector.describe() if self.node_selector else '{}'}"
        if self.kind == NETWORKS:
            return "networks " + ", ".join(str(n) for n in self.networks)
        if self.kind == DOMAIN_NAMES:
            return "domainNames " + ", ".join(self.domain_names)
        return "an unreadable peer"


@dataclass(frozen=True, slots=True)
class TierPort:
    """A port or port range of one protocol, or a container-port name (any protocol)."""

    protocol: str | None  # None with a name: the named container port's own protocol
    first: int | None
    last: int | None
    name: str | None
    valid: bool
    source: Source

    def describe(self) -> str:
        if self.name is not None:
            return f"named port {self.name}"
        if self.first == self.last:
            return f"{self.protocol}/{self.first}"
        return f"{self.protocol}/{self.first}-{self.last}"


@dataclass(frozen=True, slots=True)
class TierRule:
    """A rule of a cluster-wide policy."""

    direction: str  # Ingress or Egress
    index: int
    name: str
    action: str  # as written: Allow, Accept, Deny, Pass (or anything, then invalid)
    verdict: str  # ALLOW, DENY, PASS; "" when the action is invalid (the rule matches nothing)
    peers: tuple[TierPeer, ...]
    ports: tuple[TierPort, ...]  # empty: every port of every protocol
    source: Source

    @property
    def peers_key(self) -> str:
        return "from" if self.direction == INGRESS else "to"

    @property
    def label(self) -> str:
        where = f"{self.direction.lower()}[{self.index}]"
        return f"{where} {self.name!r}" if self.name else where


@dataclass(frozen=True, slots=True)
class TierPolicy:
    """A cluster-wide policy: AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy."""

    kind: str  # AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy
    api_version: str
    name: str
    tier: str  # ADMIN or BASELINE
    priority: int | None  # None for a BaselineAdminNetworkPolicy (it has none)
    subject: TierSubject
    ingress: tuple[TierRule, ...]
    egress: tuple[TierRule, ...]
    valid: bool  # the tier, priority and subject are acceptable; otherwise the policy matches nothing
    source: Source

    @property
    def id(self) -> str:
        return f"{self.kind} {self.name}"

    def rules(self, direction: str) -> tuple[TierRule, ...]:
        return self.ingress if direction == INGRESS else self.egress

    @property
    def where(self) -> str:
        """`admin tier, priority 10` — the policy's place in the evaluation order."""
        tier = "admin tier" if self.tier == ADMIN else "baseline tier"
        return tier if self.priority is None else f"{tier}, priority {self.priority}"

    def precedence(self) -> tuple:
        """Sort key within a tier: ascending priority, then kind, then name.

        Upstream leaves the order of equal priorities undefined (PL601 reports it); policylint
        picks one that does not depend on input order. A BaselineAdminNetworkPolicy has no
        priority: it comes after the ClusterNetworkPolicies of the Baseline tier.
        """
        priority = self.priority if self.priority is not None else 1 << 31
        return (priority, TIER_KINDS.index(self.kind) if self.kind in TIER_KINDS else 9, self.name)

