"""Typed lists (`PodList`, `DeploymentList`, ...): items without `kind`/`apiVersion` take the list's.

That is how the API server answers a collection request (`kubectl get --raw /api/v1/.../pods`)
and how typed clients serialise lists. The same pods written with their kinds must give the same
connectivity matrix; nothing read is dropped without a word.
"""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from policylint.cli.main import cli

POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 8080}]
"""

TYPED = """\
apiVersion: v1
kind: PodList
metadata: {resourceVersion: "812"}
items:
  - metadata: {name: web-0, namespace: shop, labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
  - metadata: {name: api-0, namespace: shop, labels: {app: api}}
    spec: {containers: [{name: api, image: api, ports: [{containerPort: 8080}]}]}
"""

WITH_KINDS = """\
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-0, namespace: shop, labels: {app: api}}
spec: {containers: [{name: api, image: api, ports: [{containerPort: 8080}]}]}
"""


def _write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _matrix(folder: Path) -> list:
    result = CliRunner().invoke(cli, ["matrix", "--format", "json", str(folder)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["connections"] if "connections" in json.loads(result.stdout) else json.loads(result.stdout)


def test_a_typed_pod_list_gives_the_same_matrix_as_the_pods_with_kinds(tmp_path: Path) -> None:
    typed = _matrix(_write(tmp_path / "typed", **{"pods.json": TYPED, "policy.yaml": POLICY}))
    written = _matrix(_write(tmp_path / "written", **{"pods.json": WITH_KINDS, "policy.yaml": POLICY}))
    assert typed == written
    # By hand: api-0 is isolated for ingress and admits web-0 on 8080 only; web-0 is not isolated.
    text = json.dumps(typed)
    assert "shop/web-0" in text and "shop/api-0" in text


def test_typed_list_items_are_counted_as_workloads(tmp_path: Path) -> None:
    folder = _write(tmp_path, **{"pods.yaml": TYPED})
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(folder)])
    summary = json.loads(result.stdout)["summary"]
    assert (summary["objects"], summary["workloads"], summary["namespaces"]) == (2, 2, 1)


def test_a_deployment_list_item_takes_the_lists_api_version(tmp_path: Path) -> None:
    deployments = """\
apiVersion: apps/v1
kind: DeploymentList
items:
  - metadata: {name: web, namespace: shop}
    spec:
      replicas: 2
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: web, image: nginx}]}
"""
    folder = _write(tmp_path, **{"deployments.yaml": deployments})
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(folder)])
    assert json.loads(result.stdout)["summary"]["workloads"] == 1


def test_an_item_of_a_generic_list_without_kind_is_reported_not_dropped(tmp_path: Path) -> None:
    text = """\
apiVersion: v1
kind: List
items:
  - metadata: {name: web-0, namespace: shop}
    spec: {containers: [{name: web, image: nginx}]}
"""
    folder = _write(tmp_path, **{"list.yaml": text})
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(folder)])
    findings = [(f["line"], f["code"]) for f in json.loads(result.stdout)["findings"]]
    assert findings == [(4, "PL003")]


def test_objects_read_but_not_used_are_counted_and_listed_under_verbose(tmp_path: Path) -> None:
    text = """\
apiVersion: v1
kind: ConfigMapList
items:
  - metadata: {name: settings, namespace: shop}
    data: {a: "1"}
"""
    folder = _write(tmp_path, **{"cm.yaml": text})
    quiet = CliRunner().invoke(cli, ["check", str(folder)])
    assert "1 object not used" in quiet.stdout
    assert "ConfigMap shop/settings" not in quiet.stdout
    verbose = CliRunner().invoke(cli, ["check", "-v", str(folder)])
    assert f"{folder / 'cm.yaml'}:4: ConfigMap shop/settings (kind without pods or policies)" in verbose.stdout
    summary = json.loads(CliRunner().invoke(cli, ["check", "--format", "json", str(folder)]).stdout)["summary"]
    assert summary["unused"] == [{"object": "ConfigMap shop/settings", "file": str(folder / "cm.yaml"), "line": 4,
                                  "reason": "kind without pods or policies"}]
