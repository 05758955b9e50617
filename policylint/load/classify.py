"""Which files are Kubernetes manifests, and what is said about those that are not.

The principle: **a manifest is a document that has `apiVersion` and `kind`, or a list of such
documents** (`kind: List`, `PodList`, ...). A file is linted as manifests when one of its
documents is (or looks like) a Kubernetes object; everything else a repository holds — compose
files, CI configuration, Ansible playbooks, JSON patches, `values.yaml`, OpenAPI documents — is
not ours: it is skipped, counted in the summary line and listed under `-v` with the reason, and
no finding above `info` is ever made about it.

The same principle decides syntax errors. A file that does not parse is *meant* to be a manifest
when its text has `apiVersion` or `kind` as a top-level key (at the start of a line in YAML, or
an `"apiVersion"`/`"kind"` key in JSON text); its syntax error is then an error (PL001), since
`kubectl apply` would fail on it. Any other file that does not parse (`tsconfig.json` with
comments, a Jinja-templated playbook) is reported once, at `info`, as skipped (PL014).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policylint.load import path_text
from policylint.load.nodes import Span, YMap, YSeq
from policylint.load.objects import RawObject
from policylint.load.render.settings import KUSTOMIZATION_NAMES
from policylint.load.yaml_reader import LoadProblem

if TYPE_CHECKING:
    from policylint.load.inputs import LoadedFile

# Kinds that configure a tool and describe no cluster object.
TOOL_KINDS = {
    ("kustomize.config.k8s.io", "Kustomization"): "kustomize configuration",
    ("kustomize.config.k8s.io", "Component"): "kustomize component",
}
# Problems that only mean something for a manifest: for any other file they are not reported.
_CONTENT_PROBLEMS = ("syntax", "shape", "duplicate-key")
_YAML_KEY = re.compile(r"^(?:apiVersion|kind)[ \t]*:", re.M)
_JSON_KEY = re.compile(r'"(?:apiVersion|kind)"\s*:')


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file that was read and holds no Kubernetes object, and why (listed under `-v`)."""

    path: str
    reason: str


def meant_as_manifest(text: str) -> bool:
    """Whether a text that may not parse has `apiVersion` or `kind` as a top-level key.

    One of the two is enough: the parse error may sit right where the other one was meant to be.
    """
    if _YAML_KEY.search(text):
        return True
    return text.lstrip().startswith(("{", "[")) and _JSON_KEY.search(text) is not None


def looks_like_object(node: object) -> bool:
    """A mapping that has a `kind`, or an `apiVersion` next to `metadata` or `spec`; or a list of one."""
    if isinstance(node, YMap):
        return "kind" in node or ("apiVersion" in node and ("metadata" in node or "spec" in node))
    if isinstance(node, YSeq):
        return any(isinstance(item, YMap) and looks_like_object(item) for item in node)
    return False


def classify(loaded: LoadedFile, objects: list[RawObject], problems: list[LoadProblem]
             ) -> tuple[list[RawObject], list[LoadProblem], SkippedFile | None]:
    """The objects and problems to keep for one file, and why it is skipped when it is no manifest.

    `problems` are the file's reading and splitting problems together.
    """
    tool = _tool_kind(objects)
    if tool is not None and len(tool) == len(objects):
        kept = [p for p in problems if p.kind not in _CONTENT_PROBLEMS]
        return [], kept, SkippedFile(loaded.path, TOOL_KINDS[(tool[0].group, tool[0].kind)])
    if objects or any(looks_like_object(d.root) for d in loaded.documents):
        return objects, problems, None
    syntax = [p for p in problems if p.kind == "syntax"]
    if syntax and loaded.meant_as_manifest:
        return objects, problems, None
    kept = [p for p in problems if p.kind not in _CONTENT_PROBLEMS]
    if syntax:
        first = syntax[0]
        kept.append(LoadProblem("skipped", first.span,
                                f"not parsed ({first.message}); the file has no top-level `apiVersion` or `kind`, "
                                "so it is not taken for a Kubernetes manifest and is skipped"))
        return [], kept, SkippedFile(loaded.path, f"does not parse at line {first.span.line} and is not a manifest")
    return [], kept, SkippedFile(loaded.path, _reason(loaded))


def _tool_kind(objects: list[RawObject]) -> list[RawObject] | None:
    tools = [o for o in objects if (o.group, o.kind) in TOOL_KINDS]
    return tools or None


def _reason(loaded: LoadedFile) -> str:
    name = path_text.name(loaded.path)
    roots = [d.root for d in loaded.documents if d.root is not None]
    if name == "Chart.yaml":
        return "Helm chart metadata"
    if name in KUSTOMIZATION_NAMES:
        return "kustomize configuration"
    if not roots:
        return "empty (no document)"
    if all(isinstance(r, YSeq) for r in roots):
        return "a list of non-objects (an Ansible playbook or a JSON patch, for instance)"
    if all(isinstance(r, YMap) for r in roots):
        return "no document has `apiVersion` and `kind`"
    return "no document is a Kubernetes object (a mapping with `apiVersion` and `kind`)"


def nothing_found(files: list[LoadedFile], skipped: list[SkippedFile], objects: int) -> LoadProblem | None:
    """One problem for an input that holds files but no Kubernetes object: never a silent pass."""
    skipped_paths = {item.path for item in skipped}
    # A file that is a manifest, or could not be read, has findings of its own that say why.
    if objects or not files or any(f.path not in skipped_paths for f in files):
        return None
    reasons: dict[str, int] = {}
    for item in skipped:
        key = "do not parse" if item.reason.startswith("does not parse") else item.reason
        reasons[key] = reasons.get(key, 0) + 1
    why = "; ".join(f"{count}: {reason}" for reason, count in sorted(reasons.items()))
    read = f"{len(files)} file{'s' if len(files) != 1 else ''} read"
    detail = f" ({why})" if why else ""
    return LoadProblem("no-objects", Span(files[0].path, 1, 1, 1, 1),
                       f"no Kubernetes object found: {read}, none holds a document with `apiVersion` and `kind`"
                       f"{detail}; nothing was analysed")
