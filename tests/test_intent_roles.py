"""Roles, training jobs and what each framework needs, on manifests of every job kind; and the
`policylint roles` command. Expected values are read off the manifests by hand."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policylint.analysis import load_and_model
from policylint.cli.main import cli
from policylint.config import Config, load_config
from policylint.intent.context import intent_config, resolve
from policylint.intent.frameworks import ephemeral_port_range, launcher_port
from policylint.rule_api import ClusterFacts

ROOT = Path(__file__).resolve().parent.parent

KINDS = """\
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: bert, namespace: ml}
spec:
  pytorchReplicaSpecs:
    Master: {replicas: 1, template: {spec: {containers: [{name: c, image: i}]}}}
    Worker: {replicas: 3, template: {spec: {containers: [{name: c, image: i}]}}}
---
apiVersion: kubeflow.org/v1
kind: TFJob
metadata: {name: wide, namespace: ml}
spec:
  tfReplicaSpecs:
    Chief: {replicas: 1, template: {spec: {containers: [{name: c, image: i}]}}}
    PS: {replicas: 2, template: {spec: {containers: [{name: c, image: i}]}}}
    Evaluator: {replicas: 1, template: {spec: {containers: [{name: c, image: i}]}}}
---
apiVersion: kubeflow.org/v1
kind: JAXJob
metadata: {name: jax, namespace: ml}
spec:
  jaxReplicaSpecs:
    Worker: {replicas: 4, template: {spec: {containers: [{name: c, image: i}]}}}
---
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata: {name: mpi, namespace: ml}
spec:
  mpiReplicaSpecs:
    Launcher: {replicas: 1, template: {spec: {containers: [{name: c, image: i}]}}}
    Worker: {replicas: 2, template: {spec: {containers: [{name: c, image: i}]}}}
---
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: sft, namespace: ml}
spec:
  replicatedJobs:
    - name: launcher
      template: {spec: {template: {spec: {containers: [{name: c, image: i, command: [mpirun, -n, "8", train]}]}}}}
    - name: node
      replicas: 2
      template:
        spec:
          template:
            spec:
              containers:
                - name: c
                  image: i
                  ports: [{name: ssh, containerPort: 2222}]
---
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: torch, namespace: ml}
spec:
  replicatedJobs:
    - name: node
      replicas: 4
      template:
        spec:
          template:
            spec:
              containers:
                - {name: c, image: i, command: [sh, -c, "torchrun --rdzv-backend=c10d --rdzv-endpoint=$(MASTER):29444 t.py"]}
---
apiVersion: ray.io/v1
kind: RayJob
metadata: {name: tune, namespace: ml}
spec:
  rayClusterSpec:
    headGroupSpec: {template: {spec: {containers: [{name: c, image: i}]}}}
    workerGroupSpecs:
      - {groupName: gpu, replicas: 2, template: {spec: {containers: [{name: c, image: i}]}}}
  submitterPodTemplate: {spec: {containers: [{name: c, image: i}]}}
---
apiVersion: batch.volcano.sh/v1alpha1
kind: Job
metadata: {name: vj, namespace: ml}
spec:
  plugins:
    pytorch: ["--master=main", "--worker=worker", "--port=23457"]
  tasks:
    - {name: main, replicas: 1, template: {spec: {containers: [{name: c, image: i}]}}}
    - {name: worker, replicas: 2, template: {spec: {containers: [{name: c, image: i}]}}}
---
apiVersion: leaderworkerset.x-k8s.io/v1
kind: LeaderWorkerSet
metadata: {name: lws, namespace: ml}
spec:
  replicas: 1
  leaderWorkerTemplate:
    size: 2
    workerTemplate:
      spec:
        containers: [{name: c, image: i, env: [{name: MASTER_PORT, value: "6000"}]}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: trainer, namespace: ml}
spec:
  replicas: 2
  template:
    metadata: {labels: {role: ml-training-pod}}
    spec:
      securityContext:
        sysctls: [{name: net.ipv4.ip_local_port_range, value: "40000 40999"}]
      containers: [{name: c, image: i, args: ["--master_port", "29511"]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: feature-store, namespace: data}
spec:
  template:
    metadata: {labels: {role: data-service-pod, app: fs}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i}]}
