"""Kubeflow Trainer v2: a TrainJob's pods, from the runtime it refers to.

A `TrainJob` (trainer.kubeflow.org) holds no pod template of its own. It names a runtime in
`spec.runtimeRef` (a `TrainingRuntime` of its namespace, or a `ClusterTrainingRuntime`, the
default kind), whose `spec.template` is a JobSet template. The Trainer controller builds one
JobSet named after the TrainJob from it, and the JobSet controller labels every pod with
`jobset.sigs.k8s.io/jobset-name` (the TrainJob's name) and `jobset.sigs.k8s.io/replicatedjob-name`.

What the controller's plugins change, as kubeflow/trainer's sources do it
(`pkg/runtime/framework/plugins/{jobset,torch,mpi}`, `pkg/constants`):

- the replicated job whose Job template carries `trainer.kubeflow.org/trainjob-ancestor-step:
  trainer` runs one Job (`replicas` forced to 1) with `numNodes` pods (the TrainJob's
  `spec.trainer.numNodes`, else the runtime's `spec.mlPolicy.numNodes`, else 1); its container
  named `node` takes the TrainJob's `image`, `command`, `args` and `env`;
- with `mlPolicy.torch`, that container also gets the `PET_*` variables, among them
  `PET_MASTER_PORT=29500` (torchrun's rendezvous at `<job>-node-0-0.<job>`), and container port
  29500 — only when the TrainJob has a `spec.trainer` section, as the plugin does; `xgboost`
  (`DMLC_TRACKER_PORT`, the tracker on node 0) and `jax` (`JAX_COORDINATOR_ADDRESS` on node 0)
  (`JAX_COORDINATOR_ADDRESS=<job>-node-0-0.<job>:29500`) use the same port;
- with `mlPolicy.mpi`, the `node` job runs `numNodes` pods (one less when `runLauncherAsNode`,
  the launcher being the first node), the `launcher` job one; the launcher reaches the nodes' sshd;
- the jobs labelled `dataset-initializer` and `model-initializer` run one Job whose container of
  that name gets `STORAGE_URI` (the TrainJob's `spec.initializer.<dataset|model>.storageUri`)
  and that section's env, so that dependency evidence (an `s3://` URI) is read from them.

The ancestor label is on the Job template, not on the pod template: pods do not carry it. Pod
labels that the TrainJob's `runtimePatches` merge into a replicated job's pod template are added;
its other patches (node selectors, volumes, container patches) are not modelled.

Sources of positions: the pod template of the runtime (a pod spec's fields are the runtime's),
the TrainJob for the job itself and for the fields it overrides.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from policylint.load.nodes import Span, YMap, YSeq
from policylint.load.objects import RawObject
from policylint.model.fields import mapping_or_empty as _map
from policylint.model.workload_kinds import TRAINER_GROUP

RUNTIME_KINDS = ("TrainingRuntime", "ClusterTrainingRuntime")
ANCESTOR_LABEL = "trainer.kubeflow.org/trainjob-ancestor-step"
ANCESTOR_TRAINER = "trainer"
DATASET_INITIALIZER = "dataset-initializer"
MODEL_INITIALIZER = "model-initializer"
NODE = "node"
LAUNCHER = "launcher"
TORCH_MASTER_PORT = 29500  # constants.ContainerTrainerPort
# The ML policies whose plugin puts the coordinator on node 0 at ContainerTrainerPort, with the
# variable that names the port (torch: torchrun's master; xgboost: the Rabit tracker; jax: the
# coordination service)
COORDINATOR_ENV = {
    "torch": ("PET_MASTER_PORT", f"{TORCH_MASTER_PORT}"),
    "xgboost": ("DMLC_TRACKER_PORT", f"{TORCH_MASTER_PORT}"),
    "jax": ("JAX_COORDINATOR_ADDRESS", "{job}-node-0-0.{job}:" + f"{TORCH_MASTER_PORT}"),
}


@dataclass(slots=True)
class RuntimeIndex:
    """The runtimes of the input, by (kind, namespace or "", name), and which ones were used."""

    runtimes: dict[tuple[str, str, str], RawObject] = field(default_factory=dict)
    used: set[tuple[str, str, str]] = field(default_factory=set)

    @classmethod
    def of(cls, objects: Iterable[RawObject], default_namespace: str) -> RuntimeIndex:
        index = cls()
        for raw in objects:
            if raw.group != TRAINER_GROUP or raw.kind not in RUNTIME_KINDS:
                continue
            meta = raw.node.get("metadata")
            name = meta.get("name") if isinstance(meta, YMap) else None
            if not isinstance(name, str) or not name:
                continue
            namespace = ""
            if raw.kind == "TrainingRuntime":
                written = meta.get("namespace")
                namespace = written if isinstance(written, str) and written else default_namespace
            index.runtimes.setdefault((raw.kind, namespace, name), raw)  # the first one, as Services
        return index

    def key_of(self, raw: RawObject, default_namespace: str) -> tuple[str, str, str] | None:
        meta = raw.node.get("metadata")
        name = meta.get("name") if isinstance(meta, YMap) else None
        if not isinstance(name, str):
            return None
        namespace = ""
        if raw.kind == "TrainingRuntime":
            written = meta.get("namespace")
            namespace = written if isinstance(written, str) and written else default_namespace
        return raw.kind, namespace, name


@dataclass(frozen=True, slots=True)
class RuntimeRef:
    """A TrainJob's `spec.runtimeRef`: the training runtime it names."""

    kind: str
    name: str
    span: Span  # `spec.runtimeRef.name`, or what stands for it
    path: str



