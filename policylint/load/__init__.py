"""The load stage: files and stdin in, positioned Kubernetes objects and input problems out."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterable, Iterator

from policylint import lazy_log
from policylint.load.classify import SkippedFile, classify, nothing_found
from policylint.load.inputs import STDIN, LoadedFile, discover
from policylint.load.nodes import Span
from policylint.load.objects import RawObject, split_objects
from policylint.load.parallel import read_files
from policylint.load.render.settings import CHART_FILE, KUSTOMIZATION_NAMES, RenderSettings
from policylint.load.yaml_reader import Limits, LoadProblem

if TYPE_CHECKING:
    from policylint.load.reuse import ParsedFiles  # only `diff` makes one

LOG = lazy_log.get_logger(__name__)


@dataclass(slots=True)
class LoadResult:
    """The load stage: the files read, the objects in them and the problems of the input."""

    files: list[LoadedFile] = field(default_factory=list)
    objects: list[RawObject] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # named paths that do not exist
    excluded: int = 0  # files left out by the config's `exclude` patterns
    skipped: list[SkippedFile] = field(default_factory=list)  # files read that hold no Kubernetes object
    rendered: list[tuple[str, str]] = field(default_factory=list)  # (chart or kustomization, how it was rendered)
    # Files whose objects reached the analysis through a render: `fix` never edits them.
    rendered_files: set[str] = field(default_factory=set)


def load_paths(paths: Iterable[str], limits: Limits = Limits(), is_excluded: Callable[[str], bool] | None = None,
               stdin: BinaryIO | None = None, render: RenderSettings | None = None, jobs: int | None = None,
               parsed: ParsedFiles | None = None) -> LoadResult:
    """Read the inputs. With `render`, Helm charts and kustomizations are rendered (or reported
    not rendered) instead of having their sources read as manifests (see load/render).

    Files are read and parsed on up to `jobs` processes (None or 0: every usable core; 1: this
    process only) when the input is large enough to gain from it; the result is the same.
    With `parsed`, a file whose bytes an earlier load of the run parsed is copied, not parsed
    again (load/reuse.py), and the files parsed here are remembered there."""
    result = LoadResult()
    paths = list(paths)
    files, result.missing, walk_problems, result.excluded = discover(paths, is_excluded)
    result.problems.extend(walk_problems)
    discovered, sources = files, None
    if render is not None and _may_render(paths, files):
        from policylint.load.render.run import prepare

        try:
            files, sources, aside = prepare(paths, files)
        except Exception as error:  # a bug in finding charts and kustomizations must not stop the run
            LOG.debug("internal error while looking for charts and kustomizations\n%s", lazy_log.traceback_text())
            aside = []
            result.problems.append(LoadProblem("internal", Span(files[0] if files else "<input>", 1, 1, 1, 1),
                                               f"internal error while looking for Helm charts and kustomizations: "
                                               f"{type(error).__name__}: {error}; they are read as plain files; "
                                               "please report it (--debug shows the traceback)"))
        for item in aside:
            result.files.append(LoadedFile(item.path))
            result.skipped.append(item)
    beside = sources.unlisted_beside(files) if sources is not None else {}
    for loaded in _read(files, limits, stdin, jobs, parsed):  # never raises: problems are recorded
        result.files.append(loaded)
        try:
            objects, problems = split_objects(loaded.documents)
            objects, problems, skipped = classify(loaded, objects, loaded.problems + problems)
            kustomization = beside.get(loaded.path)
            if kustomization:
                objects = [replace(o, beside=kustomization) for o in objects]
            if skipped is not None:
                result.skipped.append(skipped)
        except Exception as error:  # a bug must cost one file, not the whole run
            LOG.debug("internal error while splitting %s into objects\n%s", loaded.path, lazy_log.traceback_text())
            objects, problems = [], [*loaded.problems, LoadProblem(
                "internal", Span(loaded.path, 1, 1, 1, 1), f"internal error while reading the file: "
                f"{type(error).__name__}: {error}; please report it (--debug shows the traceback)")]
        result.objects.extend(objects)
        result.problems.extend(problems)
    if sources is not None and render is not None:
        from policylint.load.render.run import render_into

        render_into(result, sources, discovered, render, limits)
    return result


def _may_render(paths: list[str], files: list[str]) -> bool:
    """Whether the input may hold a Helm chart or a kustomization, for load/render to find: a
    file named on its own (it may belong to one in a folder above it), or a folder read that
    has `Chart.yaml`, a kustomization file, or `Kustomization` (a name without an extension,
    which the walk does not list). Most inputs have none, and then the renderers' code is not
    even imported."""
    if any(p != STDIN and not os.path.isdir(p) for p in paths):
        return True
    folders: set[str] = set()
    for path in files:
        if path == STDIN:
            continue
        folder, name = os.path.split(path)
        if name == CHART_FILE or name in KUSTOMIZATION_NAMES:
            return True
        folders.add(folder)
    return any(os.path.isfile(os.path.join(folder, "Kustomization")) for folder in folders)


def _read(files: list[str], limits: Limits, stdin: BinaryIO | None, jobs: int | None,
          parsed: ParsedFiles | None) -> Iterator[LoadedFile]:
    if parsed is None:
        yield from read_files(files, limits, stdin, jobs)
        return
    digests = parsed.digests(files, limits)
    copies = [parsed.copy_of(d, path, limits) for d, path in zip(digests, files)]
    fresh = read_files([path for path, c in zip(files, copies) if c is None], limits, stdin, jobs)
    for digest, copied in zip(digests, copies):
        if copied is not None:
            yield copied
        else:
            loaded = next(fresh)
            parsed.remember(digest, loaded, limits)
            yield loaded


def report_nothing_found(result: LoadResult) -> None:
    """Add the problem that says an input held files but no Kubernetes object (call once, last)."""
    from policylint.load.render.settings import NOT_RENDERED, RENDER_FAILED

    if any(p.kind in (*NOT_RENDERED, RENDER_FAILED) for p in result.problems):
        return  # the charts and kustomizations not rendered say why nothing was analysed
    problem = nothing_found(result.files, result.skipped, len(result.objects))
    if problem is not None:
        result.problems.append(problem)


__all__ = ["LoadResult", "Limits", "LoadProblem", "LoadedFile", "RawObject", "SkippedFile", "load_paths",
           "report_nothing_found"]
