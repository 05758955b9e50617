#!/usr/bin/env python3
"""The connectivity graph's cost next to `check`'s, in one process (CPU seconds, best of N).

    python bench/graph.py --size large               # generate a standard size first (seed 1)
    python bench/graph.py --pods 150000 --policies 30000
    python bench/graph.py DIR                        # a folder of manifests

Stages, each from the same loaded cluster: `check` (loading, a fresh engine and every rule, as
the command runs them, PL520 and PL521 included, and once more without them); `engine`
(compiling the policies); `rows` (every distinct matrix row, which backward searches need;
forward searches compute only the rows they reach); a blast radius from 0.0.0.0/0 within 3 hops
(rows computed as reached); both on a fresh engine, its own time taken off; the networkx graph
of the whole cluster from those rows (`build_graph`: groups and hubs, networkx already imported;
its sizes, and the pairs of groups a graph with one edge per hop would have); `networkx import`
(once, in a child interpreter). The cyclic garbage collector is off, as in the `policylint` command.
At 150,000 pods, `--check-seconds S` takes check's CPU time from another process (run_export.py)
instead of running it here beside a second copy of the input; peak MB is this process' peak RSS.
"""
from __future__ import annotations

import argparse
import gc
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))


def best(runs: int, function):
    times, result = [], None
    for _ in range(runs):
        start = time.process_time()
        result = function()
        times.append(time.process_time() - start)
    return min(times), result


def networkx_import() -> float:
    code = "import time; t = time.process_time(); import networkx; print(time.process_time() - t)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def measure(folder: Path, runs: int, with_networkx: bool = True, without: bool = True,
            check_seconds: float | None = None) -> dict:
    """`check_seconds`: check's CPU time measured in another process (run_export.py, profile.py);
    `check` is then not run here, where it would hold a second copy of the whole input."""
    from policylint.analysis import analyse, load_and_model
    from policylint.config import load_config
    from policylint.engine import Engine
    from policylint.graph.build import build_graph, describe
    from policylint.graph.paths import Search
    from policylint.graph.rows import Rows

    import networkx  # noqa: F401  (its import is measured apart)

    config = load_config(None)
    _, cluster = load_and_model([str(folder)], config)
    if check_seconds is not None:
        check, check_without = check_seconds, float("nan")
    else:
        check, _ = best(runs, lambda: analyse([str(folder)], config))
        check_without, _ = (best(runs, lambda: analyse([str(folder)], config, ignore=["PL520", "PL521"])) if without
                            else (float("nan"), None))
    engine_time, engine = best(runs, lambda: Engine(cluster))
    starts = engine.resolve("0.0.0.0/0")
    starts = [e for e in starts if e.is_external] or starts

    def all_rows():
        rows = Rows(Engine(cluster))  # a fresh engine: its caches are part of the cost
        rows.complete()
        return rows

    rows_time, rows = best(runs, all_rows)
    radius_time, search = best(runs, lambda: Search(Rows(Engine(cluster)), starts, max_hops=3))
    graph_time, graph = best(runs, lambda: build_graph(engine, rows)) if with_networkx else (float("nan"), None)
    rows_time -= engine_time
    radius_time -= engine_time
    return {"workloads": len(cluster.workloads), "pods": sum(w.replicas for w in cluster.workloads),
            "endpoints": len(engine.endpoints), "sizes": describe(graph) if graph else None,
            "check": check, "check without": check_without, "engine": engine_time, "rows": rows_time,
            "rows distinct": len(rows.rows), "graph": graph_time, "radius": radius_time,
            "reached": len(search.reached())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--size")
    parser.add_argument("--pods", type=int)
    parser.add_argument("--policies", type=int)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--once", action="store_true", help="run check only once, with PL520 and PL521")
    parser.add_argument("--check-seconds", type=float,
                        help="check's CPU seconds measured elsewhere; check is then not run here (memory)")
    parser.add_argument("--no-networkx", action="store_true",
                        help="skip the whole-cluster networkx graph")
    args = parser.parse_args()
    gc.disable()
    folder = args.folder
    if folder is None:
        out = Path(tempfile.mkdtemp(prefix="policylint-graph-"))
        command = [sys.executable, str(HERE / "generate.py"), "--out", str(out)]
        command += ["--size", args.size] if args.size else ["--pods", str(args.pods), "--policies", str(args.policies)]
        subprocess.run(command, check=True, capture_output=True)
        folder = out
    row = measure(folder, args.runs, not args.no_networkx, not args.once, args.check_seconds)
    row["networkx import"] = networkx_import()

    def sizes(name: str) -> str:
        return str(row["sizes"][name]) if row["sizes"] else "-"

    print("| pods | workloads | endpoints | distinct rows | rows s | rows/check | radius 3 hops s | check s | "
          "check without PL520/521 s | engine s | groups | sources hubs | destinations hubs | networkx edges | "
          "group pairs | networkx graph s | "
          "networkx import s | peak MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {row['pods']} | {row['workloads']} | {row['endpoints']} | {row['rows distinct']} | {row['rows']:.2f} | "
          f"{row['rows'] / row['check']:.2f} | {row['radius']:.3f} | {row['check']:.2f} | {row['check without']:.2f} | "
          f"{row['engine']:.2f} | {sizes('groups')} | {sizes('sources')} | {sizes('destinations')} | {sizes('edges')} | "
          f"{sizes('group pairs')} | {row['graph']:.2f} | {row['networkx import']:.2f} | "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
