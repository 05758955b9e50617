"""Read `# expect: CODE[, CODE]` markers from fixture files."""
from __future__ import annotations

import re
from pathlib import Path

EXPECT = re.compile(r"#\s*expect:\s*([A-Za-z0-9_, \-]+)")


def expected_findings(files: list[Path]) -> set[tuple[str, int, str]]:
    """(file name relative to the case, line, code) for every marker."""
    found = set()
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                for code in match.group(1).split(","):
                    if code.strip():
                        found.add((path.name, number, code.strip()))
    return found


def case_files(case: Path) -> list[Path]:
    if case.is_dir():
        files = sorted(p for p in case.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and not p.name.startswith("."))
        config = case / ".policylint.yaml"
        return files + ([config] if config.is_file() else [])  # findings may point into the config (PL500)
    return [case]
