"""Buffered output for the matrix, which is written as it is computed."""
from __future__ import annotations

import click


class Output:
    """Buffered writes through click.echo: a few large writes, not one per line or one huge string."""

    LIMIT = 1 << 20

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
