"""A file both sides of a diff have is parsed once: the copy is exactly what a parse would give.

What is compared is everything the loader hands on (every container's span and every key's,
value's and item's, the problems, the directive lines), as tests/test_parallel_load.py compares
the parallel paths, and the diff report byte for byte with the reuse turned off.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policylint.cli.main import cli
from policylint.load import load_paths
from policylint.load import parallel
from policylint.load.reuse import ParsedFiles
from tests.test_parallel_load import _export, _snapshot, _values

TEXTS = {
    "export": _export(6, indent="  ") + "# policylint: disable=PL112\n",
    "aliases": ("base: &b {app: web, tier: front}\n"
                "one:\n  <<: *b\n  name: one\nitems: [*b, *b]\n---\n"
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml\n  labels: {team: ml}\n"),
    "duplicate-key": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n",
    "octal": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  n: 010\n",
    "syntax-error": "apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n",
    "empty": "",
}


def _write(folder: Path, name: str, text: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_a_copied_file_is_what_its_parse_gives(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _write(tmp_path / "old", "one.yaml", TEXTS[name])
    second = _write(tmp_path / "new" / "deeper", "other-name.yaml", TEXTS[name])
    parsed = ParsedFiles()
    before = load_paths([first], parsed=parsed)
    for f in before.files:  # positions made on demand on the first side must not leak into the copy
        for d in f.documents:
            _values(d.root)
    read: list[str] = []
    real = parallel.read_files

    def counting(paths, *args, **kwargs):
        read.extend(paths)
        return real(paths, *args, **kwargs)

    monkeypatch.setattr("policylint.load.read_files", counting)
    reused = load_paths([second], parsed=parsed)
    assert read == []  # copied, not read again
    monkeypatch.setattr("policylint.load.read_files", real)
    assert _snapshot(reused) == _snapshot(load_paths([second]))
    assert all(f.path == second for f in reused.files)


def test_a_file_that_differs_is_parsed(tmp_path: Path) -> None:
    parsed = ParsedFiles()
    load_paths([_write(tmp_path / "old", "a.yaml", TEXTS["aliases"])], parsed=parsed)
    changed = _write(tmp_path / "new", "a.yaml", TEXTS["aliases"].replace("team: ml", "team: ai"))
    reused = load_paths([changed], parsed=parsed)
    assert _snapshot(reused) == _snapshot(load_paths([changed]))
    assert reused.objects[0].node["metadata"]["labels"] == {"team": "ai"}


def test_files_in_order_when_some_are_copied(tmp_path: Path) -> None:
    names = sorted(TEXTS)
    old = [_write(tmp_path / "old", f"{n}.yaml", TEXTS[n]) for n in names]
    new = [_write(tmp_path / "new", f"{n}.yaml", TEXTS[n] + ("# edited\n" if i % 2 else "")) for i, n in enumerate(names)]
    parsed = ParsedFiles()
    load_paths(old, parsed=parsed)
    assert _snapshot(load_paths([str(tmp_path / "new")], parsed=parsed)) == _snapshot(load_paths([str(tmp_path / "new")]))
    assert len(new) == len(names)


def test_the_diff_report_is_the_same_without_the_reuse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Path(__file__).resolve().parent.parent / "fixtures" / "examples"
    old, new = tmp_path / "old", tmp_path / "new"
    for path in sorted(repo.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        _write(old / path.parent.relative_to(repo), path.name, text)
        _write(new / path.parent.relative_to(repo), path.name, text.replace("    - Egress\n  ingress:", "  ingress:"))
    arguments = ["diff", str(old), str(new), "--format", "json"]
    with_reuse = CliRunner().invoke(cli, arguments)
    monkeypatch.setattr(ParsedFiles, "copy_of", lambda self, *a: None)
    without = CliRunner().invoke(cli, arguments)
    assert with_reuse.exit_code == without.exit_code == 0, with_reuse.output
    assert with_reuse.output == without.output
    assert json.loads(with_reuse.output)["connections"]  # the change is seen
