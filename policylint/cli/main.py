"""The `policylint` command. Each sub-command lives in its own module, registered here by name.

Sub-commands are imported only when they run (or when help lists them), so that
`policylint --version` and shell completion stay fast: the analysis stack is not cheap to import.
"""
from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Any, NoReturn

import click

from policylint import __version__, dataclass_code, regex_code

# command name -> (module under policylint.cli, attribute, the one line `policylint --help` shows).
# The summaries live here so that listing the commands imports none of them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": ("check", "check", "Lint NetworkPolicy manifests (the CI step)."),
    "diff": ("diff", "diff", "Show what a change does to connections and findings."),
    "fix": ("fix", "fix", "Apply the fixes the engine proves, or show them as a diff."),
    "generate": ("generate", "generate", "Write the NetworkPolicies the workloads in scope need."),
    "matrix": ("matrix", "matrix", "Print who may connect to whom, on which ports."),
    "paths": ("paths", "paths", "Multi-hop paths between endpoints, or a blast radius."),
    "reach": ("reach", "reach", "Explain whether one endpoint may connect to another."),
    "roles": ("roles", "roles", "List the roles, their workloads, and the training jobs."),
    "rule": ("catalogue", "rule", "Print the documentation of one rule."),
    "rules": ("catalogue", "rules", "List every rule: code, name, severity and summary."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module, attribute, summary = COMMANDS[name]
            command = getattr(importlib.import_module(f"policylint.cli.{module}"), attribute)
            command.short_help = command.short_help or summary
            self.add_command(command, name)
        return self.commands.get(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in COMMANDS and name not in self.commands:
                rows.append((name, COMMANDS[name][2]))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="policylint")
def cli() -> None:
    """Offline static analyzer and linter for Kubernetes NetworkPolicy.

    Reads manifests (files, folders, `-` for stdin), evaluates the exact NetworkPolicy
    semantics and reports what the API server would reject, what is legal but wrong, and who
    can reach whom. Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error.
    """


class OutputError(Exception):
    """Standard output cannot be written (a full disk, a closed pipe).

    Deliberately not an OSError: click turns a broken pipe into exit 1, which CI reads as
    "findings"; a report that was not delivered is an error, exit 2.
    """


class GuardedStdout:
    """`sys.stdout` whose write errors become `OutputError`; everything else is the stream's."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as error:
            raise OutputError(error.strerror or str(error)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise OutputError(error.strerror or str(error)) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _discard_stdout(stream: Any) -> None:
    # What could not be written is dropped, so the interpreter's last flush at exit cannot fail again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    sys.stdout = stream


def main() -> NoReturn:
    """The console script: runs one command and ends the process with its exit code."""
    # One run builds one big heap (the input, its model, the engine, the findings) that lives to
    # the end and holds no reference cycles to speak of. Python's cyclic collector would rescan it
    # again and again, and once more at exit, to free nothing: a fifth of `check` on a 10,000-pod
    # cluster, a quarter of `diff`, the same peak memory without it (bench/README.md).
    gc.disable()
    # The methods of the package's dataclasses and the regular expressions the run compiles, kept
    # like bytecode: compiling them again was about 40 % and an eighth of a small run
    # (policylint.dataclass_code, policylint.regex_code). The console script (policylint.cli.launch)
    # has installed both before this module was imported; then these calls change nothing.
    regex_code.install()
    dataclass_code.install()
    try:
        _run()
        code: object = 0
    except SystemExit as done:
        code = done.code
    finally:
        dataclass_code.uninstall()
        regex_code.uninstall()
    _exit(code)


def _exit(code: object) -> NoReturn:
    """End the process as the interpreter would, less the teardown of the heap.

    At exit the interpreter frees every object of the run one by one and makes a last pass of the
    cyclic collector over them: about a sixth of the CPU time of a small `check`, for memory the
    operating system takes back at once. Everything an exit does for others still happens here:
    the standard streams are flushed and the atexit handlers run (logging, temporary folders,
    multiprocessing, coverage and profilers). While another thread is alive, or when flushing
    fails, the interpreter's own exit is used.
    """
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # as the interpreter does with `sys.exit("message")`
        sys.stderr.write(f"{code}\n")
        status = 1
    threading = sys.modules.get("threading")
    if (threading is not None and threading.active_count() > 1) or sys.getprofile() is not None \
            or sys.gettrace() is not None:
        # Another thread, or a profiler or debugger around the run (`python -m cProfile -m
        # policylint` writes its statistics after main returns): exit as the interpreter does.
        sys.exit(status)
    import atexit

    atexit._run_exitfuncs()  # type: ignore[attr-defined]  # what the interpreter runs at exit
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError, OutputError):
        sys.exit(status)  # let the interpreter report it, as it would have
    os._exit(status)


def _run() -> None:
    stdout = sys.stdout
    if stdout is None:  # started with standard output closed: no report can be delivered
        sys.stderr.write("policylint: error: standard output is closed\n")
        sys.exit(2)
    sys.stdout = GuardedStdout(stdout)
    try:
        try:
            cli(prog_name="policylint")
        finally:
            sys.stdout.flush()  # a full disk shows here, not at the interpreter's exit
    except OutputError as error:
        _discard_stdout(stdout)
        sys.stderr.write(f"policylint: error: cannot write the output to standard output: {error}\n")
        sys.exit(2)
