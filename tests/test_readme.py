"""The README stays true: its rule table matches the registry, CI runs its test command."""
from __future__ import annotations

import re
from pathlib import Path

from policylint.analysis import registry
from policylint.rule_catalogue import rules_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_rule_table_is_generated_from_the_registry() -> None:
    match = re.search(r"<!-- rules:start[^>]*-->\n(.*?)<!-- rules:end -->", README, re.S)
    assert match, "README lacks the rules:start/rules:end markers"
    assert match.group(1) == rules_markdown(registry()), (
        "README rule table is stale: run `python -m tests.update_readme`")


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    test_command = next(b for b in blocks if "pytest" in b)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_quick_start_has_exactly_two_setup_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick_start, re.S)
    assert len(commands) == 2
    assert all("pip install" in c for c in commands)
    assert "policylint check fixtures/examples/" in commands[0]
