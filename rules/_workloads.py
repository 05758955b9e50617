"""Shared by the rules that compare policies with the workloads of the input (PL110-PL113,
PL115, PL305, PL306, PL401-PL405): which workloads a set of engine atoms stands for, synthetic
selectors and peers for engine questions, and the positions of policy fields the model does not
keep. This module is not a rule and is not registered.

Everything here is computed once per analysis (in the run's cache) and works on the engine's
atom bitsets, never on pairs of workloads: the rules run on inputs with 10,000 pods.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from policylint.engine.bits import iter_bits
from policylint.engine.label_index import LabelIndex
from policylint.findings import Finding, Related
from policylint.listing import listing
from policylint.load.nodes import Span, YMap, YSeq
from policylint.model.types import Cluster, LabelSelector, NetworkPolicy, Peer, Source, Workload
from policylint.rule_api import RuleContext

SYNTHETIC = Span("<policylint>", 1, 1, 1, 1)
MAX_NAMED = 3  # workloads named in one message; the rest are counted (all are related locations)
MAX_RELATED = 20


def selector(labels: Mapping[str, str]) -> LabelSelector:
    """A valid matchLabels-only selector that no manifest wrote (for engine questions)."""
    return LabelSelector(tuple(sorted(labels.items())), (), True, Source(None, "", "", SYNTHETIC))


EVERYTHING = selector({})


def peer(pod_selector: LabelSelector | None, namespace_selector: LabelSelector | None) -> Peer:
    return Peer(pod_selector, namespace_selector, None, True, Source(None, "", "", SYNTHETIC))


class WorkloadIndex:
    """The workloads behind the engine's atoms, and per-namespace atom sets."""

    def __init__(self, engine: Any, cluster: Cluster) -> None:
        self.engine = engine
        self.cluster = cluster
        self.by_atom: dict[int, list[Workload]] = {}
        self.namespace_bits: dict[str, int] = {}
        self.pods = 0
        self.host_network = 0
        for endpoint in engine.endpoints:
            workload = endpoint.workload
            if workload is None:
                continue
            bit = 1 << endpoint.atom
            self.by_atom.setdefault(endpoint.atom, []).append(workload)
            self.namespace_bits[workload.namespace] = self.namespace_bits.get(workload.namespace, 0) | bit
            self.pods |= bit
            if workload.host_network:
                self.host_network |= bit
        names = sorted(cluster.namespaces)
        self.namespace_names = names
        self.namespace_index = LabelIndex([cluster.namespaces[n].labels for n in names])

    def workloads(self, bits: int) -> list[Workload]:
        """The workloads of the pod atoms in `bits`, in endpoint order."""
        return [w for atom in iter_bits(bits & self.pods) for w in self.by_atom[atom]]

    def namespaces_matching(self, namespace_selector: LabelSelector) -> list[str]:
        """Namespaces of the input (declared or used) that a namespaceSelector matches."""
        return [self.namespace_names[i] for i in iter_bits(self.namespace_index.match(namespace_selector))]

    def everywhere(self, policy: NetworkPolicy, pod_selector: LabelSelector) -> int:
        """Atoms of the pods in any namespace that `pod_selector` matches."""
        return self.engine.peer_bits(policy, peer(pod_selector, EVERYTHING))


def index(ctx: RuleContext) -> WorkloadIndex:
    """The index of this analysis (built once, shared by all rules through the run's cache)."""
    return ctx.cached(WorkloadIndex, lambda: WorkloadIndex(ctx.engine, ctx.cluster))


# -- messages ------------------------------------------------------------------------------------

def quote_list(items: Iterable[str], limit: int = MAX_NAMED) -> str:
    """`a`, `b`, `c` and 4 more."""
    return listing(items, limit, quote=True)


def workload_related(workloads: Iterable[Workload], message: str) -> list[Related]:
    """Related locations for workloads (their pod labels), `message` formatted with `{id}`."""
    return [Related(labels_span(w), message.format(id=w.id)) for w in list(workloads)[:MAX_RELATED]]


def labels_span(workload: Workload) -> Span:
    """Where a workload's pod labels are written: `metadata.labels` of its pod template (or Pod),
    else its `metadata`, else the template itself."""
    node = workload.source.node
    metadata = node.get("metadata") if isinstance(node, YMap) else None
    if isinstance(metadata, YMap) and "labels" in metadata:
        return metadata.span_of_key("labels")
    if isinstance(node, YMap) and "metadata" in node:
        return node.span_of_key("metadata")
    return workload.source.span


# -- positions -----------------------------------------------------------------------------------

def _child(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, YMap) else None


def spec_node(policy: NetworkPolicy) -> YMap | None:
    node = _child(policy.source.node, "spec")
    return node if isinstance(node, YMap) else None


def spec_key_span(policy: NetworkPolicy, key: str) -> Span | None:
    """The line of `spec.<key>` itself, or None when it is not written."""
    spec = spec_node(policy)
    return spec.span_of_key(key) if spec is not None and key in spec else None


def name_span(policy: NetworkPolicy) -> Span:
    """The policy's `metadata.name` value (the object itself when it has none)."""
    metadata = _child(policy.source.node, "metadata")
    if isinstance(metadata, YMap) and "name" in metadata:
        return metadata.span_of_value("name")
    return policy.source.span


def policy_types_item_span(policy: NetworkPolicy, value: str) -> Span | None:
    """The `policyTypes` entry equal to `value`, as written."""
    node = _child(spec_node(policy), "policyTypes")
    if isinstance(node, YSeq):
        for i, item in enumerate(node):
            if item == value:
                return node.span_of_item(i)
    return None


def finding_at(ctx: RuleContext, span: Span, policy: NetworkPolicy | None, field_path: str, message: str,
               related: Iterable[Related] = (), causes: Iterable[Any] = ()) -> Finding:
    return ctx.finding(span, message, related=related,
                       object=policy.source.object if policy is not None else "", field_path=field_path,
                       causes=causes)
