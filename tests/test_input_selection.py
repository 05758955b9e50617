"""Which inputs are read: config excludes, other tools' YAML, and numbers from Pulumi programs."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from policylint.cli.main import cli

POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {}
  ingress:
    - ports: [{port: 8080, protocol: TCP}]
"""


def run(args: list[str], cwd: Path) -> tuple[int, str]:
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=cwd):
        result = runner.invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.output


def test_files_excluded_by_the_config_are_not_read_even_when_named(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "t.yaml").write_text("kind: NetworkPolicy\nmetadata: {{ .Values }\n")  # broken
    (tmp_path / "ok.yaml").write_text(POLICY)
    (tmp_path / ".policylint.yaml").write_text('exclude: ["charts/*"]\n')
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--select", "PL001", "charts/t.yaml", "ok.yaml"])
    assert result.exit_code == 0, result.output
    assert "1 file," in result.output  # ok.yaml only; the broken chart source was never parsed


def test_input_made_only_of_excluded_files_is_not_an_error(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "t.yaml").write_text("{{ broken\n")
    (tmp_path / ".policylint.yaml").write_text('exclude: ["charts/*"]\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "charts/t.yaml"])
    assert result.exit_code == 0
    assert "all 1 input file(s) are excluded by the config" in result.output


def test_other_tools_yaml_with_an_api_version_is_ignored(tmp_path: Path) -> None:
    # Helm's Chart.yaml has `apiVersion: v2` and no `kind`; it is not a Kubernetes object.
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    (tmp_path / "p.yaml").write_text(POLICY)
    result = CliRunner().invoke(cli, ["check", "--select", "PL003", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # …but an object that lost its kind is still reported.
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nmetadata: {name: x}\n")
    result = CliRunner().invoke(cli, ["check", "--select", "PL003", "--format", "json", str(tmp_path)])
    assert result.exit_code == 1
    assert '"message": "object has an `apiVersion` but no `kind`"' in result.output


def test_pulumi_integers_stay_integers(tmp_path: Path) -> None:
    pytest.importorskip("pulumi_kubernetes")
    (tmp_path / "Pulumi.yaml").write_text("name: ports\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_kubernetes as k8s\n\n"
        "k8s.networking.v1.NetworkPolicy(\n"
        '    "np",\n'
        '    metadata={"name": "web", "namespace": "shop"},\n'
        '    spec={"pod_selector": {}, "ingress": [{"ports": [{"port": 8080, "protocol": "TCP"}]}]},\n'
        ")\n")
    result = CliRunner().invoke(cli, ["check", "--pulumi", str(tmp_path), "--select", "PL003,PL301,PL303", "--format", "json"])
    # Pulumi sends numbers as doubles; 8080.0 must not become "port must be a number or a name".
    assert result.exit_code == 0, result.output
    assert '"findings": []' in result.output
