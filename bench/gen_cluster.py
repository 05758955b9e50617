"""Namespaces and workloads of a generated cluster.

Everything here is driven by one `random.Random`; iteration order is always that of lists built
in a fixed order (never of sets), so the same seed gives the same cluster.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from gen_vocab import ENVS, NS_TIERS, PURPOSE_SUFFIX, TEAMS, VERSIONS, App, PortSpec

# A DaemonSet runs one pod per node; the benchmark pretends the cluster has this many nodes.
DAEMONSET_NODES = 3
REGISTRY = "registry.example.com"

Doc = dict[str, Any]


@dataclass(slots=True)
class Namespace:
    name: str
    labels: dict[str, str]
    purpose: str
    team: str
    declared: bool = True


@dataclass(slots=True)
class Endpoint:
    """One pod group as policylint names it: a bare Pod, a controller's pods, a replica type."""

    namespace: str
    name: str
    kind: str
    group: str | None
    labels: dict[str, str]
    ports: tuple[PortSpec, ...]
    pods: int
    app: App | None = None

    @property
    def id(self) -> str:
        if self.kind == "Pod":
            return f"{self.namespace}/{self.name}"
        if self.group is not None:
            return f"{self.namespace}/{self.name}[{self.kind}/{self.group}]"
        return f"{self.namespace}/{self.name}[{self.kind}]"


@dataclass(slots=True)
class Cluster:
    namespaces: list[Namespace] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    # (namespace, document) in emission order; Namespace objects are not in here
    workloads: list[tuple[str, Doc]] = field(default_factory=list)

    def endpoints_in(self, namespace: str) -> list[Endpoint]:
        return [e for e in self.endpoints if e.namespace == namespace]

    @property
    def pods(self) -> int:
        return sum(e.pods for e in self.endpoints)


# -- namespaces --------------------------------------------------------------------------------

def user_namespace_count(pods: int) -> int:
    """Grows like sqrt(pods): 50 pods -> 4 namespaces, 20,000 -> ~88, as monorepos tend to."""
    return max(3, min(150, round(math.sqrt(pods) / 1.6)))


def system_namespaces() -> list[Namespace]:
    def ns(name: str, team: str, tier: str) -> Namespace:
        labels = {"team": team, "env": "prod", "tier": tier, "purpose": "system"}
        return Namespace(name, labels, "system", team)

    kube_system = ns("kube-system", "platform", "critical")
    # Exported clusters carry the automatic label explicitly; keep one such namespace.
    kube_system.labels["kubernetes.io/metadata.name"] = "kube-system"
    return [kube_system, ns("monitoring", "observability", "critical"), ns("ingress-nginx", "platform", "critical")]


def user_namespaces(rng: random.Random, count: int) -> list[Namespace]:
    # The first three guarantee every purpose exists even in the tiny cluster.
    purposes = ["ml-training", "data", "serving"][:count]
    while len(purposes) < count:
        purposes.append(rng.choices(["serving", "data", "ml-training"], weights=[45, 25, 30])[0])
    taken: set[str] = set()
    result: list[Namespace] = []
    for index, purpose in enumerate(purposes):
        team = TEAMS[(index * 7 + rng.randrange(len(TEAMS))) % len(TEAMS)]
        env = rng.choices([e for e, _ in ENVS], weights=[w for _, w in ENVS])[0]
        if index == 0:
            # The namespace of the project's seed example, so its intents have a home here.
            name, team, env = "ml-workloads", "ml-platform", "prod"
        else:
            name = f"{team}-{rng.choice(PURPOSE_SUFFIX[purpose])}" + ("" if env == "prod" else f"-{env}")
        name = _unique(name, taken)
        labels = {"team": team, "env": env, "purpose": purpose, "tier": rng.choice(NS_TIERS)}
        if rng.random() < 0.15:
            labels["kubernetes.io/metadata.name"] = name
        result.append(Namespace(name, labels, purpose, team))
    _mark_undeclared(rng, result)
    return result


def _mark_undeclared(rng: random.Random, namespaces: list[Namespace]) -> None:
    """A few namespaces get objects but no Namespace manifest (created by hand, long ago)."""
    candidates = namespaces[3:] or namespaces[-1:]
    for ns in rng.sample(candidates, max(1, len(namespaces) // 15)):
        ns.declared = False
        ns.labels = {}


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


def namespace_doc(ns: Namespace) -> Doc:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns.name, "labels": dict(ns.labels)}}


