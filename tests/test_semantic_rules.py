"""The semantic policy rules (legal but almost surely wrong): severities, options, related locations
and message style — what the fixture harness (which compares lines and codes) cannot see.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.analysis import analyse, registry
from policylint.config import Config, ConfigError, load_config
from policylint.findings import Severity
from policylint.rules.pl106_egress_deny_not_enforced import _names_egress_deny

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
SEMANTIC = ("PL106", "PL107", "PL108", "PL109", "PL114", "PL116", "PL117", "PL205", "PL206", "PL207", "PL307")


def _config(code: str, **options: object) -> Config:
    return Config(rule_options={code: dict(options)} if options else {})


def _run(tmp_path: Path, text: str, code: str, **options: object) -> list:
    path = tmp_path / "manifest.yaml"
    path.write_text(text, encoding="utf-8")
    return analyse([str(path)], _config(code, **options), select=[code, "PL005"]).findings


@pytest.mark.parametrize("code", SEMANTIC)
def test_options_are_documented(code: str) -> None:
    # Headings and examples are checked for every rule by tests/test_rule_docs.py.
    spec = registry()[code]
    assert set(spec.options) == set(spec.defaults)
    for option in spec.defaults:
        assert f"`{option}`" in spec.doc.split("## Options", 1)[-1], f"option {option!r} is not documented"


@pytest.mark.parametrize("code", SEMANTIC)
def test_messages_are_short_lower_case_and_unpunctuated(code: str) -> None:
    folder = FIXTURES / code
    messages = []
    for case in sorted(folder.iterdir()):
        if case.name.startswith("."):
            continue
        config_file = case / ".policylint.yaml" if case.is_dir() else None
        config = load_config(config_file if config_file and config_file.exists() else None)
        messages += [f.message for f in analyse([str(case)], config, select=[code]).findings]
    assert messages, "the fixtures produce no finding"
    for message in messages:
        assert not message.endswith("."), message
        assert message[0] == message[0].lower(), message
        assert "\n" not in message


SEVERITY_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ml}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{ipBlock: {cidr: 0.0.0.0/0}}]
  egress:
    - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    - to: [{ipBlock: {cidr: "::/0"}}]
      ports: [{port: 443}]
"""


@pytest.mark.parametrize(("choice", "restricted"), [("info", Severity.INFO), ("warning", Severity.WARNING), ("ignore", None)])
def test_pl205_port_restricted_egress_option(tmp_path: Path, choice: str, restricted: Severity | None) -> None:
    findings = _run(tmp_path, SEVERITY_POLICY, "PL205", **{"port-restricted-egress": choice})
    by_line = {f.line: f.severity for f in findings}
    assert by_line.get(8) == Severity.WARNING  # ingress
    assert by_line.get(10) == Severity.WARNING  # egress, every port
    assert by_line.get(11) == restricted  # egress on TCP 443
    assert "on TCP 443" in " ".join(f.message for f in findings) or restricted is None


def test_pl205_rejects_an_unknown_choice(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="option 'port-restricted-egress': 'loud' is not allowed; "
                                          "allowed: one of info, warning, ignore"):
        _run(tmp_path, SEVERITY_POLICY, "PL205", **{"port-restricted-egress": "loud"})


def test_pl206_rejects_addresses_that_do_not_parse(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="option 'addresses': 'metadata.internal' is not an IP address"):
        _run(tmp_path, SEVERITY_POLICY, "PL206", addresses=["metadata.internal", "169.254.169.254"])


def test_related_locations_explain_the_finding(tmp_path: Path) -> None:
    findings = _run(tmp_path, """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ml}
spec:
  podSelector: {}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {team: data}}
        - podSelector: {matchLabels: {app: loader}}
""", "PL109")
    assert [(f.line, f.column) for f in findings] == [(9, 11)]
    assert [(r.span.line, r.span.column) for r in findings[0].related] == [(8, 11)]
    assert "'app=loader'" in findings[0].message and "'team=data'" in findings[0].message
    assert findings[0].field_path == "spec.ingress[0].from[1].podSelector"


@pytest.mark.parametrize(("name", "announces"), [
    ("default-deny-egress", True),
    ("deny-egress", True),
    ("deny-all-egress", True),
    ("egress-deny", True),
    ("default-deny-all", True),
    ("ml.default-deny-all.v2", True),
    ("Training_Deny_Egress", True),
    ("deny-ingress-egress", True),
    ("deny-ingress-and-egress", True),
    ("deny-all", False),
    ("web-deny-all", False),
    ("default-deny-ingress", False),
    ("deny-ingress-allow-egress", False),
    ("allow-egress", False),
    ("egressdeny", False),
    ("undeny-egress-x", False),
])
def test_pl106_name_heuristic(name: str, announces: bool) -> None:
    assert _names_egress_deny(name) is announces
