"""One builder per workload kind; each returns the manifest and the pod groups it creates.

Every builder receives the number of pods still to place (`budget`) and never exceeds it, so the
cluster's total pod count lands exactly on the requested number.
"""
from __future__ import annotations

import random
from typing import Callable

from gen_cluster import (DAEMONSET_NODES, REGISTRY, Cluster, Doc, Endpoint, Namespace, metadata, pod_labels, pod_spec,
                         selector_of, template)
from gen_vocab import APPS, PORT_PROFILES, VARIANTS, VERSIONS, App

Built = tuple[Doc, list[Endpoint]]
Builder = Callable[[random.Random, Namespace, App, str, int], Built]

# Smallest pod count each kind can be built with (DaemonSets are fixed at the node count).
MIN_PODS = {"Pod": 1, "Deployment": 1, "StatefulSet": 1, "Job": 1, "CronJob": 1, "DaemonSet": DAEMONSET_NODES,
            "PyTorchJob": 2, "JobSet": 2, "RayCluster": 2}


def _ports(app: App) -> tuple:
    return PORT_PROFILES[app.profile]


def _pick(rng: random.Random, choices: list[int], budget: int) -> int:
    return max(1, min(budget, rng.choice(choices)))


def build_pod(rng: random.Random, ns: Namespace, app: App, name: str, budget: int) -> Built:
    labels = pod_labels(rng, ns, app, name)
    spec = pod_spec(rng, ns, app, _ports(app), restart="Never" if app.component == "batch" else None)
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata(ns, name, labels), "spec": spec}
    return doc, [Endpoint(ns.name, name, "Pod", None, labels, _ports(app), 1, app)]


def _controller(rng: random.Random, ns: Namespace, app: App, name: str, kind: str, api: str,
                replicas: int, extra: Doc | None = None, host_network: bool = False) -> Built:
    labels = pod_labels(rng, ns, app, name)
    spec: Doc = {"selector": {"matchLabels": selector_of(labels)},
                 "template": template(labels, pod_spec(rng, ns, app, _ports(app), host_network=host_network),
                                      _scrape_annotations(rng, app))}
    if kind != "DaemonSet":
        spec["replicas"] = replicas
    spec.update(extra or {})
    doc = {"apiVersion": api, "kind": kind, "metadata": metadata(ns, name, selector_of(labels)), "spec": spec}
    return doc, [Endpoint(ns.name, name, kind, None, labels, _ports(app), replicas, app)]


def _scrape_annotations(rng: random.Random, app: App) -> dict[str, str] | None:
    ports = {p[0]: p[1] for p in _ports(app)}
    if "metrics" in ports and rng.random() < 0.5:
        return {"prometheus.io/scrape": "true", "prometheus.io/port": str(ports["metrics"])}
    return None


def build_deployment(rng: random.Random, ns: Namespace, app: App, name: str, budget: int) -> Built:
    replicas = _pick(rng, [1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8, 10, 12], budget)
    return _controller(rng, ns, app, name, "Deployment", "apps/v1", replicas)


def build_statefulset(rng: random.Random, ns: Namespace, app: App, name: str, budget: int) -> Built:
    replicas = _pick(rng, [1, 3, 3, 3, 5], budget)
    return _controller(rng, ns, app, name, "StatefulSet", "apps/v1", replicas, {"serviceName": name})


def build_daemonset(rng: random.Random, ns: Namespace, app: App, name: str, budget: int) -> Built:
    return _controller(rng, ns, app, name, "DaemonSet", "apps/v1", DAEMONSET_NODES)


def build_job(rng: random.Random, ns: Namespace, app: App, name: str, budget: int) -> Built:
    parallelism = _pick(rng, [1, 1, 2, 4, 8], budget)
    labels = pod_labels(rng, ns, app, name)
    spec = {"parallelism": parallelism, "completions": parallelism, "backoffLimit": 3,
            "template": template(labels, pod_spec(rng, ns, app, _ports(app), restart="Never"))}
    doc = {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata(ns, name, selector_of(labels)), "spec": spec}
    return doc, [Endpoint(ns.name, name, "Job", None, labels, _ports(app), parallelism, app)]


def build_cronjob(rng: random.Random, ns: Namespace, app: App, name: str, budget: int) -> Built:
    labels = pod_labels(rng, ns, app, name)
    job = {"spec": {"backoffLimit": 2, "template": template(labels, pod_spec(rng, ns, app, _ports(app),
                                                                            restart="OnFailure"))}}
    schedule = f"{rng.randrange(60)} {rng.randrange(24)} * * *"
    spec = {"schedule": schedule, "concurrencyPolicy": "Forbid", "jobTemplate": job}
    doc = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": metadata(ns, name, selector_of(labels)),
           "spec": spec}
    return doc, [Endpoint(ns.name, name, "CronJob", None, labels, _ports(app), 1, app)]


