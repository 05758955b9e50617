"""Reading and parsing input files on several cores.

Parsing YAML is most of the load stage, and files are independent, so worker processes read and
parse them while the main process receives the results in input order. What a worker sends back
is the `LoadedFile` itself, pickled: positions are packed into arrays (see nodes.py), so a
file's values pickle at about a third of their parse time in the worker and unpickle at about a
seventh in the main process. Nothing else changes: the objects, problems and directive lines
are those `read_file` makes in one process, and the files are handed on in the same order.

The pool is started only when the input is large enough to pay for it (`PARALLEL_MIN_BYTES`):
a small repository or the seed example stays in one process, and `multiprocessing` is imported
only then. Anything that goes wrong with the pool — no `fork`, a worker killed, a result that
does not pickle (values nested hundreds of levels deep) — costs nothing but time: the files
concerned are read again in this process.

One large `kind: List` file (a cluster export) is cut at its items and parsed in parts, each in
a worker; see split.py for when that is done and why it gives exactly the whole parse's result.
"""
from __future__ import annotations

import os
import stat
from typing import Any, BinaryIO, Callable, Iterator

from policylint import lazy_log
from policylint.load.inputs import STDIN, LoadedFile, read_file
from policylint.load.yaml_reader import Limits, parse_text

LOG = lazy_log.get_logger(__name__)

JOBS_ENV = "POLICYLINT_JOBS"
# Below this many bytes of input in all, one process is faster: starting the workers and sending
# the results back costs more than parsing (measured: ~1 MB of YAML parses in about 0.15 s).
PARALLEL_MIN_BYTES = 2 << 20
# A List file at least this large is cut in parts (split.py): its parse alone pays for the pool.
SPLIT_MIN_BYTES = 4 << 20


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def idle_cores(cores: int) -> int:
    """Of `cores`, how many the last minute's load average leaves idle (at least 1)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        return cores
    return max(1, min(cores, cores - int(load + 0.5)))


def resolve_jobs(jobs: int | None) -> int:
    """Processes to use: `jobs` when positive, else the usable cores that are idle.

    The parallel path costs about 40 % more CPU in all (bench/results.md), so it only pays on an
    idle core: on a machine whose load average already fills its cores, one process is faster.
    """
    if jobs is not None and jobs > 0:
        return jobs
    return idle_cores(usable_cores())


def _size(path: str) -> int:
    """The size of a regular file; -1 for anything else (stdin, a pipe such as `<(helm template)`,
    a file that cannot be read), which this process reads itself: a worker started by spawn
    could not open `/dev/fd/63`, and a pipe's size says nothing."""
    if path == STDIN:
        return -1
    try:
        info = os.stat(path)
    except OSError:
        return -1
    return info.st_size if stat.S_ISREG(info.st_mode) else -1


def _parse_in_worker(path: str, limits: Limits) -> LoadedFile:
    return read_file(path, limits)


class Pool:
    """A process pool that fails soft: `submit` returns None when work cannot be handed out."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: Any = None
        self._broken = False

    def _start(self) -> Any:
        if self._executor is None and not self._broken:
            try:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                methods = multiprocessing.get_all_start_methods()
                # fork starts a worker in milliseconds and shares the loaded modules; spawn (where
                # fork does not exist) re-imports the loader in each worker.
                context = multiprocessing.get_context("fork" if "fork" in methods else None)
                self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
            except Exception:  # no semaphores (some containers), no processes: one process it is
                LOG.debug("cannot start worker processes; reading in one process\n%s", lazy_log.traceback_text())
                self._broken = True
        return self._executor

    def submit(self, function: Callable[..., Any], *args: Any) -> Any:
        executor = self._start()
        if executor is None:
            return None
        try:
            return executor.submit(function, *args)
        except Exception:  # a broken pool (a worker was killed): the rest runs here
            LOG.debug("worker pool broken; reading in one process\n%s", lazy_log.traceback_text())
            self._broken = True
            return None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def result_of(future: Any) -> Any:
    """The future's result, or None when the worker failed (the caller redoes the work here)."""
    if future is None:
        return None
    try:
        return future.result()
    except Exception:
        LOG.debug("a worker failed; doing its work in this process\n%s", lazy_log.traceback_text())
        return None


def read_files(paths: list[str], limits: Limits, stdin: BinaryIO | None = None, jobs: int | None = None
               ) -> Iterator[LoadedFile]:
    """`read_file` of each path, in order, on up to `jobs` processes (None or 0: every usable core).

    This process is one of them: it reads the files no worker has started yet (`cancel` succeeds
    on those), which spares their results the trip through pickle, and it parses smaller files
    while it waits for a worker's. A large List file is cut in parts (split.py), whether it is
    a file, a pipe or standard input (`kubectl get -A -o yaml | policylint check -`).
    """
    jobs = resolve_jobs(jobs)
    if jobs <= 1 or not paths:
        yield from (read_file(path, limits, stdin) for path in paths)
        return
    pool = Pool(jobs - 1)  # no process is started before work is handed to it

    def parse(text: str, name: str, bounds: Limits) -> Any:
        if len(text) < SPLIT_MIN_BYTES:
            return parse_text(text, name, bounds)
        from policylint.load import split

        return split.parse_split(text, name, bounds, pool, jobs * split.PARTS_PER_PROCESS)

    try:
        sizes = [_size(path) for path in paths]
        if sum(max(size, 0) for size in sizes) < PARALLEL_MIN_BYTES:
            # Small files stay here; what has no size (a pipe, stdin) may still be a large List.
            yield from (read_file(path, limits, stdin, parse if size < 0 else None) for path, size in zip(paths, sizes))
            return
        # Largest first, so that a big file does not start last; this process takes the smallest.
        order = sorted((i for i, size in enumerate(sizes) if 0 <= size < SPLIT_MIN_BYTES), key=lambda i: -sizes[i])
        futures: dict[int, Any] = {i: pool.submit(_parse_in_worker, paths[i], limits) for i in order}
        stealable = list(order)
        done: dict[int, LoadedFile] = {}
        for i, path in enumerate(paths):
            while i not in done:
                future = futures.get(i)
                if future is None or future.cancel():
                    done[i] = read_file(path, limits, stdin, parse)
                elif future.done() or not _steal(stealable, futures, done, paths, limits):
                    loaded = result_of(future)
                    done[i] = loaded if loaded is not None else read_file(path, limits, stdin)
            yield done.pop(i)
    finally:
        pool.close()


def _steal(stealable: list[int], futures: dict[int, Any], done: dict[int, LoadedFile], paths: list[str],
           limits: Limits) -> bool:
    """Read here one file that no worker has started (the smallest left); False if none is left."""
    while stealable:
        j = stealable.pop()
        future = futures.get(j)
        if j not in done and future is not None and future.cancel():
            done[j] = read_file(paths[j], limits)
            return True
    return False
