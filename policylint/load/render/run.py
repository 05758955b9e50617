"""Render the charts and kustomizations of an input, or say once for each why it was not.

`prepare` runs before the files are read: it finds the charts and kustomizations and takes the
files they own out of the list to read as manifests. `render_into` runs after: it renders each
one (or reports it not rendered) and adds the objects, problems and files to the load result.
"""
from __future__ import annotations

import os
from typing import Any, Callable

from policylint import lazy_log
from policylint.load.classify import SkippedFile
from policylint.load.inputs import STDIN, LoadedFile, read_file
from policylint.load.nodes import Span
# Load-problem kinds, each reported by one rule (defined with the settings: reading them imports no renderer).
from policylint.load.render.settings import (HELM_NOT_RENDERED, KUSTOMIZE_NOT_RENDERED, NOT_RENDERED,  # noqa: F401
                                             RENDER_FAILED, RenderSettings)
from policylint.load.render.sources import (Chart, Kustomization, Sources, closure, find_sources,
                                            owner_of_named_file, remote_references)
from policylint.load.yaml_reader import Limits, LoadProblem

# helm, kustomize and tools (subprocess, shutil, tempfile) are imported by the functions that
# render: most inputs have neither charts nor kustomizations, and start-up should not pay for them.

LOG = lazy_log.get_logger(__name__)


def prepare(paths: list[str] | tuple[str, ...], files: list[str]) -> tuple[list[str], Sources, list[SkippedFile]]:
    """The files still to read as manifests, the charts and kustomizations found, and the files
    named one by one that are sources of a chart or kustomization (set aside, not rendered)."""
    sources = find_sources(paths, [f for f in files if f != STDIN])
    named = set(paths)
    cache: dict[str, Any] = {}
    kept: list[str] = []
    aside: list[SkippedFile] = [
        SkippedFile(c.display, "a kustomize Component: only the kustomizations that list it under `components` render it, "
                               "and none in the input does; check one that does")
        for c in sources.lone_components]
    for path in files:
        if path == STDIN:
            kept.append(path)
        elif sources.owner and os.path.realpath(path) in sources.owner:
            continue
        elif path in named and (owner := owner_of_named_file(path, cache)) is not None:
            aside.append(SkippedFile(path, f"part of {owner}; check its folder to render it"))
        else:
            kept.append(path)
    return kept, sources, aside


def render_into(result: Any, sources: Sources, discovered: list[str], settings: RenderSettings,
                limits: Limits) -> None:
    """Render every top-most kustomization and chart into `result` (a LoadResult)."""
    displays = {os.path.realpath(f): f for f in discovered if f != STDIN}
    cache: dict[str, LoadedFile | None] = {}

    def source(real: str) -> LoadedFile | None:
        if real not in cache:
            cache[real] = read_file(displays.get(real) or os.path.relpath(real), limits) if os.path.isfile(real) else None
        return cache[real]

    owned: dict[str, list[tuple[str, str]]] = {}  # owner -> (real path, path as discovered) of its files
    for real, owner in sources.owner.items():
        owned.setdefault(owner, []).append((real, displays.get(real) or os.path.relpath(real)))
    for unit in sources.kustomizations:
        _guarded(unit.display, result, lambda: _kustomization(unit, sorted(owned.get(unit.display, [])), sources,
                                                              settings, limits, result, source))
    for chart in sources.charts:
        _guarded(chart.display, result, lambda: _chart(chart, sorted(owned.get(chart.display, [])), settings,
                                                       limits, result, source))


def _guarded(display: str, result: Any, render: Callable[[], None]) -> None:
    """A bug while rendering one chart or kustomization costs that one, with a PL005 finding."""
    try:
        render()
    except Exception as error:
        LOG.debug("internal error while rendering %s\n%s", display, lazy_log.traceback_text())
        result.problems.append(LoadProblem("internal", Span(display, 1, 1, 1, 1),
                                           f"internal error while rendering {display}: {type(error).__name__}: "
                                           f"{error}; please report it (--debug shows the traceback)"))


