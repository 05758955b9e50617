"""What each training framework needs from the network: jobs, replica roles, rendezvous and ssh.

Sources (shared research, part (a) and "Network needs of distributed training"): the Kubeflow
training-operator v1.9 defaults (PyTorchJob `pytorchjob-port` 23456, TFJob `tfjob-port` 2222,
MPIJob `mpi-port` 9999, XGBoostJob 9999, PaddleJob `master` 36543, JAXJob 6666), torchrun
(`--master-port` 29500, c10d rendezvous 29400), KubeRay (GCS `gcs-server` 6379 on the head),
mpi-operator v2beta1 and Kubeflow Trainer runtimes (launcher → workers over ssh, sshd on 22 or
2222), Volcano's distributed-framework plugins (`pytorch` 23456, `tensorflow` 2222, `mpi` ssh
22, `ray` 6379; `--master=`/`--worker=` task names, `--port=`).

Only what a manifest says is used: operator defaults (which the model adds as container ports),
container ports, literal `MASTER_PORT`-style environment values and launcher arguments. When none
of these names a port, no rendezvous check is made.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Iterable

from policylint.load.nodes import YMap, YSeq
from policylint.model.types import Workload

# Controller labels that name the job a pod belongs to, in order of preference.
JOB_LABELS = (
    "training.kubeflow.org/job-name",
    "jobset.sigs.k8s.io/jobset-name",
    "ray.io/cluster",
    "ray.io/originated-from-cr-name",
    "volcano.sh/job-name",
    "leaderworkerset.sigs.k8s.io/name",
)

# kind -> (replica types that hold the master, rendezvous container-port name, fallback target type)
KUBEFLOW_MASTERS: dict[str, tuple[tuple[str, ...], str, str | None]] = {
    "PyTorchJob": (("master",), "pytorchjob-port", "worker"),
    "TFJob": (("chief", "master"), "tfjob-port", "worker"),
    "MPIJob": (("launcher",), "mpi-port", None),
    "XGBoostJob": (("master",), "xgboostjob-port", None),
    "PaddleJob": (("master",), "master", None),
    "JAXJob": ((), "jaxjob-port", "worker"),
}
RAY_KINDS = ("RayCluster", "RayJob", "RayService")
MASTER_NAMES = ("master", "chief", "driver", "leader", "coordinator", "head", "rank0")
VOLCANO_DEFAULT_PORTS = {"pytorch": 23456, "tensorflow": 2222, "mpi": 22, "ray": 6379}
SSH_PORT_NAMES = ("ssh", "sshd")
TORCHRUN_PORT = 29500
C10D_PORT = 29400
# Replica roles that take no part in the collectives (all-to-all traffic).
OUTSIDE_MESH = ("evaluator", "submitter")


@dataclass(frozen=True, slots=True)
class Replica:
    workload: Workload
    role: str  # master, worker, launcher, head, leader, ps, evaluator, submitter


@dataclass(frozen=True, slots=True)
class Rendezvous:
    """Who must reach whom on which port for the job to start."""

    targets: tuple[Workload, ...]  # the master/head replica type(s)
    protocol: str
    port: int
    origin: str  # why this port: "container port pytorchjob-port (PyTorchJob default)"


@dataclass(frozen=True, slots=True)
class SshAccess:
    launchers: tuple[Workload, ...]
    workers: tuple[Workload, ...]
    ports: tuple[int, ...]  # any one of them suffices (the sshd port is not always declared)
    origin: str


@dataclass(frozen=True, slots=True)
class TrainingJob:
    key: tuple[str, ...]
    kind: str
    namespace: str
    name: str
    replicas: tuple[Replica, ...]
    rendezvous: Rendezvous | None
    ssh: SshAccess | None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    @property
    def mesh(self) -> tuple[Workload, ...]:
        """The replica types whose pods exchange collective traffic with each other."""
        return tuple(r.workload for r in self.replicas if r.role not in OUTSIDE_MESH)

    def role_of(self, workload: Workload) -> str:
        return next(r.role for r in self.replicas if r.workload is workload)


def job_key(workload: Workload) -> tuple[tuple[str, ...], str]:
    """A key shared by the pods of one job, and the job's name."""
    for label in JOB_LABELS:
        value = workload.labels.get(label)
        if value:
            return (workload.namespace, label, value), value
    return (workload.namespace, workload.kind, workload.name), workload.name


def build_jobs(workloads: Iterable[Workload]) -> list[TrainingJob]:
    grouped: dict[tuple[str, ...], list[Workload]] = {}
    names: dict[tuple[str, ...], str] = {}
    for workload in workloads:
        key, name = job_key(workload)
        grouped.setdefault(key, []).append(workload)
        names.setdefault(key, name)
    jobs = []
    for key, members in grouped.items():
        members.sort(key=lambda w: w.id)
        first = members[0]
        plugins = _volcano_plugins(first)
        replicas = tuple(Replica(w, replica_role(w, plugins)) for w in members)
        jobs.append(TrainingJob(key, first.kind, first.namespace, names[key], replicas,
                                _rendezvous(first.kind, replicas, plugins), _ssh(first, replicas, plugins)))
    jobs.sort(key=lambda j: (j.namespace, j.name, j.kind))
    return jobs


