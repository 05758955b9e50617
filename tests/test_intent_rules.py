"""The PL5xx rules beyond what the fixture harness sees: documentation and its examples, message
style, options, and the words of the findings that say which side blocks."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from policylint.analysis import analyse, registry
from policylint.config import Config, ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "rules"
CODES = ("PL500", "PL501", "PL502", "PL503", "PL504", "PL505", "PL506", "PL507", "PL508", "PL509", "PL510", "PL520", "PL521")
HEADINGS = ["## What it does", "## Why is this bad?", "## Example", "Use instead:", "## References"]


def _yaml_block(doc: str, after: str, index: int = 0) -> str:
    tail = doc[doc.index(after):]
    blocks = re.findall(r"```yaml\n(.*?)```", tail, re.S)
    return blocks[index]


def _run(tmp_path: Path, manifest: str, code: str, config_text: str | None = None, **options: object) -> list:
    (tmp_path / "manifest.yaml").write_text(manifest, encoding="utf-8")
    config = Config(rule_options={code: dict(options)} if options else {})
    if config_text is not None:
        path = tmp_path / "config.yaml"
        path.write_text(config_text, encoding="utf-8")
        config = load_config(path)
    return analyse([str(tmp_path / "manifest.yaml")], config, select=[code, "PL005"]).findings


def test_every_pl5_rule_is_registered() -> None:
    assert [c for c in registry() if c.startswith("PL5")] == list(CODES)


@pytest.mark.parametrize("code", CODES)
def test_docstring_structure(code: str) -> None:
    spec = registry()[code]
    lines = spec.doc.splitlines()
    assert lines[0] and not lines[0].startswith("#")
    positions = [next((i for i, line in enumerate(lines) if line.strip() == h), -1) for h in HEADINGS]
    assert -1 not in positions, [h for h, p in zip(HEADINGS, positions) if p == -1]
    assert positions == sorted(positions)
    assert spec.scope == "cluster"
    assert spec.remediation[0].isupper() and spec.remediation.endswith(".")
    assert set(spec.options) == set(spec.defaults)
    for option in spec.defaults:
        assert f"`{option}`" in spec.doc.split("## Options", 1)[-1], option


@pytest.mark.parametrize("code", CODES)
def test_examples_are_complete_manifests(code: str) -> None:
    doc = registry()[code].doc
    for after in ("## Example", "Use instead:"):
        documents = [d for d in yaml.safe_load_all(_yaml_block(doc, after)) if d]
        assert any(d["kind"] == "NetworkPolicy" for d in documents)
        for document in documents:
            assert document["apiVersion"] and document["kind"] and document["metadata"]["name"]


@pytest.mark.parametrize("code", CODES)
def test_example_triggers_and_fix_does_not(code: str, tmp_path: Path) -> None:
    doc = registry()[code].doc
    # PL500's and PL521's examples need their config: the block after the manifest, used for both.
    config = _yaml_block(doc, "## Example", 1) if code in ("PL500", "PL521") else None
    bad = _run(tmp_path, _yaml_block(doc, "## Example"), code, config)
    assert bad and {f.code for f in bad} == {code}, [f.message for f in bad]
    good = _run(tmp_path, _yaml_block(doc, "Use instead:"), code, config)
    assert good == [], [f.message for f in good]


@pytest.mark.parametrize("code", CODES)
def test_messages_are_lower_case_single_lines_without_a_period(code: str) -> None:
    messages = []
    for case in sorted(p for p in (FIXTURES / code).iterdir() if not p.name.startswith(".")):
        config_file = case / ".policylint.yaml" if case.is_dir() else None
        config = load_config(config_file if config_file and config_file.exists() else None)
        messages += [f.message for f in analyse([str(case)], config, select=[code]).findings]
    assert messages
    for message in messages:
        assert message[0] == message[0].lower() and not message.endswith(".") and "\n" not in message, message


@pytest.mark.parametrize(("code", "option", "value"), [
    ("PL501", "data-service-to-training", "sometimes"),
    ("PL503", "ephemeral-ports", "60999-32768"),
    ("PL506", "storage-cidrs", "[s3.amazonaws.com]"),
    ("PL508", "addresses", "[metadata.google.internal]"),
])
def test_bad_option_values_are_config_errors_with_their_line(tmp_path: Path, code: str, option: str, value: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"rules:\n  {code}:\n    {option}: {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{re.escape(str(path))}:3: rule {code}: option '{option}'"):
        load_config(path)


def test_pl501_says_which_side_blocks() -> None:
    case = FIXTURES / "PL501" / "seed-peer-without-namespace-selector"
    [finding] = analyse([str(case)], Config(), select=["PL501"]).findings
    assert finding.message == (
        "the data service (data-services/feature-store[Deployment]) cannot reach the training pods of PyTorchJob "
        "ml-workloads/bert-pretrain (needed because a policy isolating its pods names data-service pods as an ingress "
        "peer): blocked by ingress at the training pods: peer podSelector role=data-service-pod "
        "of ml-workloads/ml-training-communication ingress[0] has no namespaceSelector, so it only matches pods in "
        "namespace ml-workloads, not data-services")
    assert finding.field_path == "spec.ingress[0].from[0]"
    assert finding.object == "NetworkPolicy ml-workloads/ml-training-communication"
    case = FIXTURES / "PL501" / "blocked-at-data-service-ingress"
    [finding] = analyse([str(case)], Config(), select=["PL501"]).findings
    assert finding.message.startswith(
        "training pods of JobSet ml-workloads/llama-sft cannot reach the data service "
        "(data-services/dataset-cache[StatefulSet]) (needed because its command names "
        "dataset-cache.data-services.svc): blocked by ingress at the data service: peer namespaceSelector "
        "kubernetes.io/metadata.name=analytics of data-services/dataset-cache-clients ingress[0]: namespace "
        "ml-workloads does not match namespaceSelector")


def test_pl501_direction_option(tmp_path: Path) -> None:
    case = FIXTURES / "PL501" / "seed-peer-without-namespace-selector"
    never = analyse([str(case)], Config(rule_options={"PL501": {"data-service-to-training": "never"}}),
                    select=["PL501"]).findings
    assert never == []  # only the reverse direction is broken there
    # `always`: the Ray case's data service may reach the head's client port, so still clean
    ray = FIXTURES / "PL501" / "ray-cluster-both-directions-allowed"
    assert analyse([str(ray)], Config(rule_options={"PL501": {"data-service-to-training": "always"}}),
                   select=["PL501"]).findings == []


def test_pl506_routes_need_their_configuration(tmp_path: Path) -> None:
    # Without the case's config, neither the gateway role nor the storage CIDR is a route.
    for name in ("egress-gateway-role", "storage-cidrs-option"):
        case = FIXTURES / "PL506" / name
        assert [f.code for f in analyse([str(case)], Config(), select=["PL506"]).findings] == ["PL506"]


def test_pl509_unselected_option() -> None:
    case = FIXTURES / "PL509" / "host-network-not-selected"
    findings = analyse([str(case)], Config(rule_options={"PL509": {"unselected": True}}), select=["PL509"]).findings
    assert [(f.line, f.message) for f in findings] == [
        (14, "training pods ml-perf/nccl-tests[PyTorchJob/Worker] use hostNetwork (not selected by any policy): "
             "NetworkPolicy does not reliably apply to them")]


def test_pl508_unisolated_option() -> None:
    case = FIXTURES / "PL509" / "host-network-not-selected"
    findings = analyse([str(case)], Config(rule_options={"PL508": {"unisolated": True}}), select=["PL508"]).findings
    assert sorted(f.message.split(":")[0] for f in findings) == [
        "training pods of PyTorchJob ml-perf/nccl-tests can reach the cloud metadata endpoint",
        "training pods of PyTorchJob ml-workloads/bert-pretrain can reach the cloud metadata endpoint",
    ]