def build_pytorchjob(rng: random.Random, ns: Namespace, app: App, name: str, budget: int) -> Built:
    workers = _pick(rng, [1, 2, 3, 4, 7, 8, 15, 16, 31, 63], budget - 1)
    gpus = rng.choice([1, 2, 4, 8])
    replica_specs: Doc = {}
    endpoints = []
    base = pod_labels(rng, ns, app, name)  # one job's replica types share their labels but for the type
    image = f"{REGISTRY}/{ns.team}/{app.name}:{rng.choice(VERSIONS)}"
    for replica_type, replicas in (("Master", 1), ("Worker", workers)):
        labels = dict(base)
        # The training operator adds these itself; many teams also write them so that their
        # policies can select a replica type before the operator runs.
        labels["training.kubeflow.org/job-name"] = name
        labels["training.kubeflow.org/replica-type"] = replica_type.lower()
        spec = pod_spec(rng, ns, app, _ports(app), gpus=gpus)
        spec["containers"][0].update(name="pytorch", image=image)  # the operator requires this container name
        replica_specs[replica_type] = {"replicas": replicas, "restartPolicy": "OnFailure",
                                       "template": template(labels, spec)}
        endpoints.append(Endpoint(ns.name, name, "PyTorchJob", replica_type, labels, _ports(app), replicas, app))
    doc = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
           "metadata": metadata(ns, name, {"app": app.name, "team": ns.team}),
           "spec": {"pytorchReplicaSpecs": replica_specs, "runPolicy": {"cleanPodPolicy": "None"}}}
    return doc, endpoints


