"""Buffered output for the matrix, which is written as it is computed."""
from __future__ import annotations

import click


class Output:
    """Buffered writes through click.echo: a few large writes, not one per line or one huge string.

    64K characters at a time: the parts, their join and its encoding are each that size, so the
    memory is reused from one write to the next. With a megabyte, the 0.5 MB document of the
    500-pod benchmark was held three times over in new memory, a twelfth of the page faults of
    the whole run."""

    LIMIT = 1 << 16

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self.LIMIT:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            click.echo("".join(self._parts), nl=False)
            self._parts.clear()
            self._size = 0

    def close(self) -> None:
        self.flush()
