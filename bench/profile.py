#!/usr/bin/env python3
"""Where the time goes inside one policylint process: stage by stage, and rule by rule.

    python bench/profile.py DIR                      # a folder of manifests
    python bench/profile.py --size large             # generate a standard size first (seed 1)
    python bench/profile.py --size large --json      # the same, machine-readable
    python bench/profile.py --size large --repeat 3  # best of 3 runs for every stage

`run.py` times whole commands, start-up included; this script times what happens after start-up,
in one process, so that a slow stage or rule is named rather than guessed:

- **import** — the modules `check` needs (the rest of start-up is the bare interpreter);
- **load**, **model**, **engine** — reading and parsing the files, building the cluster model,
  compiling the policies into the connectivity engine;
- **rules** — every rule of `check`, each timed on its own (the engine is built beforehand, so no
  rule is charged for it), with its number of findings;
- **suppress** — the runner's own work after the rules (suppressions, PL004/PL010);
- **matrix** — the whole connectivity matrix: computing the rows as cells, then as endpoint
  pairs, then rendering the `policylint.matrix/v1` JSON (written to nothing);
- **reach** — one `policylint reach` question (the pair in `bench-meta.json`, or the first two
  workloads) asked of the loaded engine: what `reach` costs after loading.

Each stage reports CPU seconds (`time.process_time`, what this process used: stable on a busy
machine) and wall seconds (what a user waits; on a shared machine it includes waiting for a CPU).
With `--repeat N` the whole pipeline runs N times, from the files, and each stage's (and rule's)
fastest run counts.
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if (REPO / "policylint" / "__init__.py").exists():
    sys.path.insert(0, str(REPO))  # this working tree's policylint, even where another is installed


class Clock:
    """CPU and wall seconds per named stage, the fastest of the runs so far."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, float]] = {}

    def time(self, name: str, function: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        self.record(name, time.process_time() - cpu, time.perf_counter() - wall)
        return result

    def record(self, name: str, cpu: float, wall: float) -> None:
        known = self.stages.get(name)
        # Memory after the stage (what it keeps) and the peak so far (what it touched): the first
        # run's figures, as later runs reuse freed memory.
        memory = {"rss_mb": rss_now_mb(), "peak_mb": peak_rss_mb()}
        if known is None:
            self.stages[name] = {"cpu": cpu, "wall": wall, **memory}
        else:
            known["cpu"], known["wall"] = min(known["cpu"], cpu), min(known["wall"], wall)


def rss_now_mb() -> float:
    """The resident set now (Linux: /proc/self/statm; elsewhere the peak)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            import os

            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def profile(manifests: Path, meta: dict[str, Any], repeat: int, checks_only: bool = False) -> dict[str, Any]:
    """Run the whole pipeline `repeat` times from the files (a fresh model and engine each time, so
    no run profits from the caches of the one before) and keep each stage's fastest time."""
    clock = Clock()
    modules = clock.time("import", _import_check)  # imported once: the first run pays for it
    per_rule: dict[str, dict[str, Any]] = {}
    for _ in range(repeat):
        summary = _run(clock, per_rule, manifests, meta, modules, checks_only)
    rules = sorted(per_rule.values(), key=lambda r: -r["cpu"])
    stages = dict(clock.stages)
    rule_total = {key: sum(r[key] for r in rules) for key in ("cpu", "wall")}
    ordered = {}
    for name, stage in stages.items():
        ordered[name] = stage
        if name == "intents":
            ordered["rules"] = rule_total
    return {**summary, "stages": ordered, "rules": rules}


def _run(clock: Clock, per_rule: dict[str, dict[str, Any]], manifests: Path, meta: dict[str, Any], modules,
         checks_only: bool = False):
    analysis_mod, config_mod, engine_mod = modules
    config = config_mod.Config()
    loaded = clock.time("load", lambda: analysis_mod.load_paths([str(manifests)], config.limits))
    cluster = clock.time("model", lambda: analysis_mod.build_cluster(loaded.objects, config.namespace))
    engine = clock.time("engine", lambda: engine_mod.Engine(cluster))

    rules = analysis_mod.select_rules(config)
    from policylint.intent.context import intent_extras

    extras = clock.time("intents", lambda: intent_extras(config))
    runner_only = (analysis_mod.UNUSED_SUPPRESSION, analysis_mod.INVALID_SUPPRESSION, analysis_mod.RULE_CRASHED)
    findings: list = []
    for selected in rules:
        if selected.spec.code in runner_only:
            continue
        analysis = analysis_mod.Analysis(loaded, cluster, rules=rules, extras=extras, facts=config.facts)
        analysis._engine = engine  # built above: a rule is charged for its own work only
        wall, cpu = time.perf_counter(), time.process_time()
        peak = peak_rss_mb()
        found = list(analysis_mod._run_rule(analysis, selected, False))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        known = per_rule.get(selected.spec.code)
        if known is None or cpu < known["cpu"]:
            per_rule[selected.spec.code] = {"code": selected.spec.code, "name": selected.spec.name,
                                            "findings": len(found), "cpu": cpu, "wall": wall,
                                            "peak_raise_mb": (known or {}).get("peak_raise_mb", peak_rss_mb() - peak)}
        findings.extend(found)
    analysis = analysis_mod.Analysis(loaded, cluster, rules=rules)
    analysis._engine = engine
    clock.time("suppress", lambda: analysis_mod._suppressed(analysis, list(findings), rules))

    if checks_only:
        return {"manifests": {"files": len(loaded.files), "objects": len(loaded.objects),
                              "workloads": len(cluster.workloads), "policies": len(cluster.policies)},
                "endpoints": len(engine.endpoints), "pairs": None, "findings": len(findings), "reach": None}
    clock.time("matrix cells", lambda: sum(len(cells) for _, cells in engine.matrix_cells()))
    pairs = clock.time("matrix pairs", lambda: sum(len(row) for _, row in engine.matrix_rows()))
    clock.time("matrix json", lambda: _render_matrix(engine))

    # `reach` on its own: a fresh engine, then one question (the first question builds what the
    # pair query needs; later ones are cheaper still).
    fresh = engine_mod.Engine(cluster)
    source, destination = _reach_pair(fresh, meta)
    if source is not None:
        clock.time("reach query", lambda: _reach(fresh, source, destination))
    return {
        "manifests": {"files": len(loaded.files), "objects": len(loaded.objects),
                      "workloads": len(cluster.workloads), "policies": len(cluster.policies)},
        "endpoints": len(engine.endpoints),
        "pairs": pairs,
        "findings": len(findings),
        "reach": {"from": source.id, "to": destination.id} if source is not None else None,
    }


def _import_check():
    """What `policylint check` imports before it reads a file."""
    import importlib

    for name in ("policylint.cli.main", "policylint.cli.check", "policylint.report.build", "policylint.rules"):
        importlib.import_module(name)
    import policylint.analysis as analysis_mod
    import policylint.config as config_mod
    import policylint.engine as engine_mod

    return analysis_mod, config_mod, engine_mod


def _render_matrix(engine) -> int:
    from policylint.matrix import render_json
    from policylint.matrix.view import MatrixView

    sink = _Sink()
    view = MatrixView(engine, None, None, None, None)
    render_json.write_pairs(sink, view, list(engine.endpoints))
    return sink.size


class _Sink:
    """An Output that counts characters instead of printing them."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> None:
        self.size += len(text)


def _reach_pair(engine, meta: dict[str, Any]):
    pair = meta.get("reach") or {}
    source = engine.resolve(pair["from"])[0] if pair.get("from") and engine.resolve(pair["from"]) else None
    destination = engine.resolve(pair["to"])[0] if pair.get("to") and engine.resolve(pair["to"]) else None
    if source is None or destination is None:
        workloads = [e for e in engine.endpoints if not e.is_external]
        if len(workloads) < 2:
            return None, None
        source, destination = workloads[0], workloads[1]
    return source, destination


def _reach(engine, source, destination) -> str:
    # What `policylint reach` does once the engine is built: explain the pair, render the answer.
    explanation = engine.explain(source, destination, None, None)
    return "\n".join(explanation.lines()) + json.dumps(explanation.to_json())


def report(result: dict[str, Any], top: int) -> str:
    stages = result["stages"]
    m = result["manifests"]
    lines = [f"{m['files']} files, {m['objects']} objects, {m['workloads']} workloads, {m['policies']} policies; "
             f"{result['endpoints']} endpoints, {result['pairs']} allowed pairs, {result['findings']} findings", "",
             f"{'stage':<16} {'cpu s':>8} {'wall s':>8} {'RSS MB':>8} {'peak MB':>8}"]
    check_stages = ("import", "load", "model", "engine", "intents", "rules", "suppress")
    for name, stage in stages.items():
        lines.append(f"{name:<16} {stage['cpu']:>8.3f} {stage['wall']:>8.3f} {stage.get('rss_mb', 0):>8.0f} "
                     f"{stage.get('peak_mb', 0):>8.0f}")
        if name == "suppress":
            total = {k: sum(stages[s][k] for s in check_stages if s in stages) for k in ("cpu", "wall")}
            lines.append(f"{'= check':<16} {total['cpu']:>8.3f} {total['wall']:>8.3f}   (after the bare interpreter)")
    lines += ["", f"slowest rules (of {len(result['rules'])}):", f"{'rule':<8} {'cpu s':>8} {'wall s':>8} {'findings':>9} {'+peak MB':>8}"]
    for r in result["rules"][:top]:
        lines.append(f"{r['code']:<8} {r['cpu']:>8.3f} {r['wall']:>8.3f} {r['findings']:>9} "
                     f"{r.get('peak_raise_mb', 0):>8.0f}  {r['name']}")
    if result["reach"]:
        lines += ["", f"reach: {result['reach']['from']} -> {result['reach']['to']}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifests", nargs="?", type=Path, help="a folder of manifests (or use --size)")
    parser.add_argument("--size", help="generate this standard size (seed 1) into a temporary folder first")
    parser.add_argument("--repeat", type=int, default=1, help="run the pipeline N times; each stage's fastest run counts")
    parser.add_argument("--top", type=int, default=15, help="rules to list")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("--check-only", action="store_true", help="stop after check's stages (no matrix, no reach)")
    args = parser.parse_args(argv)
    gc.disable()  # as `policylint` itself runs (policylint/cli/main.py)
    if (args.manifests is None) == (args.size is None):
        parser.error("give a folder of manifests or --size, not both")
    with tempfile.TemporaryDirectory(prefix="policylint-profile-") as tmp:
        meta: dict[str, Any] = {}
        manifests = args.manifests
        if args.size is not None:
            import generate
            from sizes import SIZES

            if args.size not in SIZES:
                parser.error(f"unknown size {args.size!r}; choose from {', '.join(SIZES)}")
            size = SIZES[args.size]
            meta = generate.generate(Path(tmp) / "cluster", size.pods, size.policies, size=args.size)
            manifests = Path(tmp) / "cluster" / meta["manifests"]
        elif (manifests.parent / "bench-meta.json").exists():
            meta = json.loads((manifests.parent / "bench-meta.json").read_text(encoding="utf-8"))
        result = profile(manifests, meta, max(1, args.repeat), args.check_only)
    print(json.dumps(result, indent=2) if args.json else report(result, args.top), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