def build_jobset(rng: random.Random, ns: Namespace, app: App, name: str, budget: int) -> Built:
    parallelism = _pick(rng, [1, 2, 4, 8], budget - 1)
    replicas = _pick(rng, [1, 2, 4, 8], max(1, (budget - 1) // parallelism))
    replicated, endpoints = [], []
    base = pod_labels(rng, ns, app, name)
    image = f"{REGISTRY}/{ns.team}/{app.name}:{rng.choice(VERSIONS)}"
    for job_name, job_replicas, job_parallelism in (("driver", 1, 1), ("workers", replicas, parallelism)):
        labels = dict(base)
        labels["jobset.sigs.k8s.io/jobset-name"] = name
        labels["jobset.sigs.k8s.io/replicatedjob-name"] = job_name
        pod = pod_spec(rng, ns, app, _ports(app), restart="Never", gpus=0 if job_name == "driver" else 8)
        pod["containers"][0]["image"] = image
        job_template = {"spec": {"parallelism": job_parallelism, "completions": job_parallelism,
                                 "backoffLimit": 0, "template": template(labels, pod)}}
        replicated.append({"name": job_name, "replicas": job_replicas, "template": job_template})
        endpoints.append(Endpoint(ns.name, name, "JobSet", job_name, labels, _ports(app),
                                  job_replicas * job_parallelism, app))
    doc = {"apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet",
           "metadata": metadata(ns, name, {"app": app.name, "team": ns.team}),
           "spec": {"replicatedJobs": replicated, "network": {"enableDNSHostnames": True}}}
    return doc, endpoints


def build_raycluster(rng: random.Random, ns: Namespace, app: App, name: str, budget: int) -> Built:
    endpoints = []
    base = pod_labels(rng, ns, app, name)
    image = f"docker.io/rayproject/ray-ml:{rng.choice(['2.9.0', '2.9.0-gpu', '2.10.0'])}"

    def group_template(group: str, node_type: str, profile: str) -> tuple[dict[str, str], tuple, Doc]:
        labels = dict(base)
        labels.update({"ray.io/cluster": name, "ray.io/node-type": node_type, "ray.io/group": group})
        ports = PORT_PROFILES[profile]
        spec = pod_spec(rng, ns, app, ports, gpus=0 if node_type == "head" else rng.choice([0, 1, 4]))
        spec["containers"][0].update(name=f"ray-{node_type}", image=image)
        return labels, ports, template(labels, spec)

    labels, ports, head = group_template("headgroup", "head", "ray-head")
    endpoints.append(Endpoint(ns.name, name, "RayCluster", "head", labels, ports, 1, app))
    worker_groups = []
    remaining = budget - 1
    for group in ("cpu-workers", "gpu-workers")[: rng.choice([1, 1, 2])]:
        if remaining < 1:
            break
        replicas = _pick(rng, [1, 2, 4, 8, 16], remaining)
        remaining -= replicas
        labels, ports, tmpl = group_template(group, "worker", "ray-worker")
        worker_groups.append({"groupName": group, "replicas": replicas, "minReplicas": 0,
                              "maxReplicas": replicas * 2, "rayStartParams": {}, "template": tmpl})
        endpoints.append(Endpoint(ns.name, name, "RayCluster", group, labels, ports, replicas, app))
    doc = {"apiVersion": "ray.io/v1", "kind": "RayCluster",
           "metadata": metadata(ns, name, {"app": app.name, "team": ns.team}),
           "spec": {"rayVersion": "2.9.0", "headGroupSpec": {"rayStartParams": {"dashboard-host": "0.0.0.0"},
                                                             "template": head},
                    "workerGroupSpecs": worker_groups}}
    return doc, endpoints


BUILDERS: dict[str, Builder] = {
    "Pod": build_pod, "Deployment": build_deployment, "StatefulSet": build_statefulset,
    "DaemonSet": build_daemonset, "Job": build_job, "CronJob": build_cronjob,
    "PyTorchJob": build_pytorchjob, "JobSet": build_jobset, "RayCluster": build_raycluster,
}


def fill_namespace(rng: random.Random, cluster: Cluster, ns: Namespace, budget: int) -> None:
    """Add workloads to `ns` until exactly `budget` pods run there."""
    apps = APPS[ns.purpose]
    weights = [a.weight for a in apps]
    names: set[str] = set()
    while budget > 0:
        app = rng.choices(apps, weights=weights)[0]
        kind = rng.choices([k for k, _ in app.kinds], weights=[w for _, w in app.kinds])[0]
        if MIN_PODS[kind] > budget:  # too few pods left for this kind: take an app that fits
            app = rng.choice([a for a in apps if any(MIN_PODS[k] <= budget for k, _ in a.kinds)])
            kind = next(k for k, _ in app.kinds if MIN_PODS[k] <= budget)
        doc, endpoints = BUILDERS[kind](rng, ns, app, _workload_name(rng, ns, app, names), budget)
        cluster.workloads.append((ns.name, doc))
        cluster.endpoints.extend(endpoints)
        budget -= sum(e.pods for e in endpoints)


def _workload_name(rng: random.Random, ns: Namespace, app: App, taken: set[str]) -> str:
    name = app.name
    if name in taken:
        name = f"{app.name}-{rng.choice(VARIANTS[ns.purpose])}"
    base, n = name, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


# -- the platform team's namespaces ------------------------------------------------------------------

# (namespace, name, kind, labels, ports, replicas, hostNetwork, image)
_SYSTEM: tuple[tuple, ...] = (
    ("kube-system", "coredns", "Deployment", {"k8s-app": "kube-dns"},
     (("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")), 2, False,
     "registry.k8s.io/coredns/coredns:v1.11.1"),
    ("kube-system", "kube-proxy", "DaemonSet", {"k8s-app": "kube-proxy"}, (), DAEMONSET_NODES, True,
     "registry.k8s.io/kube-proxy:v1.29.2"),
    ("kube-system", "metrics-server", "Deployment", {"k8s-app": "metrics-server"}, (("https", 10250, "TCP"),), 1,
     False, "registry.k8s.io/metrics-server/metrics-server:v0.7.0"),
    ("monitoring", "prometheus", "StatefulSet", {"app": "prometheus", "app.kubernetes.io/name": "prometheus"},
     (("web", 9090, "TCP"),), 1, False, "quay.io/prometheus/prometheus:v2.50.1"),
    ("monitoring", "node-exporter", "DaemonSet", {"app.kubernetes.io/name": "node-exporter"},
     (("metrics", 9100, "TCP"),), DAEMONSET_NODES, True, "quay.io/prometheus/node-exporter:v1.7.0"),
    ("monitoring", "grafana", "Deployment", {"app": "grafana", "app.kubernetes.io/name": "grafana"},
     (("http", 3000, "TCP"),), 1, False, "docker.io/grafana/grafana:10.3.3"),
    ("ingress-nginx", "ingress-nginx-controller", "Deployment",
     {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
     (("http", 80, "TCP"), ("https", 443, "TCP"), ("metrics", 10254, "TCP")), 2, False,
     "registry.k8s.io/ingress-nginx/controller:v1.10.0"),
)

SYSTEM_PODS = sum(row[5] for row in _SYSTEM)


def add_system_workloads(cluster: Cluster) -> None:
    for ns_name, name, kind, labels, ports, replicas, host_network, image in _SYSTEM:
        container: Doc = {"name": name.split("-")[0], "image": image}
        if ports:
            container["ports"] = [{"name": n, "containerPort": p, "protocol": proto} for n, p, proto in ports]
        spec: Doc = {"containers": [container], "priorityClassName": "system-cluster-critical"}
        if host_network:
            spec["hostNetwork"] = True
        body: Doc = {"selector": {"matchLabels": dict(labels)}, "template": template(dict(labels), spec)}
        if kind != "DaemonSet":
            body["replicas"] = replicas
        if kind == "StatefulSet":
            body["serviceName"] = name
        doc = {"apiVersion": "apps/v1", "kind": kind,
               "metadata": {"name": name, "namespace": ns_name, "labels": dict(labels)}, "spec": body}
        cluster.workloads.append((ns_name, doc))
        cluster.endpoints.append(Endpoint(ns_name, name, kind, None, dict(labels), ports, replicas))
