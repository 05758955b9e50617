"""Each command imports what it uses and nothing heavy besides: start-up is most of a small run.

Every case runs the real entry point (`policylint.cli.launch.main`) in a fresh interpreter and
reads `sys.modules` at the end; no timing is asserted (timings live in bench/). The lists name
modules that are expensive to import and that a command has no use for on these inputs.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "examples" / "seed"
FROM, TO = "ml-workloads/bert-pretrain[PyTorchJob/Worker]", "ml-workloads/bert-pretrain[PyTorchJob/Master]"

# Written without imports of its own (atexit is built in), so that sys.modules shows only what the
# command imported; the list is written by an exit handler, which runs however the command ends.
_HARNESS = """
import atexit, sys
sys.argv = ["policylint", *sys.argv[2:]]
out = __import__("os").environ["MODULES_OUT"]

def write():
    with open(out, "w") as handle:
        handle.write("\\n".join(sorted(sys.modules)))

atexit.register(write)
from policylint.cli.launch import main
main()
"""

# Never needed unless asked for: graph libraries, HTML pages, diffs, fixes, Pulumi programs,
# Helm and kustomize rendering (there is no chart or kustomization in these inputs), and worker
# processes for reading files (one small file is read in the main process).
NEVER = ("networkx", "policylint.report.html", "policylint.diff", "policylint.fix", "policylint.pulumi.runner",
         "policylint.pulumi.program", "policylint.load.render.helm", "policylint.load.render.kustomize",
         "policylint.load.render.tools", "policylint.graph.export", "subprocess", "multiprocessing",
         "concurrent.futures")
# What only `check` (the rules) needs.
RULES = ("policylint.rules", "policylint.intent", "policylint.exposure.analysis", "policylint.graph",
         "policylint.engine.explain", "policylint.engine.near_miss")
# The whole analysis stack, which --version and --help have no use for.
STACK = ("yaml", "policylint.config", "policylint.load", "policylint.model", "policylint.engine",
         "policylint.analysis", "policylint.report", "policylint.matrix", "policylint.exposure")


def imported(tmp_path: Path, *args: str) -> set[str]:
    out = tmp_path / "modules.txt"
    env = {**os.environ, "MODULES_OUT": str(out), "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    # From an empty folder: no config file is found, as for a repository without one.
    subprocess.run([sys.executable, "-c", _HARNESS, "policylint", *args], cwd=tmp_path, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60, check=False)
    return set(out.read_text(encoding="utf-8").split("\n"))


def loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("args", [("--version",), ("--help",)], ids=["version", "help"])
def test_version_and_help_import_no_analysis(tmp_path: Path, args: tuple[str, ...]) -> None:
    modules = imported(tmp_path, *args)
    assert "click" in modules  # the harness did run the command
    assert loaded(modules, NEVER + RULES + STACK) == []


# What only `check` does with findings: suppressions, folding, Pulumi's unknowns, the report model.
FINDINGS = ("policylint.suppress", "policylint.consequences", "policylint.pulumi", "policylint.report.model")
# The rules' API, the findings and the analysis that runs rules: the configuration and loading
# that `matrix` and `reach` share with `check` are in modules of their own.
CHECK_ONLY = ("policylint.analysis", "policylint.rule_api", "policylint.findings")


def test_matrix_imports_no_rule(tmp_path: Path) -> None:
    modules = imported(tmp_path, "matrix", str(SEED), "--format", "json")
    assert "policylint.matrix.render_json" in modules
    assert loaded(modules, NEVER + RULES + FINDINGS + CHECK_ONLY + ("policylint.rule_options",)) == []


def test_matrix_json_imports_no_renderer_tier_engine_or_aggregation(tmp_path: Path) -> None:
    # A folder without charts or kustomizations, without cluster-wide policies, not aggregated.
    modules = imported(tmp_path, "matrix", str(SEED), "--format", "json")
    assert "policylint.engine.connectivity" in modules
    assert loaded(modules, ("policylint.load.render.run", "policylint.load.render.sources", "policylint.engine.tiers",
                            "policylint.model.tier_types", "policylint.model.tier_policy",
                            "policylint.matrix.aggregate", "policylint.matrix.group_counts")) == []


def test_matrix_imports_the_trainer_model_only_for_trainer_objects(tmp_path: Path) -> None:
    # The seed has Kubeflow v1 jobs but no TrainJob or runtime (trainer.kubeflow.org).
    assert "policylint.model.trainer_v2" not in imported(tmp_path, "matrix", str(SEED), "--format", "json")
    trainer = ROOT / "fixtures" / "model" / "trainer"
    assert "policylint.model.trainer_v2" in imported(tmp_path, "matrix", str(trainer), "--format", "json")


def imported_without_site(tmp_path: Path, *args: str) -> set[str]:
    """`imported`, in an interpreter started without `site` (`-S`): an editable install's import
    finder (`pip install -e`) imports pathlib at every start, which would hide whether the
    command imports it. The dependencies are found where this interpreter finds them."""
    import click
    import yaml

    out = tmp_path / "modules.txt"
    path = [str(ROOT), *dict.fromkeys(str(Path(m.__file__).resolve().parent.parent) for m in (click, yaml))]
    env = {**os.environ, "MODULES_OUT": str(out), "PYTHONPATH": os.pathsep.join(path), "NO_COLOR": "1"}
    subprocess.run([sys.executable, "-S", "-c", _HARNESS, "policylint", *args], cwd=tmp_path, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60, check=False)
    return set(out.read_text(encoding="utf-8").split("\n"))


def test_matrix_json_imports_neither_pathlib_nor_logging(tmp_path: Path) -> None:
    # pathlib (with urllib.parse) and logging (with traceback) cost more to import than finding
    # the files and the config takes: they are imported when a config is found or a record logged.
    modules = imported_without_site(tmp_path, "matrix", str(SEED), "--format", "json")
    assert "policylint.matrix.render_json" in modules
    assert loaded(modules, ("pathlib", "urllib.parse", "logging", "traceback", "policylint.report.paths")) == []


def test_a_logged_record_is_written_as_before(tmp_path: Path) -> None:
    # An internal error while reading a file is logged (with --debug, its traceback): the record
    # goes through the configuration the command line makes, imported when it is first needed.
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.yaml").write_text(BLOCK_STYLE, encoding="utf-8")
    code = ("import sys, policylint.load.inputs as inputs\n"
            "def broken(*args, **kwargs):\n    raise RuntimeError('a bug in reading')\n"
            "inputs._read_into = broken\n"
            "sys.argv = ['policylint', *sys.argv[1:]]\n"
            "from policylint.cli.launch import main\nmain()\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    for debug in ((), ("--debug",)):
        done = subprocess.run([sys.executable, "-c", code, "check", "in", *debug], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=60, check=False)
        assert "internal error while reading the file: RuntimeError: a bug in reading" in done.stdout + done.stderr
        traceback = [line for line in done.stderr.split("\n") if "Traceback" in line]
        if debug:
            assert traceback == ["policylint: Traceback (most recent call last):"]  # prefixed, as every line
            assert "policylint: internal error while reading in/a.yaml" in done.stderr
        else:
            assert traceback == []


def test_logging_is_configured_when_first_used(tmp_path: Path) -> None:
    # Without --debug the configuration waits for the first record; it is the same when it comes.
    code = ("import sys\nfrom policylint import lazy_log\nfrom policylint.cli.common import setup_logging\n"
            "setup_logging(False)\nprint('logging' in sys.modules)\n"
            "lazy_log.get_logger('policylint.somewhere').debug('below the level')\n"
            "lazy_log.get_logger('policylint.somewhere').error('a record\\x1b[31m %s', 'with an argument')\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout == "False\n"
    assert done.stderr.startswith("policylint: a record") and done.stderr.endswith(" with an argument\n")
    assert "\x1b" not in done.stderr and done.stderr.count("\n") == 1  # escaped, one line, no debug record


def test_reach_imports_no_rule(tmp_path: Path) -> None:
    modules = imported(tmp_path, "reach", str(SEED), "--from", FROM, "--to", TO)
    assert "policylint.engine.connectivity" in modules
    assert loaded(modules, NEVER + FINDINGS + CHECK_ONLY + ("policylint.rules", "policylint.intent",
                                               "policylint.exposure.analysis", "policylint.matrix")) == []


def test_check_imports_the_rules_and_nothing_it_does_not_use(tmp_path: Path) -> None:
    modules = imported(tmp_path, "check", str(SEED))
    assert "policylint.rules.pl201_invalid_cidr" in modules
    # No config with expectations, no admin or baseline policies, no chart: their machinery stays out.
    assert loaded(modules, NEVER + ("policylint.matrix", "tomllib", "html", "policylint.intent.expectations",
                                    "policylint.engine.explain_tiers", "policylint.load.render.helm")) == []


def test_every_listed_command_resolves_and_keeps_its_summary() -> None:
    """`policylint --help` shows the summaries of the COMMANDS table without importing the
    commands; each one must exist and show the same line once imported."""
    import click

    from policylint.cli.main import COMMANDS, cli

    context = click.Context(cli)
    for name, (_, _, summary) in COMMANDS.items():
        command = cli.get_command(context, name)
        assert isinstance(command, click.Command), name
        assert command.get_short_help_str(200) == summary, name


def test_check_with_select_imports_only_the_rules_selected(tmp_path: Path) -> None:
    modules = imported(tmp_path, "check", str(SEED), "--select", "PL201")
    rule_modules = sorted(m for m in modules if m.startswith("policylint.rules.pl"))
    # PL201 itself, and PL005, which the runner consults for internal errors in every run.
    assert rule_modules == ["policylint.rules.pl005_rule_crashed", "policylint.rules.pl201_invalid_cidr"]
    assert loaded(modules, NEVER + ("policylint.exposure.analysis", "policylint.graph", "policylint.engine.explain",
                                    "policylint.matrix")) == []


# Records, when click is first looked for, whether the run's settings were already made: the
# regular-expression cache must be on before click's imports compile their patterns.
_BEFORE_CLICK = """
import gc, re, sys
seen = {}

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "click" and not seen:
            from policylint import regex_code
            seen["cache"] = regex_code._installed is not None and re._compiler.compile == regex_code._installed.compile
            seen["gc"] = gc.isenabled()
        return None

