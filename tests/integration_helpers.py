"""Shared by tests/test_integrations_*.py: the example repository, the console script, and a
small runner for GitHub Actions steps (expressions, `if:`, step outputs) that executes `run:`
steps with bash the way a GitHub runner does.

Integration files are run as their users run them: the `policylint` console script found on
PATH, in a copy of `fixtures/integrations/repo/` as the working directory, so the repository's
`.policylint.yaml` is discovered from there.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
REPO = ROOT / "fixtures" / "integrations" / "repo"
STDIN = ROOT / "fixtures" / "integrations" / "stdin"
SNIPPETS = ROOT / "docs" / "snippets"
SEED_POLICY = ROOT / "fixtures" / "examples" / "seed" / "ml-training-policy.yaml"
# One finding in the text report: "  12:5     error   PL201 message  name"
TEXT_FINDING = re.compile(r"^\s+(\d+):(\d+)\s+(error|warning|info)\s+(PL\d{3})\s", re.M)


def copy_repo(tmp_path: Path, name: str = "repo") -> Path:
    target = tmp_path / name
    shutil.copytree(REPO, target)
    return target


def scripts_dir() -> str:
    """Where this interpreter's console scripts are installed (the project is installed there)."""
    return sysconfig.get_path("scripts")


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: `policylint` on PATH, no colour, not under GitHub Actions."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "PRE_COMMIT"))}
    env["PATH"] = os.pathsep.join([scripts_dir(), str(Path(sys.executable).parent), env.get("PATH", "")])
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def bash(script: str, cwd: Path, env: dict[str, str], stdin: bytes | None = None,
         flags: tuple[str, ...] = ("-e", "-o", "pipefail")) -> subprocess.CompletedProcess[str]:
    bash_path = shutil.which("bash", path=env.get("PATH"))
    assert bash_path, "bash is needed to run the integration snippets"
    return subprocess.run([bash_path, "--noprofile", "--norc", *flags, "-c", script], cwd=cwd, env=env,
                          input=stdin.decode() if stdin is not None else None, capture_output=True, text=True,
                          timeout=300)


def text_findings(output: str) -> set[tuple[int, str]]:
    """(line, code) of every finding in a text report."""
    return {(int(m.group(1)), m.group(4)) for m in TEXT_FINDING.finditer(output)}


# --- GitHub Actions --------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_TOKEN = re.compile(r"\s*(?:(\|\||&&|==|!=|!|\(|\))|'((?:[^']|'')*)'|([A-Za-z_][\w.\-]*)(\(\))?)")


class Context:
    """The values expressions read: `inputs.*`, `github.*`, `steps.<id>.outputs.*`, `runner.*`, `env.*`."""

    def __init__(self, values: dict[str, Any], status: str = "success") -> None:
        self.values = values
        self.status = status  # "success" or "failure": what success()/failure() answer

    def lookup(self, dotted: str) -> Any:
        value: Any = self.values
        for part in dotted.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        return value

    def call(self, name: str) -> bool:
        return {"success": self.status == "success", "failure": self.status == "failure",
                "always": True, "cancelled": False}[name]


def evaluate(expression: str, context: Context) -> Any:
    """A GitHub expression: property paths, 'strings', ==, !=, !, &&, || (which return an operand,
    as GitHub's do), parentheses and the status functions. Enough for the files tested here;
    anything else is an error, never a silent guess."""
    python, position = [], 0
    source = expression.strip()
    while position < len(source):
        match = _TOKEN.match(source, position)
        if not match or match.end() == position:
            raise ValueError(f"unsupported expression {expression!r} at {source[position:]!r}")
        operator, string, name, call = match.groups()
        if operator:
            python.append({"||": " or ", "&&": " and ", "!": " not ", "==": " == ", "!=": " != "}.get(operator, operator))
        elif string is not None:
            python.append(repr(string.replace("''", "'")))
        elif call:
            python.append(repr(context.call(name)))
        elif name in ("true", "false"):
            python.append(repr(name == "true"))
        else:
            python.append(repr(context.lookup(name)))
        position = match.end()
    return eval("".join(python), {"__builtins__": {}}, {})  # only literals and operators remain


def substitute(text: str, context: Context) -> str:
    """Replace every `${{ … }}` in a string, as the runner does before a step runs."""
    def value(match: re.Match[str]) -> str:
        result = evaluate(match.group(1), context)
        return ("true" if result else "false") if isinstance(result, bool) else str(result)
    return _EXPRESSION.sub(value, text)


def condition(step: dict[str, Any], context: Context) -> bool:
    """A step's `if:` (with or without `${{ }}`); no `if:` means success()."""
    raw = step.get("if")
    if raw is None:
        return context.status == "success"
    text = str(raw).strip()
    match = _EXPRESSION.fullmatch(text)
    expression = match.group(1) if match else text
    # Without a status function GitHub reads the condition as `success() && (…)`.
    if not re.search(r"\b(success|failure|always|cancelled)\(\)", expression):
        expression = f"success() && ({expression})"
    return bool(evaluate(expression, context))