def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def runtime_ref(trainjob: YMap) -> RuntimeRef | str:
    """The runtime a TrainJob names, or why it names none (an error text)."""
    spec = _map(trainjob.get("spec"))
    ref = spec.get("runtimeRef")
    if not isinstance(ref, YMap):
        return "spec.runtimeRef is required (the runtime that holds the job's pod templates)"
    name = ref.get("name")
    if not isinstance(name, str) or not name:
        return "spec.runtimeRef.name is required"
    kind = ref.get("kind", "ClusterTrainingRuntime")  # the API's default
    if kind not in RUNTIME_KINDS:
        return f"spec.runtimeRef.kind {kind!r} is not TrainingRuntime or ClusterTrainingRuntime"
    return RuntimeRef(kind, name, ref.span_of_value("name"), "spec.runtimeRef.name")


def find_runtime(index: RuntimeIndex, ref: RuntimeRef, namespace: str) -> RawObject | None:
    key = (ref.kind, namespace if ref.kind == "TrainingRuntime" else "", ref.name)
    raw = index.runtimes.get(key)
    if raw is not None:
        index.used.add(key)
    return raw


# -- positioned copies ----------------------------------------------------------------------------

def _copy_map(src: YMap) -> YMap:
    """A mutable copy that keeps the positions of `src` (loader-built maps must not change)."""
    copy = YMap(src.span)
    copy.update(src)
    copy.key_spans = {k: src.span_of_key(k) for k in src}
    copy.value_spans = {k: src.span_of_value(k) for k in src}
    return copy


def _copy_seq(src: YSeq) -> YSeq:
    copy = YSeq(src.span)
    copy.extend(src)
    copy.item_spans = [src.span_of_item(i) for i in range(len(src))]
    return copy


def _set(target: YMap, key: str, value: Any, span: Span) -> None:
    target[key] = value
    target.value_spans[key] = span
    target.key_spans.setdefault(key, span)


def _synthetic_env(name: str, value: str, span: Span) -> YMap:
    entry = YMap(span)
    _set(entry, "name", name, span)
    _set(entry, "value", value, span)
    return entry


def _upsert_env(env: YSeq, entries: Iterable[tuple[YMap, Span]]) -> None:
    """Kubeflow's `apply.UpsertEnvVars`: replace the variable of the same name, else append."""
    for entry, span in entries:
        name = entry.get("name")
        for i, existing in enumerate(env):
            if isinstance(existing, YMap) and existing.get("name") == name:
                env[i] = entry
                env.item_spans[i] = span
                break
        else:
            env.append(entry)
            env.item_spans.append(span)


# -- the controller's view ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Policy:
    """What a training runtime's `mlPolicy` says about the job's nodes and how they rendezvous."""

    num_nodes: int
    torch: YMap | None  # mlPolicy.torch, when set
    framework: tuple[str, YMap] | None  # the first of mlPolicy.torch/xgboost/jax, which rendezvous on node 0
    mpi: YMap | None
    run_launcher_as_node: bool
    trainer: YMap | None  # the TrainJob's spec.trainer


