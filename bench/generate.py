#!/usr/bin/env python3
"""Generate a realistic, deterministic Kubernetes cluster as manifests, to benchmark policylint.

    python bench/generate.py --pods 10000 --policies 2000 --seed 1 --out OUT
    python bench/generate.py --size large --out OUT

OUT receives `bench-meta.json` (what was generated, and sample endpoint ids for `policylint
reach`) and `manifests/`, the directory to analyse: by default `manifests/<namespace>/workloads.yaml`
(the Namespace and its workloads) and `manifests/<namespace>/network-policies.yaml`; with
`--files K` the same documents in order, split over K files. The metadata sits outside
`manifests/` because policylint also reads `.json` files and would report it as a stray object.

The same arguments always give byte-identical output: one `random.Random(seed)` drives every
choice, documents are dumped with sorted keys, and nothing depends on time or the environment.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling gen_* modules, from anywhere

import yaml  # noqa: E402

from gen_cluster import Cluster, Doc, Endpoint, Namespace, namespace_doc, system_namespaces  # noqa: E402
from gen_cluster import user_namespace_count, user_namespaces  # noqa: E402
from gen_policies import PolicyGen  # noqa: E402
from gen_policy_mix import generate_policies  # noqa: E402
from gen_workloads import SYSTEM_PODS, add_system_workloads, fill_namespace  # noqa: E402
from sizes import DEFAULT_SEED, SIZES  # noqa: E402

MANIFESTS = "manifests"
META = "bench-meta.json"
META_SCHEMA = "policylint.bench/v1"
# ML namespaces hold the big jobs; data namespaces sit in between.
PURPOSE_WEIGHT = {"ml-training": 3.0, "data": 1.5, "serving": 1.0}

_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Never emit anchors: hand-written manifests do not use them, and tools differ on them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@dataclass(slots=True)
class Generated:
    cluster: Cluster
    policies: list[tuple[str, Doc]]
    phantoms: list[str]


# -- building -------------------------------------------------------------------------------------

def build(pods: int, policies: int, seed: int) -> Generated:
    rng = random.Random(seed)
    cluster = Cluster()
    users = user_namespaces(rng, user_namespace_count(pods))
    cluster.namespaces = system_namespaces() + users
    add_system_workloads(cluster)
    for ns, share in zip(users, split_budget(rng, max(0, pods - SYSTEM_PODS), users)):
        fill_namespace(rng, cluster, ns, share)
    phantoms = sorted({f"sandbox-{ns.team}" for ns in users[: max(1, len(users) // 20)]})
    gen = PolicyGen(rng, cluster, phantoms)
    generate_policies(gen, policies)
    used = {ns_name for ns_name, _ in gen.docs}
    return Generated(cluster, gen.docs, [p for p in phantoms if p in used])


def split_budget(rng: random.Random, pods: int, namespaces: list[Namespace]) -> list[int]:
    """Share `pods` between namespaces by weight, with largest remainders so the sum is exact."""
    weights = [PURPOSE_WEIGHT[ns.purpose] * rng.uniform(0.5, 1.5) for ns in namespaces]
    total = sum(weights)
    exact = [pods * w / total for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: pods - sum(shares)]:
        shares[i] += 1
    return shares


# -- laying out files -----------------------------------------------------------------------------

def layout(generated: Generated, files: int | None) -> list[tuple[str, list[Doc]]]:
    """(relative path, documents) in a fixed order: per namespace, workloads then policies."""
    per_ns: list[tuple[str, list[Doc], list[Doc]]] = []
    policies: dict[str, list[Doc]] = {}
    for ns_name, doc in generated.policies:
        policies.setdefault(ns_name, []).append(doc)
    workloads: dict[str, list[Doc]] = {}
    for ns_name, doc in generated.cluster.workloads:
        workloads.setdefault(ns_name, []).append(doc)
    for ns in generated.cluster.namespaces:
        head = [namespace_doc(ns)] if ns.declared else []
        per_ns.append((ns.name, head + workloads.get(ns.name, []), policies.get(ns.name, [])))
    for phantom in generated.phantoms:
        per_ns.append((phantom, [], policies.get(phantom, [])))
    if files is None:
        result = []
        for name, objects, nps in per_ns:
            if objects:
                result.append((f"{name}/workloads.yaml", objects))
            if nps:
                result.append((f"{name}/network-policies.yaml", nps))
        return result
    flat = [doc for _, objects, nps in per_ns for doc in objects + nps]
    count = max(1, min(files, len(flat)))
    return [(f"part-{i + 1:04d}-of-{count:04d}.yaml", flat[i * len(flat) // count:(i + 1) * len(flat) // count])
            for i in range(count)]


def render(docs: list[Doc], seed: int) -> str:
    header = f"# Generated by bench/generate.py (seed {seed}): synthetic benchmark input, not a real cluster.\n"
    body = yaml.dump_all(docs, Dumper=_Dumper, sort_keys=True, default_flow_style=False, explicit_start=True,
                         width=1000, allow_unicode=True)
    return header + body


# -- metadata ---------------------------------------------------------------------------------------

def sample_pairs(cluster: Cluster) -> list[dict[str, str]]:
    """Endpoint ids for `policylint reach`, in policylint's id format, most interesting first."""
    eps = cluster.endpoints

    def first(pred: Any) -> Endpoint | None:
        return next((e for e in eps if pred(e)), None)

    purpose = {ns.name: ns.purpose for ns in cluster.namespaces}
    worker = first(lambda e: e.kind == "PyTorchJob" and e.group == "Worker")
    master = first(lambda e: worker is not None and e.namespace == worker.namespace and e.name == worker.name
                   and e.group == "Master")
    data = first(lambda e: e.labels.get("role") == "data-service-pod" and purpose.get(e.namespace) == "data")
    frontend = first(lambda e: e.labels.get("app") == "frontend" or e.labels.get("app.kubernetes.io/name") == "frontend")
    ingress = first(lambda e: e.name == "ingress-nginx-controller")
    dns = first(lambda e: e.name == "coredns")
    candidates = [(worker, data), (worker, master), (ingress, frontend), (frontend, dns)]
    pairs = [{"from": a.id, "to": b.id} for a, b in candidates if a is not None and b is not None]
    if not pairs and len(eps) >= 2:
        pairs.append({"from": eps[-1].id, "to": eps[0].id})
    return pairs


