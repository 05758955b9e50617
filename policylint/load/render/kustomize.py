"""Render one kustomization and point its objects back at the files they come from.

The kustomization is built through a temporary wrapper kustomization that lists it as its only
resource and asks for `buildMetadata: [originAnnotations]`: kustomize then annotates every
object with `config.kubernetes.io/origin`, which names the file the object was read from
(relative to the wrapper) or the generator that made it. The annotation is removed again before
analysis, and the object's positions are aligned with its source object (see respan.py).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from typing import Callable

from policylint.load.inputs import LoadedFile
from policylint.load.nodes import Span, YMap
from policylint.load.objects import RawObject, split_objects
from policylint.load.render.respan import align
from policylint.load.render.sources import Kustomization
from policylint.load.render.tools import Outcome, Renderer, run
from policylint.load.yaml_reader import Limits, LoadProblem, parse_text

ORIGIN = "config.kubernetes.io/origin"
_WRAPPER = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - {target}
buildMetadata: [originAnnotations]
"""


@dataclass(slots=True)
class Rendered:
    objects: list[RawObject] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    error: str = ""  # the render failed: the renderer's first error line
    timed_out: bool = False


def render(kustomization: Kustomization, renderer: Renderer, timeout: float, limits: Limits,
           source: Callable[[str], LoadedFile | None]) -> Rendered:
    """Build `kustomization`; `source(real path)` gives a repository file read and parsed."""
    with tempfile.TemporaryDirectory(prefix="policylint-kustomize-") as wrapper:
        target = os.path.relpath(kustomization.folder, os.path.realpath(wrapper))
        with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as handle:
            handle.write(_WRAPPER.format(target=target))
        outcome = run([*renderer.argv, wrapper], timeout, limits.max_file_bytes)
        return _objects(outcome, kustomization, os.path.realpath(wrapper), target, limits, source)


def _objects(outcome: Outcome, kustomization: Kustomization, wrapper: str, target: str, limits: Limits,
             source: Callable[[str], LoadedFile | None]) -> Rendered:
    result = Rendered()
    if outcome.output is None:
        result.error = scrub(outcome.error, wrapper, target, kustomization)
        result.timed_out = outcome.timed_out
        return result
    at_kustomization = Span(kustomization.display, 1, 1, 1, 1)
    parsed = parse_text(outcome.output, f"{kustomization.display} (rendered)", limits)
    for problem in parsed.problems:  # kustomize prints valid YAML; a limit may still be hit
        result.problems.append(LoadProblem(problem.kind, at_kustomization, f"rendered output: {problem.message}"))
    objects, problems = split_objects(parsed.documents)
    result.problems.extend(LoadProblem(p.kind, at_kustomization, f"rendered output: {p.message}") for p in problems)
    for obj in objects:
        origin = _take_origin(obj.node)
        _point_back(obj, origin, wrapper, at_kustomization, source)
        result.objects.append(replace(obj, rendered_by=kustomization.display))
    return result


def scrub(message: str, wrapper: str, target: str, kustomization: Kustomization) -> str:
    """The renderer's message without the temporary folder or this machine's absolute paths."""
    message = message.replace(wrapper + os.sep + "kustomization.yaml", kustomization.display)
    message = message.replace(f"'{target}'", f"'{os.path.dirname(kustomization.display) or '.'}'")
    message = message.replace(wrapper, "<wrapper>")
    here = os.path.realpath(os.getcwd()) + os.sep
    return message.replace(here, "")


def _take_origin(node: YMap) -> dict[str, str]:
    """Read and remove the origin annotation (and `annotations` when it was the only one)."""
    metadata = node.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, YMap) else None
    if not isinstance(annotations, YMap) or not isinstance(annotations.get(ORIGIN), str):
        return {}
    text = annotations[ORIGIN]
    origin = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if value and not line.startswith(" "):
            origin[key.strip()] = value.strip()
    # Positions are kept by key before a key is removed (the loader stores them by entry number).
    _ = annotations.key_spans, annotations.value_spans, metadata.key_spans, metadata.value_spans
    del annotations[ORIGIN]
    if not annotations:
        del metadata["annotations"]
    return origin


def _point_back(obj: RawObject, origin: dict[str, str], wrapper: str, fallback: Span,
                source: Callable[[str], LoadedFile | None]) -> None:
    relative = origin.get("path") or origin.get("configuredIn")
    loaded = source(os.path.normpath(os.path.join(wrapper, relative))) if relative else None
    if loaded is None:  # generated, or from outside the repository: the kustomization file
        align(obj.node, None, fallback)
        return
    original = _source_object(obj, loaded) if "path" in origin else None
    if original is None:
        align(obj.node, None, Span(loaded.path, 1, 1, 1, 1))
        return
    align(obj.node, original.node, original.node.span)


def _source_object(obj: RawObject, loaded: LoadedFile) -> RawObject | None:
    """The object of `loaded` that `obj` was rendered from: same kind, and the same name or the
    longest name that the rendered one contains (name prefixes and suffixes)."""
    candidates, _ = split_objects(loaded.documents)
    same_kind = [c for c in candidates if c.kind == obj.kind]
    if len(same_kind) == 1:
        return same_kind[0]
    name = _name(obj)
    named = [(len(_name(c)), index, c) for index, c in enumerate(same_kind) if _name(c) and _name(c) in name]
    return max(named, key=lambda entry: (entry[0], -entry[1]))[2] if named else None


def _name(obj: RawObject) -> str:
    metadata = obj.node.get("metadata")
    name = metadata.get("name") if isinstance(metadata, YMap) else None
    return name if isinstance(name, str) else ""
