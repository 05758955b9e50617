"""Labels that controllers set at run time, which no manifest of the input shows.

Two kinds matter to the rules:

- **Pod labels whose value differs per pod or per revision** (a hash, an index, a pod name). The
  model leaves them out (see `workload_kinds`), so a selector on one of them cannot be judged
  from the manifests: rules that would report "selects nothing" ignore those selector entries.
- **Namespace labels added after the Namespace is created**, by the API server or by a platform
  controller (Kubeflow's profile controller, Istio's and Linkerd's injection set-up by their
  installers, Pod Security admission set by platform tooling …). A namespaceSelector on such a
  key is not a typo even when no Namespace object of the input carries it. Their values are
  known where the controller's defaults fix them (Kubeflow's profile label is
  `app.kubernetes.io/part-of: kubeflow-profile`), any value otherwise. The config adds more
  (`cluster.runtime-namespace-labels`).

Sources: the Kubernetes well-known labels reference
(https://kubernetes.io/docs/reference/labels-annotations-taints/), and the controllers' sources:
kubeflow/kubeflow `components/profile-controller` (namespace labels
`app.kubernetes.io/part-of: kubeflow-profile`, `katib.kubeflow.org/metrics-collector-injection`,
`serving.kubeflow.org/inferenceservice`, `pipelines.kubeflow.org/enabled`,
`istio-injection`), kubeflow/training-operator (`training.kubeflow.org/replica-index`),
kubernetes-sigs/jobset (`jobset.sigs.k8s.io/job-index`, `…/job-global-index`,
`…/restart-attempt`, `…/job-key`), kubernetes-sigs/lws (`leaderworkerset.sigs.k8s.io/group-index`,
`…/worker-index`, `…/group-key`, `…/template-revision-hash`), ray-project/kuberay (`ray.io/serve`,
and `ray.io/cluster` of a RayJob's or RayService's generated cluster).
"""
from __future__ import annotations

# Pod label keys whose value is set per pod or per revision by a controller.
RUNTIME_POD_LABEL_KEYS = frozenset({
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-completion-index",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "training.kubeflow.org/replica-index",
    "jobset.sigs.k8s.io/job-index",
    "jobset.sigs.k8s.io/job-global-index",
    "jobset.sigs.k8s.io/restart-attempt",
    "jobset.sigs.k8s.io/job-key",
    "leaderworkerset.sigs.k8s.io/group-index",
    "leaderworkerset.sigs.k8s.io/worker-index",
    "leaderworkerset.sigs.k8s.io/group-key",
    "leaderworkerset.sigs.k8s.io/template-revision-hash",
    "volcano.sh/task-index",
    "ray.io/serve",
    "ray.io/cluster",
})

# Namespace labels that the API server or common platform controllers set after creation: key ->
# the values they set, or None when any value may be set.
RUNTIME_NAMESPACE_LABELS: dict[str, frozenset[str] | None] = {
    "kubernetes.io/metadata.name": None,  # every namespace, by the API server (value: its name)
    # Kubeflow's profile controller, on each profile's namespace (its default namespace labels)
    "app.kubernetes.io/part-of": frozenset({"kubeflow-profile"}),
    "katib.kubeflow.org/metrics-collector-injection": frozenset({"enabled"}),
    "katib-metricscollector-injection": frozenset({"enabled"}),  # the older spelling
    "serving.kubeflow.org/inferenceservice": frozenset({"enabled"}),
    "pipelines.kubeflow.org/enabled": frozenset({"true"}),
    # Istio sidecar or ambient enrolment, set by its installer or platform tooling (and by the
    # Kubeflow profile controller when Istio is used)
    "istio-injection": frozenset({"enabled", "disabled"}),
    "istio.io/rev": None,
    "istio.io/dataplane-mode": frozenset({"ambient", "none"}),
    "istio.io/use-waypoint": None,
    # Pod Security admission levels, set by platform tooling
    "pod-security.kubernetes.io/enforce": frozenset({"privileged", "baseline", "restricted"}),
    "pod-security.kubernetes.io/audit": frozenset({"privileged", "baseline", "restricted"}),
    "pod-security.kubernetes.io/warn": frozenset({"privileged", "baseline", "restricted"}),
}


def runtime_namespace_labels(declared: tuple[tuple[str, str | None], ...] = ()) -> dict[str, frozenset[str] | None]:
    """The built-in run-time namespace labels plus those the config declares (`key` alone: any
    value; `key=value`: that value)."""
    found = dict(RUNTIME_NAMESPACE_LABELS)
    for key, value in declared:
        if value is None or found.get(key, frozenset()) is None:
            found[key] = None
        else:
            found[key] = (found.get(key) or frozenset()) | {value}
    return found


def set_at_run_time(labels: dict[str, frozenset[str] | None], key: str, values: tuple[str, ...]) -> bool:
    """Whether a selector requiring `key` (with one of `values`, or any value when empty) may be
    satisfied by a label set at run time."""
    if key not in labels:
        return False
    allowed = labels[key]
    return allowed is None or not values or any(v in allowed for v in values)


def without_runtime_pod_labels(selector: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The selector entries that the manifests can decide."""
    return tuple((k, v) for k, v in selector if k not in RUNTIME_POD_LABEL_KEYS)
