"""The engine stage: selectors, ports, IP ranges and connectivity between endpoints."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from policylint.engine.connectivity import Engine
from policylint.engine.endpoints import EXTERNAL, Endpoint
from policylint.engine.ports import ALL_PORTS, EMPTY_PORTS, PortSet

if TYPE_CHECKING:
    from policylint.engine.explain import Explanation

__all__ = ["ALL_PORTS", "EMPTY_PORTS", "EXTERNAL", "Endpoint", "Engine", "Explanation", "PortSet"]


def __getattr__(name: str) -> Any:
    # The explanation module is only needed by `reach` and the rules that explain a denial:
    # `matrix` does not pay for importing it.
    if name == "Explanation":
        from policylint.engine.explain import Explanation

        return Explanation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
