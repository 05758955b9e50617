"""Roles: named sets of pods (a namespace selector and a pod selector) that intent rules reason about.

Built-in roles recognise the common conventions without any configuration:

- `training` — pods labelled `role: ml-training-pod` (the seed's convention), and the pods of
  Kubeflow training jobs, JobSet, KubeRay clusters, Volcano jobs and LeaderWorkerSets, recognised
  by the labels their controllers put on every pod;
- `data-service` — pods labelled `role: data-service-pod`;
- `object-storage` — in-cluster S3-compatible storage: MinIO pods (`app: minio`,
  `app.kubernetes.io/name: minio`, or the MinIO operator's `v1.min.io/tenant`);
- `dns` — the cluster DNS: pods labelled `k8s-app: kube-dns` in the namespace `kube-system`
  (both configurable under `cluster.dns`).

The config's `roles:` section replaces a built-in definition, extends it (`extend: true`) or adds
new roles. Matching is done once per distinct (namespace, labels) pair, so it scales with the
number of distinct pod classes, not pods.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from policylint.engine.label_index import matches
from policylint.intent.spec import BUILTIN_ROLES, IntentConfig, RoleDef
from policylint.load.nodes import Span, where
from policylint.model.types import NAMESPACE_NAME_LABEL, Cluster, LabelSelector, Requirement, Source, Workload
from policylint.rule_api import ClusterFacts

TRAINING, DATA_SERVICE, DNS, OBJECT_STORAGE = BUILTIN_ROLES
_BUILT_IN_SPAN = Span("<built-in>", 1, 1, 1, 1)


@dataclass(frozen=True, slots=True)
class Matcher:
    """One way of belonging to a role."""

    what: str  # "Kubeflow training job", "seed convention", "config .policylint.yaml:4"
    namespace_selector: LabelSelector | None  # None: any namespace
    pod_selector: LabelSelector | None  # None: any pod

    def matches(self, namespace_labels: Mapping[str, str], labels: Mapping[str, str]) -> bool:
        return ((self.namespace_selector is None or matches(self.namespace_selector, namespace_labels))
                and (self.pod_selector is None or matches(self.pod_selector, labels)))

    def why(self, namespace: str, labels: Mapping[str, str]) -> str:
        """Which labels made the pod match, with the values it has."""
        parts = []
        if self.namespace_selector is not None:
            names = dict(self.namespace_selector.match_labels)
            if set(names) == {NAMESPACE_NAME_LABEL} and not self.namespace_selector.expressions:
                parts.append(f"namespace {namespace}")
            else:
                parts.append(f"namespace {namespace} matches {self.namespace_selector.describe()}")
        if self.pod_selector is not None:
            shown = [f"{k}={v}" for k, v in self.pod_selector.match_labels]
            for requirement in self.pod_selector.expressions:
                if requirement.operator == "Exists":
                    shown.append(f"{requirement.key}={labels.get(requirement.key, '')}")
                else:
                    shown.append(LabelSelector((), (requirement,), True, self.pod_selector.source).describe())
            parts.append("label " + ", ".join(shown) if shown else "any pod")
        return f"{' and '.join(parts) or 'every pod'} ({self.what})"


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    description: str
    matchers: tuple[Matcher, ...]
    origin: str  # "built-in", "config FILE:LINE", "built-in, extended by config FILE:LINE"


def _selector(labels: tuple[tuple[str, str], ...] = (), exists: tuple[str, ...] = ()) -> LabelSelector:
    expressions = tuple(Requirement(key, "Exists", ()) for key in exists)
    return LabelSelector(tuple(labels), expressions, True, Source(None, "", "built-in", _BUILT_IN_SPAN))


def builtin_roles(facts: ClusterFacts) -> dict[str, Role]:
    training = (
        Matcher("seed convention", None, _selector((("role", "ml-training-pod"),))),
        Matcher("Kubeflow training job", None, _selector(exists=("training.kubeflow.org/job-name",))),
        Matcher("JobSet", None, _selector(exists=("jobset.sigs.k8s.io/jobset-name",))),
        Matcher("KubeRay cluster node", None, _selector((("ray.io/is-ray-node", "yes"),))),
        Matcher("Volcano job", None, _selector(exists=("volcano.sh/job-name",))),
        Matcher("LeaderWorkerSet", None, _selector(exists=("leaderworkerset.sigs.k8s.io/name",))),
    )
    data = (Matcher("seed convention", None, _selector((("role", "data-service-pod"),))),)
    storage = (Matcher("MinIO", None, _selector((("app", "minio"),))),
               Matcher("MinIO", None, _selector((("app.kubernetes.io/name", "minio"),))),
               Matcher("MinIO operator tenant", None, _selector(exists=("v1.min.io/tenant",))))
    dns = (Matcher("cluster DNS, config cluster.dns", _selector(facts.dns_namespace_labels),
                   _selector(facts.dns_pod_labels)),)
    return {
        TRAINING: Role(TRAINING, "distributed training pods, grouped by job", training, "built-in"),
        DATA_SERVICE: Role(DATA_SERVICE, "the data service that training pods read from", data, "built-in"),
        DNS: Role(DNS, "the cluster DNS", dns, "built-in"),
        OBJECT_STORAGE: Role(OBJECT_STORAGE, "in-cluster S3-compatible object storage", storage, "built-in"),
    }


def defined_roles(facts: ClusterFacts, config: IntentConfig) -> dict[str, Role]:
    roles = builtin_roles(facts)
    for name, definition in config.roles.items():
        if definition.selection is None:  # `extend` with only `needed-by`: the built-in matchers stay
            continue
        matcher = _config_matcher(definition)
        origin = f"config {where(definition.span)}" if definition.span else "config"
        if definition.extend and name in roles:
            base = roles[name]
            roles[name] = Role(name, definition.description or base.description, base.matchers + (matcher,),
                               f"built-in, extended by {origin}")
        else:
            roles[name] = Role(name, definition.description, (matcher,), origin)
    return dict(sorted(roles.items()))


def _config_matcher(definition: RoleDef) -> Matcher:
    assert definition.selection is not None
    what = f"config {where(definition.span)}" if definition.span else "config"
    return Matcher(what, definition.selection.namespace_selector, definition.selection.pod_selector)


@dataclass(frozen=True, slots=True)
class Membership:
    role: str
    workload: Workload
    why: str


class RoleTable:
    """Which workloads have which roles, and why."""

    def __init__(self, cluster: Cluster, roles: dict[str, Role]) -> None:
        self.roles = roles
        self._members: dict[str, list[Workload]] = {name: [] for name in roles}
        self._of: dict[int, list[Membership]] = {}
        cache: dict[tuple, list[tuple[str, str]]] = {}
        for workload in sorted(cluster.workloads, key=lambda w: w.id):
            key = (workload.namespace, tuple(sorted(workload.labels.items())))
            found = cache.get(key)
            if found is None:
                found = cache[key] = self._match(cluster, workload)
            if found:
                self._of[id(workload)] = [Membership(role, workload, why) for role, why in found]
                for role, _ in found:
                    self._members[role].append(workload)

    def _match(self, cluster: Cluster, workload: Workload) -> list[tuple[str, str]]:
        namespace = cluster.namespaces.get(workload.namespace)
        ns_labels = namespace.labels if namespace is not None else {NAMESPACE_NAME_LABEL: workload.namespace}
        found = []
        for name, role in self.roles.items():
            for matcher in role.matchers:
                if matcher.matches(ns_labels, workload.labels):
                    found.append((name, matcher.why(workload.namespace, workload.labels)))
                    break
        return found

    def members(self, role: str) -> list[Workload]:
        return self._members.get(role, [])

    def memberships(self, workload: Workload) -> list[Membership]:
        return self._of.get(id(workload), [])

    def has(self, workload: Workload, role: str) -> bool:
        return any(m.role == role for m in self.memberships(workload))
