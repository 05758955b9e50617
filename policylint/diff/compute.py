"""Compare two analysed versions: connections, objects and findings, into a `DiffResult`."""
from __future__ import annotations

from policylint.diff.causes import Blame, Pair
from policylint.budget import Budget, BudgetExceeded
from policylint.diff.exposure import EXPOSURE_BUDGET, exposure_changes
from policylint.diff.connections import OUT, SideMatrix, external_changes, pod_changes, refinement, side_matrix
from policylint.diff.model import (ADDED, CHANGED, NARROWED, NEW, OLD, REMOVED, WIDENED, ConnectionChange,
                                   DiffResult, EndpointRef, Gates, Ignored, Location, SideSummary)
from policylint.diff.objects import finding_changes, namespace_changes, policy_changes, workload_changes
from policylint.diff.scope import Touched, touched
from policylint.diff.sides import Side
from policylint.engine.endpoints import EXTERNAL, Endpoint
from policylint.engine.ipset import IPRange
from policylint.engine.ports import PortSet


def compute_diff(old: Side, new: Side, gates: Gates = Gates(), *, everything: bool = False,
                 exposure: bool = True) -> DiffResult:
    """`everything` compares every pair instead of the pairs a change can touch (for tests);
    `exposure=False` leaves out exposure to peers outside the input (for tests of the pairs:
    exposure costs more than the pairs on small random inputs and has tests of its own)."""
    policies = policy_changes(old, new)
    edited = {r.id for r in policies.added + policies.removed} | {e.id for e in policies.changed}
    blame = Blame(old, new, {_base_id(i) for i in edited})
    only = None if everything else touched(old, new, edited)
    introduced, fixed = finding_changes(old.findings, new.findings)
    # Every workload: a policy of any namespace may change who else could reach one (the
    # egress policies of the namespace a new pod would be in), which `touched` does not follow.
    exposed, unchecked = (), False
    if exposure:
        try:
            exposed = exposure_changes(old, new, None, Budget(EXPOSURE_BUDGET))
        except BudgetExceeded:
            unchecked = True
    return DiffResult(
        old=_summary(old, OLD),
        new=_summary(new, NEW),
        connections=_connections(old, new, blame, only),
        workloads=workload_changes(old, new),
        policies=policies,
        namespaces=namespace_changes(old, new),
        introduced=introduced,
        fixed=fixed,
        gates=gates,
        exposure=exposed,
        exposure_unchecked=unchecked,
    )


def _base_id(policy_id: str) -> str:
    return policy_id.split("#", 1)[0]


def _summary(side: Side, version: str) -> SideSummary:
    from policylint.caveats import not_evaluated

    c = side.cluster
    ignored = tuple(Ignored(p.kind, p.api_version, p.namespace, p.name, Location(version, *side.where(p.source.span)))
                    for p in not_evaluated(c))
    return SideSummary(side.label, len(side.analysis.load.files), len(c.namespaces), len(c.workloads),
                       len(c.policies), side.revision, side.absent, ignored)


def classify(old: PortSet, new: PortSet) -> str:
    if old.is_empty:
        return ADDED
    if new.is_empty:
        return REMOVED
    gained, lost = not (new - old).is_empty, not (old - new).is_empty
    return CHANGED if gained and lost else WIDENED if gained else NARROWED


def workload_ref(endpoint: Endpoint) -> EndpointRef:
    w = endpoint.workload
    return EndpointRef(endpoint.id, endpoint.kind, w.namespace, w.name, tuple(sorted(w.labels.items())))


def range_ref(version: int, first: int, last: int) -> EndpointRef:
    r = IPRange(version, first, last)
    return EndpointRef(r.text, EXTERNAL, version=version, first=first, last=last, cidrs=r.cidrs())


def _connections(old: Side, new: Side, blame: Blame, only: Touched | None) -> tuple[ConnectionChange, ...]:
    """Every changed pair, in `ConnectionChange.sort_key` order."""
    om, nm = side_matrix(old.engine, only), side_matrix(new.engine, only)

    refs: dict[str, EndpointRef] = {}

    def ref(workload: str) -> EndpointRef:
        # once per workload: a DNS pod is the destination of every pod's changed pair
        found = refs.get(workload)
        if found is None:
            found = refs[workload] = workload_ref(nm.workloads.get(workload) or om.workloads[workload])
        return found

    # A change to a policy many pods go through changes hundreds of thousands of pairs from the
    # same old ports to the same new ones: the difference is computed once per such couple.
    deltas: dict[tuple[PortSet, PortSet], tuple[str, PortSet, PortSet]] = {}

    def delta(before: PortSet, after: PortSet) -> tuple[str, PortSet, PortSet]:
        found = deltas.get((before, after))
        if found is None:
            found = deltas[(before, after)] = (classify(before, after), after - before, before - after)
        return found

    # The loop runs once per changed pair (300,000 for the cluster DNS policy of a 150,000-pod
    # cluster): the look-ups are written out rather than made through small helpers.
    pods: list[ConnectionChange] = []
    old_workloads, new_workloads = om.workloads, nm.workloads
    because_pods = blame.because_pods
    for src, dst, before, after in pod_changes(om, nm):
        kind, gained, lost = delta(before, after)
        s, d = old_workloads.get(src), old_workloads.get(dst)
        old_pair = (s, d) if s is not None and d is not None else None
        s, d = new_workloads.get(src), new_workloads.get(dst)
        new_pair = (s, d) if s is not None and d is not None else None
        source, destination = refs.get(src) or ref(src), refs.get(dst) or ref(dst)
        pods.append(ConnectionChange(kind, source, destination, before, after,
                                     because_pods(old_pair, new_pair, gained, lost)))

    external = []
    for change in external_changes(om, nm, refinement(om.ranges, nm.ranges), only):
        pairs = [(_range_pair(om, change.workload, p_old, change.direction),
                  _range_pair(nm, change.workload, p_new, change.direction)) for p_old, p_new in change.positions]
        kind, gained, lost = delta(change.old, change.new)
        because = blame.because(pairs, gained, lost)
        outside = range_ref(change.version, change.first, change.last)
        src, dst = (ref(change.workload), outside) if change.direction == OUT else (outside, ref(change.workload))
        external.append(ConnectionChange(kind, src, dst, change.old, change.new, because))
    if not external:
        # `pod_changes` gives the pairs sorted by (source id, destination id), which is their
        # `sort_key` order (a workload's key is its id); only ranges need sorting in among them.
        return tuple(pods)
    return tuple(sorted(pods + external, key=ConnectionChange.sort_key))


def _range_pair(m: SideMatrix, workload: str, position: int, direction: str) -> Pair | None:
    endpoint = m.workloads.get(workload)
    if endpoint is None:
        return None
    external = m.ranges[position]
    return (endpoint, external) if direction == OUT else (external, endpoint)

