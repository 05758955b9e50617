"""What a fix is: edits, how safe they are, and what connectivity they may change."""
from __future__ import annotations

from dataclasses import dataclass, field

from policylint.engine.ports import ALL_PORTS, EMPTY_PORTS, PortSet
from policylint.fix.text import TextEdit
from policylint.findings import Finding

EXTERNAL = "<external>"  # in a Need: any address outside the cluster's pods
SAFE = "safe"  # keeps every connection, or adds only what the finding says is missing
UNSAFE = "unsafe"  # may allow more than the finding needs: applied only when asked


@dataclass(frozen=True, slots=True)
class Need:
    """Connections a fix may add: from any of `sources` to any of `destinations` (workload ids)
    on `ports` (every port when None). A fix without needs must not change any connection."""

    sources: frozenset[str]
    destinations: frozenset[str]
    ports: PortSet | None = None

    def allowed(self, source: str, destination: str, source_external: bool = False,
                destination_external: bool = False) -> PortSet:
        if (EXTERNAL if source_external else source) in self.sources and \
                (EXTERNAL if destination_external else destination) in self.destinations:
            return ALL_PORTS if self.ports is None else self.ports
        return EMPTY_PORTS


@dataclass(frozen=True, slots=True)
class Fix:
    finding: Finding
    title: str  # "add `namespaceSelector` for `data-services` to the peer"
    safety: str
    edits: tuple[TextEdit, ...]
    needs: tuple[Need, ...] = ()
    # Connections the fix may take away: only ports on which no receiving pod listens (a
    # Service's port written where the pod port belongs).
    drops: tuple[Need, ...] = ()


@dataclass(frozen=True, slots=True)
class NoFix:
    """A finding that has no mechanical fix, and why (shown to the user)."""

    finding: Finding
    reason: str


@dataclass(slots=True)
class FixOutcome:
    """What `fix` did: fixes applied (proved), fixes refused and why, findings left unfixed."""

    applied: list[Fix] = field(default_factory=list)
    # id(fix) -> its edits in the coordinates of the files as read (None: inside an earlier insertion)
    original_edits: dict[int, tuple[TextEdit, ...] | None] = field(default_factory=dict)
    refused: list[tuple[Fix, str]] = field(default_factory=list)
    skipped_unsafe: list[Fix] = field(default_factory=list)
    unfixable: list[NoFix] = field(default_factory=list)
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (before, after)
    # finding key -> the finding as first reported (later rounds see shifted lines)
    first_seen: dict[tuple, Finding] = field(default_factory=dict)

    def as_read(self, finding: Finding) -> Finding:
        return self.first_seen.get(finding.stable_key, finding)

    @property
    def changed_paths(self) -> list[str]:
        return sorted(p for p, (before, after) in self.texts.items() if before != after)
