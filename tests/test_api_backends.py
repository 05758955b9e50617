"""Services the API server calls, read from webhook configurations, CRDs and APIServices; PL406
leaves their target ports alone. Expected values by hand from the manifests below."""
from __future__ import annotations

from pathlib import Path

from policylint.analysis import analyse
from policylint.config import Config
from policylint.load import load_paths
from policylint.model import build_cluster

MANIFESTS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  conversion:
    strategy: Webhook
    webhook:
      clientConfig:
        service: {namespace: tools, name: converter, port: 8443}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  service: {namespace: monitoring, name: adapter}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: injector}
webhooks:
  - name: a.example.com
    clientConfig:
      service: {namespace: mesh, name: istiod, port: 443}
  - name: b.example.com
    clientConfig:
      url: https://example.com/hook
  - name: c.example.com
    clientConfig:
      service: {namespace: mesh, name: istiod, port: "443"}
"""


def test_each_kind_names_its_service_and_port(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MANIFESTS, encoding="utf-8")
    cluster = build_cluster(load_paths([str(tmp_path / "m.yaml")]).objects)
    # The APIService's port defaults to 443; a URL is no Service; a quoted port is refused by the API server.
    assert [(b.namespace, b.service, b.port, b.caller) for b in cluster.api_server_backends] == [
        ("tools", "converter", 8443, "CustomResourceDefinition widgets.example.com"),
        ("monitoring", "adapter", 443, "APIService v1beta1.metrics.k8s.io"),
        ("mesh", "istiod", 443, "MutatingWebhookConfiguration injector"),
    ]


def test_an_aggregated_api_port_open_to_all_is_not_reported(tmp_path: Path) -> None:
    """kube-prometheus' prometheus-adapter: an APIService backend whose policy admits everyone on
    its https port. Its other port, open the same way, is still reported."""
    (tmp_path / "m.yaml").write_text(MANIFESTS.split("---\n")[1] + """\
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: adapter, namespace: monitoring}
spec:
  selector: {matchLabels: {app: adapter}}
  template:
    metadata: {labels: {app: adapter}}
    spec:
      containers:
        - name: adapter
          image: adapter
          ports: [{name: https, containerPort: 6443}, {name: debug, containerPort: 6060}]
---
apiVersion: v1
kind: Service
metadata: {name: adapter, namespace: monitoring}
spec:
  selector: {app: adapter}
  ports: [{name: https, port: 443, targetPort: https}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: adapter, namespace: monitoring}
spec:
  podSelector: {matchLabels: {app: adapter}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 6443}, {port: 6060}]}]
""", encoding="utf-8")
    [finding] = analyse([str(tmp_path / "m.yaml")], Config(), select=["PL406"]).findings
    assert "on TCP 6060," in finding.message
