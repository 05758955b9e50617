"""The console script ends the process itself (policylint.cli.main._exit): the exit status, the
atexit handlers and buffered output must be exactly as with the interpreter's own exit."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import atexit, sys, threading
from policylint.cli.main import _exit
atexit.register(lambda: sys.stdout.write("handler ran\\n"))  # buffered: must still reach the pipe
sys.stdout.write("before exit\\n")
if sys.argv[2] == "thread":
    threading.Thread(target=__import__("time").sleep, args=(0.2,)).start()
_exit(eval(sys.argv[1]))
"""


@pytest.mark.parametrize(("code", "status", "stderr"), [("0", 0, ""), ("None", 0, ""), ("3", 3, ""),
                                                        ("'bad input'", 1, "bad input\n")])
@pytest.mark.parametrize("threads", ["alone", "thread"])
def test_exit_status_handlers_and_output(code: str, status: int, stderr: str, threads: str) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, code, threads], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == status
    assert done.stdout == "before exit\nhandler ran\n"
    assert done.stderr == stderr


def test_the_command_line_exit_status_is_the_commands(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                                       "metadata: {name: a, namespace: b}\nspec:\n  podSelector: {}\n"
                                       "  ingress:\n  - from:\n    - ipBlock: {cidr: nonsense}\n")
    found = subprocess.run([sys.executable, "-m", "policylint", "check", "bad.yaml"], capture_output=True, text=True,
                           cwd=tmp_path, timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert found.returncode == 1 and "PL201" in found.stdout
    usage = subprocess.run([sys.executable, "-m", "policylint", "check", "--no-such-option"], capture_output=True,
                           text=True, cwd=tmp_path, timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert usage.returncode == 2 and "No such option" in usage.stderr


def test_a_profiled_run_still_writes_its_statistics(tmp_path: Path) -> None:
    """`python -m cProfile -o FILE -m policylint …` writes FILE after main returns: under a
    profiler the interpreter's own exit is used."""
    stats = tmp_path / "run.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "policylint", "--version"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert stats.stat().st_size > 0
