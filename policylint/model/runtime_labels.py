"""Labels that controllers set at run time, which no manifest of the input shows.

Two kinds matter to the rules:

- **Pod labels whose value differs per pod or per revision** (a hash, an index, a pod name). The
  model leaves them out (see `workload_kinds`), so a selector on one of them cannot be judged
  from the manifests: rules that would report "selects nothing" ignore those selector entries.
- **Namespace labels added after the Namespace is created**, by the API server or by a platform
  controller (Kubeflow's profile controller, Istio's and Linkerd's injection set-up by their
  installers, Pod Security admission set by platform tooling …). A namespaceSelector on such a
  key is not a typo even when no Namespace object of the input carries it. Their values are
  unknown (except `kubernetes.io/metadata.name`, always the namespace's name), so only the key
  is known. The config can add keys (`cluster.runtime-namespace-labels`).

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

# Namespace label keys that the API server or common platform controllers set after creation.
RUNTIME_NAMESPACE_LABEL_KEYS = frozenset({
    "kubernetes.io/metadata.name",  # every namespace, by the API server (value: its name)
    # Kubeflow profile controller, on each profile's namespace
    "app.kubernetes.io/part-of",
    "katib.kubeflow.org/metrics-collector-injection",
    "katib-metricscollector-injection",  # the older spelling of the same label
    "serving.kubeflow.org/inferenceservice",
    "pipelines.kubeflow.org/enabled",
    # service meshes, set by their installers or platform tooling on enrolled namespaces
    "istio-injection",
    "istio.io/rev",
    "istio.io/dataplane-mode",
    "istio.io/use-waypoint",
    "linkerd.io/inject",
    # Pod Security admission levels, set by platform tooling
    "pod-security.kubernetes.io/enforce",
    "pod-security.kubernetes.io/audit",
    "pod-security.kubernetes.io/warn",
})


def without_runtime_pod_labels(selector: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The selector entries that the manifests can decide."""
    return tuple((k, v) for k, v in selector if k not in RUNTIME_POD_LABEL_KEYS)
