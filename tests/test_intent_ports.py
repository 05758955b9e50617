"""The ports a job's manifest configures: the sshd port the launcher uses (PL505) and the ports the
job's pods accept from each other (PL503). Expected values are read off each manifest by hand,
with the framework's documented defaults (docs/ml-frameworks.md)."""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.analysis import load_and_model
from policylint.config import load_config
from policylint.intent.context import intent_config, resolve
from policylint.intent.frameworks import peer_ports
from policylint.rule_api import ClusterFacts


def _jobs(tmp_path: Path, text: str) -> dict:
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    config = load_config(None)
    _, cluster = load_and_model([str(tmp_path / "m.yaml")], config)
    intent = resolve(cluster, ClusterFacts(), intent_config(config))
    return {job.name: job for job in intent.jobs}


def _mpijob(launcher: str = "", worker: str = "", meta: str = "", image: str = "ghcr.io/example-org/mpi:1") -> str:
    return f"""\
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata: {{name: j, namespace: ml{meta}}}
spec:
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      template:
        spec:
          containers:
            - name: l
              image: {image}
{launcher}    Worker:
      replicas: 2
      template:
        spec:
          containers:
            - name: w
              image: {image}
{worker}"""


SSH_CASES = {
    "rsh-args-env": (_mpijob(launcher="              env: [{name: OMPI_MCA_plm_rsh_args, value: '-p 2022'}]\n"),
                     2022, "launcher env OMPI_MCA_plm_rsh_args=-p 2022", False),
    "prrte-env-o-port": (_mpijob(launcher="              env: [{name: PRTE_MCA_plm_ssh_args, value: '-o Port=2200'}]\n"),
                         2200, "launcher env PRTE_MCA_plm_ssh_args=-o Port=2200", False),
    "mca-argument": (_mpijob(launcher="              command: [mpirun, --mca, plm_rsh_args, '-p 2023', -n, '4', a.out]\n"),
                     2023, 'launcher argument --mca plm_rsh_args "-p 2023"', False),
    "worker-sshd-p": (_mpijob(worker="              command: [/usr/sbin/sshd, -D, -p, '2224']\n"),
                      2224, "worker sshd -p 2224", False),
    "worker-port-named-ssh": (_mpijob(worker="              ports: [{name: ssh, containerPort: 2225}]\n"),
                              2225, "worker container port ssh", False),
    "annotation": (_mpijob(meta=", annotations: {policylint.io/ssh-port: '2026'}"), 2026,
                   "policylint.io/ssh-port: 2026", False),
    "mpi-operator-image": (_mpijob(image="mpioperator/mpi-pi:openmpi"), 2222, None, True),
    "nothing-said": (_mpijob(), 22, None, True),
}


@pytest.mark.parametrize("name", sorted(SSH_CASES))
def test_the_ssh_port_is_what_the_job_says(tmp_path: Path, name: str) -> None:
    text, port, origin, assumed = SSH_CASES[name]
    ssh = _jobs(tmp_path, text)["j"].ssh
    assert (ssh.ports, ssh.assumed) == ((port,), assumed)
    if origin is not None:
        assert ssh.origin == origin
    else:  # an assumption names the port and how to declare the real one
        assert ssh.origin.startswith(f"assumed {port}, ") and "policylint.io/ssh-port" in ssh.origin


def test_open_mpi_ports_follow_the_mca_parameters(tmp_path: Path) -> None:
    pinned = _mpijob(launcher="              env: [{name: OMPI_MCA_btl_tcp_port_min_v4, value: '30000'},"
                              " {name: OMPI_MCA_btl_tcp_port_range_v4, value: '10'},"
                              " {name: OMPI_MCA_oob_tcp_static_ipv4_ports, value: '31000-31002,31005'}]\n")
    job = _jobs(tmp_path, pinned)["j"]
    launcher, worker = (r.workload for r in job.replicas)
    # the launcher runs no rank: the out-of-band ports only; the workers: BTL 30000..30009 too
    assert peer_ports(job, launcher, (32768, 60999)).ranges == ((31000, 31002), (31005, 31005))
    assert peer_ports(job, worker, (32768, 60999)).ranges == ((30000, 30009), (31000, 31002), (31005, 31005))
    job = _jobs(tmp_path, _mpijob())["j"]
    worker = job.replicas[1].workload
    # Open MPI's defaults: BTL from 1024 over 64511 ports (to 65534), out-of-band on ephemeral ports
    assert peer_ports(job, worker, (32768, 60999)).ranges == ((1024, 65534), (32768, 60999))


RAY = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: rc, namespace: ml}
spec:
  headGroupSpec:
    rayStartParams: {node-manager-port: "6380", object-manager-port: "6381", worker-port-list: "11000,11002-11003"}
    template: {spec: {containers: [{name: h, image: rayproject/ray:2.9.0}]}}
  workerGroupSpecs:
    - groupName: cpu
      replicas: 2
      rayStartParams: {}
      template: {spec: {containers: [{name: w, image: rayproject/ray:2.9.0}]}}
"""


def test_ray_ports_are_the_pinned_ones_and_the_ephemeral_range_for_the_rest(tmp_path: Path) -> None:
    job = _jobs(tmp_path, RAY)["rc"]
    head = next(r.workload for r in job.replicas if r.role == "head")
    worker = next(r.workload for r in job.replicas if r.role != "head")
    # head: 6380, 6381 pinned; three agent/metrics ports random -> ephemeral; 52365 default; worker list
    assert peer_ports(job, head, (40000, 40999)).ranges == (
        (6380, 6380), (6381, 6381), (52365, 52365), (11000, 11000), (11002, 11003), (40000, 40999))
    # worker group: nothing pinned -> 52365, Ray's default worker range 10002-19999, ephemeral
    assert peer_ports(job, worker, (40000, 40999)).ranges == ((52365, 52365), (10002, 19999), (40000, 40999))


def test_tensorflow_tasks_need_their_grpc_port_only_without_nccl(tmp_path: Path) -> None:
    text = """\
apiVersion: kubeflow.org/v1
kind: TFJob
metadata: {name: tf, namespace: ml}
spec:
  tfReplicaSpecs:
    PS: {replicas: 1, template: {spec: {containers: [{name: tensorflow, image: i}]}}}
    Worker: {replicas: 2, template: {spec: {containers: [{name: tensorflow, image: i}]}}}
"""
    job = _jobs(tmp_path, text)["tf"]
    assert peer_ports(job, job.replicas[0].workload, (32768, 60999)).ranges == ((2222, 2222),)
    gpu = text.replace("image: i}]}}}\n", "image: i, resources: {limits: {nvidia.com/gpu: 1}}}]}}}\n")
    job = _jobs(tmp_path, gpu)["tf"]
    assert peer_ports(job, job.replicas[0].workload, (32768, 60999)).ranges == ((2222, 2222), (32768, 60999))
