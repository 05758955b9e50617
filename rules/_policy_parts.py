"""Shared by the semantic policy rules: the positioned parts of a policy the model does not keep.

The model keeps a `Source` for every rule, peer, port and selector, but not for `spec` itself or
`metadata`. Rules about `policyTypes` or about an empty `egress` list need to point at keys of
`spec`, so these helpers wrap those mappings in a `Source` (positions still come from the loader).
This module is not a rule and is not registered.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from policylint.findings import Finding, Related
from policylint.load.nodes import YMap
from policylint.model.types import NetworkPolicy, Peer, PolicyPort, Rule, Source
from policylint.rule_api import RuleContext


def _child(parent: Source, key: str) -> Source | None:
    node = parent.node.get(key) if isinstance(parent.node, YMap) else None
    if not isinstance(node, YMap):
        return None
    return Source(node, parent.child_path(key), parent.object)


def spec_source(policy: NetworkPolicy) -> Source | None:
    """`spec` of the policy, or None when it is missing or not a mapping."""
    return _child(policy.source, "spec")


def metadata_source(policy: NetworkPolicy) -> Source | None:
    return _child(policy.source, "metadata")


def raw(source: Source, key: str, default: Any = None) -> Any:
    """The value of `key` as written in the mapping behind `source`."""
    return source.node.get(key, default) if isinstance(source.node, YMap) else default


def at_key(ctx: RuleContext, source: Source, key: str, message: str,
           related: Iterable[Related] = ()) -> Finding:
    """A finding on the line of `key` itself (not of its value, which may start a line below)."""
    return ctx.finding(source.key_span(key), message, related=related,
                       object=source.object, field_path=source.child_path(key))


def key_related(source: Source, key: str, message: str) -> Related:
    return Related(source.key_span(key), message)


def all_rules(policy: NetworkPolicy) -> Iterator[Rule]:
    yield from policy.ingress
    yield from policy.egress


def all_peers(policy: NetworkPolicy) -> Iterator[tuple[Rule, Peer]]:
    for rule in all_rules(policy):
        for peer in rule.peers:
            yield rule, peer


def admits_every_namespace(peer: Peer, exclusions_count: bool = False) -> bool:
    """Whether a peer admits every pod of every namespace: `namespaceSelector: {}` and no
    podSelector, or an empty one. With `exclusions_count`, a namespaceSelector that only excludes
    (NotIn and DoesNotExist expressions, no matchLabels) counts too: it admits every namespace but
    the few it names, including any created later."""
    selector = peer.namespace_selector
    if selector is None or not selector.valid or selector.match_labels:
        return False
    if any(not exclusions_count or r.operator not in ("NotIn", "DoesNotExist") for r in selector.expressions):
        return False
    pods = peer.pod_selector
    return pods is None or (pods.valid and pods.is_empty)


def rule_label(rule: Rule) -> str:
    """`ingress[2]`: how messages name a rule."""
    return f"{rule.direction.lower()}[{rule.index}]"


def describe_ports(ports: tuple[PolicyPort, ...]) -> str:
    """`TCP 443, UDP 53, TCP 8000-9000`, or `every port` for a rule without ports."""
    if not ports:
        return "every port"
    parts = []
    for port in ports:
        if port.port is None:
            parts.append(f"{port.protocol} (all ports)")
        elif port.end_port is not None:
            parts.append(f"{port.protocol} {port.port}-{port.end_port}")
        else:
            parts.append(f"{port.protocol} {port.port}")
    return ", ".join(parts)


def format_policy_types(written: tuple[Any, ...] | None) -> str:
    return "[" + ", ".join(str(value) for value in (written or ())) + "]"