def read_outputs(path: Path) -> dict[str, str]:
    """`name=value` lines and `name<<DELIMITER` blocks of a $GITHUB_OUTPUT file."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            outputs[name] = "\n".join(lines[index + 1:end])
            index = end + 1
            continue
        name, _, value = line.partition("=")
        outputs[name] = value
        index += 1
    return outputs


@dataclass
class StepResult:
    name: str
    ran: bool
    reason: str = ""  # why a step did not run
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Runner:
    """Runs steps in one job: a working directory, a runner temp folder, the summary, PATH additions."""

    workdir: Path
    temp: Path
    github: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: str = "success"
    path_additions: list[str] = field(default_factory=list)

    @property
    def summary(self) -> Path:
        return self.temp / "step_summary.md"

    def env(self, step_env: dict[str, str]) -> dict[str, str]:
        env = cli_env(GITHUB_ACTIONS="true", RUNNER_TEMP=str(self.temp), GITHUB_STEP_SUMMARY=str(self.summary),
                      GITHUB_PATH=str(self.temp / "github_path"), GITHUB_WORKSPACE=str(self.workdir))
        # A runner's PATH: what earlier steps added to $GITHUB_PATH (the latest first), then the rest.
        env["PATH"] = os.pathsep.join([*reversed(self.path_additions), env["PATH"]])
        env.update(step_env)
        return env

    def context(self, inputs: dict[str, Any]) -> Context:
        return Context({"inputs": inputs, "github": self.github, "steps": self.steps,
                        "runner": {"temp": str(self.temp)}}, self.status)

    def run_steps(self, steps: list[dict[str, Any]], inputs: dict[str, Any],
                  uses: dict[str, Any] | None = None) -> list[StepResult]:
        """Run `steps` in order. A `uses:` step is handed to `uses[action]` when given (a callable
        that runs it), otherwise skipped, and the result says why."""
        results = []
        for number, step in enumerate(steps):
            name = step.get("name") or step.get("id") or step.get("uses") or f"step {number}"
            context = self.context(inputs)
            if not condition(step, context):
                results.append(StepResult(name, False, f"if: {step['if']} is false"))
                continue
            if "uses" in step:
                handler = next((h for prefix, h in (uses or {}).items() if step["uses"].startswith(prefix)), None)
                if handler is None:
                    results.append(StepResult(name, False, f"uses: {step['uses']} is a published action, not run here"))
                    continue
                result = handler(self, step, context)
            else:
                result = self._run(name, step, context)
            results.append(result)
            if "id" in step:
                self.steps[step["id"]] = {"outputs": result.outputs, "outcome": "success" if result.returncode == 0 else "failure"}
            if result.returncode:
                self.status = "failure"
        return results

    def _run(self, name: str, step: dict[str, Any], context: Context) -> StepResult:
        assert step.get("shell", "bash") == "bash", f"{name}: only bash steps are run here"
        step_env = {key: substitute(str(value), context) for key, value in (step.get("env") or {}).items()}
        script = substitute(step["run"], context)
        output_file = self.temp / f"output_{len(self.steps)}_{abs(hash(name))}"
        output_file.unlink(missing_ok=True)
        env = self.env(step_env)
        env["GITHUB_OUTPUT"] = str(output_file)
        cwd = self.workdir / substitute(step.get("working-directory", "."), context)
        # What `shell: bash` runs on a GitHub runner: bash --noprofile --norc -eo pipefail {0}
        completed = bash(script, cwd, env)
        github_path = self.temp / "github_path"
        if github_path.exists():
            self.path_additions = [line for line in github_path.read_text().splitlines() if line]
        return StepResult(name, True, returncode=completed.returncode, stdout=completed.stdout,
                          stderr=completed.stderr, outputs=read_outputs(output_file))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


ACTION = ROOT / "action.yml"


def action_inputs(given: dict[str, Any]) -> dict[str, str]:
    """The action's inputs: the defaults of action.yml, overridden by `with:` values (as strings)."""
    declared = load_yaml(ACTION)["inputs"]
    unknown = set(given) - set(declared)
    assert not unknown, f"inputs not declared in action.yml: {sorted(unknown)}"
    values = {name: str(spec.get("default", "")) for name, spec in declared.items()}
    values.update({name: str(value).lower() if isinstance(value, bool) else str(value) for name, value in given.items()})
    return values


@dataclass
class ActionRun:
    results: list[StepResult]
    outputs: dict[str, str]
    steps: dict[str, dict[str, Any]]  # the composite's own `steps` context, for a later partial run
    returncode: int  # the first failing step's, else 0: what fails the workflow step

    def step(self, name_or_id: str) -> StepResult:
        return next(r for r in self.results if r.name == name_or_id)


def run_action(runner: Runner, given: dict[str, Any], only: tuple[str, ...] = (),
               preset: dict[str, dict[str, Any]] | None = None) -> ActionRun:
    """Run action.yml's composite steps in `runner`'s job, with `given` inputs.

    `only` limits the run to the steps with these ids, with `preset` standing for the outputs of
    steps that an earlier run already executed (installing once serves several tests).
    """
    action = load_yaml(ACTION)
    steps = [s for s in action["runs"]["steps"] if not only or s.get("id") in only]
    inner = Runner(runner.workdir, runner.temp, {**runner.github, "action_path": str(ROOT)},
                   steps=dict(preset or {}), path_additions=list(runner.path_additions))
    results = inner.run_steps(steps, action_inputs(given))
    runner.path_additions = inner.path_additions
    context = inner.context(action_inputs(given))
    outputs = {name: substitute(str(spec["value"]), context) for name, spec in action.get("outputs", {}).items()}
    ran = [r for r in results if r.ran and r.returncode is not None]
    returncode = next((r.returncode for r in ran if r.returncode), 0)
    return ActionRun(results, outputs, inner.steps, returncode)
