"""Split loaded documents into Kubernetes objects (`kind: List` is what `kubectl get -o yaml` prints).

Typed lists (`PodList`, `DeploymentList`, ...) are what the API server returns for a collection
(`kubectl get --raw /api/v1/namespaces/x/pods`) and what typed clients serialise: their items
carry no `kind` or `apiVersion`. An item's kind is then the list's kind less `List`, and its
apiVersion the list's. Items of a generic `List` must name their kind themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from policylint.load.nodes import Span, YMap, YSeq, short_repr
from policylint.load.yaml_reader import Document, LoadProblem

_LIST_KINDS_SUFFIX = "List"  # List, PodList, NetworkPolicyList, ...


@dataclass(frozen=True, slots=True)
class RawObject:
    """One Kubernetes object as written: its kind and the mapping that holds it."""

    kind: str
    api_version: str
    node: YMap
    field_prefix: str  # "" for a top-level object, "items[3]" inside a List
    rendered_by: str = ""  # the kustomization or chart file it was rendered from, if any
    # For a file read as it is from a kustomization's folder that no kustomization refers to: that
    # kustomization file. Such a file is no part of any build (an alternative kept beside the file
    # the kustomization lists, such as kubeflow's `*.cloudflare.yaml`, or a leftover).
    beside: str = ""

    @property
    def path(self) -> str:
        return self.node.span.path

    @property
    def group(self) -> str:
        # Read for every object by every step of the model: each apiVersion's group is split once.
        version = self.api_version
        group = _GROUPS.get(version)
        if group is None:
            group = version.split("/", 1)[0] if "/" in version else ""
            if len(_GROUPS) < 10_000:
                _GROUPS[version] = group
        return group


_GROUPS: dict[str, str] = {}


def split_objects(documents: Iterable[Document]) -> tuple[list[RawObject], list[LoadProblem]]:
    objects: list[RawObject] = []
    problems: list[LoadProblem] = []
    for document in documents:
        objects.extend(_objects_in(document.root, document.span, problems))
    return objects, problems


def _objects_in(root: object, span: Span, problems: list[LoadProblem]) -> Iterator[RawObject]:
    """The objects of one document, `kind: List` items in order (Lists may nest: no recursion)."""
    pending: list[tuple[object, Span, str, tuple[str, str] | None]] = [(root, span, "", None)]
    while pending:
        node, where, prefix, implied = pending.pop()
        found = _object_or_items(node, where, prefix, problems, implied)
        if isinstance(found, RawObject):
            yield found
        elif found:
            pending.extend(reversed(found))


def _object_or_items(root: object, span: Span, prefix: str, problems: list[LoadProblem],
                     implied: tuple[str, str] | None = None
                     ) -> RawObject | list[tuple[object, Span, str, tuple[str, str] | None]] | None:
    """An object, the items of a list (with the kind and apiVersion a typed list implies), or None.

    `implied` is (kind, apiVersion) for the items of a typed list such as `PodList`.
    """
    if root is None:  # an empty document (`---` followed by nothing, or only comments)
        return None
    if not isinstance(root, YMap):
        where = getattr(root, "span", span)
        what = "a list" if isinstance(root, YSeq) else f"the scalar {short_repr(root)}"
        holder = f"List item `{prefix.rstrip('.')}`" if prefix else "document"
        problems.append(
            LoadProblem("shape", where, f"{holder} is {what}, not a Kubernetes object (a mapping with `kind`)")
        )
        return None
    kind = root.get("kind")
    api_version = root.get("apiVersion", "")
    if implied is not None:
        if "kind" not in root:
            kind = implied[0]
        if "apiVersion" not in root:
            api_version = implied[1]
    if not isinstance(kind, str) or not kind:
        if "kind" in root:
            problems.append(LoadProblem("shape", root.span_of_value("kind"),
                                        f"`kind` must be a non-empty string, not {short_repr(kind)}"))
        elif "apiVersion" in root and ("metadata" in root or "spec" in root):
            problems.append(LoadProblem("shape", root.span, "object has an `apiVersion` but no `kind`"))
        elif prefix:
            # An item of a generic `List` must say what it is; it is not dropped without a word.
            problems.append(LoadProblem("shape", span, f"List item `{prefix.rstrip('.')}` has no `kind` "
                                                      "(only a typed list such as PodList implies its items' kind)"))
        # Other tools' YAML is not ours: compose files, CI config, and files with an apiVersion
        # but no Kubernetes object shape (Helm's Chart.yaml, kustomization.yaml, Pulumi.yaml).
        return None
    if not isinstance(api_version, str):
        problems.append(LoadProblem("shape", root.span_of_value("apiVersion"),
                                    f"`apiVersion` must be a string, not {short_repr(api_version)}"))
        api_version = ""
    if kind.endswith(_LIST_KINDS_SUFFIX) and "items" in root:
        items = root.get("items")
        if items is None:
            return None
        if not isinstance(items, YSeq):
            problems.append(LoadProblem("shape", root.span_of_value("items"), "`items` of a List must be a list"))
            return None
        item_kind = kind[: -len(_LIST_KINDS_SUFFIX)]
        implied_items = (item_kind, api_version) if item_kind else None
        return [(item, items.span_of_item(index), f"{prefix}items[{index}].", implied_items)
                for index, item in enumerate(items)]
    return RawObject(kind, api_version, root, prefix)
