"""Expectations (PL500): the fixture cases, whose findings point into the case's config file, and
the semantics of each peer form, ports and `allow`, with messages checked word for word where
they name the blocking policy and its file:line."""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.analysis import analyse
from policylint.config import load_config
from tests.fixture_expectations import case_files, expected_findings

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "fixtures" / "rules" / "PL500"


def _run(case: Path, config_path: Path | None = None) -> list:
    config = load_config(config_path or case / ".policylint.yaml")
    return analyse([str(case)], config, select=["PL500"]).findings


@pytest.mark.parametrize("case", sorted(p for p in CASES.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_fixture_cases_with_markers_in_the_config(case: Path) -> None:
    # The generic fixture harness reads markers in manifests only; PL500 points into the config.
    files = case_files(case) + [case / ".policylint.yaml"]
    expected = {m for m in expected_findings(files) if m[2] == "PL500"}
    found = {(Path(f.path).name, f.line, f.code) for f in _run(case)}
    assert found == expected


def test_broken_expectations_name_the_blocking_policy_with_file_and_line() -> None:
    case = CASES / "three-peer-forms"
    manifests = str(case / "manifests.yaml")
    findings = {f.line: f for f in _run(case)}
    feeds = findings[9]
    assert feeds.message == (
        "expectation 'data service feeds training' not met: data-services/feature-store[Deployment] -> "
        "ml-workloads/bert-pretrain[PyTorchJob/Master]: TCP/5000 is denied: blocked by ingress at "
        "ml-workloads/bert-pretrain[PyTorchJob/Master]: peer podSelector role=data-service-pod of "
        "ml-workloads/ml-training-communication ingress[0] has no namespaceSelector, so it only matches pods in "
        f"namespace ml-workloads, not data-services ({manifests}:103) (and 1 more of 2 pairs)")
    assert feeds.path == str(case / ".policylint.yaml") and feeds.field_path == "expectations[0]"
    assert feeds.object == "expectation 'data service feeds training'"
    # related: the near-miss peer, the isolating policy's `ingress` key, then its rules
    assert [(Path(r.span.path).name, r.span.line) for r in feeds.related][:3] == [
        ("manifests.yaml", 103), ("manifests.yaml", 101), ("manifests.yaml", 102)]
    assert feeds.related[1].message == ("ml-workloads/ml-training-communication isolates ingress of "
                                        "ml-workloads/bert-pretrain[PyTorchJob/Master]")

    dns = findings[20]
    assert "TCP/53 is denied: blocked by egress at ml-workloads/bert-pretrain[PyTorchJob/Master]: " \
           "ml-workloads/ml-training-communication egress[1] admits kube-system/coredns[Deployment] only on " \
           f"UDP 53 ({manifests}:131) (and 1 more of 2 pairs)" in dns.message

    outside = findings[34]
    assert outside.message == (
        "expectation 'nothing outside reaches training' not met: 0.0.0.0-52.215.255.255 -> "
        "ml-workloads/bert-pretrain[PyTorchJob/Master] is allowed on TCP 6006: "
        "ml-workloads/ml-training-communication ingress[2] allows it via ipBlock 0.0.0.0/0 "
        f"({manifests}:113) (and 5 more of 6 pairs)")
    assert [(r.span.line, r.message) for r in outside.related] == [
        (113, "ml-workloads/ml-training-communication ingress[2] allows it via ipBlock 0.0.0.0/0")]

    assert findings[44].message == ("expectation 'the notebooks reach training' cannot be checked: `from` "
                                    "(namespace notebooks) matches nothing in the input")
    assert findings[44].field_path == "expectations[6].from"


MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.1.2.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: client}}}]
      ports: [{port: 8080}]
"""


@pytest.mark.parametrize(("expectation", "broken"), [
    # role-less selection form, a named port resolved on the destination, allow: true
    ("from: {namespace: shop, podSelector: {matchLabels: {app: client}}}\n"
     "    to: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}, "
     "podSelector: {matchLabels: {app: api}}}\n    ports: [http]", False),
    ("from: {namespace: shop, podSelector: {matchLabels: {app: client}}}\n"
     "    to: {namespace: shop, podSelector: {matchLabels: {app: api}}}\n    ports: [8080, 9090]", True),
    # a named port the destination does not have can never be met
    ("from: {namespace: shop, podSelector: {matchLabels: {app: client}}}\n"
     "    to: {namespace: shop, podSelector: {matchLabels: {app: api}}}\n    ports: [grpc]", True),
    # without ports: some port suffices for allow, any port breaks deny
    ("from: {namespace: shop, podSelector: {matchLabels: {app: client}}}\n"
     "    to: {namespace: shop, podSelector: {matchLabels: {app: api}}}", False),
    ("from: {namespace: shop, podSelector: {matchLabels: {app: client}}}\n"
     "    to: {namespace: shop, podSelector: {matchLabels: {app: api}}}\n    allow: false", True),
    ("from: {namespace: shop, podSelector: {matchLabels: {app: client}}}\n"
     "    to: {namespace: shop, podSelector: {matchLabels: {app: api}}}\n    ports: [9090]\n    allow: false", False),
    # the api pods among themselves: two pods, so the pair counts; they are not admitted
    ("from: {namespace: shop, podSelector: {matchLabels: {app: api}}}\n"
     "    to: {namespace: shop, podSelector: {matchLabels: {app: api}}}", True),
    # a CIDR: the client's pod IP is inside 10.0.0.0/8, so the client is a source too
    ("from: {cidr: 10.0.0.0/8}\n    to: {namespace: shop, podSelector: {matchLabels: {app: api}}}\n"
     "    ports: [8080]\n    allow: false", True),
    ("from: {cidr: 192.168.0.0/16}\n    to: {namespace: shop, podSelector: {matchLabels: {app: api}}}\n"
     "    allow: false", False),
    ("from: 192.168.0.0/16\n    to: {namespace: shop, podSelector: {matchLabels: {app: api}}}", True),
    # the client is not isolated: it reaches public addresses
    ("from: {namespace: shop, podSelector: {matchLabels: {app: client}}}\n    to: 8.8.8.8\n    ports: [53/UDP]", False),
])
def test_expectation_semantics(tmp_path: Path, expectation: str, broken: bool) -> None:
    (tmp_path / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    config = tmp_path / "policylint.yaml"
    config.write_text(f"expectations:\n  - name: e\n    {expectation}\n", encoding="utf-8")
    findings = analyse([str(tmp_path / "m.yaml")], load_config(config), select=["PL500"]).findings
    assert [(f.line, f.code) for f in findings] == ([(2, "PL500")] if broken else []), [f.message for f in findings]


def test_named_port_missing_on_the_destination_is_said(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    config = tmp_path / "policylint.yaml"
    config.write_text("expectations:\n  - name: grpc\n    from: {namespace: shop, podSelector: {matchLabels: {app: client}}}\n"
                      "    to: {namespace: shop, podSelector: {matchLabels: {app: api}}}\n    ports: [grpc]\n",
                      encoding="utf-8")
    [finding] = analyse([str(tmp_path / "m.yaml")], load_config(config), select=["PL500"]).findings
    assert finding.message == "expectation 'grpc' not met: shop/api[Deployment] has no container port TCP/grpc"
