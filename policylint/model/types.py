"""The cluster model: typed, immutable values built from manifests.

Every value that a finding may point at carries a `Source`: the YAML mapping it was read from,
the field path from the object root, and a description of the object. Values the API server
would reject are kept, marked `valid=False`, and carry the reason in `Issue`s; the engine makes
an invalid part match nothing (see docs/architecture.md, "Invalid parts").
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Union

from policylint.load.nodes import Span, YMap, YSeq

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

PROTOCOLS = ("TCP", "UDP", "SCTP")
INGRESS = "Ingress"
EGRESS = "Egress"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a model value came from: the mapping, its field path, and the owning object."""

    node: Any = field(repr=False, compare=False)  # YMap or YSeq (None for synthesised values)
    field_path: str
    object: str  # "NetworkPolicy ml-workloads/ml-training-communication"
    fallback: Span | None = field(default=None, repr=False, compare=False)  # when node is None

    @property
    def span(self) -> Span:
        if isinstance(self.node, (YMap, YSeq)):
            return self.node.span
        assert self.fallback is not None, "a synthesised value needs a fallback span"
        return self.fallback

    def span_of(self, key: Any) -> Span:
        """The span of field `key` of this value, or of the value itself when it is absent."""
        if isinstance(self.node, YMap):
            return self.node.span_of_value(key)
        if isinstance(self.node, YSeq) and isinstance(key, int):
            return self.node.span_of_item(key)
        return self.span

    def key_span(self, key: Any) -> Span:
        if isinstance(self.node, YMap):
            return self.node.span_of_key(key)
        return self.span

    def child_path(self, key: Any) -> str:
        if isinstance(key, int):
            return f"{self.field_path}[{key}]"
        return f"{self.field_path}.{key}" if self.field_path else str(key)


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found while building the model. `kind` says which rule reports it."""

    kind: str  # e.g. "ipblock.cidr", "port.range", "selector", "shape"
    span: Span
    field_path: str
    object: str
    message: str


# -- selectors ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Requirement:
    """One `matchExpressions` entry of a label selector."""

    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist (anything else makes the selector invalid)
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A label selector as written. `valid=False` means the API server would reject it."""

    match_labels: tuple[tuple[str, str], ...]
    expressions: tuple[Requirement, ...]
    valid: bool
    source: Source

    @property
    def is_empty(self) -> bool:
        """`{}`: selects everything."""
        return not self.match_labels and not self.expressions

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.match_labels]
        for r in self.expressions:
            if r.operator in ("Exists", "DoesNotExist"):
                parts.append(("!" if r.operator == "DoesNotExist" else "") + r.key)
            else:
                parts.append(f"{r.key} {r.operator.lower()} ({', '.join(r.values)})")
        return ", ".join(parts) if parts else "{}"


# -- cluster objects --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Namespace:
    """A namespace, declared in the input or used by its objects."""

    name: str
    labels: Mapping[str, str]
    declared: bool  # False when synthesised because objects use it
    source: Source


@dataclass(frozen=True, slots=True)
class ContainerPort:
    """A port a container of a pod template declares."""

    name: str | None
    port: int
    protocol: str


@dataclass(frozen=True, slots=True)
class Workload:
    """A group of identical pods: a bare Pod, a controller's pods, or one replica type of a job."""

    kind: str  # Pod, Deployment, PyTorchJob, ...
    namespace: str
    name: str
    group: str | None  # replica type / role group for ML jobs: "Worker", "head", ...
    labels: Mapping[str, str]
    ports: tuple[ContainerPort, ...]
    replicas: int
    host_network: bool
    pod_ips: tuple[IPAddress, ...]
    annotations: Mapping[str, str]
    source: Source  # the pod template (or the Pod)
    object_source: Source  # the owning object
    # The object that holds the pod template when it is not the owning object (a TrainJob's
    # TrainingRuntime or ClusterTrainingRuntime), else None
    template_source: Source | None = None

    @property
    def id(self) -> str:
        if self.kind == "Pod":
            return f"{self.namespace}/{self.name}"
        if self.group is not None:
            return f"{self.namespace}/{self.name}[{self.kind}/{self.group}]"
        return f"{self.namespace}/{self.name}[{self.kind}]"


