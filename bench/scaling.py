"""Growth of each known stress shape: does the time double when the input doubles?

Four shapes that adversarial or unusual inputs produce, each grown step by step:

- `rules`: one NetworkPolicy with N ingress rules on overlapping selectors and ports (PL401);
- `rules-cut`: one policy with N rules `10.0.0.0/8 except <a /24 of its own>` on one port, whose
  ipBlocks cut each other: every rule is covered by the others together (PL401's worst case
  before the bitset comparison: cubic);
- `rules-in`: one policy with N rules whose peers are `In` lists of 16 namespaces x 16 apps, 256
  cases each (PL401);
- `policies`: N policies that all select one pod (PL402);
- `diff-ips`: `diff` of N pods with IPs against the same pods under an ipBlock change;
- `aggregate`: `matrix --aggregate namespace` on N namespaces of one pod each.

For each size it prints the CPU time of the child process (user + system; wall time is noise on
a shared machine), that run's own peak RSS, the size of its output, and the ratio of CPU time to
the previous size. Near-linear growth shows as
ratios near 2 when N doubles; 4 or more is quadratic. Each run is capped (`--timeout`) so that
a super-linear shape stops early instead of occupying the machine.

    python bench/scaling.py                       # all shapes, default sizes
    python bench/scaling.py --shape rules --sizes 50,100,200,400

The output of `diff-ips` and `aggregate` grows with pairs, not with the input: N single-pod
namespaces make N^2 namespace pairs, and `diff` lists every changed pair. There the ratio to
compare is the CPU time per MB of output (printed as s/MB).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

DEFAULT_SIZES = {"rules": [100, 200, 400, 800], "rules-cut": [100, 200, 400, 800], "rules-in": [50, 100, 200, 400],
                 "policies": [100, 200, 400, 800],
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


def shape_rules_cut(n: int, root: Path) -> list[str]:
    rules = [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": [f"10.{(i + 1) // 256}.{(i + 1) % 256}.0/24"]}}],
              "ports": [{"port": 80}]} for i in range(n)]
    docs = [_pod("api", "shop", {"app": "api"}), _policy("cut", "shop", {"matchLabels": {"app": "api"}}, rules)]
    _write(root / "m.json", docs)
    return ["check", "--select", "PL401", str(root)]


def shape_rules_in(n: int, root: Path) -> list[str]:
    def peer(i: int) -> dict:
        return {"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "In", "values": [f"t{j}" for j in range(16)]}]},
                "podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [f"a{(i + j) % 40}" for j in range(16)]}]}}
    rules = [{"from": [peer(i)], "ports": [{"port": 1000 + i % 30}]} for i in range(n)]
    docs = [_pod("api", "shop", {"app": "api"}), _policy("in", "shop", {"matchLabels": {"app": "api"}}, rules)]
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
    "rules": shape_rules, "rules-cut": shape_rules_cut, "rules-in": shape_rules_in, "policies": shape_policies, "diff-ips": shape_diff_ips, "aggregate": shape_aggregate}


def _write(path: Path, docs: list[dict]) -> None:
    path.write_text("\n---\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")


def measure(args: list[str], timeout: float) -> tuple[float | None, float, int]:
    """(CPU seconds of the child, or None past the timeout; its own peak RSS in MB; output bytes)."""
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen([sys.executable, "-m", "policylint", *args], stdout=out,
                                 stderr=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                child.kill()
                os.wait4(child.pid, 0)
                return None, 0.0, 0
            time.sleep(0.02)
        child.returncode = os.waitstatus_to_exitcode(status)
        return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.tell()


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
                cpu, rss, size = measure(SHAPES[name](n, Path(tmp)), options.timeout)
            if cpu is None:
                print(f"  N={n:>6}  over {options.timeout:.0f} s: stopped")
                break
            ratio = f"  x{cpu / previous:.2f}" if previous else ""
            per_mb = f"  {cpu / (size / 1e6):6.3f} s/MB" if size > 1e6 else ""
            print(f"  N={n:>6}  {cpu:7.2f} s CPU  {rss:6.0f} MB peak RSS  output {size / 1e6:8.2f} MB{per_mb}{ratio}",
                  flush=True)
            previous = cpu
    return None


if __name__ == "__main__":
    main()
