#!/usr/bin/env python3
"""Time policylint against the parse-only baseline (and nca, when installed) at standard sizes.

    python bench/run.py [--sizes tiny,small,medium,large] [--runs 3] [--out bench/results.md]
    python bench/run.py --startup-only [--runs 7]   # only the start-up table, in place

For each size the cluster is generated into a temporary directory, then every command runs in a
fresh subprocess `--runs` times; the table shows the median wall time and the peak RSS. Each run
goes through a small wrapper process that starts the command, waits for it, and reads
`resource.getrusage(RUSAGE_CHILDREN)`: that maximum covers only the command (and what it waited
for), which it would not inside this long-lived process, whose children accumulate.

A command that does not exist yet, or fails, is recorded as "n/a" with the reason under the
table; the run goes on. Exit code 1 counts as success for `check` and `reach` (findings found,
or no path), as the project's exit-code convention says.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import yaml  # noqa: E402

import generate  # noqa: E402
from sizes import DEFAULT_SEED, SIZES  # noqa: E402

RESULTS_START = "<!-- results:start -->"
RESULTS_END = "<!-- results:end -->"
# The start-up table, inside the results: `--startup-only` rewrites just these lines.
STARTUP_START = "<!-- startup:start -->"
STARTUP_END = "<!-- startup:end -->"
SEED_EXAMPLE = "fixtures/examples/"  # the README's quick start
# What `check` imports, timed without running it (the collector off and the regular-expression and
# dataclass method caches on, as the command line starts: policylint.cli.launch).
_CHECK_IMPORTS = ("from policylint.cli.launch import prepare; prepare(); "
                  "import policylint.cli.check, policylint.analysis, policylint.rules; policylint.rules.REGISTRY; "
                  "import os; os._exit(0)")  # ended as policylint ends: no teardown of the heap

# Runs the command given as argv[1:], stdout to the null device, and prints one JSON line.
# ru_maxrss is in KiB on Linux (bytes on macOS; converted where read).
_WRAPPER = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
try:
    proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=float(TIMEOUT))
    code, err = proc.returncode, proc.stderr.decode("utf-8", "replace")
except subprocess.TimeoutExpired:
    code, err = "timeout", ""
except FileNotFoundError as exc:
    code, err = "missing", str(exc)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss": usage.ru_maxrss,
                  "stderr": err[-2000:]}))
"""

# The baseline: what reading every manifest with the C loader costs, nothing else.
_PARSE = r"""
import os, sys, yaml
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
count = 0
for root, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        if name.endswith((".yaml", ".yml", ".json")):
            with open(os.path.join(root, name), encoding="utf-8") as handle:
                count += sum(1 for _ in yaml.load_all(handle, Loader=Loader))
print(count)
"""


@dataclass(slots=True)
class Timing:
    seconds: float | None = None  # median wall time; None when the command is unavailable or failed
    rss_mb: float | None = None  # peak RSS over the runs
    runs: int = 0
    note: str = ""  # why it is n/a, or that it was not repeated
    cpu: float | None = None  # median CPU time (user + system) of the command's process

    def cell(self) -> str:
        if self.seconds is None:
            return "n/a"
        mark = "¹" if self.note.startswith("single") else ""
        return f"{self.seconds:.2f}{mark}"

    def cpu_cell(self) -> str:
        if self.cpu is None:
            return "n/a"
        mark = "¹" if self.note.startswith("single") else ""
        return f"{self.cpu:.2f}{mark}"

    def rss_cell(self) -> str:
        return "n/a" if self.rss_mb is None else f"{self.rss_mb:.0f}"


@dataclass(slots=True)
class SizeResult:
    size: str
    pods: int
    policies: int
    files: int
    megabytes: float
    gen_seconds: float
    timings: dict[str, Timing] = field(default_factory=dict)
    inside: dict | None = None  # bench/profile.py's measurements, when taken


COMMANDS = ("parse", "check", "matrix", "reach", "nca")
NCA_OVERRIDE: str | None = None  # set from --nca


# -- running one command ------------------------------------------------------------------------