def _policy(trainjob: YMap, runtime: YMap) -> _Policy:
    ml = _map(_map(runtime.get("spec")).get("mlPolicy"))
    trainer = _map(trainjob.get("spec")).get("trainer")
    trainer = trainer if isinstance(trainer, YMap) else None
    nodes = _int((trainer or {}).get("numNodes")) or _int(ml.get("numNodes")) or 1
    torch = ml.get("torch") if "torch" in ml else None
    mpi = ml.get("mpi") if "mpi" in ml else None
    torch = torch if isinstance(torch, YMap) else (YMap(ml.span_of_value("torch")) if "torch" in ml else None)
    mpi = mpi if isinstance(mpi, YMap) else (YMap(ml.span_of_value("mpi")) if "mpi" in ml else None)
    as_node = bool(mpi is not None and mpi.get("runLauncherAsNode") is True)
    framework = None
    for name in COORDINATOR_ENV:
        if name in ml:
            value = ml.get(name)
            framework = (name, value if isinstance(value, YMap) else YMap(ml.span_of_value(name)))
            break
    return _Policy(nodes, torch, framework, mpi, as_node, trainer)


def trainjob_templates(trainjob: YMap, name: str, runtime: RawObject) -> Iterator[tuple[str, YMap, str, int, dict[str, str]]]:
    """(replicated job name, pod template as the controller fills it, its field path in the
    runtime, pod count, labels the JobSet controller adds) for each replicated job."""
    policy = _policy(trainjob, runtime.node)
    template = _map(_map(runtime.node.get("spec")).get("template"))
    jobs = _map(template.get("spec")).get("replicatedJobs")
    if not isinstance(jobs, YSeq):
        return
    prefix = runtime.field_prefix + "spec.template.spec.replicatedJobs"
    patched_labels = _patched_pod_labels(trainjob)
    for index, job in enumerate(jobs):
        job = _map(job)
        job_name = str(job.get("name", index))
        job_template = _map(job.get("template"))
        ancestor = _map(_map(job_template.get("metadata")).get("labels")).get(ANCESTOR_LABEL)
        job_spec = _map(job_template.get("spec"))
        pod_template = job_spec.get("template")
        path = f"{prefix}[{index}].template.spec.template"
        labels = {**patched_labels.get(job_name, {}),
                  "jobset.sigs.k8s.io/jobset-name": name, "jobset.sigs.k8s.io/replicatedjob-name": job_name}
        is_trainer = ancestor == ANCESTOR_TRAINER
        count = _count(job, job_spec, job_name, is_trainer, policy,
                       ancestor in (DATASET_INITIALIZER, MODEL_INITIALIZER))
        if not isinstance(pod_template, YMap):
            yield job_name, pod_template, path, count, labels
            continue
        if ancestor in (DATASET_INITIALIZER, MODEL_INITIALIZER):
            yield job_name, _filled_initializer(pod_template, ancestor, trainjob), path, count, labels
            continue
        takes_env = is_trainer or (policy.run_launcher_as_node and job_name == NODE)
        yield job_name, _filled(pod_template, is_trainer, takes_env, policy, name), path, count, labels


def _patched_pod_labels(trainjob: YMap) -> dict[str, dict[str, str]]:
    """Pod labels that the TrainJob's `runtimePatches` merge into a replicated job's pod template
    (a strategic merge: replicatedJobs by name, labels by key; later patches win). Other patched
    fields are not modelled."""
    found: dict[str, dict[str, str]] = {}
    patches = _map(trainjob.get("spec")).get("runtimePatches")
    for patch in patches if isinstance(patches, YSeq) else ():
        spec = _map(_map(_map(_map(patch).get("trainingRuntimeSpec")).get("template")).get("spec"))
        jobs = spec.get("replicatedJobs")
        for job in jobs if isinstance(jobs, YSeq) else ():
            job = _map(job)
            pod = _map(_map(_map(job.get("template")).get("spec")).get("template"))
            labels = _map(_map(pod.get("metadata")).get("labels"))
            if isinstance(job.get("name"), str):
                found.setdefault(job["name"], {}).update(
                    {k: v for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)})
    return found


def _count(job: YMap, job_spec: YMap, job_name: str, is_trainer: bool, policy: _Policy,
           ancestor_initializer: bool = False) -> int:
    if policy.mpi is not None and job_name == NODE:
        return max(policy.num_nodes - 1, 1) if policy.run_launcher_as_node else policy.num_nodes
    if policy.mpi is not None and job_name == LAUNCHER:
        return 1
    if is_trainer:  # replicas forced to 1, parallelism = completions = numNodes
        return policy.num_nodes
    if ancestor_initializer:  # replicas forced to 1
        parallelism = _int(job_spec.get("parallelism"))
        return 1 if parallelism is None else parallelism
    replicas = _int(job.get("replicas"))
    parallelism = _int(job_spec.get("parallelism"))
    return (1 if replicas is None else replicas) * (1 if parallelism is None else parallelism)


