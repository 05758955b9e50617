#!/usr/bin/env python3
"""A cluster export at scale: every pod as `kubectl get pods -A -o yaml` lists it, in one big file.

    python bench/gen_export.py --pods 150000 --out OUT            # 1,500 namespaces, 15,000 policies
    python bench/gen_export.py --pods 10000 --format json --out OUT

Where `generate.py` writes what a team keeps in git (controllers with pod templates, a folder per
namespace), this writes what a platform team exports from a running cluster at Kubernetes' scale
limits (150,000 pods per cluster): one `kind: List` file holding the Namespaces and every pod as a
bare Pod with the labels its controller added at run time (`pod-template-hash`, a StatefulSet's
`statefulset.kubernetes.io/pod-name`, a training job's `replica-index`, a JobSet's completion
index, Ray's node type), its owner, node and pod IP; and the NetworkPolicies in a second file
(one policy per 10 pods by default). The pods come from the same vocabulary and the policies from
the same mix as `generate.py`, with 1,500 user namespaces at 150,000 pods (one per 100 pods), and
namespace purposes weighted so that about 30 % of the pods carry the training role and 20 % the
data-service role (the shape of the issue that measured 150,000 pods).

OUT receives `manifests/cluster-export.yaml` (or `.json`), `manifests/network-policies.yaml` and
`bench-meta.json` (as generate.py writes it, with sample pairs for `policylint reach` naming pods).
The same arguments give byte-identical output.
"""
from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import random
import sys
import time
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
from gen_cluster import Cluster, Endpoint, Namespace, system_namespaces, user_namespaces  # noqa: E402
from gen_cluster import REGISTRY  # noqa: E402
from gen_policies import PolicyGen  # noqa: E402
from gen_policy_mix import generate_policies  # noqa: E402
from gen_vocab import VERSIONS  # noqa: E402
from gen_workloads import SYSTEM_PODS, add_system_workloads, fill_namespace  # noqa: E402
from sizes import DEFAULT_SEED  # noqa: E402

EXPORT = "cluster-export"
POLICIES = "network-policies.yaml"
PODS_PER_NAMESPACE = 100
NODES_PER_POD = 1 / 30  # 150,000 pods on 5,000 nodes: Kubernetes' other published limit
# Namespace purposes by pod share: training namespaces hold the big jobs. Tuned so that about 30 %
# of pods are training pods and 20 % data-service pods (the rest serving and system).
PURPOSE_WEIGHT = {"ml-training": 1.35, "data": 1.5, "serving": 1.0}

_DUMP_NOTE = "synthetic benchmark input written by bench/gen_export.py, not a real cluster"


