#!/usr/bin/env python3
"""The load stage (read, parse, split into objects) in one process and on several, side by side.

    python bench/load_parallel.py DIR [DIR ...] [--jobs 1,2] [--runs 3]

Each run is a fresh interpreter that calls `policylint.load.load_paths` on DIR with `jobs=N` and
reports wall time, CPU seconds (its own and its workers'), and peak RSS (its own, and the largest
worker's). Medians of `--runs` runs are printed as a Markdown table, with the load average seen
before each configuration: wall times on a shared machine mean little without it.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

_CHILD = r"""
import json, resource, sys, time
from policylint.analysis import collector_paused
from policylint.load import load_paths
wall, cpu = time.perf_counter(), time.process_time()
with collector_paused():  # as `check` runs the load stage
    result = load_paths(sys.argv[1:-1], jobs=int(sys.argv[-1]))
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
own = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": cpu, "worker_cpu": kids.ru_utime + kids.ru_stime,
                  "rss_mb": own.ru_maxrss / 1024, "worker_rss_mb": kids.ru_maxrss / 1024,
                  "objects": len(result.objects), "problems": len(result.problems)}))
"""


def measure(paths: list[str], jobs: int, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _CHILD, *paths, str(jobs)], check=True,
                             capture_output=True, text=True).stdout
        samples.append(json.loads(out))
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--jobs", default="1,2", help="comma-separated process counts (default 1,2)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| input | jobs | wall | CPU (main + workers) | peak RSS (main / largest worker) | load average |")
    print("|---|---:|---:|---:|---:|---:|")
    for jobs in (int(j) for j in args.jobs.split(",")):
        load = os.getloadavg()[0]
        m = measure(args.paths, jobs, args.runs)
        workers = f" / {m['worker_rss_mb']:.0f} MB" if jobs > 1 else ""
        print(f"| {' '.join(args.paths)} ({m['objects']:.0f} objects) | {jobs} | {m['wall']:.2f} s | "
              f"{m['cpu']:.2f} + {m['worker_cpu']:.2f} s | {m['rss_mb']:.0f} MB{workers} | {load:.1f} |", flush=True)


if __name__ == "__main__":
    main()