def _kustomization(unit: Kustomization, owned: list[tuple[str, str]], sources: Sources, settings: RenderSettings,
                   limits: Limits, result: Any, source: Callable[[str], LoadedFile | None]) -> None:
    where = Span(unit.display, 1, 1, 1, 1)
    folder = os.path.dirname(unit.display) or "."
    how = f"render it with `kubectl kustomize {folder} | policylint check -`"
    from policylint.load.render import kustomize
    from policylint.load.render.tools import kustomize_renderer

    renderer = kustomize_renderer()
    remote = remote_references(unit, sources.all_kustomizations)
    reason = ""
    if not settings.kustomize:
        reason = f"rendering is switched off (--no-render or render.kustomize: false); {how}"
    elif renderer is None:
        reason = f"neither `kustomize` nor `kubectl` is on PATH; install one, or {how}"
    elif remote:
        reason = (f"it refers to the remote resource `{remote[0]}`, and policylint renders offline only; "
                  f"render it where the network is allowed and pipe the output: {how}")
    elif unit.uses_helm:
        reason = f"it inflates Helm charts (`helmCharts`), which policylint does not do; {how} --enable-helm"
    if not reason:
        # Positions are taken only from files the kustomization uses: an origin annotation naming
        # any other file (a resource could carry one) is not followed.
        usable = closure(unit, sources.all_kustomizations)
        rendered = kustomize.render(unit, renderer, settings.timeout, limits,  # type: ignore[arg-type]
                                    lambda real: source(real) if real in usable else None)
        if rendered.timed_out:
            reason = f"{renderer.name} {rendered.error}"  # type: ignore[union-attr]
        elif rendered.error:
            result.problems.append(LoadProblem(RENDER_FAILED, where, f"kustomization does not build "
                                                                     f"({renderer.name}): {rendered.error}"))  # type: ignore[union-attr]
            _set_aside(result, owned, source, f"part of kustomization {unit.display}, which does not build")
            return
        else:
            _add_sources(result, owned, source)
            result.rendered_files.update(o.path for o in rendered.objects)
            result.objects.extend(rendered.objects)
            result.problems.extend(rendered.problems)
            result.rendered.append((unit.display, f"rendered with {renderer.name}: "  # type: ignore[union-attr]
                                                  f"{len(rendered.objects)} object{'s' if len(rendered.objects) != 1 else ''}"))
            return
    result.problems.append(LoadProblem(KUSTOMIZE_NOT_RENDERED, where,
                                       f"kustomization not rendered, so its {_files(owned)} not analysed: {reason}"))
    _set_aside(result, owned, source, f"part of kustomization {unit.display}, not rendered")


def _chart(chart: Chart, owned: list[tuple[str, str]], settings: RenderSettings, limits: Limits, result: Any,
           source: Callable[[str], LoadedFile | None]) -> None:
    where = Span(chart.display, 1, 1, 1, 1)
    folder = os.path.dirname(chart.display) or "."
    how = f"render it with `helm template {folder} | policylint check -`"
    from policylint.load.render import helm
    from policylint.load.render.tools import helm_renderer

    renderer = helm_renderer()
    reason = ""
    if not settings.helm:
        reason = f"rendering is switched off (--no-render or render.helm: false); {how}"
    elif renderer is None:
        reason = f"`helm` is not on PATH; install it, or {how}"
    else:
        rendered = helm.render(chart, renderer, settings.helm_values, settings.timeout, limits)
        if rendered.not_rendered:
            reason = rendered.not_rendered
        elif rendered.error:
            result.problems.append(LoadProblem(RENDER_FAILED, where, f"Helm chart does not render "
                                                                     f"({renderer.name}): {rendered.error}"))
            _set_aside(result, owned, source, f"part of Helm chart {chart.display}, which does not render")
            return
        else:
            _add_sources(result, owned, source)
            result.rendered_files.update(o.path for o in rendered.objects)
            result.objects.extend(rendered.objects)
            result.problems.extend(rendered.problems)
            result.rendered.append((chart.display, f"rendered with {renderer.name}: "
                                                   f"{len(rendered.objects)} object{'s' if len(rendered.objects) != 1 else ''}"))
            return
    result.problems.append(LoadProblem(HELM_NOT_RENDERED, where,
                                       f"Helm chart not rendered, so its {_files(owned)} not analysed: {reason}"))
    _set_aside(result, owned, source, f"part of Helm chart {chart.display}, not rendered")


def _files(owned: list[tuple[str, str]]) -> str:
    return f"{len(owned)} file{' is' if len(owned) == 1 else 's are'}"


def _add_sources(result: Any, owned: list[tuple[str, str]], source: Callable[[str], LoadedFile | None]) -> None:
    """The files of a render count as read, and their suppression comments apply."""
    for real, _ in owned:
        loaded = source(real)
        if loaded is not None:
            loaded.problems = []  # the renderer read them; what it did not complain about is fine
            result.files.append(loaded)


def _set_aside(result: Any, owned: list[tuple[str, str]], source: Callable[[str], LoadedFile | None], reason: str) -> None:
    for _, display in owned:
        result.files.append(LoadedFile(display))
        result.skipped.append(SkippedFile(display, reason))
