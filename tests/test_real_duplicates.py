"""Duplicate objects: the last copy read is analysed, the others are set aside, never merged."""
from __future__ import annotations

from pathlib import Path

from policylint.analysis import analyse
from policylint.config import Config

POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-ingress
  namespace: shop
{annotations}spec:
  podSelector: {{matchLabels: {{app: web}}}}
  policyTypes: [Ingress]
  ingress: [{{ports: [{{port: {port}}}]}}]
"""
IGNORE = '  annotations: {"policylint.io/ignore": "PL015: dev and prod are different clusters"}\n'


def _write(folder: Path, dev: str, prod: str) -> Path:
    (folder / "dev").mkdir(parents=True)
    (folder / "prod").mkdir()
    (folder / "dev" / "policy.yaml").write_text(dev, encoding="utf-8")
    (folder / "prod" / "policy.yaml").write_text(prod, encoding="utf-8")
    return folder


def test_the_last_copy_is_analysed_and_the_earlier_one_is_listed_as_not_used(tmp_path: Path) -> None:
    folder = _write(tmp_path, POLICY.format(annotations="", port=8080), POLICY.format(annotations="", port=443))
    analysis = analyse([str(folder)], Config(), select=["PL015"])
    [policy] = analysis.cluster.policies
    assert policy.source.span.path.endswith("prod/policy.yaml")
    assert [port.port for rule in policy.ingress for port in rule.ports] == [443]  # not 8080, not both
    [unused] = analysis.cluster.unused
    assert (unused.object, Path(unused.span.path).parent.name, unused.span.line) == ("NetworkPolicy shop/web-ingress", "dev", 4)
    [finding] = analysis.findings
    assert (Path(finding.path).parent.name, finding.line, finding.code) == ("prod", 4, "PL015")
    assert f"{folder / 'dev' / 'policy.yaml'}:4" in finding.message
    assert [(Path(r.span.path).parent.name, r.span.line) for r in finding.related] == [("dev", 4)]


def test_an_annotation_on_the_set_aside_copy_does_not_silence_the_used_one(tmp_path: Path) -> None:
    folder = _write(tmp_path, POLICY.format(annotations=IGNORE, port=8080), POLICY.format(annotations="", port=443))
    codes = [f.code for f in analyse([str(folder)], Config(), select=["PL015"]).findings]
    assert codes == ["PL015"]


def test_an_annotation_on_the_used_copy_silences_its_own_finding(tmp_path: Path) -> None:
    folder = _write(tmp_path, POLICY.format(annotations="", port=8080), POLICY.format(annotations=IGNORE, port=443))
    assert analyse([str(folder)], Config(), select=["PL015"]).findings == []


def test_identical_copies_are_one_info_finding(tmp_path: Path) -> None:
    text = POLICY.format(annotations="", port=443)
    folder = _write(tmp_path, text, text)
    findings = analyse([str(folder)], Config(), select=["PL015", "PL017"]).findings
    assert [(Path(f.path).parent.name, f.line, f.code, f.severity.label) for f in findings] == [("prod", 4, "PL017", "info")]
