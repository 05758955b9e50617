"""Near misses: a peer that would match its target but for one part, and the fix for that part.

Used by PL305 (egress-without-dns) to name the DNS rule that was meant but does not match, and by
the blame of the intent rules to name the data-service or job peer that nearly matches. A peer
is a near miss of a target pod when its namespace side or its pod side matches and the other side
fails only on `matchLabels` entries (a wrong key or value), or when it is a podSelector-only peer
whose pods live in another namespace. The target's namespace labels are the Namespace manifest's
when the input declares it, else only `kubernetes.io/metadata.name` (the one label the API
server sets): so a near miss is found without any Namespace object in the input, and the message
then says how to declare a label the cluster may carry after all.
"""
from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Callable, Iterable, Mapping

from policylint.engine.label_index import matches
from policylint.load.nodes import Span
from policylint.model.types import NAMESPACE_NAME_LABEL, LabelSelector, NetworkPolicy, Peer, Rule


@dataclass(frozen=True, slots=True)
class Target:
    """A pod the peer should have matched: its namespace (name, labels, declared?) and labels."""

    namespace: str
    namespace_labels: Mapping[str, str]
    namespace_declared: bool
    labels: Mapping[str, str]
    what: str  # "the DNS pods"


@dataclass(frozen=True, slots=True)
class NearMiss:
    span: Span  # the peer
    where: str  # "ml/trainer-egress egress[1] to[0]"
    fix: str


def near_misses(policy: NetworkPolicy, rules: Iterable[Rule], targets: list[Target],
                reaches: Callable[[Rule], bool], port_text: str) -> list[NearMiss]:
    """The peers of `rules` that nearly match one of `targets`, with the fix. `reaches(rule)` says
    whether the rule already allows what is wanted (then it is no near miss); a rule whose peer
    matches a target but whose ports leave the wanted port out is one, named by `port_text`."""
    found = []
    for rule in rules:
        if reaches(rule):
            continue
        for index, peer in enumerate(rule.peers):
            if not peer.valid or peer.ip_block is not None:
                continue
            fixes = [peer_fix(policy, peer, t) for t in targets]
            if any(f == MATCHES for f in fixes):
                fix: str | None = f"it matches {targets[0].what} but its ports leave out {port_text}"
            else:
                fix = next((f for f in fixes if f is not None), None)
            if fix:
                found.append(NearMiss(peer.source.span, f"{policy.id} {rule.direction.lower()}[{rule.index}] "
                                                        f"{rule.peers_key}[{index}]", fix))
    return found


MATCHES = "matches"  # peer_fix's answer for a peer that matches the target as it is


def peer_fix(policy: NetworkPolicy, peer: Peer, target: Target, strict: bool = False) -> str | None:
    """How to make `peer` match `target` when only one part is wrong; MATCHES when it matches;
    None when more than one part is wrong (then it was not written for the target).

    `strict`: the caller does not know that the peer was meant for the target (DNS rules are
    known to be, from the port they allow), so a wrong label value only counts when it is close
    to the right one (a typo, the wrong case, a prefix); otherwise any peer one label away from
    any pod would be called a near miss."""
    pods_ok = peer.pod_selector is None or matches(peer.pod_selector, target.labels)
    if peer.namespace_selector is None:
        namespace_ok = policy.namespace == target.namespace
        if (pods_ok and not namespace_ok and target.namespace and peer.pod_selector is not None
                and not peer.pod_selector.is_empty):
            return (f"a podSelector without namespaceSelector only matches pods of namespace `{policy.namespace}`; "
                    f"add `namespaceSelector: {{matchLabels: {{{NAMESPACE_NAME_LABEL}: {target.namespace}}}}}` "
                    f"to this peer")
        namespace_fix = None
    else:
        namespace_ok = matches(peer.namespace_selector, target.namespace_labels)
        namespace_fix = None if namespace_ok else _namespace_fix(peer.namespace_selector, target, strict)
    if pods_ok and namespace_ok:
        return MATCHES
    if pods_ok and namespace_fix:
        return namespace_fix
    if namespace_ok and not pods_ok:
        assert peer.pod_selector is not None
        return _pod_fix(peer.pod_selector, target, strict)
    return None


def _namespace_fix(selector: LabelSelector, target: Target, strict: bool) -> str | None:
    wrong = _wrong_entries(selector, target.namespace_labels)
    if not wrong:
        return None
    name = target.namespace
    if strict and not all(v == name or _similar(v, target.namespace_labels.get(k, name)) for k, v in wrong):
        return None
    if not name:
        return f"namespaceSelector {_quoted(wrong)} does not match the labels of the namespace of {target.what}"
    unknown = ("" if target.namespace_declared else
               f" (if namespace `{name}` does carry {_quoted(wrong)} in your cluster, add its Namespace manifest "
               f"to the input)")
    for key, value in wrong:
        if value == name and key != NAMESPACE_NAME_LABEL:
            return (f"namespaceSelector `{key}: {value}` is not a label Kubernetes sets on namespace `{name}`; "
                    f"use `{NAMESPACE_NAME_LABEL}: {name}`{unknown}")
    for key, value in wrong:
        if key == NAMESPACE_NAME_LABEL:
            return (f"namespaceSelector `{key}: {value}` selects namespace `{value}`, but {target.what} are in "
                    f"`{name}`; use `{key}: {name}`")
    return (f"namespaceSelector {_quoted(wrong)} does not match namespace `{name}`; select it with "
            f"`{NAMESPACE_NAME_LABEL}: {name}`{unknown}")


def _pod_fix(selector: LabelSelector, target: Target, strict: bool) -> str | None:
    wrong = _wrong_entries(selector, target.labels)
    if not wrong:
        return None
    if strict and not all(k in target.labels and _similar(v, target.labels[k]) for k, v in wrong):
        return None
    parts = [f"`{k}: {v}` where {target.what} have `{k}: {target.labels[k]}`" if k in target.labels
             else f"`{k}: {v}`, a label {target.what} do not carry" for k, v in wrong]
    return f"podSelector asks for {'; '.join(parts)}"


def _wrong_entries(selector: LabelSelector, labels: Mapping[str, str]) -> list[tuple[str, str]] | None:
    """The matchLabels entries that `labels` fail, or None when an expression fails too (then the
    selector is not one typo away)."""
    if not selector.valid:
        return None
    for requirement in selector.expressions:
        lone = LabelSelector((), (requirement,), True, selector.source)
        if not matches(lone, labels):
            return None
    return [(k, v) for k, v in selector.match_labels if labels.get(k) != v] or None


def _similar(written: str, right: str) -> bool:
    """A typo, another case, or one a part of the other (`data` for `data-services`)."""
    a, b = written.lower(), right.lower()
    return a == b or (min(len(a), len(b)) >= 2 and (a in b or b in a)) or SequenceMatcher(None, a, b).ratio() >= 0.75


def _quoted(entries: list[tuple[str, str]]) -> str:
    return ", ".join(f"`{k}: {v}`" for k, v in entries)
