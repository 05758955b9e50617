"""The engine stage: selectors, ports, IP ranges and connectivity between endpoints."""
from policylint.engine.connectivity import Engine
from policylint.engine.endpoints import EXTERNAL, Endpoint
from policylint.engine.explain import Explanation
from policylint.engine.ports import ALL_PORTS, EMPTY_PORTS, PortSet

__all__ = ["ALL_PORTS", "EMPTY_PORTS", "EXTERNAL", "Endpoint", "Engine", "Explanation", "PortSet"]