def build(pods: int, policies: int, seed: int, namespaces: int) -> generate.Generated:
    rng = random.Random(seed)
    cluster = Cluster()
    users = user_namespaces(rng, namespaces)
    cluster.namespaces = system_namespaces() + users
    add_system_workloads(cluster)
    saved = dict(generate.PURPOSE_WEIGHT)
    generate.PURPOSE_WEIGHT.update(PURPOSE_WEIGHT)
    try:
        shares = generate.split_budget(rng, max(0, pods - SYSTEM_PODS), users)
    finally:
        generate.PURPOSE_WEIGHT.update(saved)
    for ns, share in zip(users, shares):
        fill_namespace(rng, cluster, ns, share)
    phantoms = sorted({f"sandbox-{ns.team}" for ns in users[: max(1, len(users) // 20)]})
    gen = PolicyGen(rng, cluster, phantoms)
    generate_policies(gen, policies)
    used = {ns_name for ns_name, _ in gen.docs}
    return generate.Generated(cluster, gen.docs, [p for p in phantoms if p in used])


_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' SafeEncodeString alphabet: no vowels, never a number


def _hash(*parts: str, length: int = 10) -> str:
    # pod-template-hash and name suffixes look random but are a function of the names
    # (deterministic), in the alphabet Kubernetes uses so that no suffix reads as a number or word
    digest = hashlib.sha1("/".join(parts).encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:length])


def _uid(*parts: str) -> str:
    h = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _pods_of(e: Endpoint) -> Iterator[tuple[str, dict[str, str], dict[str, str] | None]]:
    """(pod name, run-time labels added by the controller, owner) for each pod of an endpoint."""
    if e.kind == "Pod":
        yield e.name, {}, None
        return
    if e.kind == "Deployment":
        template_hash = _hash(e.namespace, e.name)
        rs = f"{e.name}-{template_hash}"
        for i in range(e.pods):
            yield f"{rs}-{_hash(rs, str(i), length=5)}", {"pod-template-hash": template_hash}, \
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs}
        return
    if e.kind == "StatefulSet":
        for i in range(e.pods):
            name = f"{e.name}-{i}"
            yield name, {"statefulset.kubernetes.io/pod-name": name, "apps.kubernetes.io/pod-index": str(i),
                         "controller-revision-hash": f"{e.name}-{_hash(e.namespace, e.name)}"}, \
                {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": e.name}
        return
    if e.kind == "DaemonSet":
        for i in range(e.pods):
            yield f"{e.name}-{_hash(e.name, str(i), length=5)}", \
                {"controller-revision-hash": _hash(e.namespace, e.name), "pod-template-generation": "1"}, \
                {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": e.name}
        return
    if e.kind in ("Job", "CronJob"):
        job = e.name if e.kind == "Job" else f"{e.name}-28911540"
        uid = _uid(e.namespace, job)
        for i in range(e.pods):
            yield f"{job}-{_hash(job, str(i), length=5)}", \
                {"batch.kubernetes.io/job-name": job, "job-name": job, "batch.kubernetes.io/controller-uid": uid,
                 "controller-uid": uid}, {"apiVersion": "batch/v1", "kind": "Job", "name": job}
        return
    if e.kind == "PyTorchJob":
        rtype = (e.group or "worker").lower()
        for i in range(e.pods):
            yield f"{e.name}-{rtype}-{i}", \
                {"training.kubeflow.org/job-name": e.name, "training.kubeflow.org/operator-name": "pytorchjob-controller",
                 "training.kubeflow.org/replica-type": rtype, "training.kubeflow.org/replica-index": str(i)}, \
                {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "name": e.name}
        return
    if e.kind == "JobSet":
        group = e.group or "workers"
        job = f"{e.name}-{group}-0"
        for i in range(e.pods):
            yield f"{job}-{i}-{_hash(job, str(i), length=5)}", \
                {"jobset.sigs.k8s.io/jobset-name": e.name, "jobset.sigs.k8s.io/replicatedjob-name": group,
                 "jobset.sigs.k8s.io/job-index": "0", "batch.kubernetes.io/job-completion-index": str(i),
                 "batch.kubernetes.io/job-name": job, "job-name": job}, \
                {"apiVersion": "batch/v1", "kind": "Job", "name": job}
        return
    if e.kind == "RayCluster":
        group = e.group or "workers"
        head = group == "head"
        for i in range(e.pods):
            name = f"{e.name}-head-{_hash(e.name, 'head', length=5)}" if head else \
                f"{e.name}-{group}-worker-{_hash(e.name, group, str(i), length=5)}"
            yield name, {"ray.io/cluster": e.name, "ray.io/node-type": "head" if head else "worker",
                         "ray.io/group": "headgroup" if head else group, "ray.io/is-ray-node": "yes"}, \
                {"apiVersion": "ray.io/v1", "kind": "RayCluster", "name": e.name}
        return
    for i in range(e.pods):  # a kind added to the vocabulary later: pods named by index
        yield f"{e.name}-{i}", {}, None


def _pod(e: Endpoint, name: str, extra: dict[str, str], owner: dict[str, str] | None, ip: str, node: str,
         rng: random.Random) -> dict[str, Any]:
    # Trimmed to what the analysis reads, plus owner and node: about 470 bytes of YAML per pod, as
    # in the measured export (a full export adds uids, timestamps and managedFields to every pod).
    metadata: dict[str, Any] = {"name": name, "namespace": e.namespace, "labels": {**e.labels, **extra}}
    if owner is not None:
        metadata["ownerReferences"] = [{**owner, "controller": True}]
    container: dict[str, Any] = {
        "name": e.app.name if e.app else name.split("-")[0],
        "image": f"{REGISTRY}/{e.app.name if e.app else 'system'}:{rng.choice(VERSIONS)}",
    }
    ports = []
    for port_name, number, protocol in e.ports:
        port: dict[str, Any] = {"containerPort": number, "protocol": protocol}
        if port_name:
            port["name"] = port_name
        ports.append(port)
    if ports:
        container["ports"] = ports
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": {"containers": [container], "nodeName": node},
            "status": {"phase": "Running", "podIP": ip}}


def export_items(generated: generate.Generated, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed + 1)
    cluster = generated.cluster
    nodes = max(3, round(cluster.pods * NODES_PER_POD))
    base = int(ipaddress.IPv4Address("10.0.0.1"))
    count = 0
    for ns in cluster.namespaces:
        if ns.declared:
            yield generate.namespace_doc(ns)
    for e in cluster.endpoints:
        for name, extra, owner in _pods_of(e):
            yield _pod(e, name, extra, owner, str(ipaddress.IPv4Address(base + count)),
                       f"node-{count * 7919 % nodes:04d}", rng)
            count += 1


def sample_pairs(generated: generate.Generated) -> list[dict[str, str]]:
    """generate.py's pairs, with endpoints named by a pod (an export has no controllers)."""
    pairs = []
    for pair in generate.sample_pairs(generated.cluster):
        names = []
        for side in (pair["from"], pair["to"]):
            endpoint = next(e for e in generated.cluster.endpoints if e.id == side)
            first = next(_pods_of(endpoint))[0]
            names.append(f"{endpoint.namespace}/{first}")
        pairs.append({"from": names[0], "to": names[1]})
    return pairs


def write(generated: generate.Generated, out: Path, seed: int, fmt: str, args: dict[str, Any]) -> dict[str, Any]:
    manifests = generate.prepare_out(out)
    items = list(export_items(generated, seed))
    export = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}
    if fmt == "json":
        text = json.dumps(export, indent=4, sort_keys=True) + "\n"  # kubectl indents with 4 spaces
        export_name = f"{EXPORT}.json"
    else:
        text = f"# {_DUMP_NOTE}\n" + generate.yaml.dump(export, Dumper=generate._Dumper, sort_keys=True,
                                                         default_flow_style=False, width=1000)
        export_name = f"{EXPORT}.yaml"
    written = []
    data = text.encode("utf-8")
    (manifests / export_name).write_bytes(data)
    written.append((export_name, len(data)))
    data = generate.render([doc for _, doc in generated.policies], seed).encode("utf-8")
    (manifests / POLICIES).write_bytes(data)
    written.append((POLICIES, len(data)))
    meta = generate.metadata(generated, args, written)
    meta["pod_objects"] = sum(1 for item in items if item["kind"] == "Pod")
    meta["layout"] = "export"
    pairs = sample_pairs(generated)
    meta["reach"] = pairs[0] if pairs else None
    meta["reach_pairs"] = pairs
    (out / generate.META).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return meta


def generate_export(out: Path, pods: int, policies: int | None = None, seed: int = DEFAULT_SEED,
                    namespaces: int | None = None, fmt: str = "yaml", size: str | None = None) -> dict[str, Any]:
    policies = pods // 10 if policies is None else policies
    namespaces = namespaces or max(3, pods // PODS_PER_NAMESPACE)
    args = {"pods": pods, "policies": policies, "seed": seed, "namespaces": namespaces, "format": fmt,
            "size": size, "layout": "export"}
    return write(build(pods, policies, seed, namespaces), out, seed, fmt, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, required=True)
    parser.add_argument("--policies", type=int, help="NetworkPolicy objects (default: one per 10 pods)")
    parser.add_argument("--namespaces", type=int, help=f"user namespaces (default: one per {PODS_PER_NAMESPACE} pods)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml", help="of the pod export")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    meta = generate_export(args.out, args.pods, args.policies, args.seed, args.namespaces, args.format)
    print(f"{meta['pod_objects']} pods, {meta['policies']} policies, {meta['namespaces']} namespaces: "
          f"{meta['bytes'] / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
