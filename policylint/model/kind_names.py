"""Kinds and API versions that are almost the ones policylint knows: a typo or a removed version.

An object whose `kind` or `apiVersion` is not one policylint models is counted among the kinds
not used, which is right for a ConfigMap and wrong for `kind: Networkpolicy`: kinds are
case-sensitive, the API server rejects it, and the policy the author meant is silently not
analysed. The same holds for versions Kubernetes no longer serves (NetworkPolicy in
`extensions/v1beta1`, removed in 1.16) or never served (`networking.k8s.io/v1beta1`). Only
near misses are reported: a kind of another API group (Knative's `Service` in
serving.knative.dev) is a different kind, not a mistake.
"""
from __future__ import annotations

# kind -> (group, served versions) as current Kubernetes serves them
KNOWN: dict[str, tuple[str, frozenset[str]]] = {
    "NetworkPolicy": ("networking.k8s.io", frozenset({"v1"})),
    "Namespace": ("", frozenset({"v1"})),
    "Service": ("", frozenset({"v1"})),
    "Pod": ("", frozenset({"v1"})),
    "PodTemplate": ("", frozenset({"v1"})),
    "ReplicationController": ("", frozenset({"v1"})),
    "Deployment": ("apps", frozenset({"v1"})),
    "ReplicaSet": ("apps", frozenset({"v1"})),
    "StatefulSet": ("apps", frozenset({"v1"})),
    "DaemonSet": ("apps", frozenset({"v1"})),
    "Job": ("batch", frozenset({"v1"})),
    "CronJob": ("batch", frozenset({"v1"})),
}
_BY_LOWER = {kind.lower(): kind for kind in KNOWN}
# groups that once served these kinds, or that a writer may mistype: a near miss, not another API
_OLD_GROUPS = {"extensions", "apps", "batch", "networking.k8s.io", "core", ""}


def near_miss(kind: str, api_version: str) -> tuple[str, str] | None:
    """(field, message) when `kind`/`apiVersion` is almost a kind policylint knows, else None;
    the caller says whether the object is analysed anyway."""
    known = _BY_LOWER.get(kind.lower())
    if known is None or not api_version:  # a missing apiVersion is a shape error of its own
        return None
    group, _, version = api_version.rpartition("/")
    if kind != known:
        return "kind", (f"kind {kind!r} is not a Kubernetes kind (kinds are case-sensitive; did you mean "
                        f"{known!r}?): the API server rejects the object")
    want_group, versions = KNOWN[kind]
    if group == want_group and version in versions:
        return None
    if group.lower() == want_group and group != want_group or group.lower() in _OLD_GROUPS or not group and version:
        wanted = f"{want_group}/{min(versions)}" if want_group else min(versions)
        return "apiVersion", (f"{kind} in apiVersion {api_version!r} is not served by current Kubernetes "
                              f"(use {wanted!r}): the API server rejects the object")
    return None
