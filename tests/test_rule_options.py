"""Rule options are checked when the config loads, against each rule's one declaration: a bad
value is a configuration error (exit 2) naming file:line, the key and what is allowed — for every
option of every rule, and under a code prefix or `all` too — never a crash or a silent default."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from policylint.analysis import select_rules
from policylint.cli.main import cli
from policylint.config import Config, ConfigError, load_config
from policylint.rule_options import AddressList, Choice, CidrList, Flag, Int, IntList, NameList, PortRange
from policylint.rules import REGISTRY

# A value each kind must refuse, written as YAML, and a word of its refusal.
BAD_VALUES = {
    Flag: ["maybe", "1", "[true]"],
    Choice: ["not-a-choice", "3", "[info]"],
    IntList: ["[0]", "[65536]", "['80']", "[true]", "80"],
    AddressList: ["[169.254.169.256]", "[10.0.0.0/8]", "[1]", "169.254.169.254"],
    CidrList: ["[10.0.0.0/33]", "[storage]", "10.0.0.0/8"],
    NameList: ["[3]", "['']", "name"],
    PortRange: ["'60999-32768'", "'0-10'", "'1-65536'", "32768", "[1, 2]"],
    Int: ["1", "17", "'3'", "true", "[2]"],
}
OPTIONS = [(spec.code, key) for spec in REGISTRY.values() for key in spec.declared]


def _bad_values(kind) -> list[str]:
    """The bad values of the option's kind; for an Int, just outside its own range."""
    if isinstance(kind, Int):
        return [str(kind.low - 1), str(kind.high + 1), "'3'", "true", "[2]"]
    return BAD_VALUES[type(kind)]


def test_every_option_kind_has_bad_values_to_try() -> None:
    kinds = {type(option.kind) for spec in REGISTRY.values() for option in spec.declared.values()}
    assert kinds <= set(BAD_VALUES), kinds - set(BAD_VALUES)
    assert len(OPTIONS) >= 20  # every rule with options is below, not a sample


@pytest.mark.parametrize(("code", "key"), OPTIONS, ids=[f"{c}-{k}" for c, k in OPTIONS])
def test_defaults_are_allowed_values(code: str, key: str) -> None:
    option = REGISTRY[code].declared[key]
    assert option.problem(option.default) is None


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".policylint.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("code", "key"), OPTIONS, ids=[f"{c}-{k}" for c, k in OPTIONS])
def test_a_bad_value_stops_every_command_with_exit_2_naming_file_line_key_and_what_is_allowed(
        tmp_path: Path, code: str, key: str) -> None:
    option = REGISTRY[code].declared[key]
    manifest = tmp_path / "m.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", encoding="utf-8")
    for value in _bad_values(option.kind):
        config = _config(tmp_path, f"fail-on: error\nrules:\n  {code}:\n    {key}: {value}\n")
        with pytest.raises(ConfigError) as caught:
            load_config(config)
        message = str(caught.value)
        assert message.startswith(f"{config}:4: rule {code}: option {key!r}"), (value, message)
        assert f"allowed: {option.kind.allowed}" in message, (value, message)
    # The command line: exit 2 and the same message (checked once per option: a CLI run each).
    for command in (["check"], ["matrix"]):
        result = CliRunner().invoke(cli, [*command, "--config", str(config), str(manifest)])
        assert result.exit_code == 2, (command, result.output)
        assert f"{config}:4: rule {code}: option {key!r}" in result.stderr
        assert "Traceback" not in result.output


@pytest.mark.parametrize(("token", "line"), [("PL50", 3), ("all", 3), ("PL5", 3), ("training-metadata-reachable", 3)])
def test_options_under_a_prefix_all_or_a_name_are_checked_too(tmp_path: Path, token: str, line: int) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, f"rules:\n  {token}:\n    unisolated: maybe\n"))
    assert f":{line}: rule {token}: option 'unisolated'" in str(caught.value)
    assert "allowed: true or false" in str(caught.value)


def test_an_option_no_named_rule_declares_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, "rules:\n  PL1:\n    egress: true\n"))
    message = str(caught.value)
    assert ":3: rule PL1: unknown option 'egress' (known: error-when-namespace-known, name-heuristic, " \
           "require-workloads)" in message, message


def test_an_unknown_rule_under_rules_is_an_error_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, "rules:\n  PL206:\n    ports: [80]\n  PL999:\n    ports: [80]\n"))
    assert ":4: `rules`: unknown rule code or name 'PL999'" in str(caught.value)


def test_options_under_a_prefix_or_all_apply_and_the_most_precise_wins(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "rules:\n  PL508:\n    ports: [8080]\n  all:\n    unisolated: true\n"
                                           "  PL5:\n    ports: [443, 80]\n"))
    options = {r.spec.code: r.options for r in select_rules(config)}
    assert options["PL507"]["unisolated"] is True and options["PL508"]["unisolated"] is True
    assert options["PL508"]["ports"] == [8080]  # its own code beats the prefix written after it
    assert options["PL506"]["ports"] == [443, 80]
    assert options["PL206"]["ports"] == [80]  # PL2 is not under PL5: its default stands


def test_a_config_built_in_code_is_checked_when_rules_are_selected() -> None:
    with pytest.raises(ConfigError, match="option 'ports': 'x' is not an integer; allowed: a list of integers"):
        select_rules(Config(rule_options={"PL206": {"ports": ["x"]}}))
