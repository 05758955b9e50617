"""The Prometheus operator's resources as workloads: the pods it builds for Prometheus,
PrometheusAgent, Alertmanager and ThanosRuler.

Expected labels and ports by hand from prometheus-operator's sources: `makeSelectorLabels` of
each controller (app.kubernetes.io/name, managed-by, instance, and the kind's own label), the
shard label of Prometheus, `spec.podMetadata.labels` under them, the web port (named by
`portName`, "web" by default; gone with `listenLocal`), the config reloader's `reloader-web`
8080, Alertmanager's mesh 9094 TCP and UDP, ThanosRuler's grpc 10901 and the Thanos sidecar's
grpc 10901 and http 10902 when `spec.thanos` is set.
"""
from __future__ import annotations

from pathlib import Path

from policylint.analysis import analyse
from policylint.config import Config
from policylint.load import load_paths
from policylint.model import build_cluster

MANIFESTS = """\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec:
  replicas: 2
  podMetadata:
    labels: {app.kubernetes.io/part-of: kube-prometheus, team: obs}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: sharded, namespace: monitoring}
spec:
  shards: 2
  portName: http-web
  thanos: {image: thanos}
---
apiVersion: monitoring.coreos.com/v1alpha1
kind: PrometheusAgent
metadata: {name: agent, namespace: monitoring}
spec:
  listenLocal: true
---
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {name: main, namespace: monitoring}
spec:
  replicas: 3
  containers:
    - name: oauth-proxy
      ports:
        - {name: proxy, containerPort: 9095}
---
apiVersion: monitoring.coreos.com/v1
kind: ThanosRuler
metadata: {name: rules, namespace: monitoring}
spec:
  listenLocal: true
"""
MANAGED = {"app.kubernetes.io/managed-by": "prometheus-operator"}
RELOADER = ("reloader-web", 8080, "TCP")


def _workloads(tmp_path: Path) -> dict:
    (tmp_path / "monitoring.yaml").write_text(MANIFESTS, encoding="utf-8")
    loaded = load_paths([str(tmp_path / "monitoring.yaml")])
    cluster = build_cluster(loaded.objects)
    assert loaded.problems == [] and cluster.issues == [] and cluster.unknown_kinds == {}
    return {w.id: w for w in cluster.workloads}


def _ports(workload) -> set:
    return {(p.name, p.port, p.protocol) for p in workload.ports}


def test_prometheus_pods_carry_the_operator_labels_over_pod_metadata(tmp_path: Path) -> None:
    k8s = _workloads(tmp_path)["monitoring/k8s[Prometheus]"]
    assert k8s.replicas == 2
    assert k8s.labels == {"app.kubernetes.io/part-of": "kube-prometheus", "team": "obs", **MANAGED,
                          "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "k8s",
                          "prometheus": "k8s", "operator.prometheus.io/name": "k8s", "operator.prometheus.io/shard": "0"}
    assert _ports(k8s) == {("web", 9090, "TCP"), RELOADER}


def test_a_sharded_prometheus_is_one_group_per_shard_with_the_thanos_sidecar(tmp_path: Path) -> None:
    workloads = _workloads(tmp_path)
    shards = [workloads[f"monitoring/sharded[Prometheus/shard-{i}]"] for i in (0, 1)]
    assert [w.labels["operator.prometheus.io/shard"] for w in shards] == ["0", "1"]
    assert all(w.replicas == 1 for w in shards)
    assert _ports(shards[0]) == {("http-web", 9090, "TCP"), RELOADER, ("grpc", 10901, "TCP"), ("http", 10902, "TCP")}


def test_listen_local_serves_no_web_port(tmp_path: Path) -> None:
    workloads = _workloads(tmp_path)
    agent = workloads["monitoring/agent[PrometheusAgent]"]
    assert agent.labels == {**MANAGED, "app.kubernetes.io/name": "prometheus-agent", "app.kubernetes.io/instance": "agent",
                            "operator.prometheus.io/name": "agent", "operator.prometheus.io/shard": "0"}
    assert _ports(agent) == set()
    ruler = workloads["monitoring/rules[ThanosRuler]"]
    assert ruler.labels == {**MANAGED, "app.kubernetes.io/name": "thanos-ruler", "app.kubernetes.io/instance": "rules",
                            "thanos-ruler": "rules"}
    assert _ports(ruler) == {("grpc", 10901, "TCP")}  # the web port and the reloader's listen on localhost


def test_alertmanager_has_its_mesh_and_the_extra_containers_ports(tmp_path: Path) -> None:
    main = _workloads(tmp_path)["monitoring/main[Alertmanager]"]
    assert main.replicas == 3
    assert main.labels == {**MANAGED, "app.kubernetes.io/name": "alertmanager", "app.kubernetes.io/instance": "main",
                           "alertmanager": "main"}
    assert _ports(main) == {("web", 9093, "TCP"), ("mesh-tcp", 9094, "TCP"), ("mesh-udp", 9094, "UDP"), RELOADER,
                            ("proxy", 9095, "TCP")}


def test_findings_on_pod_metadata_and_extra_containers_name_their_own_fields(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("""\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec:
  podMetadata:
    labels: {team: [obs, ml]}
  containers:
    - name: sidecar
      ports:
        - {containerPort: 99999}
""", encoding="utf-8")
    findings = analyse([str(tmp_path / "p.yaml")], Config(), select=["PL101", "PL003", "PL119"]).findings
    by_code = {(f.code, f.line, f.field_path) for f in findings}
    assert ("PL119", 10, "spec.containers[0].ports[0].containerPort") in by_code
    assert any(f.line == 6 and f.field_path.startswith("spec.podMetadata.labels") for f in findings), findings
