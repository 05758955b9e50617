"""Which jobs need the data service and object storage, and why (`intent.dependencies`).

Each case is a small manifest set written by hand; the expected reasons and targets are read off
the manifests: a job needs a role's pods only when its metadata, the config or its own strings
say so."""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.analysis import load_and_model
from policylint.config import load_config
from policylint.intent.context import intent_config, resolve
from policylint.intent.dependencies import storage_reference
from policylint.rule_api import ClusterFacts

DATA = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: feature-store, namespace: data-services}
spec:
  selector: {matchLabels: {app: feature-store}}
  template:
    metadata: {labels: {app: feature-store, role: data-service-pod}}
    spec: {containers: [{name: s, image: i, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: shard-cache, namespace: ml}
spec:
  serviceName: shards
  selector: {matchLabels: {app: shard-cache}}
  template:
    metadata: {labels: {app: shard-cache, role: data-service-pod}}
    spec: {containers: [{name: s, image: i}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: loader, namespace: ml}
data:
  loader.yaml: "endpoint: feature-store.data-services:8080\\n"
"""


def _job(name: str, container: str, meta: str = "") -> str:
    return (f"---\napiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {{name: {name}, namespace: ml{meta}}}\n"
            f"spec:\n  pytorchReplicaSpecs:\n    Worker:\n      replicas: 2\n      template:\n"
            f"        spec:\n{container}")


CASES = {
    # name: (container/pod spec lines, metadata extra, expected reason, expected target ids or None)
    "fqdn-env": ("          containers: [{name: c, image: i, env: [{name: FS, value: "
                 "'http://feature-store.data-services.svc.cluster.local:8080/v1'}]}]\n", "",
                 "its env FS names feature-store.data-services.svc.cluster.local",
                 ["data-services/feature-store[Deployment]"]),
    "short-arg": ("          containers: [{name: c, image: i, args: ['--data=feature-store.data-services:8080']}]\n", "",
                  "its arguments name feature-store.data-services", ["data-services/feature-store[Deployment]"]),
    "same-namespace-url": ("          containers: [{name: c, image: i, command: [python, t.py, 'http://shards:9000']}]\n",
                           "", "its command names shards", ["ml/shard-cache[StatefulSet]"]),
    "headless-pod-name": ("          containers: [{name: c, image: i, env: [{name: C, value: "
                          "'shard-cache-0.shards.ml.svc:9000'}]}]\n", "",
                          "its env C names shard-cache-0.shards.ml.svc", ["ml/shard-cache[StatefulSet]"]),
    "mounted-config-map": ("          containers: [{name: c, image: i}]\n"
                           "          volumes: [{name: v, configMap: {name: loader}}]\n", "",
                           "its mounted ConfigMap loader key loader.yaml names feature-store.data-services",
                           ["data-services/feature-store[Deployment]"]),
    "annotation": ("          containers: [{name: c, image: i}]\n",
                   ", annotations: {policylint.io/needs: 'object-storage, data-service'}",
                   "policylint.io/needs: object-storage, data-service on PyTorchJob ml/annotation", None),
}
NOT_NEEDED = {
    # a bare name that is not clearly a host: a word in an argument
    "bare-word": "          containers: [{name: c, image: i, args: ['--model', shards]}]\n",
    # a bare name from another namespace does not resolve there
    "bare-other-namespace": "          containers: [{name: c, image: i, args: ['http://feature-store:8080']}]\n",
    # a longer name that only starts like the Service's
    "longer-name": "          containers: [{name: c, image: i, env: [{name: X, value: 'feature-store.data-services-old.svc'}]}]\n",
    "nothing": "          containers: [{name: c, image: i}]\n",
}


def _intent(tmp_path: Path, text: str, config_text: str | None = None):
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    config_path = None
    if config_text is not None:
        config_path = tmp_path / ".policylint.yaml"
        config_path.write_text(config_text, encoding="utf-8")
    config = load_config(config_path)
    _, cluster = load_and_model([str(tmp_path / "m.yaml")], config)
    return resolve(cluster, ClusterFacts(), intent_config(config))


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_job_that_names_the_data_service_needs_it(tmp_path: Path, name: str) -> None:
    container, meta, reason, targets = CASES[name]
    intent = _intent(tmp_path, DATA + _job(name, container, meta))
    [job] = intent.jobs
    need = intent.need(job, "data-service")
    assert need is not None and need.reason == reason
    assert (None if need.targets is None else [w.id for w in need.targets]) == targets


@pytest.mark.parametrize("name", sorted(NOT_NEEDED))
def test_a_job_that_does_not_name_it_does_not_need_it(tmp_path: Path, name: str) -> None:
    intent = _intent(tmp_path, DATA + _job(name, NOT_NEEDED[name]))
    [job] = intent.jobs
    assert intent.need(job, "data-service") is None


def test_the_config_says_which_jobs_need_a_role(tmp_path: Path) -> None:
    text = DATA + _job("plain", NOT_NEEDED["nothing"])
    intent = _intent(tmp_path, text, "roles:\n  data-service:\n    extend: true\n    needed-by: [training]\n")
    need = intent.need(intent.jobs[0], "data-service")
    assert need is not None and need.reason.startswith("config role data-service is needed-by training (")
    assert need.reason.endswith(".policylint.yaml:2)") and need.targets is None
    intent = _intent(tmp_path, text, "expectations:\n  - name: reads features\n    from: training\n"
                                     "    to: data-service\n    ports: [8080]\n")
    need = intent.need(intent.jobs[0], "data-service")
    assert need is not None and need.reason.startswith("expectation 'reads features' (")
    intent = _intent(tmp_path, text, "expectations:\n  - name: never\n    from: training\n"
                                     "    to: data-service\n    allow: false\n")
    assert intent.need(intent.jobs[0], "data-service") is None


@pytest.mark.parametrize(("value", "expected"), [
    ("s3://bucket/prefix", "its env V names s3://bucket/prefix"),
    ("https://my-bucket.s3.eu-west-1.amazonaws.com/x", "its env V names my-bucket.s3.eu-west-1.amazonaws.com"),
    ("gs://bucket", "its env V names gs://bucket"),
    ("https://acct.blob.core.windows.net/c", "its env V names acct.blob.core.windows.net"),
    ("/data/imagenet", None),
    ("https://huggingface.co/bert-base", None),
])
def test_object_store_references(value: str, expected: str | None) -> None:
    from policylint.intent.dependencies import Text
    assert storage_reference([Text(value, "env V", True)]) == expected
    assert storage_reference([Text("", "env AWS_ENDPOINT_URL", True)]) == "its env AWS_ENDPOINT_URL is set"


SERVICE = """\
---
apiVersion: v1
kind: Service
metadata: {name: features, namespace: data-services}
spec:
  selector: {app: feature-store}
  ports: [{name: http, port: 80, targetPort: 8080}]
"""


def test_a_service_name_resolves_to_its_pods_and_target_port(tmp_path: Path) -> None:
    # `features` is only the Service's name (the Deployment is `feature-store`); its port 80 lands
    # on the pods' 8080, so that is the port the job needs.
    container = "          containers: [{name: c, image: i, args: ['https://features.data-services.svc:80/x']}]\n"
    intent = _intent(tmp_path, DATA + SERVICE + _job("svc", container))
    need = intent.need(intent.jobs[0], "data-service")
    assert need is not None and [w.id for w in need.targets] == ["data-services/feature-store[Deployment]"]
    assert need.ports == (("data-services/feature-store[Deployment]", "TCP", 8080),)
    assert need.reason == ("its arguments name features.data-services.svc, port 80 of Service features, which "
                           "forwards to pod port 8080")
    # a port the Service does not have says nothing about the pod port
    container = "          containers: [{name: c, image: i, args: ['features.data-services:9999']}]\n"
    intent = _intent(tmp_path, DATA + SERVICE + _job("svc", container))
    need = intent.need(intent.jobs[0], "data-service")
    assert need is not None and need.ports is None and need.reason == "its arguments name features.data-services"
