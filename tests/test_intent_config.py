"""The config's `roles:` and `expectations:` sections: what they accept, and every rejection naming
the key and its file:line (values derived by hand from the texts below)."""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.config import ConfigError, load_config
from policylint.engine.ports import PortSet
from policylint.intent.context import intent_config
from policylint.model.types import NAMESPACE_NAME_LABEL


def _load(tmp_path: Path, text: str):
    path = tmp_path / ".policylint.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path), path


VALID = """\
roles:
  data-service:
    description: the feature store
    namespace: data-services
    podSelector:
      matchLabels: {app: feature-store}
  training:
    extend: true
    podSelector:
      matchExpressions:
        - {key: app, operator: In, values: [trainer, tuner]}
  egress-gateway:
    namespaceSelector: {matchLabels: {team: platform}}
    podSelector: {matchLabels: {app: squid}}
expectations:
  - name: feeds
    from: data-service
    to: {role: training}
    ports: [5000, 53/UDP, TCP/8080, 8000-8100/TCP, {port: 9000, endPort: 9005, protocol: sctp}, http, {protocol: UDP}]
  - name: outside
    from: {cidr: 0.0.0.0/0}
    to: {namespace: ml-workloads, podSelector: {matchLabels: {role: ml-training-pod}}}
    allow: false
  - name: bare address
    from: training
    to: 169.254.169.254
"""


def test_a_valid_config_parses_into_typed_roles_and_expectations(tmp_path: Path) -> None:
    config, path = _load(tmp_path, VALID)
    parsed = intent_config(config)
    assert list(parsed.roles) == ["data-service", "training", "egress-gateway"]
    data = parsed.roles["data-service"]
    assert data.description == "the feature store" and not data.extend
    assert data.selection.namespace_selector.match_labels == ((NAMESPACE_NAME_LABEL, "data-services"),)
    assert data.selection.pod_selector.match_labels == (("app", "feature-store"),)
    assert data.span.path == str(path) and data.span.line == 2
    assert parsed.roles["training"].extend
    assert parsed.roles["training"].selection.namespace_selector is None
    gateway = parsed.roles["egress-gateway"].selection
    assert gateway.namespace_selector.match_labels == (("team", "platform"),)

    feeds, outside, bare = parsed.expectations
    assert (feeds.name, feeds.allow, feeds.span.line) == ("feeds", True, 16)
    assert feeds.source.role == "data-service" and feeds.destination.role == "training"
    expected = PortSet.of({
        "TCP": [(5000, 5000), (8080, 8080), (8000, 8100)],
        "UDP": [(53, 53), (1, 65535)],
        "SCTP": [(9000, 9005)],
    })
    assert feeds.ports.static == expected
    assert feeds.ports.named == (("http", "TCP"),)
    assert outside.allow is False and outside.source.cidr == "0.0.0.0/0" and outside.ports is None
    assert outside.destination.selection.pod_selector.match_labels == (("role", "ml-training-pod"),)
    assert bare.destination.cidr == "169.254.169.254/32"
    assert (outside.source.span.line, bare.span.line) == (21, 24)


@pytest.mark.parametrize(("text", "line", "words"), [
    ("roles: [training]\n", 1, "`roles` must map role names"),
    ("roles:\n  Training:\n    podSelector: {}\n", 2, "role name 'Training'"),
    ("roles:\n  x:\n    podSelector: {}\n    labels: {a: b}\n", 4, "unknown key 'labels' in role 'x'"),
    ("roles:\n  x:\n    description: only words\n", 2, "needs a podSelector, namespace or namespaceSelector"),
    ("roles:\n  x:\n    extend: true\n    podSelector: {}\n", 3, "`extend` needs a built-in role"),
    ("roles:\n  dns:\n    extend: yes please\n    podSelector: {}\n", 3, "`extend` of role 'dns' must be true or false"),
    ("roles:\n  x:\n    namespace: a\n    namespaceSelector: {}\n", 4, "give `namespace` or `namespaceSelector`"),
    ("roles:\n  x:\n    podSelector:\n      matchLabels: {app: [a]}\n", 4, "matchLabels must map strings to strings"),
    ("roles:\n  x:\n    podSelector:\n      matchExpressions:\n        - {key: a, operator: In}\n", 5,
     "values must be specified when operator is 'In'"),
    ("roles:\n  x:\n    podSelector:\n      app: trainer\n", 4, "unknown field 'app' in a label selector"),
    ("expectations: {name: x}\n", 1, "`expectations` must be a list"),
    ("expectations:\n  - from: training\n    to: dns\n", 2, "expectations[0] needs `name`"),
    ("expectations:\n  - name: a\n    from: training\n    to: dns\n    allow: maybe\n", 5, "`allow` of expectation 'a'"),
    ("expectations:\n  - name: a\n    from: trainers\n    to: dns\n", 3, "names role 'trainers', which is not defined"),
    ("expectations:\n  - name: a\n    from: training\n    to: dns\n  - name: a\n    from: dns\n    to: training\n", 5,
     "expectation name 'a' is used twice"),
    ("expectations:\n  - name: a\n    from: {cidr: 10.0.0.0/33}\n    to: dns\n", 3, "'10.0.0.0/33' is not an IP address or CIDR"),
    ("expectations:\n  - name: a\n    from: {role: dns, cidr: 10.0.0.0/8}\n    to: dns\n", 3, "exactly one of role, cidr"),
    ("expectations:\n  - name: a\n    from: {pods: x}\n    to: dns\n", 3, "unknown key 'pods' in `from`"),
    ("expectations:\n  - name: a\n    from: training\n    to: dns\n    ports: [70000]\n", 5,
     "port 70000 of expectation 'a' is not a port range"),
    ("expectations:\n  - name: a\n    from: training\n    to: dns\n    ports: [53/ICMP]\n", 5, "protocol 'ICMP'"),
    ("expectations:\n  - name: a\n    from: training\n    to: dns\n    ports: [{port: 80, endport: 90}]\n", 5,
     "unknown key 'endport' in a port"),
    ("expectations:\n  - name: a\n    from: training\n    to: dns\n    ports: []\n", 5, "must be a non-empty list"),
    ("expectations:\n  - name: a\n    from: training\n    to: dns\n    ports: [90-80]\n", 5, "is not a port range"),
    ("expectations:\n  - name: a\n    from: training\n    to: dns\n    color: red\n", 5,
     "unknown key 'color' in expectations[0]"),
])
def test_bad_sections_are_config_errors_naming_key_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = tmp_path / ".policylint.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message, message


def test_config_errors_stop_check_with_exit_2(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from policylint.cli.main import cli

    config = tmp_path / "bad.yaml"
    config.write_text("expectations:\n  - name: a\n    from: nobody\n    to: dns\n", encoding="utf-8")
    manifest = tmp_path / "m.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", encoding="utf-8")
    for command in (["check"], ["roles"]):
        result = CliRunner().invoke(cli, [*command, "--config", str(config), str(manifest)])
        assert result.exit_code == 2, result.output
        assert f"{config}:3: expectation 'a' names role 'nobody'" in result.output


def test_pyproject_sections_are_read_too(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.policylint]\nroles = {gpu = {podSelector = {matchLabels = {gpu = "yes"}}}}\n'
                    'expectations = [{name = "x", from = "gpu", to = "dns", ports = ["53/UDP"]}]\n', encoding="utf-8")
    parsed = intent_config(load_config(path))
    assert parsed.roles["gpu"].selection.pod_selector.match_labels == (("gpu", "yes"),)
    assert parsed.expectations[0].ports.static == PortSet.single("UDP", 53)
