#!/usr/bin/env python3
"""Time every command on cluster exports (bench/gen_export.py) from 10,000 to 150,000 pods.

    python bench/run_export.py --pods 10000,50000,150000 --runs 3 --work DIR

For each size the export is generated into DIR (kept, and reused when its metadata matches), then
each command runs `--runs` times in a fresh process through run.py's wrapper (median wall time,
median CPU time, peak RSS): the parse floor (PyYAML's C loader, nothing else), `check`,
`matrix --aggregate namespace`, `matrix --format json` written to a file, `reach` of the sample
pair, and `diff` of the export against a copy with one policy changed (a port). Commands run one
at a time: at 150,000 pods one of them takes gigabytes. The table goes to stdout and, with
`--out`, replaces the export section of results.md (between its markers).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_export  # noqa: E402
import run  # noqa: E402

START, END = "<!-- export:start -->", "<!-- export:end -->"
# `matrix-json` only when named in --only: the pair list grows with the square of the pods (1.1 GB
# at 10,000 pods, about 230 GB at 150,000), and it is written into the work folder.
COMMANDS = ("check", "parse", "reach", "matrix-ns", "diff", "diff-app", "matrix-json")


def prepare(work: Path, pods: int, seed: int) -> tuple[Path, dict]:
    out = work / f"export-{pods}"
    meta_path = out / "bench-meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("arguments", {}).get("pods") == pods and meta["arguments"].get("seed") == seed:
            return out, meta
    meta = gen_export.generate_export(out, pods, seed=seed)
    return out, meta


SYSTEM_NAMESPACES = ("kube-system", "monitoring")


def changed_copy(manifests: Path, target: Path, app: bool = False) -> Path:
    """The same files with one policy changed: the first `port: N` of the policies becomes N+1.
    That policy is the cluster DNS policy, which every pod's traffic to DNS goes through: the
    worst case for a diff, whose output lists every pod. With `app`, the first port of a policy
    of an application namespace changes instead: what a typical pull request does.
    The big export is hard-linked (a symbolic link out of the folder would not be followed)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for path in sorted(manifests.iterdir()):
        if path.name == gen_export.POLICIES:
            text = path.read_text(encoding="utf-8")
            start = 0
            if app:
                for match in re.finditer(r"(?m)^  namespace: (\S+)\n(?:(?!^---$)[\s\S])*?^\s*- port: \d", text):
                    if match.group(1) not in SYSTEM_NAMESPACES:
                        start = match.start()
                        break
            at = text.index("port: ", start) + len("port: ")
            end = text.index("\n", at)
            number = text[at:end].strip("'\"")
            changed = str(int(number) + 1) if number.isdigit() else "9999"
            (target / path.name).write_text(text[:at] + changed + text[end:], encoding="utf-8")
        else:
            os.link(path, target / path.name)
    return target


def commands(manifests: Path, changed: Path, changed_app: Path, meta: dict, json_out: Path) -> dict[str, list[str]]:
    pl = run.policylint_argv()
    d = str(manifests)
    pair = meta.get("reach") or {}
    return {
        "parse": [sys.executable, "-c", run._PARSE, d],
        "check": [*pl, "check", d],
        "matrix-ns": [*pl, "matrix", d, "--aggregate", "namespace"],
        "matrix-json": ["sh", "-c", 'exec "$@" > ' + str(json_out), "sh", *pl, "matrix", d, "--format", "json"],
        "reach": [*pl, "reach", d, "--from", pair.get("from", ""), "--to", pair.get("to", "")],
        "diff": [*pl, "diff", d, str(changed)],
        "diff-app": [*pl, "diff", d, str(changed_app)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", default="10000,50000,150000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, required=True, help="where the exports are generated and kept")
    parser.add_argument("--only", help="comma-separated subset of " + ", ".join(COMMANDS))
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--out", type=Path, help="results.md whose export section is replaced")
    args = parser.parse_args(argv)
    chosen = [c for c in COMMANDS if (c in args.only.split(",") if args.only else c != "matrix-json")]
    run.compile_bytecode()
    rows = []
    for pods in [int(p) for p in args.pods.split(",")]:
        out, meta = prepare(args.work, pods, args.seed)
        manifests = out / "manifests"
        changed = changed_copy(manifests, out / "changed")
        changed_app = changed_copy(manifests, out / "changed-app", app=True)
        timings = {}
        for name, argv_ in commands(manifests, changed, changed_app, meta, out / "matrix.json").items():
            if name not in chosen:
                continue
            ok = (0, 1) if name in ("check", "reach") else (0,)
            timing = run.measure(argv_, ok, args.runs, args.timeout, args.timeout)
            timing.note = timing.note.replace(str(out), "DIR")
            timings[name] = timing
            print(f"  {pods:>7} {name:12s} {timing.cell():>8s} s  {timing.cpu_cell():>8s} s CPU  "
                  f"{timing.rss_cell():>6s} MB  {timing.note}", file=sys.stderr, flush=True)
        rows.append((pods, meta, timings))
    body = report(rows, args, chosen)
    print(body)
    if args.out:
        text = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        section = f"{START}\n{body}{END}"
        if START in text and END in text:
            text = text[:text.index(START)] + section + text[text.index(END) + len(END):]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        args.out.write_text(text, encoding="utf-8")
    return 0


def report(rows: list, args: argparse.Namespace, chosen: list[str]) -> str:
    cmd = f"python bench/run_export.py --pods {args.pods} --runs {args.runs} --work DIR"
    lines = [f"Command: `{cmd}` (seed {args.seed}, median of {args.runs} runs)", ""]
    lines += [f"- {fact}" for fact in run.machine_facts() if not fact.startswith("nca")] + [""]
    head = ["pods", "policies", "namespaces", "MB"] + [f"{c} s" for c in chosen] + [f"{c} CPU s" for c in chosen] \
        + [f"{c} MB" for c in chosen]
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    for pods, meta, t in rows:
        cells = [str(meta["pod_objects"]), str(meta["policies"]), str(meta["namespaces"]), f"{meta['bytes'] / 1e6:.0f}"]
        cells += [t[c].cell() for c in chosen] + [t[c].cpu_cell() for c in chosen] + [t[c].rss_cell() for c in chosen]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if "parse" in chosen:
        lines.append("Ratios to the parse floor (CPU seconds):")
        lines.append("")
        for pods, meta, t in rows:
            parts = [f"{c} {t[c].cpu / t['parse'].cpu:.2f}×" for c in chosen
                     if c != "parse" and t[c].cpu and t["parse"].cpu]
            lines.append(f"- {pods} pods: " + ", ".join(parts))
        lines.append("")
    if len(rows) > 1:
        (p0, _, t0), (p1, _, t1) = rows[0], rows[-1]
        parts = [f"{c} {t1[c].cpu / t0[c].cpu:.1f}×" for c in chosen if t0[c].cpu and t1[c].cpu]
        lines += [f"Growth {p0} → {p1} pods ({p1 / p0:.0f}× the input), CPU time: " + ", ".join(parts), ""]
    notes = [f"- {pods}, {c}: {t[c].note}" for pods, _, t in rows for c in chosen if t[c].note]
    if notes:
        lines += ["Notes:", *notes, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
