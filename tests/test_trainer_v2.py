"""Kubeflow Trainer v2: TrainJob pods from their runtimes, as the Trainer controller builds them.

Expected values are read by hand from `fixtures/model/trainer/` and from kubeflow/trainer's
sources: the JobSet is named after the TrainJob (pod labels `jobset.sigs.k8s.io/jobset-name`,
`…/replicatedjob-name`), the trainer-ancestor job runs `numNodes` pods (TrainJob over runtime), its
`node` container takes the TrainJob's image/command/args/env, the torch plugin adds
`PET_MASTER_PORT=29500` and container port 29500, MPI with `runLauncherAsNode` runs numNodes - 1
`node` pods and one launcher.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from policylint.cli.main import cli
from policylint.intent.frameworks import build_jobs
from policylint.load import load_paths
from policylint.model import build_cluster
from policylint.model.types import ContainerPort

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "model" / "trainer"
JS = "jobset.sigs.k8s.io/"


def _cluster(*paths: Path):
    loaded = load_paths([str(p) for p in paths])
    assert loaded.problems == []
    return build_cluster(loaded.objects)


def test_trainjob_pods_come_from_the_runtime_with_the_controllers_labels_and_counts() -> None:
    cluster = _cluster(FIXTURE)
    assert cluster.issues == [] and cluster.unused == []
    found = {w.id: w for w in cluster.workloads}
    assert sorted(found) == [
        "team-a/mnist[TrainJob/dataset-initializer]", "team-a/mnist[TrainJob/node]",
        "team-a/t5[TrainJob/launcher]", "team-a/t5[TrainJob/node]",
        "team-b/bare[TrainJob/dataset-initializer]", "team-b/bare[TrainJob/node]",
    ]
    node = found["team-a/mnist[TrainJob/node]"]
    assert node.replicas == 4  # the TrainJob's numNodes, not the runtime's 1
    assert dict(node.labels) == {f"{JS}jobset-name": "mnist", f"{JS}replicatedjob-name": "node", "team": "vision"}
    assert node.ports == (ContainerPort(None, 29500, "TCP"),)
    # the pod template is the runtime's (runtimes.yaml line 38), the object the TrainJob (jobs.yaml line 1)
    assert Path(node.source.span.path).name == "runtimes.yaml" and node.source.span.line == 38
    assert node.source.field_path == "spec.template.spec.replicatedJobs[1].template.spec.template"
    assert Path(node.object_source.span.path).name == "jobs.yaml" and node.object_source.span.line == 1
    assert node.template_source is not None and node.template_source.span.line == 4
    assert node.template_source.object == "ClusterTrainingRuntime torch-distributed"
    assert found["team-a/mnist[TrainJob/dataset-initializer]"].replicas == 1
    assert found["team-a/mnist[TrainJob/dataset-initializer]"].ports == ()
    # MPI with runLauncherAsNode: 3 nodes are the launcher and 2 `node` pods
    assert found["team-a/t5[TrainJob/node]"].replicas == 2
    assert found["team-a/t5[TrainJob/launcher]"].replicas == 1
    # no `trainer` section: the runtime's numNodes, and the torch plugin adds nothing
    assert found["team-b/bare[TrainJob/node]"].replicas == 1
    assert found["team-b/bare[TrainJob/node]"].ports == ()


def test_the_trainjob_overrides_the_node_container_and_keeps_its_positions() -> None:
    cluster = _cluster(FIXTURE)
    node = next(w for w in cluster.workloads if w.id == "team-a/mnist[TrainJob/node]")
    container = node.source.node["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/example-org/mnist:1.2"
    assert list(container["command"]) == ["torchrun", "/workspace/train.py"]
    assert Path(container.span_of_value("command").path).name == "jobs.yaml"
    assert container.span_of_value("command").line == 13  # the block sequence's first item
    env = {e["name"]: e["value"] for e in container["env"]}
    # the TrainJob's NCCL_DEBUG replaces the runtime's in place; PET_MASTER_PORT comes last
    assert list(env) == ["NCCL_DEBUG", "EPOCHS", "PET_MASTER_PORT"]
    assert env == {"NCCL_DEBUG": "INFO", "EPOCHS": "3", "PET_MASTER_PORT": "29500"}
    # the loader's maps of the runtime are left as they were: another TrainJob shares them
    runtime_container = next(w for w in cluster.workloads if w.id == "team-b/bare[TrainJob/node]").source.node
    plain = runtime_container["spec"]["containers"][0]
    assert plain["image"] == "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime" and "ports" not in plain
    assert [e["name"] for e in plain["env"]] == ["NCCL_DEBUG"]


def test_jobs_know_the_replica_roles_rendezvous_and_ssh() -> None:
    cluster = _cluster(FIXTURE)
    jobs = {j.name: j for j in build_jobs(cluster.workloads, cluster.config_maps)}
    mnist = jobs["mnist"]
    assert mnist.kind == "TrainJob"
    assert {r.workload.group: r.role for r in mnist.replicas} == {"dataset-initializer": "initializer", "node": "worker"}
    assert [w.group for w in mnist.mesh] == ["node"]
    assert mnist.rendezvous is not None
    assert (mnist.rendezvous.protocol, mnist.rendezvous.port) == ("TCP", 29500)
    assert [w.group for w in mnist.rendezvous.targets] == ["node"]
    t5 = jobs["t5"]
    assert {r.workload.group: r.role for r in t5.replicas} == {"launcher": "launcher", "node": "worker"}
    assert t5.rendezvous is None
    assert t5.ssh is not None and t5.ssh.ports == (2222,) and not t5.ssh.assumed
    assert jobs["bare"].rendezvous is None  # no PET_MASTER_PORT without a trainer section


def test_a_missing_runtime_is_an_issue_and_no_pod_is_invented(tmp_path: Path) -> None:
    (tmp_path / "job.yaml").write_text((FIXTURE / "jobs.yaml").read_text())
    cluster = _cluster(tmp_path)
    assert cluster.workloads == []
    assert [(i.kind, i.span.line, i.field_path) for i in cluster.issues] == [
        ("trainjob-runtime-missing", 8, "spec.runtimeRef.name"),
        ("trainjob-runtime-missing", 30, "spec.runtimeRef.name"),
        ("trainjob-runtime-missing", 49, "spec.runtimeRef.name"),
    ]
    assert sorted(u.object for u in cluster.unused) == ["TrainJob team-a/mnist", "TrainJob team-a/t5", "TrainJob team-b/bare"]


def test_a_training_runtime_is_namespaced(tmp_path: Path) -> None:
    runtime = (FIXTURE / "runtimes.yaml").read_text().split("---")[0]
    runtime = runtime.replace("kind: ClusterTrainingRuntime", "kind: TrainingRuntime").replace(
        "  name: torch-distributed\n", "  name: torch-distributed\n  namespace: team-a\n")
    (tmp_path / "runtime.yaml").write_text(runtime)
    (tmp_path / "jobs.yaml").write_text(
        "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata:\n  name: a\n  namespace: team-a\n"
        "spec:\n  runtimeRef:\n    kind: TrainingRuntime\n    name: torch-distributed\n---\n"
        "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata:\n  name: b\n  namespace: team-b\n"
        "spec:\n  runtimeRef:\n    kind: TrainingRuntime\n    name: torch-distributed\n---\n"
        "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata:\n  name: c\n  namespace: team-a\n"
        "spec:\n  runtimeRef:\n    name: torch-distributed\n")
    cluster = _cluster(tmp_path)
    assert sorted({w.name for w in cluster.workloads}) == ["a"]
    assert [(i.object, i.message.split(":")[0]) for i in cluster.issues] == [
        ("TrainJob team-b/b", "TrainingRuntime 'torch-distributed' is not in namespace team-b"),
        ("TrainJob team-a/c", "ClusterTrainingRuntime 'torch-distributed' is not in the input"),
    ]


def test_roles_lists_the_trainjob_its_replica_roles_and_rendezvous_port() -> None:
    result = CliRunner().invoke(cli, ["roles", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert ("  TrainJob team-a/mnist: team-a/mnist[TrainJob/dataset-initializer] initializer, 1 pod; "
            "team-a/mnist[TrainJob/node] worker, 4 pods") in lines
    assert ("    rendezvous TCP/29500 on team-a/mnist[TrainJob/node] (PET_MASTER_PORT=29500, set by Kubeflow "
            "Trainer's torch plugin)") in lines
    assert "    ssh TCP/2222 from team-a/t5[TrainJob/launcher] (worker sshd's tcpSocket probe port 2222)" in lines


def test_paddlejob_without_master_rendezvouses_on_worker_zero(tmp_path: Path) -> None:
    (tmp_path / "paddle.yaml").write_text(
        "apiVersion: kubeflow.org/v1\nkind: PaddleJob\nmetadata:\n  name: p\n  namespace: ml\nspec:\n"
        "  paddleReplicaSpecs:\n    Worker:\n      replicas: 2\n      template:\n        spec:\n"
        "          containers:\n            - name: paddle\n              image: paddle:2.4\n")
    cluster = _cluster(tmp_path)
    (job,) = build_jobs(cluster.workloads)
    assert job.rendezvous is not None
    assert (job.rendezvous.port, [w.group for w in job.rendezvous.targets]) == (36543, ["Worker"])


def test_mxjob_rendezvous_is_the_schedulers_port(tmp_path: Path) -> None:
    (tmp_path / "mx.yaml").write_text(
        "apiVersion: kubeflow.org/v1\nkind: MXJob\nmetadata:\n  name: m\n  namespace: ml\nspec:\n"
        "  mxReplicaSpecs:\n    Scheduler:\n      replicas: 1\n      template:\n        spec:\n"
        "          containers:\n            - name: mxnet\n              image: mxjob/mxnet:gpu\n"
        "    Worker:\n      replicas: 2\n      template:\n        spec:\n"
        "          containers:\n            - name: mxnet\n              image: mxjob/mxnet:gpu\n")
    cluster = _cluster(tmp_path)
    (job,) = build_jobs(cluster.workloads)
    assert job.rendezvous is not None
    assert (job.rendezvous.port, [w.group for w in job.rendezvous.targets]) == (9091, ["Scheduler"])


def test_initializers_get_the_trainjobs_storage_uri(tmp_path: Path) -> None:
    runtime = (FIXTURE / "runtimes.yaml").read_text().split("---")[0]
    (tmp_path / "runtime.yaml").write_text(runtime)
    (tmp_path / "job.yaml").write_text(
        "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata:\n  name: a\n  namespace: team-a\n"
        "spec:\n  runtimeRef:\n    name: torch-distributed\n  initializer:\n    dataset:\n"
        "      storageUri: s3://datasets/alpaca\n      env:\n        - name: AWS_REGION\n          value: eu-west-1\n")
    cluster = _cluster(tmp_path)
    init = next(w for w in cluster.workloads if w.group == "dataset-initializer")
    assert init.replicas == 1
    container = init.source.node["spec"]["containers"][0]
    assert [(e["name"], e["value"]) for e in container["env"]] == [("STORAGE_URI", "s3://datasets/alpaca"),
                                                                  ("AWS_REGION", "eu-west-1")]
    assert Path(container["env"].span_of_item(0).path).name == "job.yaml"
    assert container["env"].span_of_item(0).line == 11


@pytest.mark.parametrize(("framework", "variable", "value"), [
    ("xgboost", "DMLC_TRACKER_PORT", "29500"),
    ("jax", "JAX_COORDINATOR_ADDRESS", "a-node-0-0.a:29500"),
])
def test_xgboost_and_jax_runtimes_coordinate_on_node_zero(tmp_path: Path, framework: str, variable: str,
                                                          value: str) -> None:
    runtime = (FIXTURE / "runtimes.yaml").read_text().split("---")[0].replace("torch: {}", f"{framework}: {{}}")
    (tmp_path / "runtime.yaml").write_text(runtime)
    (tmp_path / "job.yaml").write_text(
        "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata:\n  name: a\n  namespace: team-a\n"
        "spec:\n  runtimeRef:\n    name: torch-distributed\n  trainer:\n    numNodes: 2\n")
    cluster = _cluster(tmp_path)
    node = next(w for w in cluster.workloads if w.group == "node")
    env = {e["name"]: e["value"] for e in node.source.node["spec"]["containers"][0]["env"]}
    assert env[variable] == value and "PET_MASTER_PORT" not in env
    (job,) = build_jobs(cluster.workloads)
    assert job.rendezvous is not None and job.rendezvous.port == 29500
    assert f"Kubeflow Trainer's {framework} plugin" in job.rendezvous.origin


def test_runtime_patches_add_pod_labels(tmp_path: Path) -> None:
    (tmp_path / "runtime.yaml").write_text((FIXTURE / "runtimes.yaml").read_text().split("---")[0])
    (tmp_path / "job.yaml").write_text(
        "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata:\n  name: a\n  namespace: team-a\n"
        "spec:\n  runtimeRef:\n    name: torch-distributed\n  runtimePatches:\n    - manager: example.io/platform\n"
        "      trainingRuntimeSpec:\n        template:\n          metadata:\n            labels: {jobset-only: x}\n"
        "          spec:\n            replicatedJobs:\n              - name: node\n                template:\n"
        "                  spec:\n                    template:\n                      metadata:\n"
        "                        labels: {team: ml-platform}\n")
    cluster = _cluster(tmp_path)
    labels = {w.group: dict(w.labels) for w in cluster.workloads}
    assert labels["node"]["team"] == "ml-platform"  # the patch wins over the runtime's `vision`
    assert "jobset-only" not in labels["node"]  # template metadata labels go to the JobSet, not the pods
    assert "team" not in labels["dataset-initializer"]
