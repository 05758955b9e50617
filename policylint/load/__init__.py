"""The load stage: files and stdin in, positioned Kubernetes objects and input problems out."""
from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterable

from policylint.load.classify import SkippedFile, classify, nothing_found
from policylint.load.inputs import LoadedFile, discover, read_file
from policylint.load.nodes import Span
from policylint.load.objects import RawObject, split_objects
from policylint.load.yaml_reader import Limits, LoadProblem

LOG = logging.getLogger(__name__)


@dataclass(slots=True)
class LoadResult:
    files: list[LoadedFile] = field(default_factory=list)
    objects: list[RawObject] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # named paths that do not exist
    excluded: int = 0  # files left out by the config's `exclude` patterns
    skipped: list[SkippedFile] = field(default_factory=list)  # files read that hold no Kubernetes object


def load_paths(paths: Iterable[str], limits: Limits = Limits(), is_excluded: Callable[[str], bool] | None = None,
               stdin: BinaryIO | None = None) -> LoadResult:
    result = LoadResult()
    files, result.missing, walk_problems, result.excluded = discover(paths, is_excluded)
    result.problems.extend(walk_problems)
    for path in files:
        loaded = read_file(path, limits, stdin)  # never raises: problems are recorded
        result.files.append(loaded)
        try:
            objects, problems = split_objects(loaded.documents)
            objects, problems, skipped = classify(loaded, objects, loaded.problems + problems)
            if skipped is not None:
                result.skipped.append(skipped)
        except Exception as error:  # a bug must cost one file, not the whole run
            LOG.debug("internal error while splitting %s into objects\n%s", loaded.path, traceback.format_exc())
            objects, problems = [], [*loaded.problems, LoadProblem(
                "internal", Span(loaded.path, 1, 1, 1, 1), f"internal error while reading the file: "
                f"{type(error).__name__}: {error}; please report it (--debug shows the traceback)")]
        result.objects.extend(objects)
        result.problems.extend(problems)
    return result


def report_nothing_found(result: LoadResult) -> None:
    """Add the problem that says an input held files but no Kubernetes object (call once, last)."""
    problem = nothing_found(result.files, result.skipped, len(result.objects))
    if problem is not None:
        result.problems.append(problem)


__all__ = ["LoadResult", "Limits", "LoadProblem", "LoadedFile", "RawObject", "SkippedFile", "load_paths",
           "report_nothing_found"]
