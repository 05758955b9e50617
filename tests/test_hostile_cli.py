"""End to end: the console script on a folder mixing good and broken files.

Every good file's expected findings must be present, exactly as when it is analysed alone; every
broken file is reported with its own findings; the exit code says so.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_hostile_fixtures import INPUT_CODES, _manifest, _markers

REPO = Path(__file__).resolve().parent.parent
GOOD = [REPO / "fixtures" / "rules" / "PL201" / "seed-empty-cidr.yaml",
        REPO / "fixtures" / "rules" / "PL202" / "bad-excepts.yaml",
        REPO / "fixtures" / "rules" / "PL202" / "good-excepts.yaml"]
BROKEN = ["alias-bomb.yaml", "binary.yaml", "deep-flow-nesting-abort.yaml", "deep-block-nesting.yaml",
          "helm-control.yaml", "helm-expressions.yaml", "latin1.yaml", "syntax-error.yaml", "tabs.yaml",
          "top-level-list.yaml", "utf16-le-bom.yaml", "wrong-types-rules.yaml", "mapping-keys.yaml"]


def _run(*args: str, **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policylint", *args], capture_output=True, text=True,
                          timeout=300, cwd=REPO, **kwargs)  # type: ignore[call-overload]


def _by_file(report: dict, codes: set[str]) -> dict[str, set[tuple[int, str]]]:
    found: dict[str, set[tuple[int, str]]] = {}
    for finding in report["findings"]:
        if finding["code"] in codes:
            found.setdefault(Path(finding["file"]).name, set()).add((finding["line"], finding["code"]))
    return found


def _expected(path: Path) -> set[tuple[int, str]]:
    return _markers(path) | _manifest().get(path.name, set())


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    for path in GOOD:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "broken").mkdir()
    for name in BROKEN:
        shutil.copy(REPO / "fixtures" / "invalid" / name, tmp_path / "broken" / name)
    os.symlink("loop.yaml", tmp_path / "broken" / "loop.yaml")
    return tmp_path


def test_console_script_on_good_and_broken_files(mixed: Path) -> None:
    expected = {path.name: _expected(path) for path in GOOD}
    expected |= {name: _expected(REPO / "fixtures" / "invalid" / name) for name in BROKEN}
    expected["loop.yaml"] = {(1, "PL002")}
    codes = INPUT_CODES | {code for found in expected.values() for _, code in found}
    run = _run("check", "--format", "json", str(mixed))
    assert run.returncode == 1, run.stderr
    assert run.stderr == ""
    report = json.loads(run.stdout)
    found = _by_file(report, codes)
    assert {name: found.get(name, set()) for name in expected} == expected
    assert set(found) <= set(expected)  # no finding on a file that expects none of these codes
    assert report["summary"]["files"] == len(GOOD) + len(BROKEN) + 1


def test_good_files_find_the_same_alone_and_next_to_broken_ones(mixed: Path) -> None:
    together = json.loads(_run("check", "--format", "json", str(mixed)).stdout)
    alone = json.loads(_run("check", "--format", "json", *(str(mixed / p.name) for p in GOOD)).stdout)
    good_names = {p.name for p in GOOD}

    def of_good(report: dict) -> list[tuple]:
        return sorted((Path(f["file"]).name, f["line"], f["column"], f["code"], f["message"])
                      for f in report["findings"] if Path(f["file"]).name in good_names)

    assert of_good(alone) and of_good(together) == of_good(alone)


def test_text_output_names_every_broken_file(mixed: Path) -> None:
    run = _run("check", "--no-color", str(mixed))
    assert run.returncode == 1
    for name in [*BROKEN, "loop.yaml"]:
        assert f"broken{os.sep}{name}" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_stdin_with_broken_input_and_a_good_file(mixed: Path) -> None:
    run = _run("check", "--format", "json", "-", str(mixed / GOOD[0].name), input="kind: [unclosed\n")
    assert run.returncode == 1
    found = _by_file(json.loads(run.stdout), INPUT_CODES | {"PL201", "PL202"})
    assert found == {"<stdin>": {(2, "PL001")}, GOOD[0].name: _expected(GOOD[0])}


def test_closed_stdin_does_not_crash(mixed: Path) -> None:
    run = _run("check", "--format", "json", str(mixed / GOOD[0].name), preexec_fn=lambda: os.close(0))
    assert "Traceback" not in run.stderr
    assert run.returncode == 1
