"""Loggers that import `logging` when they are first used.

policylint logs internal errors (with tracebacks under --debug) and little else, so a run rarely
logs anything; importing `logging` (with `traceback`, `string` and the rest it imports) was about
1 % of the instructions of a small `matrix`, and 2 % of its page faults (`docs/startup.md`).
`get_logger(name)` stands in for `logging.getLogger(name)`: a record goes to that logger, with
whatever handlers it has, as before.

The command line's configuration of `logging` (`policylint.cli.common.setup_logging`) is made
with `configure`: at once when `logging` is already imported, or else when a logger of this
module first logs, before its record is handled. policylint's modules log through here; one
that imports `logging` itself logs as before (DEBUG records, which --debug configures at once).
"""
from __future__ import annotations

import sys
from typing import Any, Callable

_pending: list[Callable[[], None]] = []


def configure(setup: Callable[[], None]) -> None:
    """Run `setup` (which imports and configures `logging`) now if `logging` is imported, or
    before the first record of a logger of this module."""
    if "logging" in sys.modules:
        _pending.clear()
        setup()
    else:
        _pending[:] = [setup]


def _logging() -> Any:
    import logging

    while _pending:
        _pending.pop()()
    return logging


class Logger:
    """The methods of `logging.Logger` that policylint calls, forwarded to the logger `name`
    (`stacklevel`: a record names the line that logged it, not this module)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def _logger(self) -> Any:
        return _logging().getLogger(self.name)

    def debug(self, message: str, *args: Any, **kwargs: Any) -> None:
        self._logger().debug(message, *args, stacklevel=2, **kwargs)

    def info(self, message: str, *args: Any, **kwargs: Any) -> None:
        self._logger().info(message, *args, stacklevel=2, **kwargs)

    def warning(self, message: str, *args: Any, **kwargs: Any) -> None:
        self._logger().warning(message, *args, stacklevel=2, **kwargs)

    def error(self, message: str, *args: Any, **kwargs: Any) -> None:
        self._logger().error(message, *args, stacklevel=2, **kwargs)


def get_logger(name: str) -> Logger:
    return Logger(name)


def traceback_text() -> str:
    """`traceback.format_exc()`, imported when an error is logged."""
    import traceback

    return traceback.format_exc()