"""


def _intent(tmp_path: Path, text: str = KINDS, config_text: str | None = None, facts: ClusterFacts | None = None):
    manifest = tmp_path / "kinds.yaml"
    manifest.write_text(text, encoding="utf-8")
    config = Config()
    if config_text is not None:
        path = tmp_path / ".policylint.yaml"
        path.write_text(config_text, encoding="utf-8")
        config = load_config(path)
    _, cluster = load_and_model([str(manifest)], config)
    return resolve(cluster, facts or config.facts, intent_config(config))


def test_builtin_roles_recognise_every_job_kind_and_the_conventions(tmp_path: Path) -> None:
    intent = _intent(tmp_path)
    ids = lambda role: [w.id for w in intent.roles.members(role)]  # noqa: E731
    assert ids("training") == [
        "ml/bert[PyTorchJob/Master]", "ml/bert[PyTorchJob/Worker]",
        "ml/jax[JAXJob/Worker]",
        "ml/lws[LeaderWorkerSet/leader]", "ml/lws[LeaderWorkerSet/worker]",
        "ml/mpi[MPIJob/Launcher]", "ml/mpi[MPIJob/Worker]",
        "ml/sft[JobSet/launcher]", "ml/sft[JobSet/node]",
        "ml/torch[JobSet/node]",
        "ml/trainer[StatefulSet]",
        "ml/tune[RayJob/gpu]", "ml/tune[RayJob/head]",  # not the submitter: it is a client
        "ml/vj[VolcanoJob/main]", "ml/vj[VolcanoJob/worker]",
        "ml/wide[TFJob/Chief]", "ml/wide[TFJob/Evaluator]", "ml/wide[TFJob/PS]",
    ]
    assert ids("data-service") == ["data/feature-store[Deployment]"]
    assert ids("dns") == ["kube-system/coredns[Deployment]"]
    why = {m.workload.id: m.why for w in intent.roles.members("training") for m in intent.roles.memberships(w)}
    assert why["ml/trainer[StatefulSet]"] == "label role=ml-training-pod (seed convention)"
    assert why["ml/bert[PyTorchJob/Master]"] == "label training.kubeflow.org/job-name=bert (Kubeflow training job)"
    assert why["ml/tune[RayJob/head]"] == "label ray.io/is-ray-node=yes (KubeRay cluster node)"
    assert why["ml/vj[VolcanoJob/main]"] == "label volcano.sh/job-name=vj (Volcano job)"


def test_jobs_group_replicas_and_know_their_rendezvous_and_ssh(tmp_path: Path) -> None:
    intent = _intent(tmp_path)
    jobs = {job.label: job for job in intent.jobs}
    assert sorted(jobs) == [
        "JAXJob ml/jax", "JobSet ml/sft", "JobSet ml/torch", "LeaderWorkerSet ml/lws", "MPIJob ml/mpi",
        "PyTorchJob ml/bert", "RayJob ml/tune", "StatefulSet ml/trainer", "TFJob ml/wide", "VolcanoJob ml/vj",
    ]
    roles = {label: [(r.workload.group or r.workload.kind, r.role) for r in job.replicas] for label, job in jobs.items()}
    assert roles["TFJob ml/wide"] == [("Chief", "master"), ("Evaluator", "evaluator"), ("PS", "ps")]
    assert roles["MPIJob ml/mpi"] == [("Launcher", "launcher"), ("Worker", "worker")]
    assert roles["JobSet ml/sft"] == [("launcher", "launcher"), ("node", "worker")]
    assert roles["RayJob ml/tune"] == [("gpu", "worker"), ("head", "head")]
    assert roles["VolcanoJob ml/vj"] == [("main", "master"), ("worker", "worker")]
    assert [w.group for w in jobs["TFJob ml/wide"].mesh] == ["Chief", "PS"]  # the evaluator is outside

    def rendezvous(label: str):
        r = jobs[label].rendezvous
        return None if r is None else ([t.group or t.kind for t in r.targets], r.protocol, r.port, r.origin)

    assert rendezvous("PyTorchJob ml/bert") == (["Master"], "TCP", 23456, "container port pytorchjob-port (PyTorchJob)")
    assert rendezvous("TFJob ml/wide") == (["Chief"], "TCP", 2222, "container port tfjob-port (TFJob)")
    assert rendezvous("JAXJob ml/jax") == (["Worker"], "TCP", 6666, "container port jaxjob-port (JAXJob)")
    assert rendezvous("RayJob ml/tune") == (["head"], "TCP", 6379, "Ray GCS port gcs-server on the head")
    assert rendezvous("VolcanoJob ml/vj") == (["main"], "TCP", 23457, "Volcano pytorch plugin port")
    assert rendezvous("LeaderWorkerSet ml/lws") == (["leader"], "TCP", 6000, "env MASTER_PORT=6000")
    assert rendezvous("JobSet ml/torch") == (["node"], "TCP", 29444, "argument --rdzv-endpoint …:29444")
    assert rendezvous("StatefulSet ml/trainer") == (["StatefulSet"], "TCP", 29511, "argument --master-port 29511")
    assert rendezvous("MPIJob ml/mpi") is None  # v2beta1: no operator port; the launcher uses ssh
    assert rendezvous("JobSet ml/sft") is None

    mpi, sft = jobs["MPIJob ml/mpi"].ssh, jobs["JobSet ml/sft"].ssh
    # nothing in the MPIJob says where sshd listens: OpenSSH's 22 is assumed, and said so
    assert (mpi.ports, mpi.assumed) == ((22,), True)
    assert mpi.origin.startswith("assumed 22, OpenSSH's default; declare it with a worker container port named ssh")
    assert (sft.ports, sft.origin) == ((2222,), "worker container port ssh")
    assert jobs["PyTorchJob ml/bert"].ssh is None
    assert ephemeral_port_range(jobs["StatefulSet ml/trainer"].replicas[0].workload) == (40000, 40999)
    assert ephemeral_port_range(jobs["PyTorchJob ml/bert"].replicas[0].workload) is None


@pytest.mark.parametrize(("command", "port"), [
    (["torchrun", "--nnodes=2", "train.py"], (29500, "torchrun default --master-port 29500")),
    (["python", "-m", "torch.distributed.run", "--rdzv_backend", "c10d", "t.py"],
     (29400, "c10d rendezvous default port 29400")),
    (["deepspeed", "--master_port=29600", "t.py"], (29600, "argument --master-port 29600")),
    (["python", "train.py"], None),
])
def test_launcher_port_reads_commands(tmp_path: Path, command: list[str], port) -> None:
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ml, labels: {role: ml-training-pod}}\n"
            f"spec: {{containers: [{{name: c, image: i, command: {json.dumps(command)}}}]}}\n")
    intent = _intent(tmp_path, text)
    assert launcher_port(intent.training()[0]) == port


def test_config_roles_replace_extend_and_add(tmp_path: Path) -> None:
    config = """\
