"""Find a Pulumi Python program in a folder and run it, bounded in time, in a child process.

The child is `runner.py` (standard library and Pulumi SDK only). Whatever happens to it — an
exception, a missing module, a program that never returns, a crash — ends here as a
`RunResult`, never as an exception in policylint, except for usage errors (`ProgramError`): a
folder without a program, another language, or no Pulumi SDK.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policylint import lazy_log
from policylint.errors import ConfigError
from policylint.load.yaml_reader import parse_text

LOG = lazy_log.get_logger(__name__)
RUNNER = Path(__file__).with_name("runner.py")
DEFAULT_TIMEOUT = 60.0
TIMEOUT_ENV = "POLICYLINT_PULUMI_TIMEOUT"
INSTALL_HINT = "pip install 'policylint[pulumi]'"
EXIT_NO_SDK = 3  # runner.EXIT_NO_SDK; the runner is not imported here (it is a script)
_GRACE_SECONDS = 5.0  # after the runner's own deadline, before the process is killed
_FAULTHANDLER_FRAME = re.compile(r'^\s*File "(?P<file>.+)", line (?P<line>\d+) in (?P<name>.+)$')


class ProgramError(ConfigError):
    """A usage error (exit code 2): no Pulumi SDK, or a folder without a Python program to run."""


@dataclass(frozen=True, slots=True)
class Program:
    directory: str  # the folder as the user named it: reported paths start with it
    root: str  # its absolute, resolved path
    entry: str  # absolute path of the file or folder to run
    main_file: str  # absolute path of the main .py file (where failures without a frame point)
    project: str
    python: str  # the interpreter that runs it
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def workdir(self) -> str:
        """Where the program runs: the folder of its entry point, as the Pulumi CLI does."""
        return self.entry if os.path.isdir(self.entry) else os.path.dirname(self.entry)

    def display_path(self, absolute: str) -> str:
        """The path of a program file as reports show it: under the folder the user named."""
        relative = os.path.relpath(absolute, self.root)
        if relative.startswith(os.pardir):
            return absolute
        return os.path.normpath(os.path.join(self.directory, relative))


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a program did not finish: the innermost frame in the program and the error line."""

    message: str
    file: str  # absolute; the program's main file when no frame is in the program
    line: int


@dataclass(slots=True)
class RunResult:
    resources: list[dict[str, Any]] = field(default_factory=list)
    invokes: list[dict[str, Any]] = field(default_factory=list)
    failure: Failure | None = None
    seconds: float = 0.0


def sdk_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("pulumi", "pulumi_kubernetes"))


