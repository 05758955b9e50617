"""Where each workload kind keeps its pod templates, and what its controller adds to the pods.

Sources (see shared research, part (a)): Kubeflow training-operator v1.9 (labels
`training.kubeflow.org/*`, replica types lower-cased), mpi-operator v2beta1, JobSet, KubeRay,
Volcano, LeaderWorkerSet, the Prometheus operator (monitoring.coreos.com: Prometheus,
PrometheusAgent, Alertmanager, ThanosRuler; what its `makeSelectorLabels` and container builders
set, read in prometheus-operator's `pkg/`), and the core controllers. Only labels whose value is known from the
manifest are added; hashes and per-pod indices are not (they differ per pod or per revision).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from policylint.load.nodes import YMap, YSeq
from policylint.model.types import ContainerPort


@dataclass(frozen=True, slots=True)
class TemplateRef:
    """One pod template inside an object."""

    group: str | None  # replica type / group name, None for single-template kinds
    node: Any  # the template mapping (with metadata and spec), or the Pod itself
    path: str  # field path of the template from the object root
    replicas: int
    labels: dict[str, str] = field(default_factory=dict)  # added by the controller
    default_ports: tuple[ContainerPort, ...] = ()  # added by the operator when absent
    # The object whose file holds the template when it is not the workload's own object (a
    # TrainJob's runtime); `path` is then that object's field path, from the file's root.
    holder: Any = None
    # Where the pod metadata is written when it is not `<path>.metadata` (the Prometheus
    # operator's `spec.podMetadata`), for the field paths of findings on its labels.
    metadata_path: str | None = None


KUBEFLOW_V1 = {
    # kind: (replica specs field, operator name, default port)
    "PyTorchJob": ("pytorchReplicaSpecs", "pytorchjob-controller", ContainerPort("pytorchjob-port", 23456, "TCP")),
    "TFJob": ("tfReplicaSpecs", "tfjob-controller", ContainerPort("tfjob-port", 2222, "TCP")),
    "MPIJob": ("mpiReplicaSpecs", "mpijob-controller", ContainerPort("mpi-port", 9999, "TCP")),
    "XGBoostJob": ("xgbReplicaSpecs", "xgboostjob-controller", ContainerPort("xgboostjob-port", 9999, "TCP")),
    "PaddleJob": ("paddleReplicaSpecs", "paddlejob-controller", ContainerPort("master", 36543, "TCP")),
    "JAXJob": ("jaxReplicaSpecs", "jaxjob-controller", ContainerPort("jaxjob-port", 6666, "TCP")),
    # Removed in training-operator v1.9, still run by clusters on v1.8 (DMLC_PS_ROOT_PORT is the
    # scheduler's mxjob-port)
    "MXJob": ("mxReplicaSpecs", "mxjob-controller", ContainerPort("mxjob-port", 9091, "TCP")),
}
# Replica types whose pods get `training.kubeflow.org/job-role: master`.
KUBEFLOW_MASTER_TYPES = {"master", "chief"}

# Kubeflow Trainer v2 (TrainJob and its runtimes; their pods come from policylint.model.trainer_v2).
TRAINER_GROUP = "trainer.kubeflow.org"

CORE_TEMPLATE_KINDS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController"}

RAY_HEAD_PORTS = (
    ContainerPort("gcs-server", 6379, "TCP"),
    ContainerPort("dashboard", 8265, "TCP"),
    ContainerPort("client", 10001, "TCP"),
)


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def _map(value: Any) -> YMap | None:
    return value if isinstance(value, YMap) else None


def _templates_core(kind: str, obj: YMap, name: str) -> Iterator[TemplateRef]:
    spec = _map(obj.get("spec")) or YMap(obj.span)
    if kind == "Pod":
        yield TemplateRef(None, obj, "", 1)
    elif kind == "PodTemplate":
        yield TemplateRef(None, obj.get("template"), "template", 1)
    elif kind in CORE_TEMPLATE_KINDS:
        replicas = 1 if kind == "DaemonSet" else _int(spec.get("replicas"), 1)
        yield TemplateRef(None, spec.get("template"), "spec.template", replicas)
    elif kind == "Job":
        labels = {"job-name": name, "batch.kubernetes.io/job-name": name}
        yield TemplateRef(None, spec.get("template"), "spec.template", _int(spec.get("parallelism"), 1), labels)
    elif kind == "CronJob":
        job_spec = _map((_map(spec.get("jobTemplate")) or {}).get("spec")) or {}
        yield TemplateRef(None, job_spec.get("template"), "spec.jobTemplate.spec.template", _int(job_spec.get("parallelism"), 1))


def _templates_kubeflow(kind: str, obj: YMap, name: str, api_version: str) -> Iterator[TemplateRef]:
    spec = _map(obj.get("spec")) or {}
    if kind == "MPIJob" and api_version.endswith("/v2beta1"):
        replica_specs = _map(spec.get("mpiReplicaSpecs")) or {}
        for rtype, rspec in replica_specs.items():
            rspec = _map(rspec) or {}
            labels = {
                "training.kubeflow.org/operator-name": "mpi-operator",
                "training.kubeflow.org/job-name": name,
                "training.kubeflow.org/job-role": str(rtype).lower(),
            }
            yield TemplateRef(str(rtype), rspec.get("template"), f"spec.mpiReplicaSpecs.{rtype}.template",
                              _int(rspec.get("replicas"), 1), labels)
        return
    specs_field, operator, default_port = KUBEFLOW_V1[kind]
    replica_specs = _map(spec.get(specs_field)) or {}
    for rtype, rspec in replica_specs.items():
        rspec = _map(rspec) or {}
        lowered = str(rtype).lower()
        labels = {
            "training.kubeflow.org/operator-name": operator,
            "training.kubeflow.org/job-name": name,
            "training.kubeflow.org/replica-type": lowered,
        }
        if lowered in KUBEFLOW_MASTER_TYPES:
            labels["training.kubeflow.org/job-role"] = "master"
        yield TemplateRef(str(rtype), rspec.get("template"), f"spec.{specs_field}.{rtype}.template",
                          _int(rspec.get("replicas"), 1), labels, (default_port,))


def _templates_jobset(obj: YMap, name: str) -> Iterator[TemplateRef]:
    spec = _map(obj.get("spec")) or {}
    jobs = spec.get("replicatedJobs")
    if not isinstance(jobs, YSeq):
        return
    for index, job in enumerate(jobs):
        job = _map(job) or {}
        job_name = str(job.get("name", index))
        job_spec = _map((_map(job.get("template")) or {}).get("spec")) or {}
        labels = {"jobset.sigs.k8s.io/jobset-name": name, "jobset.sigs.k8s.io/replicatedjob-name": job_name}
        pods = _int(job.get("replicas"), 1) * _int(job_spec.get("parallelism"), 1)
        yield TemplateRef(job_name, job_spec.get("template"), f"spec.replicatedJobs[{index}].template.spec.template", pods, labels)


def _ray_cluster(cluster_spec: Any, base_path: str, cluster_name: str | None, extra: dict[str, str]) -> Iterator[TemplateRef]:
    spec = _map(cluster_spec) or {}
    common = {"ray.io/is-ray-node": "yes", "app.kubernetes.io/name": "kuberay",
              "app.kubernetes.io/created-by": "kuberay-operator", **extra}
    if cluster_name is not None:
        common["ray.io/cluster"] = cluster_name
    head = _map(spec.get("headGroupSpec")) or {}
    yield TemplateRef("head", head.get("template"), f"{base_path}headGroupSpec.template", 1,
                      {**common, "ray.io/node-type": "head", "ray.io/group": "headgroup"}, RAY_HEAD_PORTS)
    groups = spec.get("workerGroupSpecs")
    if isinstance(groups, YSeq):
        for index, group in enumerate(groups):
            group = _map(group) or {}
            group_name = str(group.get("groupName", f"group-{index}"))
            yield TemplateRef(group_name, group.get("template"), f"{base_path}workerGroupSpecs[{index}].template",
                              _int(group.get("replicas"), 1),
                              {**common, "ray.io/node-type": "worker", "ray.io/group": group_name})


def _templates_ray(kind: str, obj: YMap, name: str) -> Iterator[TemplateRef]:
    spec = _map(obj.get("spec")) or {}
    if kind == "RayCluster":
        yield from _ray_cluster(spec, "spec.", name, {})
    elif kind == "RayJob":
        # KubeRay names the cluster `<rayjob>-<random>`: ray.io/cluster is unknown here.
        origin = {"ray.io/originated-from-cr-name": name, "ray.io/originated-from-crd": "RayJob"}
        yield from _ray_cluster(spec.get("rayClusterSpec"), "spec.rayClusterSpec.", None, origin)
        if spec.get("submitterPodTemplate") is not None:
            yield TemplateRef("submitter", spec.get("submitterPodTemplate"), "spec.submitterPodTemplate", 1, dict(origin))
    elif kind == "RayService":
        origin = {"ray.io/originated-from-cr-name": name, "ray.io/originated-from-crd": "RayService"}
        yield from _ray_cluster(spec.get("rayClusterConfig"), "spec.rayClusterConfig.", None, origin)


def _templates_volcano(obj: YMap, name: str, namespace: str) -> Iterator[TemplateRef]:
    spec = _map(obj.get("spec")) or {}
    tasks = spec.get("tasks")
    if not isinstance(tasks, YSeq):
        return
    queue = spec.get("queue") if isinstance(spec.get("queue"), str) else "default"
    for index, task in enumerate(tasks):
        task = _map(task) or {}
        task_name = str(task.get("name", index))
        labels = {"volcano.sh/job-name": name, "volcano.sh/job-namespace": namespace,
                  "volcano.sh/task-spec": task_name, "volcano.sh/queue-name": queue}
        yield TemplateRef(task_name, task.get("template"), f"spec.tasks[{index}].template", _int(task.get("replicas"), 1), labels)


def _templates_lws(obj: YMap, name: str) -> Iterator[TemplateRef]:
    spec = _map(obj.get("spec")) or {}
    lwt = _map(spec.get("leaderWorkerTemplate")) or {}
    groups = _int(spec.get("replicas"), 1)
    size = _int(lwt.get("size"), 1)
    labels = {"leaderworkerset.sigs.k8s.io/name": name}
    leader = lwt.get("leaderTemplate")
    leader_path = "spec.leaderWorkerTemplate.leaderTemplate"
    if leader is None:  # without a leader template the leader runs the worker template
        leader, leader_path = lwt.get("workerTemplate"), "spec.leaderWorkerTemplate.workerTemplate"
    yield TemplateRef("leader", leader, leader_path, groups, dict(labels))
    if size > 1:
        yield TemplateRef("worker", lwt.get("workerTemplate"), "spec.leaderWorkerTemplate.workerTemplate",
                          groups * (size - 1), dict(labels))


# The Prometheus operator's kinds have no pod template: the operator builds each StatefulSet's pods
# from the resource's fields. kind: (app.kubernetes.io/name, the kind's own name label, the
# containers' ports (the `portName` one named as the resource says, "web" by default), ports
# served even with `listenLocal`).
PROMETHEUS_OPERATOR_KINDS: dict[str, tuple[str, str | None, tuple[ContainerPort, ...], tuple[ContainerPort, ...]]] = {
    "Prometheus": ("prometheus", "prometheus", (ContainerPort("web", 9090, "TCP"),), ()),
    "PrometheusAgent": ("prometheus-agent", None, (ContainerPort("web", 9090, "TCP"),), ()),
    "Alertmanager": ("alertmanager", "alertmanager", (ContainerPort("web", 9093, "TCP"),),
                     (ContainerPort("mesh-tcp", 9094, "TCP"), ContainerPort("mesh-udp", 9094, "UDP"))),
    "ThanosRuler": ("thanos-ruler", "thanos-ruler", (ContainerPort("web", 10902, "TCP"),),
                    (ContainerPort("grpc", 10901, "TCP"),)),
}
CONFIG_RELOADER_PORT = ContainerPort("reloader-web", 8080, "TCP")  # the config-reloader sidecar
THANOS_SIDECAR_PORTS = (ContainerPort("grpc", 10901, "TCP"), ContainerPort("http", 10902, "TCP"))


def _templates_prometheus_operator(kind: str, obj: YMap, name: str) -> Iterator[TemplateRef]:
    """One template per shard (Prometheus, PrometheusAgent) or one (Alertmanager, ThanosRuler).

    The pods' labels are `spec.podMetadata.labels` with the operator's selector labels over them;
    their ports the operator's containers' (web, the config reloader's, Alertmanager's mesh,
    the Thanos sidecar's when `spec.thanos` is set) and those of `spec.containers`, which the
    operator merges into its own."""
    app_name, own_label, web_ports, other_ports = PROMETHEUS_OPERATOR_KINDS[kind]
    spec = _map(obj.get("spec")) or YMap(obj.span)
    listen_local = spec.get("listenLocal") is True
    port_name = spec.get("portName") if isinstance(spec.get("portName"), str) and spec.get("portName") else "web"
    ports = [] if listen_local else [ContainerPort(port_name, p.port, p.protocol) for p in web_ports]
    ports += other_ports
    if not listen_local:
        ports.append(CONFIG_RELOADER_PORT)
    if kind == "Prometheus" and _map(spec.get("thanos")) is not None:
        ports += THANOS_SIDECAR_PORTS
    labels = {"app.kubernetes.io/name": app_name, "app.kubernetes.io/managed-by": "prometheus-operator",
              "app.kubernetes.io/instance": name}
    if own_label is not None:
        labels[own_label] = name
    if kind in ("Prometheus", "PrometheusAgent"):
        labels["operator.prometheus.io/name"] = name
    # A pod template the operator would build: the resource's podMetadata (positions kept), its
    # extra containers, hostNetwork.
    template = YMap(spec.span)
    metadata = _map(spec.get("podMetadata"))
    template["metadata"] = metadata if metadata is not None else YMap(spec.span)
    pod_spec = YMap(spec.span)
    for key in ("containers", "hostNetwork"):
        if key in spec:
            pod_spec[key] = spec[key]
    template["spec"] = pod_spec
    replicas = _int(spec.get("replicas"), 1)
    shards = _int(spec.get("shards"), 1) if kind in ("Prometheus", "PrometheusAgent") else 1
    for shard in range(max(shards, 1)):
        shard_labels = dict(labels)
        if kind in ("Prometheus", "PrometheusAgent"):
            shard_labels["operator.prometheus.io/shard"] = str(shard)
        # path "": the built pod spec's fields (containers, hostNetwork) sit under the resource's `spec`
        yield TemplateRef(f"shard-{shard}" if shards > 1 else None, template, "", replicas, shard_labels,
                          tuple(ports), metadata_path="spec.podMetadata")


def templates_of(kind: str, api_version: str, obj: YMap, name: str, namespace: str) -> Iterator[TemplateRef] | None:
    """The pod templates of a workload object, or None when the kind holds no pods."""
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    if group == "batch.volcano.sh" and kind == "Job":
        return _templates_volcano(obj, name, namespace)
    if group == "kubeflow.org" and kind in KUBEFLOW_V1:
        return _templates_kubeflow(kind, obj, name, api_version)
    if kind == "JobSet" and group == "jobset.x-k8s.io":
        return _templates_jobset(obj, name)
    if kind in ("RayCluster", "RayJob", "RayService") and group == "ray.io":
        return _templates_ray(kind, obj, name)
    if kind == "LeaderWorkerSet" and group == "leaderworkerset.x-k8s.io":
        return _templates_lws(obj, name)
    if kind in PROMETHEUS_OPERATOR_KINDS and group == "monitoring.coreos.com":
        return _templates_prometheus_operator(kind, obj, name)
    if kind in CORE_TEMPLATE_KINDS | {"Pod", "PodTemplate", "Job", "CronJob"} and group in ("", "apps", "batch"):
        return _templates_core(kind, obj, name)
    return None


WORKLOAD_KIND_LABEL: dict[tuple[str, str], str] = {("batch.volcano.sh", "Job"): "VolcanoJob"}
