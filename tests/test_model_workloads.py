"""Every workload kind: the pod groups, labels (template + controller), ports and replicas.

Expected values come from the fixture by hand and from the controllers' behaviour tabulated in
the research notes (Kubeflow lower-cases the replica type; PyTorchJob adds `pytorchjob-port`
23456 only when the template has no port of that name; KubeRay adds head ports; …).
"""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from policylint.load import load_paths
from policylint.model import build_cluster

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "model" / "workloads.yaml"
KF = "training.kubeflow.org/"
RAY_COMMON = {"app.kubernetes.io/created-by": "kuberay-operator", "app.kubernetes.io/name": "kuberay",
              "ray.io/is-ray-node": "yes"}


@pytest.fixture(scope="module")
def workloads():
    loaded = load_paths([str(FIXTURE)])
    cluster = build_cluster(loaded.objects)
    assert loaded.problems == [] and cluster.issues == [] and cluster.unknown_kinds == {}
    return {w.id: w for w in cluster.workloads}


def ports(workload):
    return {(p.name, p.port, p.protocol) for p in workload.ports}


EXPECTED = {
    # id: (replicas, labels, ports, template line)
    "apps/client": (1, {"app": "client"}, {("http", 8080, "TCP"), (None, 53, "UDP")}, 2),
    "apps/web[Deployment]": (3, {"app": "web"}, {("http", 80, "TCP")}, 19),
    "apps/db[StatefulSet]": (2, {"app": "db"}, {("pg", 5432, "TCP"), ("metrics", 9090, "TCP")}, 29),
    "kube-system/agent[DaemonSet]": (1, {"app": "agent"}, set(), 41),
    "apps/rs[ReplicaSet]": (2, {"app": "rs"}, set(), 50),
    "apps/rc[ReplicationController]": (1, {"app": "rc"}, set(), 58),
    "apps/migrate[Job]": (4, {"app": "migrate", "job-name": "migrate", "batch.kubernetes.io/job-name": "migrate"}, set(), 67),
    "apps/nightly[CronJob]": (1, {"app": "nightly"}, set(), 78),
    "apps/tmpl[PodTemplate]": (1, {"app": "tmpl"}, set(), 85),
    "ml/bert[PyTorchJob/Master]": (1, {"role": "ml-training-pod", KF + "job-name": "bert", KF + "job-role": "master",
                                       KF + "operator-name": "pytorchjob-controller", KF + "replica-type": "master"},
                                   {("pytorchjob-port", 23456, "TCP")}, 96),
    # The worker declares its own pytorchjob-port, so the operator's default is not added.
    "ml/bert[PyTorchJob/Worker]": (3, {"role": "ml-training-pod", KF + "job-name": "bert",
                                       KF + "operator-name": "pytorchjob-controller", KF + "replica-type": "worker"},
                                   {("pytorchjob-port", 29500, "TCP")}, 101),
    "ml/tf[TFJob/PS]": (2, {KF + "job-name": "tf", KF + "operator-name": "tfjob-controller", KF + "replica-type": "ps"},
                        {("tfjob-port", 2222, "TCP")}, 109),
    "ml/tf[TFJob/Chief]": (1, {KF + "job-name": "tf", KF + "job-role": "master", KF + "operator-name": "tfjob-controller",
                               KF + "replica-type": "chief"}, {("tfjob-port", 2222, "TCP")}, 110),
    "ml/pi[MPIJob/Launcher]": (1, {KF + "job-name": "pi", KF + "job-role": "launcher", KF + "operator-name": "mpi-operator"},
                               set(), 117),
    "ml/pi[MPIJob/Worker]": (2, {KF + "job-name": "pi", KF + "job-role": "worker", KF + "operator-name": "mpi-operator"},
                             {("ssh", 2222, "TCP")}, 118),
    "ml/xgb[XGBoostJob/Master]": (1, {KF + "job-name": "xgb", KF + "job-role": "master",
                                      KF + "operator-name": "xgboostjob-controller", KF + "replica-type": "master"},
                                  {("xgboostjob-port", 9999, "TCP")}, 125),
    "ml/paddle[PaddleJob/Worker]": (2, {KF + "job-name": "paddle", KF + "operator-name": "paddlejob-controller",
                                        KF + "replica-type": "worker"}, {("master", 36543, "TCP")}, 132),
    "ml/jax[JAXJob/Worker]": (2, {KF + "job-name": "jax", KF + "operator-name": "jaxjob-controller",
                                  KF + "replica-type": "worker"}, {("jaxjob-port", 6666, "TCP")}, 139),
    "ml/js[JobSet/workers]": (8, {"app": "js", "jobset.sigs.k8s.io/jobset-name": "js",
                                  "jobset.sigs.k8s.io/replicatedjob-name": "workers"}, set(), 152),
    # The head declares gcs-server itself (6380), so only the other default head ports are added.
    "ml/ray[RayCluster/head]": (1, {**RAY_COMMON, "ray.io/cluster": "ray", "ray.io/group": "headgroup", "ray.io/node-type": "head"},
                                {("gcs-server", 6380, "TCP"), ("dashboard", 8265, "TCP"), ("client", 10001, "TCP")}, 160),
    "ml/ray[RayCluster/gpu]": (4, {**RAY_COMMON, "ray.io/cluster": "ray", "ray.io/group": "gpu", "ray.io/node-type": "worker"},
                               set(), 164),
    # A RayJob's cluster name is generated at run time, so ray.io/cluster is not known.
    "ml/rj[RayJob/head]": (1, {**RAY_COMMON, "ray.io/group": "headgroup", "ray.io/node-type": "head",
                               "ray.io/originated-from-cr-name": "rj", "ray.io/originated-from-crd": "RayJob"},
                           {("gcs-server", 6379, "TCP"), ("dashboard", 8265, "TCP"), ("client", 10001, "TCP")}, 171),
    "ml/rj[RayJob/submitter]": (1, {"ray.io/originated-from-cr-name": "rj", "ray.io/originated-from-crd": "RayJob"}, set(), 172),
    "ml/rs[RayService/head]": (1, {**RAY_COMMON, "ray.io/group": "headgroup", "ray.io/node-type": "head",
                                   "ray.io/originated-from-cr-name": "rs", "ray.io/originated-from-crd": "RayService"},
                               {("gcs-server", 6379, "TCP"), ("dashboard", 8265, "TCP"), ("client", 10001, "TCP")}, 179),
    "ml/vj[VolcanoJob/trainer]": (2, {"volcano.sh/job-name": "vj", "volcano.sh/job-namespace": "ml",
                                      "volcano.sh/queue-name": "research", "volcano.sh/task-spec": "trainer"}, set(), 189),
    # Without a leaderTemplate the leader runs the worker template: 2 groups x (1 leader + 3 workers).
    "ml/lws[LeaderWorkerSet/leader]": (2, {"app": "lws", "leaderworkerset.sigs.k8s.io/name": "lws"}, set(), 199),
    "ml/lws[LeaderWorkerSet/worker]": (6, {"app": "lws", "leaderworkerset.sigs.k8s.io/name": "lws"}, set(), 199),
}


def test_exactly_the_expected_pod_groups(workloads):
    assert sorted(workloads) == sorted(EXPECTED)


@pytest.mark.parametrize("workload_id", sorted(EXPECTED))
def test_pod_group(workloads, workload_id):
    replicas, labels, expected_ports, line = EXPECTED[workload_id]
    workload = workloads[workload_id]
    assert workload.replicas == replicas
    assert dict(workload.labels) == labels
    assert ports(workload) == expected_ports
    assert workload.source.span.line == line


def test_pod_details(workloads):
    assert workloads["kube-system/agent[DaemonSet]"].host_network is True
    assert workloads["apps/web[Deployment]"].host_network is False
    assert workloads["apps/client"].pod_ips == (ipaddress.ip_address("10.1.0.7"), ipaddress.ip_address("fd00::7"))
    assert workloads["apps/web[Deployment]"].pod_ips == ()