# -- Service ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ServicePort:
    """One entry of a Service's `ports`, defaulted as the API server does: `targetPort` is `port`
    when absent, `protocol` is TCP when absent."""

    name: str | None
    port: int
    target_port: int | str  # a number, or the name of a container port of the selected pods
    target_port_given: bool
    protocol: str
    source: Source  # the entry in `spec.ports`

    def target_on(self, ports: Iterable[ContainerPort]) -> int | None:
        """The pod port this Service port forwards to on a pod with these container ports: the
        number itself, or the container port of that name *and* protocol (as the endpoint
        controller resolves it); None when the pod declares no such name."""
        if isinstance(self.target_port, int):
            return self.target_port
        for cp in ports:
            if cp.name == self.target_port and cp.protocol == self.protocol:
                return cp.port
        return None

    def describe(self) -> str:
        target = self.target_port if isinstance(self.target_port, int) else repr(self.target_port)
        return f"{self.protocol}/{self.port} -> targetPort {target}"


@dataclass(frozen=True, slots=True)
class Service:
    """A Service: which pods it sends to (`selector`) and how its ports map to theirs.

    Services never change what NetworkPolicy allows: policies see the pod's address and port
    after the Service's translation. They matter because people write policies in Service terms."""

    namespace: str
    name: str
    type: str  # ClusterIP (the default), NodePort, LoadBalancer, ExternalName
    # The selector as written (equality only). None when absent or empty: the endpoints are
    # managed by hand (EndpointSlices) or by another controller, and no pod is selected.
    selector: tuple[tuple[str, str], ...] | None
    ports: tuple[ServicePort, ...]
    source: Source  # the whole object
    selector_source: Source | None  # `spec.selector`, when written

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}[Service]"

    @property
    def selects_pods(self) -> bool:
        return self.selector is not None and self.type != "ExternalName"

    def selects(self, workload: "Workload") -> bool:
        """Whether the Service sends traffic to this workload's pods (same namespace, every
        selector label present with its value)."""
        if not self.selects_pods or workload.namespace != self.namespace:
            return False
        labels = workload.labels
        return all(labels.get(k) == v for k, v in self.selector or ())

    def port(self, number_or_name: int | str, protocol: str | None = None) -> ServicePort | None:
        """The Service port with this number (and protocol, when given) or this name."""
        for p in self.ports:
            if (p.port == number_or_name or (p.name is not None and p.name == number_or_name)) and (
                    protocol is None or p.protocol == protocol):
                return p
        return None


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    """Where one Service port lands on one selected workload."""

    service: Service
    port: ServicePort
    workload: Workload
    pod_port: int | None  # None: a named targetPort the workload does not declare


# -- NetworkPolicy ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ExceptEntry:
    """One `except` entry of an ipBlock."""

    text: str
    network: IPNetwork | None  # None when it does not parse
    valid: bool  # parses and is a strict subset of the block's cidr
    index: int
    host_bits_set: bool = False  # "10.1.2.3/16": accepted, means its network (10.1.0.0/16)
    source: Source | None = field(default=None, compare=False)  # the entry in the `except` list


@dataclass(frozen=True, slots=True)
class IPBlock:
    """An `ipBlock` peer: a CIDR and its exceptions."""

    cidr_text: str
    network: IPNetwork | None  # host bits masked off; None when the cidr does not parse
    host_bits_set: bool
    excepts: tuple[ExceptEntry, ...]
    valid: bool  # the whole block is acceptable to the API server
    source: Source


@dataclass(frozen=True, slots=True)
class Peer:
    """One `from`/`to` entry of a NetworkPolicy rule."""

    pod_selector: LabelSelector | None
    namespace_selector: LabelSelector | None
    ip_block: IPBlock | None
    valid: bool
    source: Source


@dataclass(frozen=True, slots=True)
class PolicyPort:
    """One `ports` entry of a NetworkPolicy rule."""

    protocol: str  # as written, defaulted to TCP when absent; may be invalid
    protocol_given: bool
    port: int | str | None  # number, name, or None for "all ports of the protocol"
    end_port: int | None
    valid: bool
    source: Source

    @property
    def is_named(self) -> bool:
        return isinstance(self.port, str)


@dataclass(frozen=True, slots=True)
class Rule:
    """One ingress or egress rule of a NetworkPolicy."""

    direction: str  # Ingress or Egress
    index: int
    # Empty tuple: the rule has no `from`/`to` (or an empty one) and matches every peer.
    peers: tuple[Peer, ...]
    # Empty tuple: no `ports` (or empty) and the rule matches every port and protocol.
    ports: tuple[PolicyPort, ...]
    source: Source

    @property
    def peers_key(self) -> str:
        return "from" if self.direction == INGRESS else "to"

    @property
    def allows_all_peers(self) -> bool:
        return not self.peers

    @property
    def allows_all_ports(self) -> bool:
        return not self.ports


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """A `networking.k8s.io/v1` NetworkPolicy as read, what the API server would reject marked invalid."""

    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: tuple[str, ...]  # effective, after defaulting; only valid values
    policy_types_written: tuple[Any, ...] | None  # as written; None when absent
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]
    ingress_written: bool  # the key `ingress` is present
    egress_written: bool
    annotations: Mapping[str, str]
    source: Source  # the whole object

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def isolates(self, direction: str) -> bool:
        return direction in self.policy_types

    def rules(self, direction: str) -> tuple[Rule, ...]:
        return self.ingress if direction == INGRESS else self.egress


