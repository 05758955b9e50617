"""Exposure: who else could reach a workload, and what else it could reach.

`matrix` answers for the pods it was given. Exposure answers for the peers the input does not
contain, described by what they would have to be — "any pod in a namespace matching
{team=research}", "pods matching {app=notebook} in namespace ml", "any pod in the cluster",
"any address in 0.0.0.0/0" — with the ports, for every policy kind the engine evaluates.

- `constraints` — label selectors as an algebra (meet, complement, satisfiability)
- `space` — the hypothetical peers cut into regions every policy treats alike
- `probes` — one representative pod per region, added to a copy of the input
- `analysis` — the engine's answers for the representatives, described as claims
- `model` — `Claim` and `Peer` (what a claim says, in text and JSON)
- `described` — a described peer given on the command line (`ns:team=a/pod:app=b`)
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policylint.exposure.analysis import analyse, least_work
    from policylint.exposure.model import INBOUND, OUTBOUND, Claim, Peer

# Imported on first use (PEP 562): `reach` with a described pod needs only `described` and
# `constraints`, not the analysis with its engine runs.
_FROM = {"analyse": "analysis", "least_work": "analysis", "INBOUND": "model", "OUTBOUND": "model", "Claim": "model", "Peer": "model"}

__all__ = ["INBOUND", "OUTBOUND", "Claim", "Peer", "analyse", "least_work"]


def __getattr__(name: str) -> Any:
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_FROM[name]}"), name)
    globals()[name] = value
    return value
