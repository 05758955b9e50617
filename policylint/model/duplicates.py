"""The same object defined twice in the input: which copy the analysis uses, and which it sets aside.

An object's identity is its API group, kind, namespace and name. `kubectl apply` of two files
that define the same identity leaves the cluster with the last one applied, so the analysis
uses the **last copy read** (files are read in the order named, folders in sorted order) and
sets the earlier copies aside: they are listed as objects not used, and a finding on the copy
used names the other place. The copies are never merged. Rendered copies come after every file
read as it is, so a kustomization's copy is the one used against a file no kustomization lists.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

from policylint.load.nodes import Span, YMap
from policylint.load.objects import RawObject
from policylint.load.render.settings import KUSTOMIZATION_NAMES

# Kinds without a namespace (the ones policylint models; others keep what they say).
CLUSTER_SCOPED = {
    ("", "Namespace"),
    ("trainer.kubeflow.org", "ClusterTrainingRuntime"),
    ("cilium.io", "CiliumClusterwideNetworkPolicy"),
    ("crd.projectcalico.org", "GlobalNetworkPolicy"),
    ("projectcalico.org", "GlobalNetworkPolicy"),
    ("policy.networking.k8s.io", "AdminNetworkPolicy"),
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"),
    ("policy.networking.k8s.io", "ClusterNetworkPolicy"),
}


@dataclass(frozen=True, slots=True)
class Duplicate:
    """An earlier copy set aside for a later one with the same identity."""

    object: str  # "Deployment shop/web"
    used: Span  # metadata.name of the copy the analysis uses
    replaced: Span  # metadata.name of the copy set aside
    identical: bool
    # The kustomization or chart each copy was rendered from ("" for a file read as it is): two
    # overlays of one base give two copies at the same source line.
    used_via: str = ""
    replaced_via: str = ""
    # The kustomization beside whose file the set-aside copy was read, not listed by any (see
    # RawObject.beside): an alternative to the rendered copy.
    replaced_beside: str = ""

    @property
    def between_variants(self) -> bool:
        """Both copies rendered, by two different kustomizations: overlays of one base (`dev` and
        `prod`, `gke` and `kind`) are alternatives that are never applied together, so their
        copies are not a conflict (PL026 says the analysis mixes them, PL015/PL017 stay silent).
        So is a rendered copy and one from a file beside a kustomization that no kustomization
        lists: kustomize never applies that file (kubeflow keeps `*.cloudflare.yaml` variants of
        the files its components list)."""
        if not is_kustomization(self.used_via):
            return False
        return bool(self.replaced_beside) or (self.used_via != self.replaced_via and is_kustomization(self.replaced_via))

    @property
    def replaced_place(self) -> str:
        """`path:line` of the copy set aside, with what it was rendered from."""
        return f"{self.replaced.path}:{self.replaced.line}" + rendered_from(self.replaced_via)


def is_kustomization(path: str) -> bool:
    return os.path.basename(path) in KUSTOMIZATION_NAMES


def rendered_from(kustomization_or_chart: str) -> str:
    """` (rendered from overlays/prod/kustomization.yaml)`, or nothing for a file read as it is."""
    return f" (rendered from {kustomization_or_chart})" if kustomization_or_chart else ""


def identity(raw: RawObject, default_namespace: str) -> tuple[str, str, str, str] | None:
    """(group, kind, namespace, name), or None for an object without a usable name."""
    meta = raw.node.get("metadata")
    if not isinstance(meta, YMap):
        return None
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return None
    if (raw.group, raw.kind) in CLUSTER_SCOPED:
        namespace = ""
    else:
        written = meta.get("namespace")
        namespace = written if isinstance(written, str) and written else default_namespace
    return raw.group, raw.kind, namespace, name


def _name_span(raw: RawObject) -> Span:
    meta = raw.node.get("metadata")
    return meta.span_of_value("name") if isinstance(meta, YMap) else raw.node.span


def _same_file(first: str, second: str) -> bool:
    try:
        return first != second and os.path.samefile(first, second)
    except (OSError, ValueError):
        return False


def _label(key: tuple[str, str, str, str]) -> str:
    _, kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def set_aside(objects: Sequence[RawObject], default_namespace: str) -> tuple[list[RawObject], list[Duplicate]]:
    """The objects to model (the last copy of each identity, in input order) and the duplicates."""
    last: dict[tuple[str, str, str, str], int] = {}
    keys: list[tuple[str, str, str, str] | None] = []
    for index, raw in enumerate(objects):
        key = identity(raw, default_namespace)
        keys.append(key)
        if key is not None:
            last[key] = index
    kept: list[RawObject] = []
    duplicates: list[Duplicate] = []
    for index, (raw, key) in enumerate(zip(objects, keys)):
        if key is None or last[key] == index:
            kept.append(raw)
            continue
        used = objects[last[key]]
        if raw.node == used.node and _same_file(raw.path, used.path):
            kept.append(raw)  # one file reached twice (a symlink inside the folder): read as named
            continue
        duplicates.append(Duplicate(_label(key), _name_span(used), _name_span(raw), raw.node == used.node,
                                    used.rendered_by, raw.rendered_by, raw.beside))
    return kept, duplicates
