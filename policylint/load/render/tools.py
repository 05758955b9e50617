"""Find the renderers on PATH and run them offline, with a time limit, never raising."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from policylint import lazy_log

LOG = lazy_log.get_logger(__name__)
_OUTPUT_LIMIT_NOTE = "output over the size limit (limits: max-file-bytes)"


@dataclass(frozen=True, slots=True)
class Renderer:
    """A command line prefix that renders: `kustomize build`, `kubectl kustomize`, `helm template`."""

    name: str  # as the user knows it, for messages and -v
    argv: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    output: str | None  # the rendered stream, or None when the render failed
    error: str = ""  # the renderer's first error line, or why it did not run
    timed_out: bool = False


def kustomize_renderer() -> Renderer | None:
    """`kustomize build` when `kustomize` is on PATH (the tool's own release), else `kubectl kustomize`."""
    kustomize = shutil.which("kustomize")
    if kustomize:
        return Renderer("kustomize build", (kustomize, "build"))
    kubectl = shutil.which("kubectl")
    if kubectl:
        return Renderer("kubectl kustomize", (kubectl, "kustomize"))
    return None


def helm_renderer() -> Renderer | None:
    helm = shutil.which("helm")
    return Renderer("helm template", (helm, "template")) if helm else None


def offline_environment() -> dict[str, str]:
    """The environment of a render: proxies pointed nowhere, so a fetch fails fast instead of
    reaching the network (remote kustomize resources are refused before a render starts)."""
    env = dict(os.environ)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env[name] = "http://127.0.0.1:9"
    env["NO_PROXY"] = env["no_proxy"] = ""
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["HELM_NO_PLUGINS"] = "1"
    return env


def run(argv: list[str], timeout: float, max_bytes: int, cwd: str | None = None) -> Outcome:
    """Run a renderer; its standard output is the rendered stream. Never raises."""
    LOG.info("rendering: %s", " ".join(argv))
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, cwd=cwd, env=offline_environment(),
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return Outcome(None, f"did not finish within {timeout:g} seconds (render.timeout in the config)", True)
    except OSError as error:
        return Outcome(None, f"could not start {argv[0]}: {error.strerror or error}")
    if done.returncode != 0:
        return Outcome(None, first_error_line(done.stderr.decode("utf-8", "replace")) or f"exit status {done.returncode}")
    if len(done.stdout) > max_bytes:
        return Outcome(None, _OUTPUT_LIMIT_NOTE)
    return Outcome(done.stdout.decode("utf-8", "replace"))


def first_error_line(stderr: str) -> str:
    """The line that reports the error (helm's `Error:` line), else the first line that is no warning (kustomize warns about deprecated
    fields on stderr even when it succeeds), without kubectl's log header (it carries the time and
    the process id: reports must not change from one run to the next) and cut to its last
    `_MAX_MESSAGE` characters (kustomize nests the cause at the end of a long chain)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    chosen = next((line for line in lines if line.lower().startswith("error:")), None) or next(
        (line for line in lines if not line.lower().startswith(("# warning", "warning:", "warn "))), lines[0] if lines else "")
    match = _KLOG.match(chosen)
    if match:
        chosen = match.group("message")
        wrapped = _COMMAND_FAILED.match(chosen)
        if wrapped:
            chosen = wrapped.group("error").replace('\\"', '"')
    if chosen.lower().startswith("error: "):
        chosen = chosen[len("error: "):]
    return chosen if len(chosen) <= _MAX_MESSAGE else "…" + chosen[-_MAX_MESSAGE:]


_MAX_MESSAGE = 240
_KLOG = re.compile(r"^[IWEF]\d{4} [0-9:.]+\s+\d+ [^\]]+\] (?P<message>.*)$")
_COMMAND_FAILED = re.compile(r'^"command failed" err="(?P<error>.*)"$')
