"""Growth of each known stress shape: does the time double when the input doubles?

Four shapes that adversarial or unusual inputs produce, each grown step by step:

- `rules`: one NetworkPolicy with N ingress rules on overlapping selectors and ports (PL401);
- `policies`: N policies that all select one pod (PL402);
- `diff-ips`: `diff` of N pods with IPs against the same pods under an ipBlock change;
- `aggregate`: `matrix --aggregate namespace` on N namespaces of one pod each.

For each size it prints the CPU time of the child process (user + system; wall time is noise on
a shared machine), its peak RSS and the ratio to the previous size. Near-linear growth shows as
ratios near 2 when N doubles; 4 or more is quadratic. Each run is capped (`--timeout`) so that
a super-linear shape stops early instead of occupying the machine.

    python bench/scaling.py                       # all shapes, default sizes
    python bench/scaling.py --shape rules --sizes 50,100,200,400
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

DEFAULT_SIZES = {"rules": [25, 50, 100, 200], "policies": [25, 50, 100, 200],
                 "diff-ips": [125, 250, 500, 1000], "aggregate": [200, 400, 800, 1600]}


def _pod(name: str, namespace: str, labels: dict[str, str], ip: str | None = None) -> dict:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
           "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 8080}]}]}}
    if ip:
        pod["status"] = {"podIP": ip, "podIPs": [{"ip": ip}]}
    return pod


def _policy(name: str, namespace: str, selector: dict, ingress: list) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": namespace},
            "spec": {"podSelector": selector, "policyTypes": ["Ingress"], "ingress": ingress}}


def shape_rules(n: int, root: Path) -> list[str]:
    rules = [{"from": [{"podSelector": {"matchLabels": {"tier": f"t{i % 7}"}}},
                       {"ipBlock": {"cidr": f"10.{i % 250}.0.0/16"}}],
              "ports": [{"port": 8000 + i % 50, "endPort": 8100 + i % 50}]} for i in range(n)]
    docs = [_pod("api", "shop", {"app": "api"}), _policy("many-rules", "shop", {"matchLabels": {"app": "api"}}, rules)]
    _write(root / "m.json", docs)
    return ["check", "--select", "PL401", str(root)]


def shape_policies(n: int, root: Path) -> list[str]:
    docs = [_pod("api", "shop", {"app": "api"})]
    docs += [_policy(f"p{i}", "shop", {"matchLabels": {"app": "api"}},
                     [{"from": [{"podSelector": {"matchLabels": {"tier": f"t{i % 9}"}}}],
                       "ports": [{"port": 8000 + i % 40}]}]) for i in range(n)]
    _write(root / "m.json", docs)
    return ["check", "--select", "PL402", str(root)]


def shape_diff_ips(n: int, root: Path) -> list[str]:
    pods = [_pod(f"p{i}", f"ns{i % 20}", {"app": f"a{i % 50}"}, f"10.{i // 250}.{i % 250}.{1 + i % 200}") for i in range(n)]
    old = pods + [_policy("ext", "ns0", {}, [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}])]
    new = pods + [_policy("ext", "ns0", {}, [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}])]
    (root / "old").mkdir()
    (root / "new").mkdir()
    _write(root / "old" / "m.json", old)
    _write(root / "new" / "m.json", new)
    return ["diff", "-f", "json", str(root / "old"), str(root / "new")]


def shape_aggregate(n: int, root: Path) -> list[str]:
    docs = [_pod("p", f"ns{i}", {"app": "a"}) for i in range(n)]
    docs += [_policy("deny", f"ns{i}", {}, [{"from": [{"namespaceSelector": {}}]}]) for i in range(0, n, 10)]
    _write(root / "m.json", docs)
    return ["matrix", "--aggregate", "namespace", "-f", "json", str(root)]


SHAPES: dict[str, Callable[[int, Path], list[str]]] = {
    "rules": shape_rules, "policies": shape_policies, "diff-ips": shape_diff_ips, "aggregate": shape_aggregate}


def _write(path: Path, docs: list[dict]) -> None:
    path.write_text("\n---\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")


def measure(args: list[str], timeout: float) -> tuple[float | None, float]:
    """(CPU seconds of the child, or None past the timeout; peak RSS in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    try:
        subprocess.run([sys.executable, "-m", "policylint", *args], capture_output=True, timeout=timeout,
                       env={**os.environ, "NO_COLOR": "1"})
    except subprocess.TimeoutExpired:
        return None, 0.0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    del started
    return cpu, after.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=sorted(SHAPES), action="append")
    parser.add_argument("--sizes", help="comma-separated sizes (default: per shape)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run (default 60)")
    options = parser.parse_args()
    for name in options.shape or list(SHAPES):
        sizes = [int(s) for s in options.sizes.split(",")] if options.sizes else DEFAULT_SIZES[name]
        print(f"{name}:")
        previous = None
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                cpu, rss = measure(SHAPES[name](n, Path(tmp)), options.timeout)
            if cpu is None:
                print(f"  N={n:>6}  over {options.timeout:.0f} s: stopped")
                break
            ratio = f"  x{cpu / previous:.2f}" if previous else ""
            print(f"  N={n:>6}  {cpu:7.2f} s CPU  (peak RSS of any run so far {rss:6.0f} MB){ratio}")
            previous = cpu
    return None


if __name__ == "__main__":
    main()
