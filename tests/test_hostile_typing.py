"""Typing like the API's own decoder (sigs.k8s.io/yaml on go-yaml v2, YAML 1.1 rules), line
endings, and kinds that are almost known: values are what kubectl would send, and what it would
reject or read differently is said. Expected values follow go-yaml v2's resolve() by hand:
ParseInt(s, 0, 64), then ParseUint, then the decimal-float pattern; integral floats reach the
API server as JSON integers."""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.analysis import analyse
from policylint.config import Config
from policylint.load.yaml_reader import parse_text


def value(text: str) -> object:
    return parse_text(f"v: {text}\n", "f.yaml").documents[0].root["v"]  # type: ignore[index]


@pytest.mark.parametrize("text, expected", [
    ("080", 80),      # not octal (8 is no octal digit), so a float 80.0, sent as 80
    ("1e2", 100),     # a float, sent as 100
    ("0o120", 80),    # Go's base prefix 0o: octal
    ("010", 8),       # YAML 1.1 octal
    ("80.0", 80),
    ("0x50", 80),
    ("+80", 80),
    ("80.5", 80.5),
    ("y", True), ("Y", True), ("n", False), ("N", False), ("on", True), ("off", False), ("yEs", "yEs"),
    ("<<", "<<"),     # a merge only as a key; as a value the text
    ("1:30", "1:30"),  # go-yaml has no base 60
    ("2024-01-01", "2024-01-01"),
    ("18446744073709551615", 18446744073709551615),  # ParseUint's range
    ("0x" + "f" * 17, "0x" + "f" * 17),  # past 64 bits and not a decimal float: text
])
def test_plain_scalars_are_typed_as_kubectl_types_them(text: str, expected: object) -> None:
    got = value(text)
    assert got == expected and type(got) is type(expected)


def _findings(tmp_path: Path, text: str, name: str = "p.yaml") -> list[tuple[int, str, str]]:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return sorted((f.line, f.code, f.message) for f in analyse([str(path)], Config()).findings
                  if f.code not in ("PL404", "PL405", "PL112"))


POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector: {}
  ingress:
    - ports:
"""


def test_octal_port_is_reported_as_read(tmp_path: Path) -> None:
    found = _findings(tmp_path, POLICY + "        - port: 010\n        - port: 080\n        - port: 1e2\n")
    assert found == [(10, "PL023", "`010` is read as 8: a leading 0 (or 0o) makes an octal number in YAML 1.1, "
                                   "as kubectl reads it; write 8 if that is meant")]


def test_a_fraction_where_an_integer_is_wanted_is_named_with_its_value(tmp_path: Path) -> None:
    # 80.5 is a float that kubectl cannot send as an int32 port; 8090.0 is sent as 8090 (no finding).
    found = _findings(tmp_path, POLICY + "        - port: 80.5\n        - port: 8080\n          endPort: 8090.5\n"
                                          "        - port: 8080\n          endPort: 8090.0\n")
    assert found == [(10, "PL003", "port must be an integer or a name, not the fraction `80.5`"),
                     (12, "PL003", "endPort must be an integer, not the fraction `8090.5`")]


def test_boolean_label_values_are_rejected_like_kubectl(tmp_path: Path) -> None:
    text = POLICY.replace("podSelector: {}", "podSelector: {matchLabels: {app: y}}") + "        - port: 80\n"
    assert _findings(tmp_path, text) == [(7, "PL003", "matchLabels must map strings to strings; True is a boolean")]


def test_bare_merge_value_is_text_and_deterministic(tmp_path: Path) -> None:
    text = POLICY.replace("podSelector: {}", "podSelector: {matchLabels: {app: <<}}") + "        - port: 80\n"
    found = _findings(tmp_path, text)
    assert found == [(7, "PL101", "label value '<<' must be empty or consist of alphanumerics, '-', '_' or '.', "
                                  "starting and ending alphanumeric")]
    assert "object at 0x" not in repr(found)


def test_cr_only_line_endings_keep_lines(tmp_path: Path) -> None:
    text = (POLICY + "        - port: 99999\n").replace("\n", "\r")
    assert _findings(tmp_path, text) == [(10, "PL301", "port 99999 must be between 1 and 65535, inclusive")]


@pytest.mark.parametrize("api_version, kind, line, message", [
    ("networking.k8s.io/v1", "Networkpolicy", 2,
     "kind 'Networkpolicy' is not a Kubernetes kind (kinds are case-sensitive; did you mean 'NetworkPolicy'?): "
     "the API server rejects the object; the object is not analysed"),
    ("extensions/v1beta1", "NetworkPolicy", 1,
     "NetworkPolicy in apiVersion 'extensions/v1beta1' is not served by current Kubernetes (use "
     "'networking.k8s.io/v1'): the API server rejects the object; the object is not analysed"),
    ("networking.k8s.io/v1beta1", "NetworkPolicy", 1,
     "NetworkPolicy in apiVersion 'networking.k8s.io/v1beta1' is not served by current Kubernetes (use "
     "'networking.k8s.io/v1'): the API server rejects the object; analysed as if it were served"),
])
def test_near_miss_kinds_are_findings(tmp_path: Path, api_version: str, kind: str, line: int, message: str) -> None:
    text = f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: web, namespace: shop}}\nspec: {{podSelector: {{}}}}\n"
    found = [f for f in _findings(tmp_path, text) if f[1] == "PL024"]
    assert found == [(line, "PL024", message)]