sys.meta_path.insert(0, Watch())
import atexit
atexit.register(lambda: open(__import__("os").environ["MODULES_OUT"], "w").write(repr(seen)))
sys.argv = ["policylint", "--version"]
from policylint.cli.launch import main
main()
"""


def test_the_console_script_starts_the_caches_before_click(tmp_path: Path) -> None:
    out = tmp_path / "seen.txt"
    env = {**os.environ, "MODULES_OUT": str(out), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", _BEFORE_CLICK], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=60, check=True)
    assert out.read_text(encoding="utf-8") == "{'cache': True, 'gc': False}"


BLOCK_STYLE = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels:
    app: web
spec:
  containers:
  - name: web
    image: nginx
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
  - Ingress
"""


def test_plain_block_yaml_is_read_without_pyyaml(tmp_path: Path) -> None:
    # Texts of the plainest block style are read by load/block_yaml.py; PyYAML is imported for others.
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "shop.yaml").write_text(BLOCK_STYLE, encoding="utf-8")
    modules = imported(tmp_path, "matrix", "in", "--format", "json")
    assert "policylint.matrix.render_json" in modules
    assert "policylint.load.block_yaml" in modules
    assert loaded(modules, ("yaml", "_yaml")) == []
    (tmp_path / "in" / "block-scalar.yaml").write_text(
        "kind: Namespace\nmetadata:\n  name: shop\n  annotations:\n    note: |\n      text\n", encoding="utf-8")
    assert "yaml" in imported(tmp_path, "matrix", "in", "--format", "json")
