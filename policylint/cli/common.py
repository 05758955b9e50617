"""Options and helpers shared by the commands."""
from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import click

from policylint import lazy_log
from policylint.config import Config, ConfigError, discover_config, load_config

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def paths_argument(function: Callable) -> Callable:
    return click.argument("paths", nargs=-1, metavar="PATH…", type=click.Path(allow_dash=True))(function)


_RENDER_KEY = "policylint.render"
_JOBS_KEY = "policylint.jobs"


def config_options(function: Callable) -> Callable:
    """--config, --namespace, --debug, and the rendering flags (--no-render, --helm-values), which
    `resolve_config` applies to the config so that every command renders alike."""

    inner = function

    @functools.wraps(inner)
    def command(*args: Any, no_render: bool = False, helm_values: tuple[str, ...] = (), jobs: int | None = None,
                **kwargs: Any) -> Any:
        context = click.get_current_context(silent=True)
        if context is not None:
            context.meta[_RENDER_KEY] = (no_render, tuple(helm_values))
            context.meta[_JOBS_KEY] = jobs
        return inner(*args, **kwargs)

    function = click.option("--jobs", "jobs", type=click.IntRange(min=0), envvar="POLICYLINT_JOBS",
                            metavar="N", show_envvar=True,
                            help="Processes that read and parse the input (default: 0, every idle core, for "
                                 "inputs over 2 MB; 1: one process). The output is the same.")(command)

    function = click.option("--helm-values", "helm_values", multiple=True, metavar="FILE",
                            help="Values file for `helm template`, relative to each chart's folder (repeatable; "
                                 "replaces render.helm-values of the config).")(function)
    function = click.option("--no-render", "no_render", is_flag=True,
                            help="Do not render Helm charts and kustomizations; report each one once as not "
                                 "rendered (config: render.helm, render.kustomize).")(function)
    function = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                            help="Config file (default: .policylint.yaml or [tool.policylint] in pyproject.toml, "
                                 "found by walking up from the working directory).")(function)
    function = click.option("--namespace", "-n", "default_namespace", metavar="NS",
                            help="Namespace of objects without metadata.namespace (default: default).")(function)
    function = click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")(function)
    return function


def pulumi_options(function: Callable) -> Callable:
    """`--pulumi DIR` (repeatable) and `--pulumi-timeout`, handed to the command as one argument
    `pulumi` (a `PulumiInputs`) to pass on to `analyse`/`load_and_model`."""
    from policylint.pulumi import PulumiInputs

    @functools.wraps(function)
    def command(*args: Any, pulumi_dirs: tuple[str, ...] = (), pulumi_timeout: float | None = None,
                **kwargs: Any) -> Any:
        return function(*args, pulumi=PulumiInputs(tuple(pulumi_dirs), pulumi_timeout), **kwargs)

    command = click.option("--pulumi-timeout", "pulumi_timeout", type=click.FloatRange(min=0, min_open=True),
                           metavar="SECONDS",
                           help="Time limit for each --pulumi program (default: $POLICYLINT_PULUMI_TIMEOUT or 60).")(command)
    command = click.option("--pulumi", "pulumi_dirs", multiple=True, metavar="DIR",
                           type=click.Path(exists=True, file_okay=False),
                           help="Also lint the Kubernetes objects that the Pulumi Python program in DIR creates "
                                "(repeatable). This RUNS the program's code, offline under Pulumi's mock runtime, "
                                "in a child process with a time limit: use it only on code you trust. Needs "
                                "pip install 'policylint[pulumi]'.")(command)
    return command


def fail(message: str) -> None:
    """A usage or configuration error: one line on stderr, exit 2."""
    from policylint.report.escape import text

    click.echo(f"policylint: error: {text(message)}", err=True)  # messages quote file names and config keys
    sys.exit(EXIT_USAGE)


def write_output(path: str, text: str) -> None:
    """Write a report to `path` (`-o`), or fail with exit 2 and one line.

    A symbolic link at `path` is not written through: a repository (or a pull request) can commit
    `report.json -> ~/.bashrc`, and CI writes its report where the workflow says. Name the
    link's target to write there.
    """
    import os

    if os.path.islink(path):
        fail(f"cannot write {path}: it is a symbolic link (to {os.readlink(path)}); "
             "name the file it points to if that is where the output should go")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o666)
        with open(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        fail(f"cannot write {path}: {error.strerror or error}")


def resolve_config(config_path: str | None, default_namespace: str | None) -> Config:
    try:
        if config_path:
            from pathlib import Path  # only for a config named on the command line (config.discover_config)

            path = Path(config_path)
            if not path.is_file():
                fail(f"config file {config_path} does not exist")
        else:
            path = discover_config()
        config = load_config(path)
    except ConfigError as error:
        fail(str(error))
        raise  # unreachable: fail exits
    from dataclasses import replace

    if default_namespace:
        config = replace(config, namespace=default_namespace)
    context = click.get_current_context(silent=True)
    no_render, helm_values = context.meta.get(_RENDER_KEY, (False, ())) if context is not None else (False, ())
    if no_render:
        config = replace(config, render=replace(config.render, kustomize=False, helm=False))
    if helm_values:
        config = replace(config, render=replace(config.render, helm_values=helm_values))
    jobs = context.meta.get(_JOBS_KEY) if context is not None else None
    if jobs:
        config = replace(config, jobs=jobs)
    return config


def split_tokens(values: tuple[str, ...]) -> tuple[str, ...]:
    """`--select PL1,PL2 --select PL3` → ("PL1", "PL2", "PL3")."""
    return tuple(t.strip() for v in values for t in v.split(",") if t.strip())


def require_paths(paths: tuple[str, ...], pulumi: Any = None) -> None:
    if not paths and not pulumi:
        fail("no input: give files or folders of manifests, or - for standard input")


def check_missing(missing: list[str], found_files: int, excluded: int = 0) -> None:
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    if found_files == 0 and excluded:
        # Not a usage error: a commit touching only excluded files (Helm chart sources) is fine.
        click.echo(f"policylint: all {excluded} input file(s) are excluded by the config; nothing to check", err=True)
        sys.exit(EXIT_OK)
    if found_files == 0:
        fail("no input found: no .yaml, .yml or .json files in the given paths")


def _safe_lines() -> Any:
    import logging

    class SafeLines(logging.Formatter):
        """Every line of a log record escaped and prefixed, so that an input-derived value in a
        message (a file name, an option's value) can neither drive the terminal nor start a line
        that a CI system reads as a command; a traceback (--debug) keeps its lines."""

        def format(self, record: logging.LogRecord) -> str:
            from policylint.report.escape import text

            return "\n".join(f"policylint: {text(line)}" for line in super().format(record).split("\n"))

    return SafeLines("%(message)s")


def setup_logging(debug: bool) -> None:
    """Log records on stderr, one escaped line each; DEBUG records too with --debug.

    Made when `logging` is first used (policylint.lazy_log): a run that logs nothing does not
    import it. With --debug it is made at once, for the records of other libraries too."""
    if debug:
        _configure_logging(True)
    else:
        lazy_log.configure(lambda: _configure_logging(False))


def _configure_logging(debug: bool) -> None:
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(_safe_lines())
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, handlers=[handler])


def stdin_binary() -> Any:
    """Standard input as bytes, or None when the process has none (started with `0<&-`)."""
    return getattr(sys.stdin, "buffer", None)  # None when stdin is closed or not a byte stream
