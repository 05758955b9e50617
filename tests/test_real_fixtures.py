"""Repositories as they are: each `fixtures/real/<name>/` is one repository tree, checked whole.

`fixtures/real/<name>/EXPECTED` holds the hand-judged findings of `policylint check .` run in
that folder, one per line as `relative/path:LINE CODE`, sorted; `#` starts a comment and an
empty file means a clean repository. A header line `# render: none|kustomize|helm` says which
renderer the case needs (default `none`: rendering is switched off, so that the result does not
depend on the tools installed). An optional `.policylint.yaml` in the folder is its config, and
`SOURCE.md` names the public repository and paths the tree follows.

The comparison is exact: a missing finding and an extra one both fail, and every finding must
point at a file of the tree (a render's temporary folder must never show).
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from policylint.analysis import analyse
from policylint.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "real"
LINE = re.compile(r"^(?P<path>[^\s:#][^\s:]*):(?P<line>[1-9][0-9]*) (?P<code>PL[0-9]{3})$")
HEADER = re.compile(r"^#\s*render:\s*(?P<renderer>\S+)\s*$")
RENDERERS = ("none", "kustomize", "helm")


def _cases() -> list[Path]:
    return sorted(p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith("."))


def parse_expected(text: str) -> tuple[str, list[tuple[str, int, str]]]:
    """(renderer, findings in file order) of an EXPECTED file; a malformed line is an error."""
    renderer = "none"
    found: list[tuple[str, int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = HEADER.match(line)
        if header:
            renderer = header.group("renderer")
            if renderer not in RENDERERS:
                raise ValueError(f"EXPECTED:{number}: unknown renderer {renderer!r} (one of {', '.join(RENDERERS)})")
            continue
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = LINE.match(line)
        if match is None:
            raise ValueError(f"EXPECTED:{number}: {raw!r} is not `relative/path:LINE CODE`")
        found.append((match.group("path"), int(match.group("line")), match.group("code")))
    return renderer, found


def _config(case: Path, renderer: str) -> Config:
    file = case / ".policylint.yaml"
    config = load_config(file if file.is_file() else None)  # never the config of a folder above the case
    if renderer == "none":
        return replace(config, render=replace(config.render, kustomize=False, helm=False))
    return config


def _skip_without(renderer: str) -> None:
    if renderer == "kustomize" and not (shutil.which("kustomize") or shutil.which("kubectl")):
        pytest.skip("needs `kustomize` or `kubectl` on PATH, which this machine does not have")
    if renderer == "helm" and not shutil.which("helm"):
        pytest.skip("needs `helm` on PATH, which this machine does not have")


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_real_repository(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (case / "SOURCE.md").is_file(), f"{case.name}: SOURCE.md must name the repository it follows"
    renderer, listed = parse_expected((case / "EXPECTED").read_text(encoding="utf-8"))
    assert listed == sorted(listed, key=lambda f: (f[0], f[1], f[2])), f"{case.name}/EXPECTED is not sorted"
    assert len(set(listed)) == len(listed), f"{case.name}/EXPECTED lists a finding twice"
    _skip_without(renderer)
    monkeypatch.chdir(case)  # `policylint check .`, as a user runs it at the top of the repository
    analysis = analyse(["."], _config(case, renderer))
    found = {(os.path.normpath(f.path), f.line, f.code) for f in analysis.findings}
    expected = set(listed)
    shown = "\n".join(f"  {os.path.normpath(f.path)}:{f.line} {f.code} {f.message}" for f in analysis.findings)
    assert found == expected, f"missing: {sorted(expected - found)}\nextra: {sorted(found - expected)}\n{shown}"
    outside = [path for path, _, _ in found if os.path.isabs(path) or path.startswith("..") or not (case / path).is_file()]
    assert not outside, f"findings that point outside the repository tree: {outside}"


def test_expected_files_are_parsed_strictly() -> None:
    assert parse_expected("# render: kustomize\n# a comment\n\na/b.yaml:3 PL101  # why\n") == (
        "kustomize", [("a/b.yaml", 3, "PL101")])
    for bad in ("a/b.yaml PL101", "a/b.yaml:0 PL101", "a/b.yaml:3 pl101", "# render: make"):
        with pytest.raises(ValueError):
            parse_expected(bad)
