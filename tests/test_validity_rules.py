"""Validity rules beyond the fixture harness: files that cannot carry `# expect:` markers, and the
exact messages, objects and field paths of findings (the harness compares only lines and codes).

Every expected value below was worked out by hand from the input written next to it.
"""
from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from policylint.analysis import analyse, registry
from policylint.config import Config
from policylint.findings import Finding
from tests.fixture_expectations import case_files

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
VALIDITY_CODES = ["PL101", "PL102", "PL103", "PL104", "PL105", "PL203", "PL204", "PL301", "PL302", "PL303", "PL304"]
NAMESPACE = b"apiVersion: v1\nkind: Namespace\nmetadata:\n"


def _findings(paths: list[Path], *codes: str) -> list[tuple[str, int, int, str, str]]:
    analysis = analyse([str(p) for p in paths], Config(), select=list(codes))
    return [(Path(f.path).name, f.line, f.column, f.code, f.message) for f in analysis.findings]


def _where(findings: list[tuple[str, int, int, str, str]]) -> list[tuple[str, int, int, str]]:
    return [f[:4] for f in findings]


def _only(text: str, tmp_path: Path, code: str) -> Finding:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    findings = analyse([str(path)], Config(), select=[code]).findings
    assert len(findings) == 1, findings
    return findings[0]


# -- PL002 unreadable-file -----------------------------------------------------------------------

def test_latin1_file_is_unreadable_and_other_files_are_still_analysed(tmp_path: Path) -> None:
    latin1 = tmp_path / "a-latin1.yaml"
    latin1.write_bytes(NAMESPACE + "  name: web  # café\n".encode("latin-1"))
    good = tmp_path / "b-good.yaml"
    good.write_text("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: b}\n"
                    "spec:\n  podSelector: {}\n  egress:\n    - to:\n        - ipBlock: {cidr: \"\"}\n", encoding="utf-8")
    # 0xe9 is the 19th character of line 4 ("  name: web  # caf" is 18 long), at byte 41 + 18 = 59.
    found = _findings([latin1, good], "PL002", "PL201")
    assert _where(found) == [("a-latin1.yaml", 4, 19, "PL002"), ("b-good.yaml", 8, 27, "PL201")]
    assert found[0][4].startswith("not valid UTF-8: byte 0xe9 at offset 59"), found[0]


def test_file_with_nul_bytes_is_binary(tmp_path: Path) -> None:
    binary = tmp_path / "policy.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    found = _findings([binary], "PL002")
    assert _where(found) == [("policy.yaml", 1, 1, "PL002")]
    assert found[0][4].startswith("binary file (contains NUL bytes)"), found[0]


