"""podSelector-only peer whose pods live in another namespace.

## What it does
Reports a peer that has a `podSelector` and no `namespaceSelector` when that selector matches no
workload in the policy's own namespace but matches workloads in other namespaces of the input.
The finding points at the peer's `podSelector` key, names those workloads (each one is a related
location) and suggests the peer that reaches them.

The finding is an error when the input holds workloads of the policy's own namespace (it is then
known that none of them matches), and a warning when it holds none (the matching pods of that
namespace may simply be defined elsewhere). An empty `podSelector: {}` is never reported.

Complexity: O(E) engine peer look-ups per policy; for a peer that matches nothing at home, one
label-index query over the namespaces (bitset operations on C bits) and the workloads it names,
listed once per distinct set of them (policies that repeat one mistake share the words).

## Why is this bad?
Without a `namespaceSelector`, a peer's `podSelector` only ever matches pods in the policy's own
namespace. A rule meant for the data service in namespace `data` therefore allows nothing at all,
and the traffic it was written for is dropped once the pods are isolated. The fix is one peer item
holding both a `namespaceSelector` and the `podSelector` (two separate items would be ORed, see
PL109).

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: ml-workloads
---
apiVersion: v1
kind: Namespace
metadata:
  name: data
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data
spec:
  selector:
    matchLabels:
      role: data-service-pod
  template:
    metadata:
      labels:
        role: data-service-pod
    spec:
      containers:
        - name: server
          image: feature-store:1.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ml-training-communication
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              role: data-service-pod
```

Use instead:
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: ml-workloads
---
apiVersion: v1
kind: Namespace
metadata:
  name: data
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data
spec:
  selector:
    matchLabels:
      role: data-service-pod
  template:
    metadata:
      labels:
        role: data-service-pod
    spec:
      containers:
        - name: server
          image: feature-store:1.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ml-training-communication
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: data
          podSelector:
            matchLabels:
              role: data-service-pod
```

## Options
- `error-when-namespace-known` (default `true`): report as an error, not a warning, when the
  input holds workloads of the policy's own namespace. Only applies while the rule's severity is
  the default `warning`.

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-namespace-by-its-name
- https://github.com/ahmetb/kubernetes-network-policy-recipes/blob/master/07-allow-traffic-from-some-pods-in-another-namespace.md
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.model.types import NAMESPACE_NAME_LABEL, NetworkPolicy
from policylint.consequences import peer_cause
from policylint.rule_api import RuleContext
from policylint.rule_options import Flag, Option
from policylint.rules._workloads import WorkloadIndex, finding_at, index, quote_list, workload_related

CODE = "PL110"
NAME = "pod-selector-other-namespace"
SEVERITY = Severity.WARNING
SCOPE = "policy"
# A finding on a policy reads that policy and the workloads and namespaces alone (rule_api.RuleSpec):
# `diff` takes over the findings of the policies its change leaves alone.
POLICY_LOCAL = True
# PL109 on the same peer (ORed with a namespaceSelector item) is this mistake seen from the rule:
# this finding names the pods it cannot reach and carries the fix.
SUBSUMES = ("PL109",)
REMEDIATION = "Put a `namespaceSelector` (for example `kubernetes.io/metadata.name: <namespace>`) and the `podSelector` in the same peer item, so that the peer matches those pods in their own namespace."
OPTIONS = {
    "error-when-namespace-known": Option(True, "report as an error when the input holds workloads of the policy's namespace (true/false)", Flag()),
}


def _suggestion(namespaces: list[str]) -> str:
    if len(namespaces) == 1:
        return f"`namespaceSelector: {{matchLabels: {{{NAMESPACE_NAME_LABEL}: {namespaces[0]}}}}}`"
    if len(namespaces) <= 3:
        values = ", ".join(namespaces)
        return f"`namespaceSelector: {{matchExpressions: [{{key: {NAMESPACE_NAME_LABEL}, operator: In, values: [{values}]}}]}}`"
    return "a `namespaceSelector` for the namespaces meant"


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    idx = None
    for rule in (*policy.ingress, *policy.egress):
        for peer in rule.peers:
            selector = peer.pod_selector
            if (not peer.valid or selector is None or peer.namespace_selector is not None
                    or peer.ip_block is not None or selector.is_empty):
                continue
            idx = idx or index(ctx)
            if ctx.engine.peer_bits(policy, peer):
                continue  # it matches pods of its own namespace: nothing says the others were meant
            elsewhere = _elsewhere(ctx, idx, idx.everywhere(policy, selector))
            if elsewhere is None:
                continue
            finding = finding_at(
                ctx, peer.source.key_span("podSelector"), policy, peer.source.child_path("podSelector"),
                f"podSelector-only peer `{selector.describe()}` matches no pod in `{policy.namespace}`; "
                f"it matches {elsewhere.named} in {elsewhere.where}, which it can never reach; "
                f"use one peer with {elsewhere.suggestion} and this podSelector",
                elsewhere.related,
            )
            known = policy.namespace in idx.namespace_bits
            if known and options["error-when-namespace-known"] and ctx.severity == Severity.WARNING:
                finding = dataclasses.replace(finding, severity=Severity.ERROR)
            yield dataclasses.replace(finding, causes=frozenset((peer_cause(peer),)))


@dataclasses.dataclass(frozen=True, slots=True)
class _Elsewhere:
    """What a finding says about the workloads a selector matches in other namespaces."""

    named: str
    where: str
    suggestion: str
    related: tuple[Related, ...]


def _elsewhere(ctx: RuleContext, idx: WorkloadIndex, bits: int) -> _Elsewhere | None:
    """The words for the workloads of `bits`, made once per distinct set: in a large cluster many
    policies repeat the same mistake (`role=ml-training-pod` in a hundred namespaces), and each
    finding would otherwise list and sort the same ten thousand workloads again."""
    memo: dict[int, _Elsewhere | None] = ctx.cached(_Elsewhere, dict)
    if bits in memo:
        return memo[bits]
    workloads = idx.workloads(bits)
    found = None
    if workloads:
        namespaces = sorted({w.namespace for w in workloads})
        where = f"namespace `{namespaces[0]}`" if len(namespaces) == 1 else f"namespaces {quote_list(namespaces, 5)}"
        found = _Elsewhere(quote_list(w.id for w in workloads), where, _suggestion(namespaces), tuple(
            workload_related(workloads, "`{id}` matches the podSelector but is in another namespace")))
    memo[bits] = found
    return found
