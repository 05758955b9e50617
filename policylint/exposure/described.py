"""A described peer on the command line: a pod the input does not contain.

`ns:team=research/pod:app=notebook` is a pod labelled `app=notebook` in a new namespace labelled
`team=research`; `ns:ml/pod:app=notebook` the same pod in namespace `ml` (with the input's labels
for it when the input has it, only its name label otherwise); `pod:` may be left out (a pod
without labels). Labels are exactly those given: the pod fits a claim of `matrix --exposure`
when its labels match it. `reach` and `paths` add the pod to a copy of the input and ask the
engine, so the answer follows every policy kind it evaluates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from policylint.exposure.constraints import fresh_value, is_namespace_name
from policylint.load.nodes import Span
from policylint.model.types import NAMESPACE_NAME_LABEL, Cluster, Namespace, Source, Workload

POD_NAME = "described-pod"
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


@dataclass(frozen=True, slots=True)
class DescribedPeer:
    text: str
    namespace: str | None  # a namespace by name, or None: a new namespace with `namespace_labels`
    namespace_labels: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def is_described(text: str) -> bool:
    return text.strip().startswith(("ns:", "pod:"))


def parse_described(text: str) -> DescribedPeer:
    """Parse `ns:NAME|LABELS[/pod:LABELS]` or `pod:LABELS`; ValueError says what is wrong."""
    stripped = text.strip()
    ns_part, pod_part = None, None
    if stripped.startswith("ns:"):
        rest = stripped[3:]
        if "/pod:" in rest:
            ns_part, pod_part = rest.split("/pod:", 1)
        else:
            ns_part = rest
    elif stripped.startswith("pod:"):
        pod_part = stripped[4:]
    else:
        raise ValueError("a described peer starts with ns: or pod:")
    labels = _labels(pod_part or "", "pod")
    if ns_part is None:
        raise ValueError("say which namespace: ns:NAME/pod:LABELS or ns:LABELS/pod:LABELS")
    if "=" not in ns_part:
        if not is_namespace_name(ns_part):
            raise ValueError(f"{ns_part!r} is not a namespace name")
        return DescribedPeer(stripped, ns_part, {}, labels)
    namespace_labels = _labels(ns_part, "namespace")
    name = namespace_labels.get(NAMESPACE_NAME_LABEL)
    if name is not None:
        if not is_namespace_name(name):
            raise ValueError(f"{NAMESPACE_NAME_LABEL}={name!r} is not a namespace name")
    return DescribedPeer(stripped, None, namespace_labels, labels)


def _labels(text: str, what: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    if not text:
        return labels
    for item in text.split(","):
        if "=" not in item:
            raise ValueError(f"{what} label {item!r} must be key=value")
        key, value = (part.strip() for part in item.split("=", 1))
        if not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(value):
            raise ValueError(f"{what} label {key}={value} is not a valid label")
        if key in labels and labels[key] != value:
            raise ValueError(f"{what} label {key} is given twice")
        labels[key] = value
    return labels


def add_described(cluster: Cluster, peer: DescribedPeer) -> tuple[Cluster, str]:
    """A copy of the input with the described pod (and its new namespace); the pod's endpoint id."""
    namespaces = dict(cluster.namespaces)
    if peer.namespace is not None:
        namespace = peer.namespace
    else:
        namespace = peer.namespace_labels.get(NAMESPACE_NAME_LABEL) or fresh_value(
            set(cluster.namespaces) | {w.namespace for w in cluster.workloads}, "described-namespace")
        if namespace in cluster.namespaces or any(w.namespace == namespace for w in cluster.workloads):
            raise ValueError(f"namespace {namespace} is in the input: name it with ns:{namespace}")
        labels = {**peer.namespace_labels, NAMESPACE_NAME_LABEL: namespace}
        namespaces[namespace] = Namespace(namespace, labels, True, _source(f"Namespace {namespace}"))
    name = POD_NAME
    taken = {(w.namespace, w.name) for w in cluster.workloads}
    n = 1
    while (namespace, name) in taken:
        n += 1
        name = f"{POD_NAME}-{n}"
    source = _source(f"Pod {namespace}/{name}")
    pod = Workload("Pod", namespace, name, None, dict(peer.labels), (), 1, False, (), {}, source, source)
    grown = cluster.with_pods(namespaces, [pod])
    return grown, f"{namespace}/{name}"


def _source(label: str) -> Source:
    return Source(None, "", label, Span("<described peer>", 1, 1, 1, 1))
