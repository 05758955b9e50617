"""The rule index (`policylint.rules.INDEX`, read off the module names) agrees with the rules'
own CODE and NAME, and lists every rule module: a run that selects a few rules imports only
theirs, so a module whose name went out of step with its rule must fail here, not in a run."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from policylint import rules
from policylint.config import Config

RULES_DIR = Path(rules.__file__).resolve().parent


def test_every_rule_module_is_listed_and_only_those() -> None:
    on_disk = {p.stem for p in RULES_DIR.glob("pl*.py")}
    assert on_disk == set(rules.RULE_MODULES)
    assert len(rules.RULE_MODULES) == len(set(rules.RULE_MODULES))


@pytest.mark.parametrize("module_name", rules.RULE_MODULES)
def test_module_name_is_the_rules_code_and_name(module_name: str) -> None:
    module = importlib.import_module(f"policylint.rules.{module_name}")
    assert re.fullmatch(r"PL\d{3}", module.CODE) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", module.NAME)
    assert module_name == f"pl{module.CODE[2:]}_{module.NAME.replace('-', '_')}"
    assert rules.INDEX[module.CODE] == (module.NAME, module_name)


def test_registry_is_every_indexed_rule_in_code_order() -> None:
    assert list(rules.REGISTRY) == sorted(rules.INDEX)
    assert all(rules.REGISTRY[code].name == name for code, (name, _) in rules.INDEX.items())
    assert rules.spec("PL201") is rules.REGISTRY["PL201"]


def test_the_lazy_mapping_reads_as_the_registry() -> None:
    assert list(rules.RULES) == list(rules.REGISTRY) and len(rules.RULES) == len(rules.REGISTRY)
    assert all(rules.RULES[code] is spec for code, spec in rules.REGISTRY.items())
    assert rules.RULES.names() == {code: spec.name for code, spec in rules.REGISTRY.items()}
    assert "PL999" not in rules.RULES and rules.RULES.get("PL999") is None
    with pytest.raises(KeyError):
        rules.RULES["PL999"]  # noqa: B018


def test_selecting_rules_reads_the_same_specs_as_the_registry() -> None:
    from policylint.analysis import select_rules

    picked = select_rules(Config(), select=("PL2", "duplicate-key"), ignore=("PL205",))
    assert [r.spec.code for r in picked] == sorted(
        code for code, spec in rules.REGISTRY.items()
        if (code.startswith("PL2") or spec.name == "duplicate-key") and code != "PL205")
    assert all(r.spec is rules.REGISTRY[r.spec.code] for r in picked)


def test_an_unknown_token_is_still_a_config_error() -> None:
    from policylint.analysis import select_rules
    from policylint.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown rule code or name 'PL999'"):
        select_rules(Config(), select=("PL999",))
