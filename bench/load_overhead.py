"""What position bookkeeping costs: policylint's loader against plain PyYAML with the C loader.

    python bench/load_overhead.py --mb 50 [--runs 3]         # generates a manifest folder
    python bench/load_overhead.py --dir PATH [--runs 3]      # or measures an existing one

Both sides read the same files from disk in the same process, interleaved run by run, so a busy
machine slows both alike; the medians and their ratio are printed.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from policylint.load import load_paths

DOCUMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: ns-{n}
  labels: {{app: app-{i}, team: t{t}}}
spec:
  replicas: 3
  template:
    metadata:
      labels: {{app: app-{i}, team: t{t}, tier: backend}}
    spec:
      containers:
        - name: main
          image: registry.example.com/app:{i}
          ports:
            - {{name: http, containerPort: 8080}}
            - {{name: metrics, containerPort: 9090}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: np-{i}, namespace: ns-{n}}}
spec:
  podSelector: {{matchLabels: {{app: app-{i}}}}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - namespaceSelector: {{matchLabels: {{team: t{t}}}}}
          podSelector: {{matchExpressions: [{{key: tier, operator: In, values: [frontend, backend]}}]}}
      ports: [{{port: http}}, {{port: 9000, endPort: 9100}}]
  egress:
    - to: [{{ipBlock: {{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}}}]
---
"""


def generate(folder: Path, megabytes: int) -> None:
    written, index = 0, 0
    while written < megabytes * 1024 * 1024:
        text = "".join(DOCUMENT.format(i=index * 100 + k, n=index % 40, t=k % 7) for k in range(100))
        (folder / f"m{index:04d}.yaml").write_text(text)
        written += len(text)
        index += 1


def plain(files: list[Path]) -> None:
    for path in files:
        list(yaml.load_all(path.read_bytes().decode(), Loader=yaml.CSafeLoader))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        if args.dir is None:
            generate(folder, args.mb)
        files = sorted(folder.glob("*.yaml"))
        size = sum(p.stat().st_size for p in files) / 1e6
        times: dict[str, list[float]] = {"yaml.load_all (CSafeLoader)": [], "policylint load_paths": []}
        for _ in range(args.runs):
            for name, run in (("yaml.load_all (CSafeLoader)", lambda: plain(files)),
                              ("policylint load_paths", lambda: load_paths([str(folder)]))):
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    print(f"{len(files)} files, {size:.1f} MB, {args.runs} interleaved runs")
    for name, values in times.items():
        print(f"  {name:30s} median {statistics.median(values):6.2f} s  runs {[round(v, 2) for v in values]}")
    ratio = statistics.median(times["policylint load_paths"]) / statistics.median(times["yaml.load_all (CSafeLoader)"])
    print(f"  ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
