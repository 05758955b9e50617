"""The README's Integrations section shows the snippets of docs/snippets/ verbatim.

The snippets are the files the integration tests run (tests/test_integrations_*.py); this test
keeps the README from drifting away from them.
"""
from __future__ import annotations

import re

import pytest

from tests.integration_helpers import ROOT, SNIPPETS

README = (ROOT / "README.md").read_text(encoding="utf-8")
_FENCE = re.compile(r"^```[\w-]*\n(.*?)^```$", re.S | re.M)


def _section() -> str:
    match = re.search(r"^## Integrations\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    if not match:
        pytest.skip("README.md has no `## Integrations` section yet")
    return match.group(1)


@pytest.mark.parametrize("snippet", sorted(p.name for p in SNIPPETS.iterdir()))
def test_readme_shows_the_snippet_verbatim(snippet: str) -> None:
    blocks = _FENCE.findall(_section())
    text = (SNIPPETS / snippet).read_text(encoding="utf-8")
    assert text in blocks, f"README's Integrations section lacks a code block equal to docs/snippets/{snippet}"


def test_every_code_block_of_the_section_is_a_tested_snippet() -> None:
    snippets = {p.read_text(encoding="utf-8") for p in SNIPPETS.iterdir()}
    untested = [block for block in _FENCE.findall(_section()) if block not in snippets]
    assert not untested, f"code blocks in README's Integrations section that no test runs: {untested}"