@dataclass(frozen=True, slots=True)
class OtherPolicy:
    """A policy kind that changes connectivity but that policylint does not evaluate."""

    kind: str
    api_version: str
    namespace: str | None
    name: str
    source: Source


@dataclass(frozen=True, slots=True)
class UnusedObject:
    """An object that was read but plays no part in the analysis, and why (listed under `-v`)."""

    object: str  # "ConfigMap shop/settings"
    span: Span
    reason: str  # "kind without pods or policies"


@dataclass(slots=True)
class Cluster:
    """The model of the whole input: namespaces, workloads, policies, services and the issues found building it."""

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    workloads: list[Workload] = field(default_factory=list)
    policies: list[NetworkPolicy] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)  # in input order
    other_policies: list[OtherPolicy] = field(default_factory=list)
    # AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy (model/tier_types.py)
    tier_policies: list[Any] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    unknown_kinds: dict[str, int] = field(default_factory=dict)
    unused: list[UnusedObject] = field(default_factory=list)  # read, not used: said, never dropped silently
    # NetworkPolicies that operators create from a field of their resources (model/operator_policies):
    # evaluated by the engine like the input's, linted by no policy rule (nobody wrote them)
    operator_policies: list[NetworkPolicy] = field(default_factory=list)
    created_policies: list[Any] = field(default_factory=list)  # CreatedPolicy, parallel to operator_policies
    unmodelled_operator_policies: list[Any] = field(default_factory=list)  # UnmodelledPolicy
    # ConfigMap data by (namespace, name): string values only. Not analysed as objects; intent
    # rules read what a job's mounted or env-sourced ConfigMaps say (service addresses).
    config_maps: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    duplicates: list[Any] = field(default_factory=list)  # model.duplicates.Duplicate: copies set aside
    # Service ports the API server calls (webhooks, aggregated APIs): model.api_backends
    api_server_backends: list[Any] = field(default_factory=list)
    # Annotation mappings as written (YMap, with positions), by object label, for suppression
    object_annotations: dict[tuple[str, str], Any] = field(default_factory=dict)  # (path, object label)
    # Services by namespace, built on first use (rules ask per workload; there may be thousands)
    _services_by_namespace: dict[str, list[Service]] | None = field(default=None, repr=False, compare=False)

    @property
    def evaluated_policies(self) -> list[NetworkPolicy]:
        """The NetworkPolicies connectivity is computed from: the input's, then those operators
        create from the input's resources."""
        return self.policies + self.operator_policies if self.operator_policies else self.policies

    def with_pods(self, namespaces: dict[str, Namespace], pods: list[Workload]) -> "Cluster":
        """A copy with more pods (and their namespaces) and everything else the same — every
        policy kind, operators' policies included, so the engine built on it answers as on this one."""
        from dataclasses import replace

        return replace(self, namespaces=namespaces, workloads=list(self.workloads) + pods, _services_by_namespace=None)

    # -- Services ----------------------------------------------------------------------------------

    def service(self, namespace: str, name: str) -> Service | None:
        """The Service `namespace/name` (the first one, if the input gives it twice)."""
        return next((s for s in self.services if s.namespace == namespace and s.name == name), None)

    def service_pods(self, service: Service) -> list[Workload]:
        """The workloads whose pods the Service sends traffic to, in input order."""
        return [w for w in self.workloads if service.selects(w)]

    def services_of(self, workload: Workload) -> list[Service]:
        """The Services that send traffic to this workload's pods."""
        index = self._services_by_namespace
        if index is None or sum(map(len, index.values())) != len(self.services):
            index = self._services_by_namespace = {}
            for service in self.services:
                index.setdefault(service.namespace, []).append(service)
        return [s for s in index.get(workload.namespace, ()) if s.selects(workload)]

    def service_targets(self, service: Service) -> list[ServiceTarget]:
        """Every (workload, Service port) the Service forwards to, with the pod port it lands on
        (None when a named targetPort is not declared by that workload)."""
        pods = self.service_pods(service)
        return [ServiceTarget(service, p, w, p.target_on(w.ports)) for w in pods for p in service.ports]
