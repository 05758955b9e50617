"""Every rule's docstring is its documentation: check its structure, its metadata, and run its examples.

The first code block after `## Example` must trigger the rule and the first one after
`Use instead:` must not, through the real pipeline: a YAML example is written to a file and
analysed, a Python example is run as a Pulumi program (`--pulumi`). A rule that needs
configuration shows it in the `Example` section as a ```yaml block whose first line is
`# .policylint.yaml`; both examples are then analysed with that configuration.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from policylint.analysis import analyse, registry
from policylint.config import Config, load_config
from policylint.findings import Severity
from policylint.rule_api import RuleSpec

# Rules whose example cannot be a text manifest, with the reason. Their headings are still checked.
EXEMPT = {
    "PL002": "an unreadable file (bytes that are not UTF-8, NUL bytes) is not a YAML text; "
             "tests/test_validity_rules.py and fixtures/rules/PL002 cover it",
    "PL005": "only a bug in a rule triggers it; the runner's own tests cover it",
    "PL018": "a kustomization is a folder, not one manifest; fixtures/rules/PL018 and tests/test_render.py cover it",
    "PL019": "a Helm chart is a folder, not one manifest; fixtures/rules/PL019 and tests/test_render.py cover it",
    "PL020": "a render needs a folder and a renderer; fixtures/rules/PL020 and tests/test_render.py cover it",
    "PL026": "overlays are folders rendered by kustomize; fixtures/rules/PL026 and tests/test_render.py cover it",
}
# Rules that need other rules to run for their example to mean anything.
COMPANIONS = {
    "PL004": ("PL201",),  # a suppression is known to be unused only when the rule it names ran
    "PL025": ("PL401",),  # a budget runs out in the rule that owns it
}

HEADINGS = ["## What it does", "## Why is this bad?", "## Example", "Use instead:", "## References"]
HEADINGS_WITH_OPTIONS = HEADINGS[:-1] + ["## Options", "## References"]
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
_IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", re.M)
_KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
CONFIG_MARK = "# .policylint.yaml"

RULES = sorted(registry().items())
CODES = [code for code, _ in RULES]
RUNNABLE = [code for code in CODES if code not in EXEMPT]


def _spec(code: str) -> RuleSpec:
    return registry()[code]


def _structure(doc: str) -> list[str]:
    """The heading lines and the `Use instead:` line, in order, outside code blocks."""
    lines, inside = [], False
    for line in doc.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif not inside and (line.startswith("#") or line.startswith("Use instead")):
            lines.append(line.rstrip())
    return lines


def _section(doc: str, start: str, end: str) -> str:
    """The text between the line `start` and the next line starting with `end`."""
    lines = doc.splitlines()
    first = lines.index(start) + 1
    rest = lines[first:]
    stop = next((i for i, line in enumerate(rest) if line.startswith(end)), len(rest))
    return "\n".join(rest[:stop]) + "\n"


def _blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _FENCE.finditer(text)]


def _first_block(text: str) -> tuple[str, str] | None:
    blocks = [b for b in _blocks(text) if not b[1].startswith(CONFIG_MARK)]
    return blocks[0] if blocks else None


def _example_config(code: str) -> str | None:
    blocks = [b for b in _blocks(_section(_spec(code).doc, "## Example", "Use instead:")) if b[1].startswith(CONFIG_MARK)]
    return blocks[0][1] if blocks else None


def _example_blocks(code: str) -> tuple[tuple[str, str], tuple[str, str]]:
    doc = _spec(code).doc
    example = _first_block(_section(doc, "## Example", "Use instead:"))
    instead = _first_block(_section(doc, "Use instead:", "## "))
    assert example is not None, f"{code}: no code block between `## Example` and `Use instead:`"
    assert instead is not None, f"{code}: no code block after `Use instead:`"
    return example, instead


def _config(code: str, folder: Path) -> Config:
    text = _example_config(code)
    if text is None:
        return Config()
    path = folder / ".policylint.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _codes_found(code: str, language: str, text: str, folder: Path) -> list[str]:
    """The codes of the findings when `text` goes through the pipeline with `code` selected."""
    select = [code, *COMPANIONS.get(code, ())]
    config = _config(code, folder)
    if language == "yaml":
        path = folder / "example.yaml"
        path.write_text(text, encoding="utf-8")
        analysis = analyse([str(path)], config, select=select)
    elif language == "python":
        if importlib.util.find_spec("pulumi") is None:
            pytest.skip("the Pulumi SDK is not installed")
        missing = sorted({m for m in _IMPORT.findall(text) if importlib.util.find_spec(m) is None})
        if missing:
            pytest.skip(f"the example imports modules that are not installed: {', '.join(missing)}")
        from policylint.pulumi import PulumiInputs

        (folder / "__main__.py").write_text(text, encoding="utf-8")
        analysis = analyse([], config, select=select, pulumi=PulumiInputs((str(folder),), timeout=60))
    else:
        raise AssertionError(f"{code}: example blocks must be ```yaml (or ```python for Pulumi programs), not {language!r}")
    return [f.code for f in analysis.findings]


@pytest.mark.parametrize("code", CODES)
def test_docstring_has_title_and_headings_in_order(code: str) -> None:
    doc = _spec(code).doc
    lines = doc.splitlines()
    assert lines and lines[0].strip() and not lines[0].startswith("#"), f"{code}: the first line must be a title"
    assert len(lines) > 1 and lines[1] == "", f"{code}: the title must be one line, followed by a blank line"
    assert _structure(doc) in (HEADINGS, HEADINGS_WITH_OPTIONS), (
        f"{code}: headings must be {HEADINGS} (optionally `## Options` before References), found {_structure(doc)}")


@pytest.mark.parametrize("code", CODES)
def test_metadata(code: str) -> None:
    spec = _spec(code)
    assert re.fullmatch(r"PL\d{3}", spec.code), spec.code
    assert _KEBAB.match(spec.name), f"{code}: NAME {spec.name!r} is not kebab-case"
    assert isinstance(spec.severity, Severity)
    remediation = spec.remediation
    assert remediation[:1].isupper() and remediation.endswith(".") and len(remediation.split()) >= 4, (
        f"{code}: REMEDIATION must be a full sentence: {remediation!r}")
    module_file = spec.module.__name__.rsplit(".", 1)[-1]
    assert module_file.startswith(code.lower() + "_"), f"{code}: module {module_file!r} must start with {code.lower()}_"


def test_exemptions_name_registered_rules() -> None:
    assert set(EXEMPT) <= set(CODES) and set(COMPANIONS) <= set(CODES)
    assert all(reason.strip() for reason in EXEMPT.values())


@pytest.mark.parametrize("code", RUNNABLE)
def test_examples_are_complete_manifests(code: str) -> None:
    for language, text in _example_blocks(code):
        if language != "yaml":
            continue
        # Cluster-wide policies are cluster-scoped: they have no namespace.
        cluster_scoped = re.search(r"^kind: (AdminNetworkPolicy|BaselineAdminNetworkPolicy|ClusterNetworkPolicy)$", text, re.M)
        for key in ("apiVersion", "kind", "name") + (() if cluster_scoped else ("namespace",)):
            assert re.search(rf"(^|[\s{{,]){key}:", text, re.M), f"{code}: example without `{key}`:\n{text}"


@pytest.mark.parametrize("code", RUNNABLE)
def test_example_triggers_the_rule(code: str, tmp_path: Path) -> None:
    (language, text), _ = _example_blocks(code)
    found = _codes_found(code, language, text, tmp_path)
    assert code in found, f"{code}: the `Example` does not trigger the rule (found {found})"


@pytest.mark.parametrize("code", RUNNABLE)
def test_use_instead_does_not_trigger_the_rule(code: str, tmp_path: Path) -> None:
    _, (language, text) = _example_blocks(code)
    found = _codes_found(code, language, text, tmp_path)
    assert code not in found, f"{code}: the `Use instead` example still triggers the rule"