roles:
  data-service:
    namespace: data
    podSelector: {matchLabels: {app: fs}}
  training:
    extend: true
    namespace: shop
  dns:
    namespace: kube-system
  storefront:
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
"""
    intent = _intent(tmp_path, config_text=config)
    table = intent.roles
    assert [w.id for w in table.members("data-service")] == ["data/feature-store[Deployment]"]
    assert table.roles["data-service"].origin == f"config {tmp_path / '.policylint.yaml'}:2"
    assert "ml/bert[PyTorchJob/Master]" in [w.id for w in table.members("training")]  # built-in kept
    assert "shop/web[Deployment]" in [w.id for w in table.members("training")]  # and extended
    assert table.roles["training"].origin == f"built-in, extended by config {tmp_path / '.policylint.yaml'}:5"
    assert [w.id for w in table.members("storefront")] == ["shop/web[Deployment]"]
    web = next(w for w in table.members("storefront"))
    assert [(m.role, m.why) for m in table.memberships(web)] == [
        ("storefront", f"namespace shop (config {tmp_path / '.policylint.yaml'}:10)"),
        ("training", f"namespace shop (config {tmp_path / '.policylint.yaml'}:5)"),
    ]


def test_dns_role_follows_the_cluster_facts(tmp_path: Path) -> None:
    facts = ClusterFacts(dns_namespace_labels=(("kubernetes.io/metadata.name", "shop"),), dns_pod_labels=(("app", "web"),))
    intent = _intent(tmp_path, facts=facts)
    assert [w.id for w in intent.roles.members("dns")] == ["shop/web[Deployment]"]


def test_roles_command_text_and_json_on_the_example() -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["roles", str(ROOT / "fixtures/examples")])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0] == "data-service (built-in): the data service that training pods read from"
    assert lines[1].split() == ["data-services/feature-store[Deployment]", "label", "role=data-service-pod", "(seed",
                                "convention)"]
    assert "  PyTorchJob ml-workloads/bert-pretrain: ml-workloads/bert-pretrain[PyTorchJob/Master] master, 1 pod; " \
           "ml-workloads/bert-pretrain[PyTorchJob/Worker] worker, 3 pods" in lines
    data = json.loads(runner.invoke(cli, ["roles", "-f", "json", "--all", str(ROOT / "fixtures/examples")]).output)
    assert data["schema"] == "policylint.roles/v1"
    training = next(r for r in data["roles"] if r["role"] == "training")
    assert training["workloads"][1] == {
        "workload": "ml-workloads/bert-pretrain[PyTorchJob/Worker]",
        "why": "label role=ml-training-pod (seed convention)",
        "job": "PyTorchJob ml-workloads/bert-pretrain",
        "replica": "worker",
    }
    assert data["jobs"][0]["rendezvous"] == {
        "targets": ["ml-workloads/bert-pretrain[PyTorchJob/Master]"],
        "port": "TCP/23456",
        "origin": "container port pytorchjob-port (PyTorchJob)",
    }
    assert data["without_role"] == []
