"""Load and model: what every command that reads manifests does first (`check`, `matrix`, `reach`,
`roles`, `diff`), without the rules, findings and suppressions of `policylint.analysis`, which
`matrix` and `reach` have no use for (importing them was about 1 % of a small `matrix`)."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO, Iterable, Iterator

from policylint.load import LoadResult, load_paths, report_nothing_found
from policylint.model import Cluster, build_cluster

if TYPE_CHECKING:
    from policylint.config import Config
    from policylint.load.reuse import ParsedFiles
    from policylint.pulumi import PulumiInputs


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the pipeline.

    The input, its model, the engine and the findings are one big heap of objects that lives to
    the end of the run and holds no reference cycles to speak of; each full collection rescans all
    of it, to free nothing (a sixth of `check`'s time on a 10,000-pod cluster). Objects are
    still freed by reference counting; whatever cycle a step leaves behind is collected once the
    collector runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_and_model(paths: Iterable[str], config: Config, stdin: BinaryIO | None = None,
                   pulumi: PulumiInputs | None = None, parsed: ParsedFiles | None = None
                   ) -> tuple[LoadResult, Cluster]:
    """`parsed`: files an earlier load of the run parsed (`diff`'s other side), see load/reuse.py."""
    with collector_paused():
        loaded = load_paths(paths, config.limits, config.is_excluded if config.exclude else None, stdin, config.render,
                            config.jobs, parsed)
        if pulumi:
            from policylint.pulumi import load_programs  # runs user code: only when --pulumi asks for it

            load_programs(pulumi, loaded, config.limits)
        report_nothing_found(loaded)
        return loaded, build_cluster(loaded.objects, config.namespace)