def timeout_from_env(default: float = DEFAULT_TIMEOUT) -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ProgramError(f"{TIMEOUT_ENV} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ProgramError(f"{TIMEOUT_ENV} must be positive, not {raw!r}")
    return value


def find_program(directory: str) -> Program:
    root = Path(directory).resolve()
    if not root.is_dir():
        raise ProgramError(f"--pulumi {directory}: no such folder")
    settings = _project_settings(root, directory)
    runtime = settings.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name not in (None, "python"):
        raise ProgramError(f"--pulumi {directory}: runtime {runtime_name!r} is not supported (only python)")
    main = settings.get("main")
    entry = (root / main).resolve() if isinstance(main, str) and main else root
    main_file = entry if entry.suffix == ".py" and not entry.is_dir() else entry / "__main__.py"
    if not main_file.is_file():
        raise ProgramError(f"--pulumi {directory}: no Pulumi Python program ({_relative(main_file, root)} not found)")
    project = settings.get("name") if isinstance(settings.get("name"), str) else root.name
    return Program(directory, str(root), str(entry), str(main_file), project,
                   _interpreter(root, runtime), _config(root, project, settings))


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _project_settings(root: Path, directory: str) -> dict[str, Any]:
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        path = root / name
        if path.is_file():
            try:
                loaded = _read_yaml(path)
            except (OSError, UnicodeDecodeError, ValueError) as error:
                raise ProgramError(f"--pulumi {directory}: cannot read {name}: {error}") from None
            return loaded if isinstance(loaded, dict) else {}
    return {}


def _read_yaml(path: Path) -> Any:
    """A project or stack file through policylint's bounded reader (depth, aliases, size)."""
    parsed = parse_text(path.read_text(encoding="utf-8"), str(path))
    if parsed.problems:
        raise ValueError(parsed.problems[0].message)
    return parsed.documents[0].root if parsed.documents else None


def _interpreter(root: Path, runtime: Any) -> str:
    """The project's virtualenv interpreter when it names one that exists, else policylint's own."""
    options = runtime.get("options") if isinstance(runtime, dict) else None
    virtualenv = options.get("virtualenv") if isinstance(options, dict) else None
    if isinstance(virtualenv, str) and virtualenv:
        for candidate in ("bin/python", "Scripts/python.exe"):
            python = (root / virtualenv / candidate)
            if python.exists():
                return str(python)
    return sys.executable


def _config(root: Path, project: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Plain config values: project defaults, then the only stack file's values (secrets stay unset)."""
    values: dict[str, Any] = {}
    declared = settings.get("config")
    if isinstance(declared, dict):
        for key, spec in declared.items():
            value = spec.get("default", spec.get("value")) if isinstance(spec, dict) else spec
            if value is not None:
                values[_config_key(project, str(key))] = value
    stacks = sorted(root.glob("Pulumi.*.yaml"))
    if len(stacks) == 1:
        try:
            stack = _read_yaml(stacks[0]) or {}
        except (OSError, UnicodeDecodeError, ValueError):
            stack = {}
        config = stack.get("config") if isinstance(stack, dict) else None
        for key, value in (config or {}).items() if isinstance(config, dict) else ():
            if isinstance(value, dict) and "secure" in value:
                continue
            values[_config_key(project, str(key))] = value
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def _config_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def run_program(program: Program, timeout: float) -> RunResult:
    import time

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="policylint-pulumi-") as scratch:
        request = Path(scratch, "request.json")
        result_path = Path(scratch, "result.json")
        stacks_path = Path(scratch, "stacks.txt")
        request.write_text(json.dumps({
            "root": program.root,
            "workdir": program.workdir,
            "entry": program.entry,
            "result": str(result_path),
            "stacks": str(stacks_path),
            "timeout": timeout,
            "project": program.project,
            "config": program.config,
        }), encoding="utf-8")
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
        try:
            completed = subprocess.run([program.python, str(RUNNER), str(request)], cwd=program.root, env=env,
                                       stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout + _GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            return RunResult(failure=_timeout_failure(program, timeout, stacks_path), seconds=time.monotonic() - started)
        except OSError as error:
            raise ProgramError(f"--pulumi {program.directory}: cannot start {program.python}: {error.strerror or error}") from None
        seconds = time.monotonic() - started
        if completed.returncode == EXIT_NO_SDK:
            raise ProgramError(f"--pulumi needs the Pulumi SDK in {program.python}: {INSTALL_HINT}")
        stderr = completed.stderr.decode("utf-8", "replace")
        if stderr.strip():
            LOG.debug("pulumi program %s wrote to stderr:\n%s", program.directory, stderr)
        if result_path.is_file():
            return _read_result(program, result_path, seconds)
        if stacks_path.is_file() and stacks_path.stat().st_size:
            return RunResult(failure=_timeout_failure(program, timeout, stacks_path), seconds=seconds)
        last = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit status {completed.returncode}"
        return RunResult(failure=Failure(f"program stopped without a result: {last}", program.main_file, 1), seconds=seconds)


def _read_result(program: Program, path: Path, seconds: float) -> RunResult:
    data = json.loads(path.read_text(encoding="utf-8"))
    result = RunResult(resources=data.get("resources", []), invokes=data.get("invokes", []), seconds=seconds)
    error = data.get("error")
    if error:
        file, line = _innermost_in_program(program, error.get("frames", []))
        message = f"program failed: {error.get('message') or error.get('type')}"
        innermost = error.get("frames", [])[-1:] if error.get("frames") else []
        if innermost and (innermost[0][0], innermost[0][1]) != (file, line):
            message += f" (raised in {_short(innermost[0][0])}:{innermost[0][1]})"
        result.failure = Failure(message, file, line)
    return result


def _innermost_in_program(program: Program, frames: list[list[Any]]) -> tuple[str, int]:
    for file, line, *_ in reversed(frames):
        if _in_program(program, file):
            return file, int(line)
    return program.main_file, 1


def _in_program(program: Program, file: str) -> bool:
    relative = os.path.relpath(file, program.root)
    return (file.endswith(".py") and not relative.startswith(os.pardir)
            and not any(part in ("site-packages", "dist-packages") for part in Path(relative).parts))


def _short(path: str) -> str:
    """A library frame without the machine's folders: from the package folder on."""
    parts = Path(path).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            return "/".join(parts[parts.index(marker) + 1:])
    return Path(path).name


def _timeout_failure(program: Program, timeout: float, stacks_path: Path) -> Failure:
    """Where the program was when its time ran out, from faulthandler's dump of every thread."""
    message = f"program did not finish within {timeout:g} s (raise --pulumi-timeout if it is only slow)"
    try:
        text = stacks_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    # faulthandler prints the most recent call first, one block per thread.
    for block in re.split(r"\n\s*\n|(?=^Thread 0x|^Current thread 0x)", text, flags=re.MULTILINE):
        for raw_line in block.splitlines():
            match = _FAULTHANDLER_FRAME.match(raw_line)
            if match and _in_program(program, os.path.realpath(match["file"])):
                return Failure(message, os.path.realpath(match["file"]), int(match["line"]))
    return Failure(message, program.main_file, 1)