# -- replica roles --------------------------------------------------------------------------------

def replica_role(workload: Workload, plugins: dict[str, list[str]] | None = None) -> str:
    group = (workload.group or "").lower()
    labels = workload.labels
    if workload.kind in RAY_KINDS:
        return {"head": "head", "submitter": "submitter"}.get(group, "worker")
    if labels.get("training.kubeflow.org/job-role") in ("master", "launcher"):
        return labels["training.kubeflow.org/job-role"]
    if plugins:
        master, workers = _volcano_task_names(plugins)
        if group == master:
            return "launcher" if "mpi" in plugins else "master"
        if group in workers:
            return "worker"
    if group in ("chief",):
        return "master"
    if group in MASTER_NAMES:
        return "master" if group not in ("head", "leader") else group
    if group in ("launcher", "ps", "evaluator", "submitter"):
        return group
    return "worker"


# -- rendezvous -----------------------------------------------------------------------------------

def _rendezvous(kind: str, replicas: tuple[Replica, ...], plugins: dict[str, list[str]]) -> Rendezvous | None:
    by_group = {(r.workload.group or "").lower(): r.workload for r in replicas}
    if kind in KUBEFLOW_MASTERS:
        masters, port_name, fallback = KUBEFLOW_MASTERS[kind]
        targets = [by_group[g] for g in masters if g in by_group]
        if not targets and fallback in by_group:
            targets = [by_group[fallback]]
        for target in targets:
            port = _named_port(target, port_name)
            if port is not None:
                return Rendezvous(tuple(targets), port[0], port[1], f"container port {port_name} ({kind})")
        return None
    if kind in RAY_KINDS:
        heads = [r.workload for r in replicas if r.role == "head"]
        for head in heads:
            port = _named_port(head, "gcs-server")
            if port is not None:
                return Rendezvous(tuple(heads), port[0], port[1], "Ray GCS port gcs-server on the head")
        return None
    targets = [r.workload for r in replicas if r.role in ("master", "head", "leader")]
    if not targets:
        # No master replica: rank 0 is the first pod of the first replica type (JobSet, LWS,
        # a StatefulSet running torchrun).
        targets = [replicas[0].workload]
    for name, default in VOLCANO_DEFAULT_PORTS.items():
        if name in plugins and name != "mpi":
            port = _plugin_port(plugins[name]) or default
            return Rendezvous(tuple(targets), "TCP", port, f"Volcano {name} plugin port")
    for target in targets:
        found = launcher_port(target)
        if found is not None:
            return Rendezvous(tuple(targets), "TCP", found[0], found[1])
    return None


def _named_port(workload: Workload, name: str) -> tuple[str, int] | None:
    for port in workload.ports:
        if port.name == name:
            return port.protocol, port.port
    return None


_MASTER_PORT_ARG = re.compile(r"--master[_-]port(?:=|\s+)(\d+)")
_RDZV_ENDPOINT_ARG = re.compile(r"--rdzv[_-]endpoint(?:=|\s+)\S*?:(\d+)\b")
_RDZV_C10D = re.compile(r"--rdzv[_-]backend(?:=|\s+)c10d")
_TORCHRUN = re.compile(r"\btorchrun\b|torch\.distributed\.(?:run|launch)\b|\bdeepspeed\b")


def launcher_port(workload: Workload) -> tuple[int, str] | None:
    """The rendezvous port a pod template names: env values, then launcher arguments."""
    containers = _containers(workload)
    env = _env(containers)
    for name in ("MASTER_PORT", "PET_MASTER_PORT"):
        if env.get(name, "").isdigit():
            return int(env[name]), f"env {name}={env[name]}"
    for name in ("PET_RDZV_ENDPOINT", "RDZV_ENDPOINT"):
        match = re.search(r":(\d+)$", env.get(name, ""))
        if match:
            return int(match.group(1)), f"env {name}={env[name]}"
    text = " ".join(_command_words(containers))
    match = _MASTER_PORT_ARG.search(text)
    if match:
        return int(match.group(1)), f"argument --master-port {match.group(1)}"
    match = _RDZV_ENDPOINT_ARG.search(text)
    if match:
        return int(match.group(1)), f"argument --rdzv-endpoint …:{match.group(1)}"
    if _RDZV_C10D.search(text):
        return C10D_PORT, f"c10d rendezvous default port {C10D_PORT}"
    if _TORCHRUN.search(text):
        return TORCHRUN_PORT, f"torchrun default --master-port {TORCHRUN_PORT}"
    return None


