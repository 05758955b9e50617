"""The result of a diff, as immutable values that every renderer reads.

Connections are kept one pair at a time (the JSON lists them so); grouping pairs into readable
lines is the renderers' business (`grouping.py`).
"""
from __future__ import annotations

from dataclasses import dataclass

from policylint.engine.ports import PortSet
from policylint.findings import Finding, Severity

OLD, NEW = "old", "new"
ADDED, REMOVED, WIDENED, NARROWED, CHANGED = "added", "removed", "widened", "narrowed", "changed"
# Every pair is in exactly one class: `changed` gained some ports and lost others.
CHANGE_KINDS = (ADDED, REMOVED, WIDENED, NARROWED, CHANGED)
GAINING = (ADDED, WIDENED, CHANGED)


@dataclass(frozen=True, slots=True)
class EndpointRef:
    """A workload (matched across versions by id) or an external address range."""

    id: str
    kind: str  # workload kind, or "External"
    namespace: str | None = None
    name: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    version: int = 0  # IP family of an external range
    first: int = 0  # external range bounds, as integers
    last: int = 0
    cidrs: tuple[str, ...] = ()

    @property
    def is_external(self) -> bool:
        return self.kind == "External"

    def sort_key(self) -> tuple:
        if self.is_external:
            return (1, "", self.version, self.first, self.last)
        return (0, self.id, 0, 0, 0)


@dataclass(frozen=True, slots=True, order=True)
class Location:
    version: str  # old or new
    path: str
    line: int


@dataclass(frozen=True, slots=True, order=True)
class RuleRef:
    """A rule that allows (new) or allowed (old) some of the ports that changed."""

    location: Location
    policy: str  # namespace/name
    rule: str  # ingress[0], egress[2]
    edited: bool  # its policy was added, removed or edited by the change


@dataclass(frozen=True, slots=True, order=True)
class TierRuleRef:
    """A cluster-wide policy rule that decided some of the ports that changed."""

    location: Location
    policy: str  # "AdminNetworkPolicy name"
    rule: str  # ingress[0], egress[2]
    name: str  # the rule's name, "" when it has none
    tier: str  # admin, baseline
    verdict: str  # allow, deny, unknown
    edited: bool


@dataclass(frozen=True, slots=True, order=True)
class PolicyRef:
    location: Location
    policy: str


@dataclass(frozen=True, slots=True, order=True)
class IsolationChange:
    """A pair's pod end stopped (or started) being isolated in one direction.

    Egress concerns the source, Ingress the destination. `old`/`new` are the policies that
    isolate it in each version (empty: not isolated)."""

    direction: str
    old: tuple[PolicyRef, ...]
    new: tuple[PolicyRef, ...]


@dataclass(frozen=True, slots=True)
class Because:
    rules: tuple[RuleRef, ...] = ()
    isolation: tuple[IsolationChange, ...] = ()
    depends_on_invalid: tuple[str, ...] = ()  # versions whose answer rests on an invalid policy
    # Cluster-wide policy rules that decided the changed ports: in the version where they are
    # allowed, the rules that allow them; in the other, the rules that deny them (or may).
    tier_rules: tuple[TierRuleRef, ...] = ()


@dataclass(frozen=True, slots=True)
class ConnectionChange:
    change: str
    src: EndpointRef
    dst: EndpointRef
    old: PortSet
    new: PortSet
    because: Because

    @property
    def gained(self) -> PortSet:
        return self.new - self.old

    @property
    def lost(self) -> PortSet:
        return self.old - self.new

    @property
    def namespace(self) -> str:
        """Where the change is filed: the destination's namespace, or the source's for traffic
        to an external range."""
        return self.dst.namespace or self.src.namespace or ""

    def sort_key(self) -> tuple:
        return (self.src.sort_key(), self.dst.sort_key())


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A workload, policy or namespace on one side, with what the diff reports about it."""

    id: str
    kind: str
    location: Location | None
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ObjectEdit:
    id: str
    kind: str
    old: ObjectRef
    new: ObjectRef
    # what changed, field by field: (field, old text, new text), e.g. ("labels", "role=a", "role=b")
    fields: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ObjectChanges:
    added: tuple[ObjectRef, ...] = ()
    removed: tuple[ObjectRef, ...] = ()
    changed: tuple[ObjectEdit, ...] = ()

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)}


@dataclass(frozen=True, slots=True)
class Ignored:
    """A policy object of a kind policylint does not evaluate: the answer may be wrong there."""

    kind: str
    api_version: str
    namespace: str | None
    name: str
    location: Location


@dataclass(frozen=True, slots=True)
class SideSummary:
    label: str
    files: int
    namespaces: int
    workloads: int
    policies: int
    revision: str | None = None  # the git revision of a `--base` side
    absent: tuple[str, ...] = ()  # paths that did not exist at that revision
    not_evaluated: tuple[Ignored, ...] = ()


@dataclass(frozen=True, slots=True)
class Gates:
    fail_on_new: Severity | None = None
    fail_on_widened: bool = False


@dataclass(frozen=True, slots=True)
class DiffResult:
    old: SideSummary
    new: SideSummary
    connections: tuple[ConnectionChange, ...]
    workloads: ObjectChanges
    policies: ObjectChanges
    namespaces: ObjectChanges
    introduced: tuple[Finding, ...]
    fixed: tuple[Finding, ...]
    gates: Gates = Gates()
    exposure: tuple = ()  # ExposureChange (diff/exposure.py): peers the input does not contain
    # The exposure analysis ran out of its budget (EXPOSURE_BUDGET): `exposure` is then empty
    # because it was not computed, which the command says.
    exposure_unchecked: bool = False

    def count(self, change: str) -> int:
        return sum(1 for c in self.connections if c.change == change)

    @property
    def failures(self) -> list[str]:
        """Why the gates fail (empty: they pass)."""
        reasons = []
        if self.gates.fail_on_widened:
            gaining = sum(1 for c in self.connections if c.change in GAINING)
            if gaining:
                reasons.append(f"{gaining} connection{'s' if gaining != 1 else ''} gained ports (--fail-on-widened)")
            # A workload opened to pods the input does not contain (every namespace, say) widens
            # access as surely as a new pair does, even when no such pod exists yet.
            exposed = sum(1 for e in self.exposure if e.change in GAINING)
            if exposed:
                reasons.append(f"{exposed} exposure{'s' if exposed != 1 else ''} to peers outside the input gained ports "
                               "(--fail-on-widened)")
        threshold = self.gates.fail_on_new
        if threshold is not None:
            worse = sum(1 for f in self.introduced if f.severity >= threshold)
            if worse:
                reasons.append(f"{worse} new finding{'s' if worse != 1 else ''} at or above {threshold.label} "
                               f"(--fail-on-new {threshold.label})")
        return reasons

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    @property
    def is_empty(self) -> bool:
        return not (self.connections or self.exposure or self.introduced or self.fixed or any(
            c.added or c.removed or c.changed for c in (self.workloads, self.policies, self.namespaces)))
