#!/usr/bin/env python3
"""How long the HTML report takes to write, and to load and use in a headless Chromium.

    python bench/html_load.py OUT/manifests [--runs 3]

Writes `check --format html` of the manifests (CPU time of the whole command, page size), opens
the page in Chromium (the one the tests drive, tests/browser.py) and reports, as medians:
`load`, from navigation to the load event (parsing the page and its JSON, drawing the summary,
the first findings, the heat map, the graph and the first jobs); `render`, the script's own time
inside it; `expand`, selecting the heat-map cell with the most pairs (its pair list and, when
small enough, its workload grid); `graph`, opening the namespace with the most workloads.
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
    parser.add_argument("manifests")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    executable = find_chromium()
    if executable is None:
        sys.exit("no chromium on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp, "report.html")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "policylint", "check", args.manifests, "-f", "html", "-o", str(page_path)],
                       cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        print(f"write: {wall:.2f} s wall, {cpu:.2f} s CPU, {os.path.getsize(page_path) / 1e6:.1f} MB, "
              f"peak RSS {after.ru_maxrss / 1024:.0f} MB")
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


if __name__ == "__main__":
    main()