def _filled(pod_template: YMap, is_trainer: bool, takes_env: bool, policy: _Policy, job_name: str) -> YMap:
    """The pod template with the TrainJob's overrides and the plugins' additions on its `node`
    container; the template itself when nothing changes."""
    trainer = policy.trainer
    if trainer is None or not takes_env:
        return pod_template
    overrides = {k: (trainer[k], trainer.span_of_value(k)) for k in ("image", "command", "args")
                 if is_trainer and trainer.get(k) is not None}
    env = _env_entries(trainer.get("env"))
    ports: list[tuple[int, Span]] = []
    if is_trainer and policy.framework is not None:
        name, node = policy.framework
        variable, value = COORDINATOR_ENV[name]
        span = node.span
        env.append((_synthetic_env(variable, value.format(job=job_name), span), span))
        ports.append((TORCH_MASTER_PORT, span))
    return _with_container(pod_template, NODE, overrides, env, ports)


def _filled_initializer(pod_template: YMap, ancestor: str, trainjob: YMap) -> YMap:
    """An initializer's container with the TrainJob's `storageUri` (env STORAGE_URI) and env, as
    the JobSet plugin's builder upserts them."""
    initializer = _map(_map(trainjob.get("spec")).get("initializer"))
    key = "dataset" if ancestor == DATASET_INITIALIZER else "model"
    section = initializer.get(key)
    if not isinstance(section, YMap):
        return pod_template
    env = []
    uri = section.get("storageUri")
    if isinstance(uri, str):
        span = section.span_of_value("storageUri")
        env.append((_synthetic_env("STORAGE_URI", uri, span), span))
    env.extend(_env_entries(section.get("env")))
    return _with_container(pod_template, ancestor, {}, env, [])


def _env_entries(env: Any) -> list[tuple[YMap, Span]]:
    if not isinstance(env, YSeq):
        return []
    return [(e, env.span_of_item(j)) for j, e in enumerate(env) if isinstance(e, YMap)]


def _with_container(pod_template: YMap, container_name: str, overrides: dict[str, tuple[Any, Span]],
                    env: list[tuple[YMap, Span]], ports: list[tuple[int, Span]]) -> YMap:
    """A copy of the pod template whose container `container_name` has the given fields replaced,
    env variables upserted and container ports added (positions kept for each)."""
    spec = pod_template.get("spec")
    containers = spec.get("containers") if isinstance(spec, YMap) else None
    if not isinstance(containers, YSeq) or not (overrides or env or ports):
        return pod_template
    new_containers = _copy_seq(containers)
    for i, container in enumerate(containers):
        if not isinstance(container, YMap) or container.get("name") != container_name:
            continue
        filled = _copy_map(container)
        for key, (value, span) in overrides.items():
            _set(filled, key, value, span)
        if env:
            old_env = filled.get("env")
            new_env = _copy_seq(old_env) if isinstance(old_env, YSeq) else YSeq(filled.span)
            _upsert_env(new_env, env)
            _set(filled, "env", new_env, filled.span_of_value("env") if "env" in filled else filled.span)
        if ports:
            old_ports = filled.get("ports")
            new_ports = _copy_seq(old_ports) if isinstance(old_ports, YSeq) else YSeq(ports[0][1])
            for number, span in ports:
                if not any(isinstance(p, YMap) and p.get("containerPort") == number for p in new_ports):
                    port = YMap(span)
                    _set(port, "containerPort", number, span)
                    new_ports.append(port)
                    new_ports.item_spans.append(span)
            _set(filled, "ports", new_ports, ports[0][1])
        new_containers[i] = filled
    new_spec = _copy_map(spec)
    _set(new_spec, "containers", new_containers, spec.span_of_value("containers"))
    new_template = _copy_map(pod_template)
    _set(new_template, "spec", new_spec, pod_template.span_of_value("spec"))
    return new_template


def runtime_ml_policy(runtime: Any) -> YMap:
    """`spec.mlPolicy` of a runtime object node (empty when absent)."""
    return _map(_map(runtime.get("spec") if isinstance(runtime, YMap) else None).get("mlPolicy"))
