#!/usr/bin/env python3
"""How long the HTML report takes to write, and to load and use in a headless Chromium.

    python bench/html_load.py OUT/manifests [--runs 3] [--baseline]

Writes `check --format html` of the manifests `--runs` times (wall and CPU time of the whole
command, as medians; page size; with `--baseline`, the same for `check --format json`, so that
the page's own share shows), opens the page in Chromium (the one the tests drive,
tests/browser.py) and reports, as medians:
`load`, from navigation to the load event (parsing the page and its JSON, drawing the summary,
the first findings, the heat map, the graph and the first jobs); `render`, the script's own time
inside it; `expand`, selecting the heat-map cell with the most pairs (its pair list and, when
small enough, its workload grid); `graph`, opening the namespace with the most workloads.
The load average before and after is printed: the machine's other work slows every figure.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import Browser, find_chromium  # noqa: E402

TIMED_CLICK = """(() => {
  const start = performance.now();
  %s
  return performance.now() - start;
})()"""
BIGGEST_CELL = """const cells = [...document.querySelectorAll('#heatmap td[data-pairs]')];
  cells.sort((a, b) => b.getAttribute('data-pairs') - a.getAttribute('data-pairs'));
  cells[0].click();"""
BIGGEST_NAMESPACE = """const nodes = [...document.querySelectorAll('#graph .node[data-group]')].filter(n => n.getAttribute('data-group') !== '(external)');
  nodes.sort((a, b) => (+b.getAttribute('aria-label').split(', ')[1].split(' ')[0]) - (+a.getAttribute('aria-label').split(', ')[1].split(' ')[0]));
  nodes[0].dispatchEvent(new MouseEvent('click'));"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifests", nargs="?")
    parser.add_argument("--page", help="time loading this page instead of writing one")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", action="store_true", help="also time check --format json")
    args = parser.parse_args()
    if not args.manifests and not args.page:
        parser.error("give the manifests to write the page from, or --page")
    executable = find_chromium()
    if executable is None:
        sys.exit("no chromium on PATH")
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(args.page) if args.page else Path(tmp, "report.html")
        formats = [("html", page_path)] + ([("json", Path(tmp, "report.json"))] if args.baseline else [])
        for fmt, out in formats if not args.page else []:
            walls, cpus, peak = [], [], 0.0
            for _ in range(args.runs):
                wall, cpu, rss = _write(args.manifests, fmt, out)
                walls.append(wall)
                cpus.append(cpu)
                peak = max(peak, rss)
            print(f"write {fmt}: median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU "
                  f"(CPU {', '.join(f'{c:.2f}' for c in cpus)}), {os.path.getsize(out) / 1e6:.1f} MB, peak RSS {peak:.0f} MB")
        browser = Browser(executable, timeout=300)
        results: dict[str, list[float]] = {"load": [], "render": [], "expand": [], "graph": []}
        try:
            for _ in range(args.runs):
                page = browser.open(page_path)
                results["load"].append(page.load_seconds * 1000)
                results["render"].append(float(page.eval("document.documentElement.getAttribute('data-render-ms')")))
                results["expand"].append(page.eval(TIMED_CLICK % BIGGEST_CELL))
                results["graph"].append(page.eval(TIMED_CLICK % BIGGEST_NAMESPACE))
                counts = page.eval("[document.querySelectorAll('#heatmap td').length, document.querySelectorAll('#pair-list tr').length,"
                                   " document.querySelectorAll('*').length]")
                problems = page.problems()
                page.close()
        finally:
            browser.close()
        for name, values in results.items():
            print(f"{name}: median {statistics.median(values):.0f} ms ({', '.join(f'{v:.0f}' for v in values)})")
        print(f"heat map cells {counts[0]}, pair rows shown {counts[1]}, DOM elements {counts[2]}; problems: {problems or 'none'}")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _write(manifests: str, fmt: str, out: Path) -> tuple[float, float, float]:
    """One `check --format FMT -o OUT` in a child process: wall seconds, CPU seconds, peak RSS MB
    (the peak of every child so far: an upper bound)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "policylint", "check", manifests, "-f", fmt, "-o", str(out)],
                   cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, after.ru_maxrss / 1024


if __name__ == "__main__":
    main()