def test_utf16_with_byte_order_mark_is_readable(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: Bad_Name\n"
    path = tmp_path / "ns.yaml"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    # Decoded and analysed: the invalid namespace name on line 4, column 9, is found.
    assert _findings([path], "PL002", "PL102") == [
        ("ns.yaml", 4, 9, "PL102", "namespace name 'Bad_Name' must be a lowercase RFC 1123 label "
                                   "([a-z0-9] and '-', starting and ending alphanumeric)"),
    ]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file")
def test_file_without_read_permission_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(NAMESPACE + b"  name: web\n")
    path.chmod(0)
    try:
        found = _findings([path], "PL002")
        assert _where(found) == [("policy.yaml", 1, 1, "PL002")]
        assert "Permission denied" in found[0][4], found[0]
    finally:
        path.chmod(0o600)


# -- exact findings of the validity rules ---------------------------------------------------------

HEAD = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: ml\nspec:\n  podSelector: {}\n"


def test_host_bits_message_names_the_network(tmp_path: Path) -> None:
    finding = _only(HEAD + "  egress:\n    - to:\n        - ipBlock:\n            cidr: 10.0.1.1/4\n", tmp_path, "PL204")
    assert (finding.line, finding.column) == (11, 19)
    assert finding.message == 'cidr "10.0.1.1/4" has host bits set; it means 0.0.0.0/4'
    assert finding.field_path == "spec.egress[0].to[0].ipBlock.cidr"
    assert finding.object == "NetworkPolicy ml/p"
    assert finding.severity.label == "warning"


def test_host_bits_in_an_except_entry(tmp_path: Path) -> None:
    finding = _only(HEAD + "  egress:\n    - to:\n        - ipBlock:\n            cidr: 0.0.0.0/0\n"
                           "            except: [10.0.0.0/8, 169.254.169.254/16]\n", tmp_path, "PL204")
    assert (finding.line, finding.column) == (12, 34)
    assert finding.message == 'except entry "169.254.169.254/16" has host bits set; it means 169.254.0.0/16'
    assert finding.field_path == "spec.egress[0].to[0].ipBlock.except[1]"


def test_ipv6_host_bits(tmp_path: Path) -> None:
    finding = _only(HEAD + "  ingress:\n    - from:\n        - ipBlock: {cidr: \"2001:db8::1/64\"}\n", tmp_path, "PL204")
    assert finding.message == 'cidr "2001:db8::1/64" has host bits set; it means 2001:db8::/64'


@pytest.mark.parametrize("port, message", [
    ('"8080"', "port name '8080' must contain at least one letter (a quoted number is a name: write 8080 without quotes)"),
    ("HTTP", "port name 'HTTP' must contain only lowercase alphanumerics and '-'"),
    ("grpc--api", "port name 'grpc--api' must not contain consecutive hyphens"),
    ("pytorchjob-rendezvous", "port name 'pytorchjob-rendezvous' must be no more than 15 characters"),
])
def test_port_name_messages(port: str, message: str, tmp_path: Path) -> None:
    finding = _only(HEAD + f"  ingress:\n    - ports:\n        - port: {port}\n", tmp_path, "PL303")
    assert (finding.line, finding.column, finding.message) == (10, 17, message)
    assert finding.field_path == "spec.ingress[0].ports[0].port"


@pytest.mark.parametrize("entry, reason", [
    ("192.168.0.0/24", "is not inside"),
    ("10.0.0.0/16", "equals"),
    ("10.0.0.0/8", "is wider than"),
    ("2001:db8::/64", "is of another IP family than"),
])
def test_except_subset_messages(entry: str, reason: str, tmp_path: Path) -> None:
    finding = _only(HEAD + f"  egress:\n    - to:\n        - ipBlock:\n            cidr: 10.0.0.0/16\n"
                           f"            except: [\"{entry}\"]\n", tmp_path, "PL203")
    assert finding.message == f"except entry '{entry}' {reason} cidr '10.0.0.0/16': it must be a strict subset of cidr"
    assert finding.field_path == "spec.egress[0].to[0].ipBlock.except[0]"


def test_empty_peer_points_at_the_item(tmp_path: Path) -> None:
    finding = _only(HEAD + "  ingress:\n    - from:\n        - podSelector: {}\n        - {}\n", tmp_path, "PL104")
    assert (finding.line, finding.column) == (11, 11)
    assert finding.field_path == "spec.ingress[0].from[1]"
    assert finding.message == "must specify a peer (podSelector, namespaceSelector or ipBlock)"


def test_selector_in_a_peer_has_its_field_path(tmp_path: Path) -> None:
    finding = _only(HEAD + "  ingress:\n    - from:\n        - namespaceSelector:\n            matchExpressions:\n"
                           "              - {key: team, operator: In, values: []}\n", tmp_path, "PL101")
    assert finding.field_path == "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values"
    assert finding.message == "values must be specified when operator is 'In'"
    assert (finding.line, finding.column) == (12, 51)


def test_missing_match_expression_key_is_a_selector_error(tmp_path: Path) -> None:
    # The API server reads a missing key as "" and rejects it as an invalid label key.
    finding = _only(HEAD.replace("  podSelector: {}\n", "  podSelector:\n    matchExpressions:\n      - operator: Exists\n"),
                    tmp_path, "PL101")
    assert (finding.line, finding.message) == (9, "match expression needs a `key`")


def test_in_with_a_null_value_is_a_shape_error_only(tmp_path: Path) -> None:
    text = HEAD.replace("  podSelector: {}\n", "  podSelector:\n    matchExpressions:\n      - {key: a, operator: In, values: [null]}\n")
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    found = [(f.code, f.message) for f in analyse([str(path)], Config(), select=["PL003", "PL101"]).findings]
    assert found == [("PL003", "selector values must be strings, not null")]


# -- every validity rule: registered, and its messages follow the style ----------------------------

def test_validity_rules_are_registered_with_their_severity() -> None:
    rules = registry()
    assert {code: rules[code].severity.label for code in VALIDITY_CODES} == {
        code: "warning" if code == "PL204" else "error" for code in VALIDITY_CODES}


@pytest.mark.parametrize("code", VALIDITY_CODES)
def test_messages_are_short_lower_case_without_trailing_period(code: str) -> None:
    cases = [c for c in sorted((FIXTURES / code).iterdir()) if not c.name.startswith(".")]
    # Each case on its own: fixtures reuse object names, and one object defined twice in one input
    # is analysed once (the last copy read).
    findings = [f for case in cases
                for f in analyse([str(p) for p in case_files(case)], Config(), select=[code]).findings if f.code == code]
    assert findings, f"{code}: its fixtures produce no finding"
    for finding in findings:
        message = finding.message
        assert not message[0].isupper() and not message.endswith("."), message
        assert len(message) <= 160, message
        assert finding.object.startswith(("NetworkPolicy ", "Namespace ")), finding
        assert finding.field_path, finding
