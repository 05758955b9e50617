#!/usr/bin/env python3
"""Check the generator: determinism, loadable YAML, exact counts, and the time it takes.

    python bench/selfcheck.py [--size tiny] [--time-size xl]

1. generates `--size` twice into fresh temporary directories and compares the trees byte for byte;
2. loads every document with `yaml.safe_load_all` and checks the pod and policy counts, that
   every object has a kind and a name, and that the sample endpoints of `bench-meta.json` exist;
3. times one generation of `--time-size` (skip with `--time-size none`).
Exits 1 on the first failed check. Not part of the test suite: it is about the benchmark's input.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402

import generate  # noqa: E402
from gen_cluster import DAEMONSET_NODES  # noqa: E402
from sizes import DEFAULT_SEED, SIZES  # noqa: E402


def same_tree(a: Path, b: Path) -> list[str]:
    """Relative paths that differ, are missing on one side, or are not regular files."""
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    if files_a != files_b:
        return sorted({str(p) for p in set(files_a) ^ set(files_b)})
    return [str(p) for p in files_a if not filecmp.cmp(a / p, b / p, shallow=False)]


def replicas_of(doc: dict) -> int:
    """Pods a document creates, counted the way the generator counts them."""
    kind, spec = doc["kind"], doc.get("spec", {})
    if kind == "Pod":
        return 1
    if kind == "DaemonSet":
        return DAEMONSET_NODES
    if kind in ("Deployment", "StatefulSet"):
        return spec["replicas"]
    if kind == "Job":
        return spec["parallelism"]
    if kind == "CronJob":
        return spec["jobTemplate"]["spec"].get("parallelism", 1)
    if kind == "PyTorchJob":
        return sum(r["replicas"] for r in spec["pytorchReplicaSpecs"].values())
    if kind == "JobSet":
        return sum(j["replicas"] * j["template"]["spec"]["parallelism"] for j in spec["replicatedJobs"])
    if kind == "RayCluster":
        return 1 + sum(g["replicas"] for g in spec["workerGroupSpecs"])
    return 0


def check_contents(out: Path, pods: int, policies: int) -> list[str]:
    meta = json.loads((out / generate.META).read_text(encoding="utf-8"))
    problems: list[str] = []
    counted_pods = counted_policies = 0
    names: set[str] = set()
    for path in sorted((out / meta["manifests"]).rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                if not isinstance(doc, dict) or not doc.get("kind") or not doc.get("metadata", {}).get("name"):
                    problems.append(f"{path.name}: a document without kind or name")
                    continue
                counted_pods += replicas_of(doc)
                counted_policies += doc["kind"] == "NetworkPolicy"
                if doc["kind"] != "Namespace":
                    names.add(f"{doc['metadata']['namespace']}/{doc['metadata']['name']}")
    if counted_pods != pods:
        problems.append(f"{counted_pods} pods written, {pods} requested")
    if counted_policies != policies:
        problems.append(f"{counted_policies} policies written, {policies} requested")
    for pair in meta["reach_pairs"]:
        for endpoint in pair.values():
            if endpoint.split("[")[0] not in names:
                problems.append(f"sample endpoint {endpoint} names no object")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="tiny", choices=list(SIZES))
    parser.add_argument("--time-size", default="xl", choices=[*SIZES, "none"])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        for folder in (first, second):
            generate.generate(Path(folder) / "out", size.pods, size.policies, args.seed, None, args.size)
        differing = same_tree(Path(first) / "out", Path(second) / "out")
        problems = [f"not deterministic: {p}" for p in differing[:5]]
        problems += check_contents(Path(first) / "out", size.pods, size.policies)
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        return 1
    print(f"ok: {args.size} is byte-identical across runs, loads with safe_load_all, counts match")
    if args.time_size != "none":
        timed = SIZES[args.time_size]
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            meta = generate.generate(Path(folder) / "out", timed.pods, timed.policies, args.seed, None, args.time_size)
            elapsed = time.perf_counter() - started
        print(f"ok: {args.time_size} ({meta['pods']} pods, {meta['policies']} policies, {meta['files']} files, "
              f"{meta['bytes'] / 1e6:.2f} MB) generated in {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