def measure_once(argv: Sequence[str], timeout: float) -> dict:
    wrapper = _WRAPPER.replace("TIMEOUT", repr(timeout))
    out = subprocess.run([sys.executable, "-c", wrapper, *argv], capture_output=True, text=True, cwd=REPO,
                         env=child_env())
    if out.returncode != 0:
        return {"code": "wrapper", "wall": 0.0, "cpu": 0.0, "maxrss": 0, "stderr": out.stderr[-2000:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_env() -> dict[str, str]:
    """Run the working tree's policylint, even where an older copy is installed, with its bytecode
    cached as an installed package has it (an environment that forbids writing bytecode would
    otherwise make every run compile the package from source: about 0.1 s per start)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.setdefault("NO_COLOR", "1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_bytecode() -> None:
    """What `pip install` does for a package: compile its modules once, before any timing."""
    if not (REPO / "policylint").is_dir():
        return
    targets = [str(REPO / name) for name in ("policylint", "rules") if (REPO / name).is_dir()]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *targets], cwd=REPO, env=child_env(),
                   capture_output=True, check=False)


def rss_mb(maxrss: int) -> float:
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def measure(argv: Sequence[str] | None, ok_codes: tuple[int, ...], runs: int, timeout: float,
            slow: float, why_absent: str = "") -> Timing:
    if argv is None:
        return Timing(note=why_absent or "not available")
    walls: list[float] = []
    cpus: list[float] = []
    peak = 0.0
    for index in range(runs):
        result = measure_once(argv, timeout)
        code = result["code"]
        if code == "timeout":
            return Timing(note=f"timed out after {timeout:.0f} s")
        # A crash also exits 1, which `check` uses for "findings found": tell them apart by the traceback.
        if code not in ok_codes or "Traceback (most recent call last)" in result["stderr"]:
            return Timing(note=f"exit {code}: {first_line(result['stderr'])}")
        walls.append(result["wall"])
        cpus.append(result["cpu"])
        peak = max(peak, rss_mb(result["maxrss"]))
        if index == 0 and result["wall"] > slow and runs > 1:
            return Timing(result["wall"], peak, 1, f"single run (first took {result['wall']:.0f} s > {slow:.0f} s)",
                          result["cpu"])
    return Timing(statistics.median(walls), peak, len(walls), "", statistics.median(cpus))


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    # click prints usage first and the reason last; tracebacks end with the exception.
    return (lines[-1] if lines else "no output")[:160]


# -- the commands ---------------------------------------------------------------------------------

def policylint_argv() -> list[str] | None:
    """The working tree's CLI through `python -m`, so an installed copy is not what gets timed."""
    if (REPO / "policylint" / "__main__.py").exists():
        return [sys.executable, "-m", "policylint"]
    found = shutil.which("policylint")
    return [found] if found else None


def nca_argv() -> list[str] | None:
    """`--nca`, else $NCA, else `nca` on PATH: nca pins its own dependencies, so it often lives in a venv."""
    explicit = NCA_OVERRIDE or os.environ.get("NCA")
    return [explicit] if explicit else ([found] if (found := shutil.which("nca")) else None)


def nca_version() -> str:
    argv = nca_argv()
    if argv is None:
        return "not installed (`pip install network-config-analyzer`)"
    try:
        out = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=60)
        return (out.stdout + out.stderr).strip().splitlines()[0] if (out.stdout + out.stderr).strip() else "unknown"
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unusable ({error})"


def size_commands(manifests: Path, meta: dict) -> dict[str, tuple[list[str] | None, tuple[int, ...], str]]:
    target = str(manifests)
    pl = policylint_argv()
    nca = nca_argv()
    reach = meta.get("reach") or {}
    reach_argv = None
    if pl and reach:
        reach_argv = [*pl, "reach", target, "--from", reach["from"], "--to", reach["to"]]
    return {
        "parse": ([sys.executable, "-c", _PARSE, target], (0,), ""),
        "check": ([*pl, "check", target] if pl else None, (0, 1), "policylint not found"),
        "matrix": ([*pl, "matrix", target, "--format", "json"] if pl else None, (0,), "policylint not found"),
        "reach": (reach_argv, (0, 1), "policylint not found" if not pl else "no sample pair in bench-meta.json"),
        # nca needs the pods and namespaces named as well, or it asks a live cluster for them.
        "nca": ([*nca, "--connectivity", target, "--pod_list", target, "--ns_list", target,
                 "--output_format", "txt"] if nca else None, (0,),
                "nca not installed (`pip install network-config-analyzer`)"),
    }


def run_size(name: str, args: argparse.Namespace) -> SizeResult:
    size = SIZES[name]
    with tempfile.TemporaryDirectory(prefix=f"policylint-bench-{name}-") as tmp:
        out = Path(tmp) / "cluster"
        started = datetime.datetime.now()
        meta = generate.generate(out, size.pods, size.policies, args.seed, None, name)
        gen_seconds = (datetime.datetime.now() - started).total_seconds()
        result = SizeResult(name, meta["pods"], meta["policies"], meta["files"], meta["bytes"] / 1e6, gen_seconds)
        manifests = out / meta["manifests"]
        for command, (argv, ok, why) in size_commands(manifests, meta).items():
            if command == "nca" and args.no_nca:
                result.timings[command] = Timing(note="skipped (--no-nca)")
                continue
            timeout = args.nca_timeout if command == "nca" else args.timeout
            timing = measure(argv, ok, args.runs, timeout, args.slow, why)
            timing.note = timing.note.replace(str(manifests), "DIR").replace(tmp, "TMP")  # no local paths in reports
            result.timings[command] = timing
            print(f"  {name:6s} {command:7s} {timing.cell():>8s} s  {timing.cpu_cell():>8s} s CPU  "
                  f"{timing.rss_cell():>6s} MB  {timing.note}", file=sys.stderr)
        if not args.no_profile:
            result.inside = profile_inside(manifests, args.timeout)
    return result


def profile_inside(manifests: Path, timeout: float) -> dict | None:
    """bench/profile.py on the same files: each stage's CPU time inside one process (fastest of 3
    runs), in particular what `reach` costs once the input is loaded."""
    try:
        out = subprocess.run([sys.executable, str(HERE / "profile.py"), str(manifests), "--json", "--repeat", "3"],
                             capture_output=True, text=True, cwd=REPO, env=child_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        print(f"  profile failed: {first_line(out.stderr)}", file=sys.stderr)
        return None
    return json.loads(out.stdout)


def startup_timings(args: argparse.Namespace) -> dict[str, Timing]:
    """Start-up, and the README's quick start end to end (`check` of the seed example). Each
    command runs once unmeasured first: the first run after an install writes the regular-expression
    and dataclass method caches (policylint.regex_code, policylint.dataclass_code), as the bytecode
    is written at install time."""
    pl = policylint_argv()
    runs = max(args.runs, 5)  # cheap, and the noisiest numbers
    commands: dict[str, tuple[list[str] | None, tuple[int, ...]]] = {
        "`python -c pass`": ([sys.executable, "-c", "pass"], (0,)),
        "`python -c 'import policylint'`": ([sys.executable, "-c", "import policylint"], (0,)),
        "`policylint --version`": ([*pl, "--version"] if pl else None, (0,)),
        "`policylint --help`": ([*pl, "--help"] if pl else None, (0,)),
        "imports of `check` (every rule)": ([sys.executable, "-c", _CHECK_IMPORTS], (0,)),
        f"`policylint check {SEED_EXAMPLE}`": ([*pl, "check", SEED_EXAMPLE] if pl else None, (0, 1)),
    }
    timings = {}
    for label, (argv, ok) in commands.items():
        if argv is not None:
            measure_once(argv, args.timeout)
        timings[label] = measure(argv, ok, runs, args.timeout, args.slow, "policylint not found")
        print(f"  start-up {label:60s} {timings[label].cell():>6s} s  {timings[label].cpu_cell():>6s} s CPU",
              file=sys.stderr)
    return timings


def side_by_side(args: argparse.Namespace) -> dict[str, Timing]:
    """`matrix --format json` and nca's connectivity map on the `small` cluster, alternately, in
    the same session (the issue's 20× comparison, end to end)."""
    runs = max(args.runs, 5)
    size = SIZES["small"]
    with tempfile.TemporaryDirectory(prefix="policylint-bench-startup-") as tmp:
        out = Path(tmp) / "cluster"
        meta = generate.generate(out, size.pods, size.policies, args.seed, None, "small")
        commands = size_commands(out / meta["manifests"], meta)
        chosen = {"matrix": commands["matrix"], "nca": commands["nca"]}
        if args.no_nca:
            chosen.pop("nca")
        for argv, _, _ in chosen.values():
            if argv is not None:
                measure_once(argv, args.nca_timeout)
        found: dict[str, list[Timing]] = {name: [] for name in chosen}
        for _ in range(runs):  # interleaved: a change of load hits both alike
            for name, (argv, ok, why) in chosen.items():
                found[name].append(measure(argv, ok, 1, args.nca_timeout, args.nca_timeout, why))
    result = {}
    for name, timings in found.items():
        done = [t for t in timings if t.seconds is not None]
        if not done:
            result[name] = timings[0]
            continue
        result[name] = Timing(statistics.median(t.seconds for t in done), max(t.rss_mb or 0 for t in done),
                              len(done), "", statistics.median(t.cpu for t in done if t.cpu is not None))
        print(f"  small    {name:7s} {result[name].cell():>8s} s  {result[name].cpu_cell():>8s} s CPU", file=sys.stderr)
    return result


def startup_block(startup: dict[str, Timing], pair: dict[str, Timing] | None, runs: int) -> list[str]:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    lines = [STARTUP_START, "", f"Start-up and small inputs (median of {max(runs, 5)} runs each; load average "
             f"(1, 5, 15 min) after them: {load}):", "",
             "| start-up | s | CPU s | MB |", "|---|---:|---:|---:|"]
    lines += [f"| {label} | {t.cell()} | {t.cpu_cell()} | {t.rss_cell()} |" for label, t in startup.items()]
    if pair and "matrix" in pair:
        matrix = pair["matrix"]
        lines.append(f"| `policylint matrix DIR --format json` (small: 500 pods, 100 policies) | {matrix.cell()} | "
                     f"{matrix.cpu_cell()} | {matrix.rss_cell()} |")
        if "nca" in pair:
            nca = pair["nca"]
            lines.append(f"| `nca --connectivity DIR …` (same files) | {nca.cell()} | {nca.cpu_cell()} | {nca.rss_cell()} |")
            lines += ["", f"nca/matrix on `small`, side by side: {_ratio(nca.seconds, matrix.seconds)}× the wall time, "
                          f"{_ratio(nca.cpu, matrix.cpu)}× the CPU time (nca {nca_version()})."]
    lines += ["", "Imports of `check`: `python -c` importing the command, the pipeline and every rule, started "
                  "as the command line starts (`policylint.cli.launch.prepare`: the collector off, the "
                  "regular-expression and dataclass method caches on), running nothing, and ending as the "
                  "command does (`os._exit`, no teardown of the heap). Each command ran once unmeasured first, as "
                  "the first run after an install writes those caches.", "", STARTUP_END]
    return lines


def replace_startup(text: str, block: str) -> str:
    """Put the start-up block into a results text: between its markers, else in place of an
    unmarked start-up table (results written before the markers existed), else at the end."""
    start, end = text.find(STARTUP_START), text.find(STARTUP_END)
    if 0 <= start < end:
        return text[:start] + block + text[end + len(STARTUP_END):]
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("| start-up |"):
            stop = index
            while stop < len(lines) and lines[stop].startswith("|"):
                stop += 1
            return "\n".join(lines[:index] + block.split("\n") + lines[stop:])
    return text.rstrip("\n") + "\n\n" + block + "\n"


def write_results(path: Path, top: str) -> None:
    """The top section (this run) replaces the old one; the sections after it (`## ...`, written by
    the other benchmarks) are kept."""
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        at = old.find("\n## ")
        kept = old[at:] if at >= 0 else ""
    path.write_text(top.rstrip("\n") + "\n" + kept, encoding="utf-8")


# -- the report -----------------------------------------------------------------------------------

def machine_facts() -> list[str]:
    facts = [f"CPUs: {os.cpu_count()} ({cpu_model()})",
             f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.platform()}",
             f"PyYAML {yaml.__version__}, C loader {'available' if hasattr(yaml, 'CSafeLoader') else 'absent'}",
             f"nca: {nca_version()}"]
    if hasattr(os, "getloadavg"):  # other work on the machine skews every number: say how much there was
        facts.append("load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return facts


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:  # Linux only; elsewhere say what platform knows
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown model"


def _ratio(top: float | None, bottom: float | None, digits: int = 1) -> str:
    return f"{top / bottom:.{digits}f}" if top is not None and bottom else "n/a"


def ratio(result: SizeResult) -> str:
    return _ratio(result.timings["check"].seconds, result.timings["parse"].seconds)


def table(results: list[SizeResult]) -> list[str]:
    """Wall time and peak memory of each command, and the ratios the targets are stated in."""
    head = ["size", "pods", "policies", "files", "MB", "gen s", "parse s", "check s", "matrix s", "reach s",
            "nca s", "parse MB", "check MB", "matrix MB", "reach MB", "nca MB", "check/parse", "nca/matrix"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if h != "size" else "---" for h in head) + "|"]
    for r in results:
        t = r.timings
        cells = [r.size, str(r.pods), str(r.policies), str(r.files), f"{r.megabytes:.2f}", f"{r.gen_seconds:.2f}"]
        cells += [t[c].cell() for c in COMMANDS] + [t[c].rss_cell() for c in COMMANDS]
        cells += [ratio(r), _ratio(t["nca"].seconds, t["matrix"].seconds)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def cpu_table(results: list[SizeResult]) -> list[str]:
    """The same runs in CPU seconds: on a shared machine, what each command itself used."""
    head = ["size", "parse", "check", "matrix", "reach", "nca", "check/parse", "nca/matrix"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if h != "size" else "---" for h in head) + "|"]
    for r in results:
        t = r.timings
        cells = [r.size] + [t[c].cpu_cell() for c in COMMANDS]
        cells += [_ratio(t["check"].cpu, t["parse"].cpu), _ratio(t["nca"].cpu, t["matrix"].cpu)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def inside_table(results: list[SizeResult]) -> list[str]:
    """bench/profile.py: CPU seconds per stage inside one process, start-up excluded, and what each
    command adds up to in-process (`check` = load + model + engine + rules; `matrix` = load + model +
    engine + the JSON, rows computed as it is written; `reach` = load + model + engine + one query)."""
    shown = [r for r in results if r.inside]
    if not shown:
        return []
    head = ["size", "load", "model", "engine", "rules", "check", "matrix JSON", "matrix", "reach query", "reach",
            "nca/matrix", "slowest rules"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---" if h in ("size", "slowest rules") else "---:" for h in head) + "|"]
    for r in shown:
        stages = r.inside["stages"]

        def cpu(*keys: str) -> float | None:
            return sum(stages[k]["cpu"] for k in keys) if all(k in stages for k in keys) else None

        base = ("load", "model", "engine")
        values = [cpu("load"), cpu("model"), cpu("engine"), cpu("rules"), cpu(*base, "intents", "rules", "suppress"),
                  cpu("matrix json"), cpu(*base, "matrix json"), cpu("reach query"), cpu(*base, "reach query")]
        cells = [r.size] + [f"{v:.3f}" if v is not None else "n/a" for v in values]
        cells.append(_ratio(r.timings["nca"].cpu, values[6], 0))
        cells.append(", ".join(f"{rule['code']} {rule['cpu']:.2f}" for rule in r.inside["rules"][:3]))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def growth(results: list[SizeResult]) -> list[str]:
    """How check grows between consecutive sizes (pods ×4 from small to medium to large)."""
    lines = []
    for a, b in zip(results, results[1:]):
        ta, tb = a.timings["check"], b.timings["check"]
        if ta.seconds and tb.seconds and ta.cpu and tb.cpu:
            lines.append(f"- check, {a.size} → {b.size} ({b.pods / a.pods:.0f}× the pods): "
                         f"{tb.seconds / ta.seconds:.1f}× the wall time, {tb.cpu / ta.cpu:.1f}× the CPU time")
    return lines


def notes(results: list[SizeResult], startup: dict[str, Timing]) -> list[str]:
    lines = []
    for r in results:
        for command in COMMANDS:
            if r.timings[command].note:
                lines.append(f"- {r.size}, {command}: {r.timings[command].note}")
    for label, timing in startup.items():
        if timing.note:
            lines.append(f"- {label}: {timing.note}")
    return lines


def shown_argv(argv: list[str]) -> list[str]:
    """The command line as the report shows it: where nca lives, or where results go, is this
    machine's business, not the report's."""
    shown: list[str] = []
    hidden = {"--nca": "PATH/TO/nca", "--out": "FILE", "--readme": "FILE"}
    skip_next = False
    for item in argv:
        if skip_next:
            skip_next = False
            continue
        option = item.split("=", 1)[0]
        if option in hidden:
            shown += [option, hidden[option]]
            skip_next = "=" not in item
            continue
        shown.append(item)
    return shown


def report(results: list[SizeResult], startup: dict[str, Timing], args: argparse.Namespace, argv: list[str]) -> str:
    command = "python bench/run.py" + ("" if not argv else " " + shlex.join(shown_argv(argv)))
    lines = [f"Command: `{command}` (seed {args.seed}, median of {args.runs} runs, "
             f"{datetime.date.today().isoformat()})", ""]
    lines += [f"- {fact}" for fact in machine_facts()] + [""]
    lines += table(results) + [""]
    lines += ["Times are wall-clock seconds (median); MB is the peak RSS of the command's process. "
              "`parse` only loads every document with the C YAML loader: the floor for any tool. "
              "policylint runs as `python -m policylint` from this tree, bytecode compiled first (as "
              "installed); `reach` asks for the pair in `bench-meta.json`. nca runs `nca --connectivity DIR --pod_list "
              "DIR --ns_list DIR --output_format txt`; it does not understand PyTorchJob, JobSet or RayCluster, so "
              "the ML pods are missing from its map. nca/matrix: how many times longer nca's connectivity map "
              "takes than `policylint matrix` on the same files in the same run. ¹ = ran once: the first run "
              "exceeded the repeat limit.", ""]
    lines += ["CPU seconds (user + system) of the same runs, which other work on the machine disturbs less:", ""]
    lines += cpu_table(results) + [""]
    found = growth(results)
    if found:
        lines += ["Growth:", "", *found, ""]
    inside = inside_table(results)
    if inside:
        lines += ["Inside one process (`python bench/profile.py DIR`, CPU seconds, fastest of 3 runs, start-up "
                  "excluded). `check`, `matrix` and `reach` add up their stages: load, model and engine, then the "
                  "rules, the matrix JSON (rows computed as they are written), or one reach query (what `reach` "
                  "costs once the input is loaded and the engine built). nca/matrix compares nca's CPU time, "
                  "start-up included, with this in-process matrix.", ""]
        lines += inside + [""]
    small = next((r for r in results if r.size == "small"), None)
    pair = {k: small.timings[k] for k in ("matrix", "nca")} if small else None
    lines += startup_block(startup, pair, args.runs)
    found = notes(results, startup)
    if found:
        lines += ["", "Notes:", *found]
    return "\n".join(lines) + "\n"


def fill_readme(readme: Path, body: str) -> bool:
    """Replace the text between the results markers; leave the file alone if they are missing."""
    if not readme.exists():
        return False
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(RESULTS_START), text.find(RESULTS_END)
    if start < 0 or end < start:
        return False
    readme.write_text(text[: start + len(RESULTS_START)] + "\n" + body + text[end:], encoding="utf-8")
    return True


# -- entry point ----------------------------------------------------------------------------------

def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="tiny,small,medium,large", help="comma-separated: " + ", ".join(SIZES))
    parser.add_argument("--runs", type=int, default=3, help="runs per command; the median is reported")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=HERE / "results.md", help="Markdown file to write")
    parser.add_argument("--readme", type=Path, default=HERE / "README.md",
                        help="also put the results between the markers in this file")
    parser.add_argument("--no-readme", action="store_true", help="do not touch the README")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a policylint run is abandoned")
    parser.add_argument("--nca-timeout", type=float, default=1200, help="seconds before an nca run is abandoned")
    parser.add_argument("--slow", type=float, default=60,
                        help="a command whose first run takes longer than this is not repeated")
    parser.add_argument("--no-nca", action="store_true", help="skip nca even when it is installed")
    parser.add_argument("--nca", help="path of the nca executable (default: $NCA, then PATH)")
    parser.add_argument("--startup-only", action="store_true",
                        help="measure only start-up, the seed example and matrix vs nca on `small` (side by side), "
                             "and rewrite only the start-up table of --out (and of --readme)")
    parser.add_argument("--no-profile", action="store_true",
                        help="skip the in-process stage timings (bench/profile.py) of each size")
    args = parser.parse_args(argv)
    args.size_list = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in args.size_list if s not in SIZES]
    if unknown or not args.size_list:
        parser.error(f"unknown size(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(SIZES)}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    global NCA_OVERRIDE
    NCA_OVERRIDE = args.nca
    compile_bytecode()
    startup = startup_timings(args)
    if args.startup_only:
        pair = side_by_side(args)
        block = "\n".join(startup_block(startup, pair, args.runs))
        print(block)
        for target in [args.out] + ([] if args.no_readme else [args.readme]):
            if target.exists():
                target.write_text(replace_startup(target.read_text(encoding="utf-8"), block), encoding="utf-8")
                print(f"start-up table written into {target}", file=sys.stderr)
        return 0
    results = [run_size(name, args) for name in args.size_list]
    body = report(results, startup, args, argv)
    print(body)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_results(args.out, "# policylint benchmark results\n\n" + body)
    if not args.no_readme and fill_readme(args.readme, body):
        print(f"results also written into {args.readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