def framework_ports(workload: Workload) -> list[int]:
    """Ports the framework itself uses on a pod (rendezvous, GCS): not a service for clients."""
    names = {name for _, name, _ in KUBEFLOW_MASTERS.values()} | {"gcs-server"}
    ports = [p.port for p in workload.ports if p.name in names]
    found = launcher_port(workload)
    if found is not None:
        ports.append(found[0])
    return ports


# -- ssh (MPI, DeepSpeed, Horovod launchers) ---------------------------------------------------------

def _ssh(first: Workload, replicas: tuple[Replica, ...], plugins: dict[str, list[str]]) -> SshAccess | None:
    launchers = tuple(r.workload for r in replicas if r.role == "launcher")
    workers = tuple(r.workload for r in replicas if r.role == "worker")
    if not launchers or not workers:
        return None
    uses_ssh = (
        first.labels.get("training.kubeflow.org/operator-name") == "mpi-operator"  # MPIJob v2beta1
        or first.kind == "JobSet"  # Kubeflow Trainer MPI/DeepSpeed runtimes: a `launcher` job
        or "mpi" in plugins or "ssh" in plugins
    )
    if not uses_ssh:
        return None  # training-operator v1 MPIJob starts workers through kubectl exec, not ssh
    if "mpi" in plugins:
        port = _plugin_port(plugins["mpi"]) or VOLCANO_DEFAULT_PORTS["mpi"]
        return SshAccess(launchers, workers, (port,), f"Volcano mpi plugin ssh port {port}")
    for worker in workers:
        for port in worker.ports:
            if port.name in SSH_PORT_NAMES or port.port in (22, 2222):
                return SshAccess(launchers, workers, (port.port,), f"worker container port {port.name or port.port}")
    return SshAccess(launchers, workers, (22, 2222), "sshd on 22, or 2222 in the mpi-operator and Trainer images")


# -- reading the pod template -----------------------------------------------------------------------

def _spec(workload: Workload) -> YMap:
    node = workload.source.node
    spec = node.get("spec") if isinstance(node, YMap) else None
    return spec if isinstance(spec, YMap) else YMap()


def _containers(workload: Workload) -> list[YMap]:
    containers = _spec(workload).get("containers")
    return [c for c in containers if isinstance(c, YMap)] if isinstance(containers, YSeq) else []


def _env(containers: list[YMap]) -> dict[str, str]:
    env: dict[str, str] = {}
    for container in containers:
        entries = container.get("env")
        if not isinstance(entries, YSeq):
            continue
        for entry in entries:
            if isinstance(entry, YMap) and isinstance(entry.get("name"), str):
                value = entry.get("value")
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    env.setdefault(entry["name"], str(value))
    return env


def _command_words(containers: list[YMap]) -> list[str]:
    words: list[str] = []
    for container in containers:
        for key in ("command", "args"):
            value = container.get(key)
            items = value if isinstance(value, YSeq) else [value] if isinstance(value, str) else []
            for item in items:
                if isinstance(item, str):
                    try:
                        words.extend(shlex.split(item))
                    except ValueError:
                        words.extend(item.split())
    return words


def ephemeral_port_range(workload: Workload) -> tuple[int, int] | None:
    """`net.ipv4.ip_local_port_range` set through the pod's securityContext, if any."""
    security = _spec(workload).get("securityContext")
    sysctls = security.get("sysctls") if isinstance(security, YMap) else None
    if not isinstance(sysctls, YSeq):
        return None
    for entry in sysctls:
        if isinstance(entry, YMap) and entry.get("name") == "net.ipv4.ip_local_port_range":
            parts = str(entry.get("value", "")).split()
            if len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[0]) <= int(parts[1]):
                return int(parts[0]), int(parts[1])
    return None


def _volcano_plugins(workload: Workload) -> dict[str, list[str]]:
    if workload.kind != "VolcanoJob":
        return {}
    obj = workload.object_source.node
    spec = obj.get("spec") if isinstance(obj, YMap) else None
    plugins = spec.get("plugins") if isinstance(spec, YMap) else None
    if not isinstance(plugins, YMap):
        return {}
    return {str(k): [str(a) for a in v] if isinstance(v, YSeq) else [] for k, v in plugins.items()}


def _volcano_task_names(plugins: dict[str, list[str]]) -> tuple[str, tuple[str, ...]]:
    master, workers = "master", ("worker",)
    for args in plugins.values():
        for arg in args:
            if arg.startswith("--master="):
                master = arg.split("=", 1)[1].lower()
            elif arg.startswith("--worker="):
                workers = tuple(w.strip().lower() for w in arg.split("=", 1)[1].split(","))
    return master, workers


def _plugin_port(args: list[str]) -> int | None:
    for arg in args:
        if arg.startswith("--port=") and arg.split("=", 1)[1].isdigit():
            return int(arg.split("=", 1)[1])
    return None
