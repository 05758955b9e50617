"""The load stage: files and stdin in, positioned Kubernetes objects and input problems out."""
from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterable

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


def load_paths(paths: Iterable[str], limits: Limits = Limits(), is_excluded: Callable[[str], bool] | None = None,
               stdin: BinaryIO | None = None) -> LoadResult:
    result = LoadResult()
    files, result.missing, walk_problems, result.excluded = discover(paths, is_excluded)
    result.problems.extend(walk_problems)
    for path in files:
        loaded = read_file(path, limits, stdin)  # never raises: problems are recorded
        result.files.append(loaded)
        result.problems.extend(loaded.problems)
        try:
            objects, problems = split_objects(loaded.documents)
        except Exception as error:  # a bug must cost one file, not the whole run
            LOG.debug("internal error while splitting %s into objects\n%s", loaded.path, traceback.format_exc())
            objects, problems = [], [LoadProblem("internal", Span(loaded.path, 1, 1, 1, 1),
                                                 f"internal error while reading the file: {type(error).__name__}: "
                                                 f"{error}; please report it (--debug shows the traceback)")]
        result.objects.extend(objects)
        result.problems.extend(problems)
    return result


__all__ = ["LoadResult", "Limits", "LoadProblem", "LoadedFile", "RawObject", "load_paths"]