def metadata(generated: Generated, args: dict[str, Any], written: list[tuple[str, int]]) -> dict[str, Any]:
    cluster = generated.cluster
    kinds: dict[str, int] = {}
    for _, doc in cluster.workloads:
        kinds[doc["kind"]] = kinds.get(doc["kind"], 0) + 1
    pairs = sample_pairs(cluster)
    undeclared = [ns.name for ns in cluster.namespaces if not ns.declared] + generated.phantoms
    return {
        "schema": META_SCHEMA,
        "arguments": args,
        "manifests": MANIFESTS,
        "pods": cluster.pods,
        "policies": len(generated.policies),
        "namespaces": len(cluster.namespaces) + len(generated.phantoms),
        "undeclared_namespaces": sorted(undeclared),
        "endpoints": len(cluster.endpoints),
        "workload_objects": dict(sorted(kinds.items())),
        "files": len(written),
        "bytes": sum(size for _, size in written),
        "reach": pairs[0] if pairs else None,
        "reach_pairs": pairs,
    }


# -- writing --------------------------------------------------------------------------------------

def prepare_out(out: Path) -> Path:
    """Refuse to mix with unrelated files; replace a previous generation wholesale."""
    out.mkdir(parents=True, exist_ok=True)
    strangers = sorted(p.name for p in out.iterdir() if p.name not in (MANIFESTS, META))
    if strangers:
        raise SystemExit(f"error: {out} holds files this generator did not write ({', '.join(strangers[:3])}); "
                         "choose an empty directory")
    manifests = out / MANIFESTS
    if manifests.exists():
        shutil.rmtree(manifests)
    manifests.mkdir()
    return manifests


def write(generated: Generated, out: Path, files: int | None, seed: int, args: dict[str, Any]) -> dict[str, Any]:
    manifests = prepare_out(out)
    written: list[tuple[str, int]] = []
    for rel, docs in layout(generated, files):
        target = manifests / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        data = render(docs, seed).encode("utf-8")
        target.write_bytes(data)
        written.append((rel, len(data)))
    meta = metadata(generated, args, written)
    (out / META).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return meta


def generate(out: Path, pods: int, policies: int, seed: int = DEFAULT_SEED, files: int | None = None,
             size: str | None = None) -> dict[str, Any]:
    """Build and write one cluster; returns its metadata (also in OUT/bench-meta.json)."""
    args = {"pods": pods, "policies": policies, "seed": seed, "files": files, "size": size}
    return write(build(pods, policies, seed), out, files, seed, args)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES, key=lambda s: SIZES[s].pods),
                        help="a standard size; --pods/--policies override its numbers")
    parser.add_argument("--pods", type=int, help="total pods (sum of replicas)")
    parser.add_argument("--policies", type=int, help="number of NetworkPolicy objects")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--files", type=int, help="spread the documents over this many files "
                        "(default: two files per namespace)")
    parser.add_argument("--out", required=True, type=Path, help="output directory (empty, or a previous output)")
    args = parser.parse_args(argv)
    base = SIZES[args.size] if args.size else None
    args.pods = args.pods if args.pods is not None else (base.pods if base else None)
    args.policies = args.policies if args.policies is not None else (base.policies if base else None)
    if args.pods is None or args.policies is None:
        parser.error("give --size, or both --pods and --policies")
    if args.pods < 1 or args.policies < 0 or (args.files is not None and args.files < 1):
        parser.error("--pods and --files must be positive, --policies not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    meta = generate(args.out, args.pods, args.policies, args.seed, args.files, args.size)
    elapsed = time.perf_counter() - started
    print(f"{meta['pods']} pods in {sum(meta['workload_objects'].values())} workloads "
          f"({meta['endpoints']} endpoints), {meta['policies']} policies, {meta['namespaces']} namespaces: "
          f"{meta['files']} files, {meta['bytes'] / 1e6:.2f} MB in {elapsed:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
