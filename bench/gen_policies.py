"""NetworkPolicy objects for a generated cluster, in the proportions a platform team ends up with.

Three phases, so that even small sizes look plausible:
1. baselines — default-deny per namespace (ingress, or both directions plus a DNS allowance);
2. a weighted mix of allow policies (same app, app to app, cross-namespace AND peers,
   namespace-only peers, ipBlocks with `except`, `endPort` ranges, `matchExpressions`, ...);
3. about 3% deliberately questionable policies that a linter should flag.
Exactly `count` policies come out. Every selector is built from labels that real workloads carry,
so the connectivity they describe is not empty.
"""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import Callable

from gen_cluster import Cluster, Doc, Endpoint, Namespace

API = "networking.k8s.io/v1"
NAME_KEY = "kubernetes.io/metadata.name"
QUESTIONABLE_SHARE = 0.03
BASELINE_SHARE = 0.35

DNS_PEER: Doc = {"namespaceSelector": {"matchLabels": {NAME_KEY: "kube-system"}},
                 "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}

# Labels that name one pod group of a job, with the label that names the job itself (both are needed
# to pick one job's group: every RayCluster has a `headgroup`).
GROUP_KEYS: tuple[tuple[str, str | None], ...] = (
    ("k8s-app", None), ("ray.io/group", "ray.io/cluster"),
    ("training.kubeflow.org/replica-type", "training.kubeflow.org/job-name"),
    ("jobset.sigs.k8s.io/replicatedjob-name", "jobset.sigs.k8s.io/jobset-name"),
)

IPV4_BLOCKS = (("10.0.0.0/8", ["10.96.0.0/12", "10.244.0.0/16"]), ("172.16.0.0/12", ["172.17.0.0/16"]),
               ("192.168.0.0/16", ["192.168.100.0/24"]), ("100.64.0.0/10", ["100.64.0.0/16"]))
IPV6_BLOCKS = (("fd00::/8", ["fd00:10:96::/112"]), ("2001:db8::/32", ["2001:db8:1::/48", "2001:db8:ff::/48"]))
# The cloud metadata endpoint is the one address every "internet egress" policy should carve out.
INTERNET_EXCEPT = ["169.254.169.254/32", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]


@dataclass(slots=True)
class PolicyGen:
    rng: random.Random
    cluster: Cluster
    phantoms: list[str]  # namespaces that only policies mention: never declared, no workloads
    docs: list[tuple[str, Doc]] = field(default_factory=list)
    names: dict[str, set[str]] = field(default_factory=dict)
    dns_allowed: set[str] = field(default_factory=set)
    by_ns: dict[str, list[Endpoint]] = field(default_factory=dict)
    ns_info: dict[str, Namespace] = field(default_factory=dict)
    user_ns: list[str] = field(default_factory=list)  # namespaces with workloads, outside the system ones
    weights: list[int] = field(default_factory=list)  # busier namespaces get more policies
    done: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for ns in self.cluster.namespaces:
            self.ns_info[ns.name] = ns
            self.by_ns[ns.name] = []
        for ep in self.cluster.endpoints:
            self.by_ns[ep.namespace].append(ep)
        self.user_ns = [ns.name for ns in self.cluster.namespaces if ns.purpose != "system" and self.by_ns[ns.name]]
        if not self.user_ns:  # fewer pods asked for than the platform's own: policies go there
            self.user_ns = [ns.name for ns in self.cluster.namespaces if self.by_ns[ns.name]]
        self.weights = [len(self.by_ns[n]) for n in self.user_ns]

    # -- bookkeeping ------------------------------------------------------------------------------

    def first_time(self, ns: str, what: str) -> bool:
        """Namespace-wide policies exist once per namespace; a second copy would be noise."""
        key = f"{ns}\0{what}"
        if key in self.done:
            return False
        self.done.add(key)
        return True

    def add(self, ns: str, name: str, spec: Doc, annotations: dict[str, str] | None = None) -> None:
        taken = self.names.setdefault(ns, set())
        unique, n = name[:60].rstrip("-"), 2
        while unique in taken:
            unique, n = f"{name[:56].rstrip('-')}-{n}", n + 1
        taken.add(unique)
        meta: Doc = {"name": unique, "namespace": ns}
        if annotations:
            meta["annotations"] = annotations
        self.docs.append((ns, {"apiVersion": API, "kind": "NetworkPolicy", "metadata": meta, "spec": spec}))

    def pick_ns(self) -> str:
        return self.rng.choices(self.user_ns, weights=self.weights)[0]

    def pick_ep(self, ns: str, want: Callable[[Endpoint], bool] = lambda e: True) -> Endpoint | None:
        candidates = [e for e in self.by_ns.get(ns, []) if want(e)]
        return self.rng.choice(candidates) if candidates else None

    def other_ns_ep(self, ns: str, want: Callable[[Endpoint], bool] = lambda e: True) -> Endpoint | None:
        for _ in range(8):  # a few tries are enough; the caller falls back when none fits
            other = self.pick_ns()
            if other != ns:
                found = self.pick_ep(other, want)
                if found:
                    return found
        return None

    # -- selectors and ports ----------------------------------------------------------------------

    def pod_sel(self, ep: Endpoint) -> Doc:
        """Select `ep` the way people do: by group label for ML jobs, else by app name."""
        labels = ep.labels
        for key, owner in GROUP_KEYS:
            if key in labels and self.rng.random() < 0.7:
                chosen = {key: labels[key]}
                if owner:
                    chosen[owner] = labels[owner]
                return {"matchLabels": chosen}
        key = next((k for k in ("app", "app.kubernetes.io/name", "k8s-app") if k in labels), min(labels))
        chosen = {key: labels[key]}
        for extra, chance in (("component", 0.25), ("app.kubernetes.io/instance", 0.3)):
            if extra in labels and self.rng.random() < chance:
                chosen[extra] = labels[extra]
        return {"matchLabels": chosen}

    def ns_sel(self, name: str) -> Doc:
        info = self.ns_info.get(name)
        if info and info.declared and self.rng.random() < 0.4:
            key = self.rng.choice(["team", "purpose"])
            chosen = {key: info.labels[key]}
            if self.rng.random() < 0.5:
                chosen["env"] = info.labels["env"]
            return {"matchLabels": chosen}
        return {"matchLabels": {NAME_KEY: name}}

    def ports(self, ep: Endpoint, limit: int = 2) -> list[Doc]:
        if not ep.ports:
            return [{"port": self.rng.choice([8080, 443, 9000]), "protocol": "TCP"}]
        chosen = self.rng.sample(list(ep.ports), min(limit, len(ep.ports), self.rng.randint(1, limit)))
        result = []
        for name, number, protocol in chosen:
            port: Doc = {"port": name if name and self.rng.random() < 0.5 else number}
            if protocol != "TCP" or self.rng.random() < 0.4:
                port["protocol"] = protocol
            result.append(port)
        return result

    def dns_rule(self) -> Doc:
        ports: list[Doc]
        if self.rng.random() < 0.2:  # named ports resolve against CoreDNS's `dns`/`dns-tcp`
            ports = [{"port": "dns", "protocol": "UDP"}, {"port": "dns-tcp", "protocol": "TCP"}]
        else:
            ports = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
        return {"to": [copy.deepcopy(DNS_PEER)], "ports": ports}
