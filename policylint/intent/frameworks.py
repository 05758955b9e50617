"""What each training framework needs from the network: jobs, replica roles, rendezvous and ssh.

Sources (shared research, part (a) and "Network needs of distributed training"): the Kubeflow
training-operator v1.9 defaults (PyTorchJob `pytorchjob-port` 23456, TFJob `tfjob-port` 2222,
MPIJob `mpi-port` 9999, XGBoostJob 9999, PaddleJob `master` 36543 on the Master or, without
one, on worker 0, JAXJob 6666; v1.8's MXJob `mxjob-port` 9091 on the Scheduler), Kubeflow
Trainer v2's torch plugin (`PET_MASTER_PORT` 29500 on the `node` job), torchrun
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
from typing import Iterable, Mapping

from policylint.load.nodes import YMap, YSeq
from policylint.model.trainer_v2 import COORDINATOR_ENV as TRAINER_COORDINATOR_ENV
from policylint.model.trainer_v2 import TORCH_MASTER_PORT as TRAINER_TORCH_PORT
from policylint.model.trainer_v2 import runtime_ml_policy
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
    # Without a Master (collective mode) the operator names worker 0 in PADDLE_MASTER, on the
    # Worker's container port `master` (default 36543).
    "PaddleJob": (("master",), "master", "worker"),
    "JAXJob": ((), "jaxjob-port", "worker"),
    "MXJob": (("scheduler",), "mxjob-port", None),
}
RAY_KINDS = ("RayCluster", "RayJob", "RayService")
MASTER_NAMES = ("master", "chief", "driver", "leader", "coordinator", "head", "rank0")
VOLCANO_DEFAULT_PORTS = {"pytorch": 23456, "tensorflow": 2222, "mpi": 22, "ray": 6379}
SSH_PORT_NAMES = ("ssh", "sshd")
TORCHRUN_PORT = 29500
C10D_PORT = 29400
# Replica roles that take no part in the collectives (all-to-all traffic). Kubeflow Trainer's
# initializers download the dataset and the model before the nodes start.
OUTSIDE_MESH = ("evaluator", "submitter", "initializer", "independent")
INITIALIZER_SUFFIX = "-initializer"  # dataset-initializer, model-initializer


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
    ports: tuple[int, ...]  # the sshd port the launcher connects to (one)
    origin: str
    assumed: bool = False  # nothing in the job says which port: `origin` says what was assumed


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


ConfigMaps = Mapping[tuple[str, str], Mapping[str, str]]


def build_jobs(workloads: Iterable[Workload], config_maps: ConfigMaps | None = None) -> list[TrainingJob]:
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
        rendezvous = _rendezvous(first.kind, replicas, plugins)
        ssh = _ssh(first, replicas, plugins, config_maps or {})
        if first.kind == "JobSet" and rendezvous is None and ssh is None and not _collective(members, names[key]):
            # A JobSet is also the API for batch work that never talks (parallel independent
            # jobs): without a sign of collective traffic its pods are not held to the mesh.
            replicas = tuple(Replica(r.workload, "independent") for r in replicas)
        jobs.append(TrainingJob(key, first.kind, first.namespace, names[key], replicas, rendezvous, ssh))
    jobs.sort(key=lambda j: (j.namespace, j.name, j.kind))
    return jobs


# Signs that the pods of a JobSet exchange traffic with each other: a launcher or framework
# command, the environment a distributed framework reads, or a reference to a sibling pod's DNS
# name (JobSet names pods `<jobset>-<replicated job>-<job index>-<pod index>`).
COLLECTIVE_COMMANDS = frozenset({"torchrun", "torch.distributed.run", "torch.distributed.launch", "mpirun",
                                 "mpiexec", "deepspeed", "horovodrun", "accelerate", "srun"})
COLLECTIVE_ENV = frozenset({"MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "NODE_RANK", "TF_CONFIG",
                            "JAX_COORDINATOR_ADDRESS", "JAX_COORDINATOR_PORT", "JAX_NUM_PROCESSES",
                            "COORDINATOR_ADDRESS", "TPU_WORKER_HOSTNAMES", "PADDLE_MASTER"})
COLLECTIVE_ENV_PREFIXES = ("PET_", "NCCL_", "OMPI_", "PMIX_", "HOROVOD_", "MEGASCALE_", "DMLC_", "GLOO_")


def _collective(members: list[Workload], job_name: str) -> bool:
    """Whether anything in the job's pods says they talk to each other (see above); a declared
    container port counts too (something is meant to connect to it)."""
    siblings = tuple(f"{job_name}-{(w.group or '').lower()}-" for w in members if w.group)
    for workload in members:
        containers = _containers(workload)
        if any(isinstance(c.get("ports"), YSeq) and len(c["ports"]) for c in containers):
            return True
        env = _env(containers)
        names = [e.get("name") for c in containers if isinstance(c.get("env"), YSeq) for e in c["env"] if isinstance(e, YMap)]
        if any(isinstance(n, str) and (n in COLLECTIVE_ENV or n.startswith(COLLECTIVE_ENV_PREFIXES)) for n in names):
            return True  # by name: a value from the downward API or a Secret counts as well
        words = _command_words(containers)
        if any(word.rsplit("/", 1)[-1] in COLLECTIVE_COMMANDS for word in words):
            return True
        if any(sibling in text for text in [*words, *env.values()] for sibling in siblings):
            return True
        if "ray" in (w.rsplit("/", 1)[-1] for w in words) and "start" in words:
            return True
    return False


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
    if group.endswith(INITIALIZER_SUFFIX):
        return "initializer"
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
    framework = next((f for f in TRAINER_COORDINATOR_ENV if f in _trainer_ml_policy(replicas[0].workload)), None)
    if kind == "TrainJob" and framework is not None:
        nodes = [r.workload for r in replicas if (r.workload.group or "") == "node"]
        if nodes and any(p.port == TRAINER_TORCH_PORT for p in nodes[0].ports):
            variable = TRAINER_COORDINATOR_ENV[framework][0]
            return Rendezvous(tuple(nodes), "TCP", TRAINER_TORCH_PORT,
                              f"{variable} …{TRAINER_TORCH_PORT}, set by Kubeflow Trainer's {framework} plugin"
                              if framework == "jax" else
                              f"{variable}={TRAINER_TORCH_PORT}, set by Kubeflow Trainer's {framework} plugin")
    if kind == "TrainJob" and "mpi" in _trainer_ml_policy(replicas[0].workload):
        # The launcher starts the ranks over ssh (PL505); DeepSpeed's torch.distributed port
        # between the ranks is one of the MPI peer ports (PL503).
        return None
    targets = [r.workload for r in replicas if r.role in ("master", "head", "leader")]
    if not targets:
        # No master replica: rank 0 is the first pod of the first replica type that trains
        # (JobSet, LWS, a StatefulSet running torchrun; a TrainJob's `node` job).
        in_mesh = [r.workload for r in replicas if r.role not in OUTSIDE_MESH]
        targets = [(in_mesh or [replicas[0].workload])[0]]
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
_RAY_HEAD = re.compile(r"\bray\s+start\b(?=[^;&|]*--head)(?:[^;&|]*?--port(?:=|\s+)(\d+)|[^;&|]*?--head[^;&|]*?--port(?:=|\s+)(\d+))?")
RAY_GCS_PORT = 6379
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
    match = _RAY_HEAD.search(text)
    if match:
        port = match.group(1) or match.group(2)
        return (int(port), f"ray start --head --port={port}") if port else (RAY_GCS_PORT, "ray start --head (GCS port 6379)")
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

def _ssh(first: Workload, replicas: tuple[Replica, ...], plugins: dict[str, list[str]],
         config_maps: ConfigMaps) -> SshAccess | None:
    launchers = tuple(r.workload for r in replicas if r.role == "launcher")
    workers = tuple(r.workload for r in replicas if r.role == "worker")
    if not launchers or not workers:
        return None
    uses_ssh = (
        first.labels.get("training.kubeflow.org/operator-name") == "mpi-operator"  # MPIJob v2beta1
        or first.kind == "JobSet"  # Kubeflow Trainer MPI/DeepSpeed runtimes: a `launcher` job
        or first.kind == "TrainJob" and "mpi" in _trainer_ml_policy(first)
        or "mpi" in plugins or "ssh" in plugins
    )
    if not uses_ssh:
        return None  # training-operator v1 MPIJob starts workers through kubectl exec, not ssh
    found = ssh_port(launchers, workers, plugins, config_maps)
    return SshAccess(launchers, workers, (found[0],), found[1], found[2])


def ssh_port(launchers: tuple[Workload, ...], workers: tuple[Workload, ...], plugins: dict[str, list[str]],
             config_maps: ConfigMaps) -> tuple[int, str, bool]:
    """The sshd port the launcher connects to: (port, where it was read, assumed?). What the
    launcher's ssh client is told wins (it decides where to connect), then the workers' sshd."""
    for workload in launchers + workers:
        value = _needs_annotation(workload, SSH_PORT_KEY)
        if value and value.isdigit():
            return int(value), f"{SSH_PORT_KEY}: {value}", False
    for launcher in launchers:
        containers = _containers(launcher)
        env = _env(containers)
        for name in SSH_ARGS_ENV:
            port = _ssh_client_port(env.get(name, ""))
            if port is not None:
                return port, f"launcher env {name}={env[name]}", False
        words = _command_words(containers)
        for i, word in enumerate(words[:-2]):
            if word.lstrip("-") == "mca" and words[i + 1] in ("plm_rsh_args", "plm_ssh_args"):
                # the quoted value was split into words: "-p 2222" is two of them
                value = " ".join(words[i + 2:i + 4]) if words[i + 2] in ("-p", "-o") else words[i + 2]
                port = _ssh_client_port(value)
                if port is not None:
                    return port, f"launcher argument --mca {words[i + 1]} \"{value}\"", False
        text = " ".join(words)
        match = re.search(r"--ssh[_-]port(?:=|\s+)(\d+)", text)
        if match:
            return int(match.group(1)), f"launcher argument --ssh_port {match.group(1)}", False
        for name, key, value in _mounted_config(launcher, config_maps):
            match = re.search(r"(?im)^\s*Port\s+(\d+)\s*$", value)
            if match and "sshd" not in key:
                return int(match.group(1)), f"ssh_config Port {match.group(1)} in mounted ConfigMap {name}", False
    if "mpi" in plugins:
        port = _plugin_port(plugins["mpi"]) or VOLCANO_DEFAULT_PORTS["mpi"]
        return port, f"Volcano mpi plugin ssh port {port}", False
    for worker in workers:
        for port in worker.ports:
            if port.name in SSH_PORT_NAMES:
                return port.port, f"worker container port {port.name}", False
        words = _command_words(_containers(worker))
        if any(w.endswith("sshd") for w in words):
            match = re.search(r"(?:^|\s)-p\s*(\d+)", " ".join(words))
            if match:
                return int(match.group(1)), f"worker sshd -p {match.group(1)}", False
        for name, key, value in _mounted_config(worker, config_maps):
            match = re.search(r"(?im)^\s*Port\s+(\d+)\s*$", value)
            if match and "sshd" in key:
                return int(match.group(1)), f"sshd_config Port {match.group(1)} in mounted ConfigMap {name}", False
        probed = _sshd_probe_port(worker)
        if probed is not None:
            return probed, f"worker sshd's tcpSocket probe port {probed}", False
        for port in worker.ports:
            if port.port in (22, 2222):
                return port.port, f"worker container port {port.port}", False
    how = (f"declare it with a worker container port named ssh, OMPI_MCA_plm_rsh_args=\"-p PORT\" on the launcher, "
           f"or the annotation {SSH_PORT_KEY}")
    if any(image.split("/")[-2:-1] == ["mpioperator"] for w in workers for image in _images(w)):
        return 2222, f"assumed 2222, the sshd port of the mpi-operator base images; {how}", True
    return 22, f"assumed 22, OpenSSH's default; {how}", True


def _sshd_probe_port(workload: Workload) -> int | None:
    """The tcpSocket port of a readiness or liveness probe on a container that runs sshd (Kubeflow
    Trainer's MPI runtimes probe their sshd on 2222 this way)."""
    for container in _containers(workload):
        if not any(w.endswith("sshd") for w in _command_words([container])):
            continue
        for probe_key in ("readinessProbe", "livenessProbe", "startupProbe"):
            probe = container.get(probe_key)
            tcp = probe.get("tcpSocket") if isinstance(probe, YMap) else None
            port = tcp.get("port") if isinstance(tcp, YMap) else None
            if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
                return port
    return None


SSH_PORT_KEY = "policylint.io/ssh-port"
# Where launchers take extra ssh options: Open MPI 4 (plm_rsh_args), Open MPI 5/PRRTE
# (plm_ssh_args), Intel MPI and MPICH's Hydra.
SSH_ARGS_ENV = ("OMPI_MCA_plm_rsh_args", "OMPI_MCA_plm_ssh_args", "PRTE_MCA_plm_ssh_args",
                "I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS", "HYDRA_LAUNCHER_EXTRA_ARGS")


def _ssh_client_port(args: str) -> int | None:
    """`-p 2222`, `-p2222`, `-o Port=2222`, `-oPort 2222` in ssh client options."""
    match = re.search(r"(?:^|\s)-p\s*(\d+)\b|-o\s*Port[=\s]\s*(\d+)\b", args, re.IGNORECASE)
    if match:
        return int(match.group(1) or match.group(2))
    return None


def _needs_annotation(workload: Workload, key: str) -> str | None:
    value = workload.annotations.get(key)
    if value is None:
        obj = workload.object_source.node
        meta = obj.get("metadata") if isinstance(obj, YMap) else None
        annotations = meta.get("annotations") if isinstance(meta, YMap) else None
        value = annotations.get(key) if isinstance(annotations, YMap) else None
    return str(value).strip() if isinstance(value, (str, int)) else None


def _mounted_config(workload: Workload, config_maps: ConfigMaps) -> list[tuple[str, str, str]]:
    """(ConfigMap name, key, value) of the ConfigMaps mounted as volumes."""
    volumes = _spec(workload).get("volumes")
    found = []
    for volume in volumes if isinstance(volumes, YSeq) else ():
        ref = volume.get("configMap") if isinstance(volume, YMap) else None
        if isinstance(ref, YMap) and isinstance(ref.get("name"), str):
            for key, value in sorted(config_maps.get((workload.namespace, ref["name"]), {}).items()):
                found.append((ref["name"], key, value))
    return found


def _images(workload: Workload) -> list[str]:
    return [str(c.get("image")) for c in _containers(workload) if isinstance(c.get("image"), str)]


# -- collective traffic: which ports a job's pods accept from each other ------------------------------

@dataclass(frozen=True, slots=True)
class PeerPorts:
    """TCP ports a pod of the job may accept from the job's other pods, and where they come from."""

    ranges: tuple[tuple[int, int], ...]
    origin: str


def peer_ports(job: TrainingJob, workload: Workload, default_range: tuple[int, int],
               mpi: bool | None = None) -> PeerPorts:
    """The framework's port needs on one receiving replica type (besides its declared ports and
    the rendezvous port): MPI's TCP BTL and out-of-band ports, Ray's node ports, or the ephemeral
    range that NCCL and Gloo bind their sockets in."""
    ephemeral = ephemeral_port_range(workload) or default_range
    eph_text = f"ephemeral ports {ephemeral[0]}-{ephemeral[1]}"
    if job.kind in RAY_KINDS:
        return _ray_ports(ray_start_params(workload), ephemeral, eph_text)
    if uses_mpi(job) if mpi is None else mpi:
        return _mpi_ports(job, workload, ephemeral, eph_text)
    command_params = ray_command_params(workload)
    if command_params is not None:  # `ray start` in a JobSet, LeaderWorkerSet, StatefulSet…
        return _ray_ports(command_params, ephemeral, eph_text)
    if job.kind == "TFJob":
        # TensorFlow's distributed runtime is gRPC to each task's server port (TF_CONFIG, the
        # operator's tfjob-port); NCCL collectives on GPUs add the ephemeral range.
        own = [(p.port, p.port) for p in workload.ports if p.name == "tfjob-port" and p.protocol == "TCP"]
        text = "TensorFlow gRPC on tfjob-port " + ",".join(str(a) for a, _ in own)
        if _uses_nccl(job):
            return PeerPorts(tuple(own) + (ephemeral,), f"{text}, NCCL on {eph_text}")
        return PeerPorts(tuple(own), text)
    return PeerPorts((ephemeral,), f"NCCL/Gloo sockets on {eph_text}")


def uses_mpi(job: TrainingJob) -> bool:
    if job.kind == "MPIJob" or any(r.role == "launcher" for r in job.replicas):
        return True
    text = " ".join(w for r in job.replicas for w in _command_words(_containers(r.workload)))
    return bool(re.search(r"\b(?:mpirun|mpiexec|horovodrun)\b|--launcher[= ](?:openmpi|mvapich|impi)", text))


def _mca(job: TrainingJob, name: str) -> str | None:
    """An Open MPI MCA parameter set for the job: env OMPI_MCA_x / PRTE_MCA_x on any replica, or
    `--mca x value` on a launcher's command line."""
    for replica in sorted(job.replicas, key=lambda r: r.role != "launcher"):
        containers = _containers(replica.workload)
        env = _env(containers)
        for prefix in ("OMPI_MCA_", "PRTE_MCA_", "PMIX_MCA_"):
            if f"{prefix}{name}" in env:
                return env[f"{prefix}{name}"]
        words = _command_words(containers)
        for i, word in enumerate(words[:-2]):
            if word.lstrip("-") in ("mca", "gmca", "prtemca") and words[i + 1] in (name, name.replace("oob_", "prte_oob_")):
                return words[i + 2]
    return None


def _port_list(text: str) -> list[tuple[int, int]] | None:
    """`10000-10010,10020` as ranges; None when it does not read as one."""
    found = []
    for part in text.replace(" ", "").split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            return None
        lo, hi = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= lo <= hi <= 65535:
            return None
        found.append((lo, hi))
    return found or None


def _mpi_ports(job: TrainingJob, workload: Workload, ephemeral: tuple[int, int], eph_text: str) -> PeerPorts:
    """Open MPI: ranks connect to each other through the TCP BTL (binding from btl_tcp_port_min_v4,
    default 1024, over btl_tcp_port_range_v4 ports, default 64511), and the daemons and the
    launcher's mpirun talk over the out-of-band channel (oob_tcp_static_ipv4_ports, else dynamic
    ports). GPU jobs (DeepSpeed, Horovod over NCCL) also need NCCL's ephemeral ports."""
    ranges: list[tuple[int, int]] = []
    parts = []
    minimum, width = _mca(job, "btl_tcp_port_min_v4"), _mca(job, "btl_tcp_port_range_v4")
    lo = int(minimum) if minimum and minimum.isdigit() else 1024
    count = int(width) if width and width.isdigit() else 64511
    runs_ranks = _role(job, workload) != "launcher" or _launcher_runs_ranks(job)
    if runs_ranks:
        ranges.append((lo, min(65535, lo + count - 1)))
        parts.append(f"MPI TCP BTL {lo}-{min(65535, lo + count - 1)}" + ("" if minimum or width else " (Open MPI default)"))
    static = _mca(job, "oob_tcp_static_ipv4_ports")
    dynamic = _mca(job, "oob_tcp_dynamic_ipv4_ports")
    pinned = _port_list(static or "") or _port_list(dynamic or "")
    if pinned:
        ranges.extend(pinned)
        parts.append("MPI out-of-band " + ",".join(f"{a}-{b}" if a != b else str(a) for a, b in pinned))
    else:
        ranges.append(ephemeral)
        parts.append(f"MPI out-of-band on {eph_text}")
    if runs_ranks and _uses_nccl(job):
        ranges.append(ephemeral)
        parts.append(f"NCCL on {eph_text}")
    deepspeed = _deepspeed_port(job)
    if runs_ranks and deepspeed is not None:
        ranges.append((deepspeed[0], deepspeed[0]))
        parts.append(deepspeed[1])
    return PeerPorts(tuple(ranges), ", ".join(parts))


def _deepspeed_port(job: TrainingJob) -> tuple[int, str] | None:
    """DeepSpeed started by mpirun finds its ranks through MPI and then initialises
    torch.distributed at rank 0 (a worker) on MASTER_PORT, default 29500."""
    for replica in job.replicas:
        containers = _containers(replica.workload)
        if not re.search(r"\bdeepspeed\b", " ".join(_command_words(containers))):
            continue
        env = _env(containers)
        if env.get("MASTER_PORT", "").isdigit():
            return int(env["MASTER_PORT"]), f"DeepSpeed's torch.distributed on MASTER_PORT {env['MASTER_PORT']}"
        return TORCHRUN_PORT, f"DeepSpeed's torch.distributed on its default port {TORCHRUN_PORT}"
    return None


def _role(job: TrainingJob, workload: Workload) -> str:
    return next((r.role for r in job.replicas if r.workload is workload), "worker")


def _trainer_ml_policy(workload: Workload) -> YMap:
    """`spec.mlPolicy` of the runtime a TrainJob's pods come from (empty for other kinds)."""
    holder = workload.template_source
    if workload.kind != "TrainJob" or holder is None:
        return YMap()
    return runtime_ml_policy(holder.node)


def _launcher_runs_ranks(job: TrainingJob) -> bool:
    for replica in job.replicas:
        mpi = _trainer_ml_policy(replica.workload).get("mpi")
        if isinstance(mpi, YMap) and mpi.get("runLauncherAsNode") is True:
            return True
        obj = replica.workload.object_source.node
        spec = obj.get("spec") if isinstance(obj, YMap) else None
        if isinstance(spec, YMap) and spec.get("runLauncherAsWorker") is True:
            return True
    return False


def _uses_nccl(job: TrainingJob) -> bool:
    for replica in job.replicas:
        for container in _containers(replica.workload):
            resources = container.get("resources")
            limits = resources.get("limits") if isinstance(resources, YMap) else None
            if isinstance(limits, YMap) and any("gpu" in str(k) for k in limits):
                return True
            env = container.get("env")
            if isinstance(env, YSeq) and any(isinstance(e, YMap) and str(e.get("name", "")).startswith("NCCL_")
                                             for e in env):
                return True
    text = " ".join(w for r in job.replicas for w in _command_words(_containers(r.workload)))
    return bool(re.search(r"\b(?:deepspeed|horovodrun|torchrun)\b|torch\.distributed", text))


# Ray's ports, from `ray start` (KubeRay passes rayStartParams as its flags). Random unless set:
RAY_RANDOM_PORTS = ("node-manager-port", "object-manager-port", "runtime-env-agent-port",
                    "dashboard-agent-grpc-port", "metrics-export-port")
# Fixed defaults: (flag, default)
RAY_FIXED_PORTS = (("dashboard-agent-listen-port", 52365),)
RAY_WORKER_PORTS = (10002, 19999)  # --min-worker-port / --max-worker-port defaults


def ray_start_params(workload: Workload) -> dict[str, str]:
    """The rayStartParams of the head group or of the workload's worker group."""
    obj = workload.object_source.node
    spec = obj.get("spec") if isinstance(obj, YMap) else None
    if not isinstance(spec, YMap):
        return {}
    cluster = spec
    for key in ("rayClusterSpec", "rayClusterConfig"):
        if isinstance(spec.get(key), YMap):
            cluster = spec[key]
    group = None
    if (workload.group or "") == "head":
        group = cluster.get("headGroupSpec")
    else:
        for candidate in cluster.get("workerGroupSpecs") or ():
            if isinstance(candidate, YMap) and str(candidate.get("groupName")) == workload.group:
                group = candidate
    params = group.get("rayStartParams") if isinstance(group, YMap) else None
    if not isinstance(params, YMap):
        return {}
    return {str(k): str(v) for k, v in params.items() if isinstance(v, (str, int)) and not isinstance(v, bool)}


def ray_command_params(workload: Workload) -> dict[str, str] | None:
    """The flags of a `ray start` in the pod's command, as rayStartParams; None without one."""
    words = _command_words(_containers(workload))
    text = " ".join(words)
    match = re.search(r"\bray\s+start\b(.*)", text)
    if not match:
        return None
    params: dict[str, str] = {}
    for flag in re.finditer(r"--([a-z-]+)(?:=|\s+)([^\s-][^\s]*)?", match.group(1)):
        params[flag.group(1)] = flag.group(2) or ""
    return params


def _ray_ports(params: dict[str, str], ephemeral: tuple[int, int], eph_text: str) -> PeerPorts:
    """A Ray node accepts from the other nodes on its raylet, object manager and agent ports and
    its workers' ports; the head also on GCS (PL504's). Pinned in rayStartParams (or `ray start`
    flags), or Ray's defaults: random ports (the ephemeral range) for the raylet, object manager
    and agents, 10002-19999 for workers."""
    ranges: list[tuple[int, int]] = []
    parts = []
    unpinned = [name for name in RAY_RANDOM_PORTS if not params.get(name, "").isdigit()
                or params[name] == "0"]
    for name in RAY_RANDOM_PORTS:
        if name not in unpinned:
            ranges.append((int(params[name]), int(params[name])))
            parts.append(f"{name} {params[name]}")
    for name, default in RAY_FIXED_PORTS:
        value = int(params[name]) if params.get(name, "").isdigit() else default
        ranges.append((value, value))
        parts.append(f"{name} {value}" + ("" if name in params else " (default)"))
    listed = _port_list(params.get("worker-port-list", ""))
    low, high = params.get("min-worker-port", ""), params.get("max-worker-port", "")
    if listed:
        ranges.extend(listed)
        parts.append(f"worker-port-list {params['worker-port-list']}")
    elif low.isdigit() and high.isdigit() and 0 < int(low) <= int(high):
        ranges.append((int(low), int(high)))
        parts.append(f"worker ports {low}-{high}")
    else:
        ranges.append(RAY_WORKER_PORTS)
        parts.append(f"worker ports {RAY_WORKER_PORTS[0]}-{RAY_WORKER_PORTS[1]} (default)")
    if unpinned:
        ranges.append(ephemeral)
        parts.append(f"{eph_text} for {', '.join(unpinned)} (not pinned in rayStartParams)")
    return PeerPorts(tuple(ranges), "Ray: " + ", ".join(parts))


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
