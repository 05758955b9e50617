"""How a message names a few of many things: `a, b, c and 4 more`."""
from __future__ import annotations

from typing import Iterable


def listing(items: Iterable[str], limit: int, quote: bool = False) -> str:
    """The first `limit` items joined by commas (each in backticks when `quote`), then how many
    more there are."""
    items = list(items)
    shown = ", ".join(f"`{item}`" if quote else item for item in items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"
