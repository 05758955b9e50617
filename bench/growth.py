#!/usr/bin/env python3
"""The growth of one command from a small export to a large one, from interleaved runs.

    python bench/growth.py --work DIR [--pods 10000,150000] [--command matrix-ns] [--rounds 3]
                           [--python PY ...]

`run_export.py` times all runs of one size, then all of the next: on a shared or virtual machine
whose speed drifts by a tenth or more over minutes, the ratio of two such series measures the
drift as much as the program. Here each round runs small, large, small, so both sizes see the same
machine; the large export runs once first, unmeasured, so that its memory is not the first the
machine hands out (on a virtual machine, first-touched memory can cost several times more system
time). With several `--python` (interpreters with different policylint installs), each round
runs every one at each step: an A/B comparison under the same conditions. The figures are CPU
seconds (user + system) of the command alone, medians over the rounds, with one process
(POLICYLINT_JOBS=1) as in run_export.py.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run_export  # noqa: E402

COMMANDS = ("check", "matrix-ns", "reach")


def argv_for(python: str, command: str, manifests: Path, meta: dict) -> list[str]:
    base = [python, "-m", "policylint"]
    if command == "check":
        return [*base, "check", str(manifests)]
    if command == "matrix-ns":
        return [*base, "matrix", str(manifests), "--aggregate", "namespace"]
    pair = meta.get("reach") or {}
    return [*base, "reach", str(manifests), "--from", pair.get("from", ""), "--to", pair.get("to", "")]


def cpu_seconds(argv: list[str]) -> float:
    """CPU seconds of one run of `argv` (its own rusage, from wait4), run outside any source tree
    so that the interpreter's installed policylint is the one timed."""
    env = dict(os.environ, POLICYLINT_JOBS="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd="/")
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(argv)}: exit {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="where the exports are generated and kept")
    parser.add_argument("--pods", default="10000,150000", help="the small and the large size")
    parser.add_argument("--command", choices=COMMANDS, default="matrix-ns")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--python", action="append", help="interpreter(s) to compare (default: this one)")
    args = parser.parse_args(argv)
    small, large = (int(p) for p in args.pods.split(","))
    pythons = args.python or [sys.executable]
    exports = {pods: run_export.prepare(args.work, pods, args.seed) for pods in (small, large)}
    runs = {(python, pods): [] for python in pythons for pods in (small, large)}

    def step(pods: int) -> None:
        out, meta = exports[pods]
        for python in pythons:
            runs[(python, pods)].append(cpu_seconds(argv_for(python, args.command, out / "manifests", meta)))

    out, meta = exports[large]
    cpu_seconds(argv_for(pythons[0], args.command, out / "manifests", meta))  # not measured: see above
    for _ in range(args.rounds):
        for pods in (small, large, small):
            step(pods)
    for python in pythons:
        a, b = statistics.median(runs[(python, small)]), statistics.median(runs[(python, large)])
        every = " ".join(f"{x:.2f}" for x in runs[(python, large)])
        print(f"{python}: {args.command} {small:,} pods {a:.2f} s, {large:,} pods {b:.2f} s ({every}), "
              f"growth {b / a:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
