"""Near misses are named with their fix: PL305 names the DNS rule that nearly matches (even with no
Namespace object in the input), and the explanations behind reach, expectations and the intent
rules name a peer one typo away and a policy port that is a Service's port. Expected texts are
worked out by hand from the fixtures."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from policylint.analysis import analyse
from policylint.cli.main import cli
from policylint.config import Config

ROOT = Path(__file__).resolve().parent.parent
DNS_MISSES = ROOT / "fixtures" / "rules" / "PL305" / "dns-misses.yaml"


def _tails(path: Path) -> dict[int, str]:
    found = {}
    for f in analyse([str(path)], Config(), select=["PL305"]).findings:
        found[f.line] = f.message.partition("; near miss: ")[2]
    return found


def test_dns_near_misses_are_named_with_the_fix_without_any_namespace_object() -> None:
    where = f"{DNS_MISSES}"
    assert _tails(DNS_MISSES) == {
        9: f"ml-workloads/wrong-port egress[0] to[0] ({where}:12): it matches the DNS pods but its ports leave "
           f"out port 53",
        25: f"ml-workloads/pod-selector-only egress[0] to[0] ({where}:28): a podSelector without namespaceSelector "
            f"only matches pods of namespace `ml-workloads`; add `namespaceSelector: {{matchLabels: "
            f"{{kubernetes.io/metadata.name: kube-system}}}}` to this peer",
        40: f"ml-workloads/named-port-wrong-protocol egress[0] to[0] ({where}:43): it matches the DNS pods but its "
            f"ports leave out port 53",
        55: f"ml-workloads/wrong-namespace-label egress[0] to[0] ({where}:58): namespaceSelector `name: kube-system` "
            f"is not a label Kubernetes sets on namespace `kube-system`; use `kubernetes.io/metadata.name: "
            f"kube-system` (if namespace `kube-system` does carry `name: kube-system` in your cluster, add its "
            f"Namespace manifest to the input)",
        71: "",  # deny-all: no rule comes close
    }


CLUSTER = """\
apiVersion: v1
kind: Namespace
metadata: {name: data-services}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: feature-store, namespace: data-services}
spec:
  template:
    metadata: {labels: {app: feature-store}}
    spec:
      containers: [{name: server}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer, namespace: ml}
spec:
  template:
    metadata: {labels: {app: trainer}}
    spec:
      containers: [{name: train}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: trainer-egress, namespace: ml}
spec:
  podSelector: {matchLabels: {app: trainer}}
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: data-services}}
          podSelector: {matchLabels: {app: featurestore}}
        - namespaceSelector: {matchLabels: {name: data-services}}
          podSelector: {matchLabels: {app: feature-store}}
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: data-services}}
          podSelector: {matchLabels: {app: database}}
"""


def test_explanations_name_a_peer_one_typo_away(tmp_path: Path) -> None:
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    result = CliRunner().invoke(cli, ["reach", str(tmp_path), "--from", "ml/trainer",
                                      "--to", "data-services/feature-store", "--port", "8080"])
    assert result.exit_code == 1
    lines = [line.strip() for line in result.stdout.splitlines()]
    peers = [line for line in lines if line.startswith("to[")]
    assert peers[0].endswith(
        "labels of data-services/feature-store[Deployment] do not match podSelector app=featurestore (near miss: "
        "podSelector asks for `app: featurestore` where the pods of data-services/feature-store[Deployment] have "
        "`app: feature-store`)")
    assert peers[1].endswith(
        "namespace data-services does not match namespaceSelector name=data-services (near miss: namespaceSelector "
        "`name: data-services` is not a label Kubernetes sets on namespace `data-services`; use "
        "`kubernetes.io/metadata.name: data-services`)")
    # `app: database` is not a typo of `feature-store`: no near miss is claimed.
    assert peers[2].endswith("labels of data-services/feature-store[Deployment] do not match podSelector app=database")


def test_explanations_name_a_service_port_used_for_the_pod_port(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["reach", "fixtures/engine/services/base.yaml", "fixtures/engine/services/broken",
                                      "--from", "ml/trainer", "--to", "data-services/feature-store", "--port", "8080"])
    assert result.exit_code == 1
    assert ("peer matches but its ports (TCP 80) do not include TCP/8080 (near miss: 80 is the port of Service "
            "data-services/feature-store, which forwards it to 8080; policies see the pod's port: allow 8080 or "
            "`http`)") in result.stdout
