"""The broken-input corpus: every file in `fixtures/invalid/` gives exactly its expected findings.

Expectations are `# expect: CODE` markers on the line where each finding must point or, for files
that are not UTF-8 text, entries in `fixtures/invalid/EXPECTED.yaml`. Each file is analysed alone
with every rule, and must not make any rule or the loader crash (no PL005). The comparison covers
the input codes (syntax, unreadable, shape, crash, duplicate key, limit, unknown field) plus the
codes named by the file's own markers: a missing and an extra finding both fail.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policylint.analysis import analyse
from policylint.config import Config
from tests.fixture_expectations import EXPECT

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "invalid"
MANIFEST = ROOT / "EXPECTED.yaml"
INPUT_CODES = {"PL001", "PL002", "PL003", "PL005", "PL006", "PL007", "PL009"}


def _manifest() -> dict[str, set[tuple[int, str]]]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return {entry["file"]: {(line, code) for line, code in entry["findings"]} for entry in data["files"]}


def _markers(path: Path) -> set[tuple[int, str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return set()
    found = set()
    for number, line in enumerate(text.split("\n"), start=1):
        match = EXPECT.search(line)
        if match:
            found.update((number, code.strip()) for code in match.group(1).split(",") if code.strip())
    return found


def _cases() -> list[Path]:
    return sorted(p for p in ROOT.iterdir() if p.suffix in (".yaml", ".yml", ".json") and p != MANIFEST)


def test_manifest_names_existing_files_without_markers() -> None:
    manifest = _manifest()
    names = {p.name for p in _cases()}
    assert set(manifest) <= names
    assert all(not _markers(ROOT / name) for name in manifest)


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_broken_input(case: Path) -> None:
    expected = _markers(case) | _manifest().get(case.name, set())
    codes = INPUT_CODES | {code for _, code in expected}
    analysis = analyse([str(case)], Config())
    found = {(f.line, f.code) for f in analysis.findings if f.code in codes}
    assert found == expected, "\n".join(
        [f"missing: {sorted(expected - found)}", f"extra: {sorted(found - expected)}"]
        + [f"  {f.line}:{f.column} {f.code} {f.message}" for f in analysis.findings]
    )
    assert not any(f.code == "PL005" for f in analysis.findings)