# -- pod templates -------------------------------------------------------------------------------

def container_ports(ports: tuple[PortSpec, ...], rng: random.Random) -> list[Doc]:
    result = []
    for name, number, protocol in ports:
        port: Doc = {"containerPort": number}
        if name:
            port["name"] = name
        # TCP is the default; about a third of manifests spell it out anyway.
        if protocol != "TCP" or rng.random() < 0.3:
            port["protocol"] = protocol
        result.append(port)
    return result


def pod_spec(rng: random.Random, ns: Namespace, app: App, ports: tuple[PortSpec, ...], *,
             restart: str | None = None, gpus: int = 0, host_network: bool = False) -> Doc:
    main_ports = list(ports)
    containers: list[Doc] = []
    sidecar_ports = [p for p in main_ports if p[0] == "metrics"]
    # An exporter sidecar carries the metrics port in some pods: named ports then span containers.
    if sidecar_ports and rng.random() < 0.25:
        main_ports = [p for p in main_ports if p[0] != "metrics"]
    else:
        sidecar_ports = []
    containers.append(_container(rng, app.name, f"{REGISTRY}/{ns.team}/{app.name}", main_ports, gpus))
    if sidecar_ports:
        containers.append(_container(rng, "exporter", f"{REGISTRY}/platform/metrics-exporter", sidecar_ports, 0))
    spec: Doc = {"containers": containers}
    if restart:
        spec["restartPolicy"] = restart
    if host_network:
        spec["hostNetwork"] = True
    if gpus:
        spec["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    return spec


def _container(rng: random.Random, name: str, image: str, ports: list[PortSpec], gpus: int) -> Doc:
    cpu = rng.choice(["100m", "250m", "500m", "1", "2", "4"])
    memory = rng.choice(["128Mi", "256Mi", "512Mi", "1Gi", "4Gi", "16Gi"])
    resources: Doc = {"requests": {"cpu": cpu, "memory": memory}}
    if gpus:
        resources["limits"] = {"nvidia.com/gpu": gpus}
    container: Doc = {"name": name, "image": f"{image}:{rng.choice(VERSIONS)}", "resources": resources}
    if ports:
        container["ports"] = container_ports(tuple(ports), rng)
    return container


def pod_labels(rng: random.Random, ns: Namespace, app: App, name: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    style = rng.random()
    # Teams disagree on `app` versus the recommended `app.kubernetes.io/name`; many write both.
    if style < 0.7:
        labels["app"] = app.name
        labels["app.kubernetes.io/name"] = app.name
    elif style < 0.9:
        labels["app"] = app.name
    else:
        labels["app.kubernetes.io/name"] = app.name
    if name != app.name:
        labels["app.kubernetes.io/instance"] = name
    if rng.random() < 0.8:
        labels["component"] = app.component
    if rng.random() < 0.6 or app.role:
        labels["tier"] = app.tier
    if app.role:
        labels["role"] = app.role
    if rng.random() < 0.5:
        labels["version"] = rng.choice(VERSIONS[:3])
    if rng.random() < 0.7:
        labels["team"] = ns.team
    return labels


def selector_of(labels: dict[str, str]) -> dict[str, str]:
    """The controller's selector: the identifying labels only, as charts do."""
    keys = ("app", "app.kubernetes.io/name", "app.kubernetes.io/instance", "ray.io/cluster",
            "ray.io/group", "k8s-app")
    chosen = {k: labels[k] for k in keys if k in labels}
    if "app" in chosen and "app.kubernetes.io/name" in chosen:
        del chosen["app.kubernetes.io/name"]
    return chosen


def template(labels: dict[str, str], spec: Doc, annotations: dict[str, str] | None = None) -> Doc:
    metadata: Doc = {"labels": labels}
    if annotations:
        metadata["annotations"] = annotations
    return {"metadata": metadata, "spec": spec}


def metadata(ns: Namespace, name: str, labels: dict[str, str]) -> Doc:
    return {"name": name, "namespace": ns.name, "labels": labels}
