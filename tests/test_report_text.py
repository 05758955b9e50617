"""`--format text`: grouped by file, coloured only when asked or on a terminal without NO_COLOR."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from policylint.cli import check as check_command
from policylint.report import text
from tests.test_report_samples import MIXED_ARGS, ROOT, SEED, run, sample_report

RED, RESET = "\033[31m", "\033[0m"
INDENT = " " * 19  # the location and severity columns of the line above


def test_grouped_by_file_with_aligned_columns() -> None:
    assert text.render(sample_report()).splitlines() == [
        "k8s/train.yaml",
        '  27:19    error   PL201 ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required  invalid-cidr',
        "  30:11    warning PL009 unknown field 'a,b:c' in a peer (100% | <b>)  unknown-field",
        "",
        "k8s/z.yaml",
        "  2:15     info    PL004 suppression of 'PL202' silences nothing  unused-suppression",
        "",
        "3 files, 1 namespace, 0 workloads, 2 NetworkPolicies: 1 error, 1 warning, 1 info",
    ]


def test_verbose_shows_object_related_locations_and_the_fix() -> None:
    lines = text.render(sample_report(verbose=True)).splitlines()
    assert lines[1:6] == [
        '  27:19    error   PL201 ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required  invalid-cidr',
        f"{INDENT}object: NetworkPolicy ml-workloads/ml-training-communication at spec.egress[0].to[0].ipBlock.cidr",
        f"{INDENT}k8s/namespaces.yaml:3: namespace ml-workloads is declared here",
        f"{INDENT}fix: Set `cidr` to a CIDR.",
        "  30:11    warning PL009 unknown field 'a,b:c' in a peer (100% | <b>)  unknown-field",
    ]
    assert "object:" not in text.render(sample_report())


def test_colour_keeps_the_columns_aligned() -> None:
    lines = text.render(sample_report(color=True)).splitlines()
    assert lines[0] == "\033[1mk8s/train.yaml\033[0m"
    assert lines[1].startswith(f"  27:19    {RED}error{RESET}   PL201 ")
    assert lines[2].startswith("  30:11    \033[33mwarning\033[0m PL009 ")


def test_cli_verbose() -> None:
    result = run([*MIXED_ARGS, "--verbose"])
    assert f"{INDENT}object: NetworkPolicy ml/train at spec.egress[0].to[0].ipBlock.cidr" in result.stdout.splitlines()
    assert f"{INDENT}fix: Set `cidr` to the address range the rule is meant for, in CIDR notation such as " \
           "10.20.0.0/16." in result.stdout.splitlines()


def test_cli_colour_flags() -> None:
    args = ["check", SEED, "--select", "PL201"]
    assert RED not in run(args).stdout  # not a terminal
    assert f"{RED}error{RESET}" in run([*args, "--color"]).stdout  # forced, even through a pipe
    assert f"{RED}error{RESET}" in run([*args, "--color"], env={"NO_COLOR": "1"}).stdout  # the flag outranks the variable
    assert "\033[" not in run([*args, "--no-color"]).stdout
    assert "\033[" not in run([*args, "--color", "-f", "json"]).stdout  # colour is for text only


@pytest.mark.parametrize(("no_color", "tty", "expected"), [
    (None, True, True), ("1", True, False), ("", True, True), (None, False, False),
])
def test_default_colour_decision(monkeypatch: pytest.MonkeyPatch, no_color: str | None, tty: bool,
                                 expected: bool) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)  # no-color.org: only a non-empty value counts
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    assert check_command._use_color(None) is expected


def _in_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run `python -m policylint` with its stdout on a pseudo-terminal; return what it printed."""
    if sys.platform == "win32":
        pytest.skip("needs a POSIX pseudo-terminal")
    import pty

    primary, secondary = pty.openpty()
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GITHUB_ACTIONS")}
    process = subprocess.Popen([sys.executable, "-m", "policylint", *args], cwd=ROOT, env=base | env,
                               stdin=subprocess.DEVNULL, stdout=secondary, stderr=subprocess.PIPE)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # EIO once the child has closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert process.wait(timeout=120) == 1, process.stderr.read()
    return b"".join(chunks)


def test_terminal_gets_colour_unless_no_color_is_set() -> None:
    args = ["check", SEED, "--select", "PL201"]
    assert f"{RED}error{RESET}".encode() in _in_terminal(args, {})
    plain = _in_terminal(args, {"NO_COLOR": "1"})
    assert b"PL201" in plain
    assert b"\033[" not in plain
