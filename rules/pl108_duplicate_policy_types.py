"""policyTypes lists a direction twice.

## What it does
Reports a value of `policyTypes` that repeats an earlier one, such as the second `Ingress` in
`policyTypes: [Ingress, Ingress]`. The finding points at the repeated entry; when the other
direction is missing from the list, the message says so.

Complexity: O(length of policyTypes) per policy, O(N) in all.

## Why is this bad?
The API server only checks that `policyTypes` has at most two entries, each `Ingress` or
`Egress`, so a duplicate is accepted. It is almost always a slip for `[Ingress, Egress]`: the
direction that was meant to be isolated is not, and its rules (if any) never apply.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-isolation
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Ingress
    - Ingress
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-isolation
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Ingress
    - Egress
```

## References
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
  (`policyTypes`)
- kubernetes `pkg/apis/networking/validation/validation.go` (`ValidateNetworkPolicySpec`: count
  and membership only)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.load.nodes import YSeq
from policylint.model.types import EGRESS, INGRESS, NetworkPolicy, Source
from policylint.rule_api import RuleContext, related
from policylint.rules._policy_parts import raw, spec_source

CODE = "PL108"
NAME = "duplicate-policy-types"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "List each direction once; write `policyTypes: [Ingress, Egress]` if both directions are meant to be isolated."


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    spec = spec_source(policy)
    node = raw(spec, "policyTypes") if spec is not None else None
    if spec is None or not isinstance(node, YSeq):
        return
    types = Source(node, spec.child_path("policyTypes"), spec.object)
    first: dict[str, int] = {}
    for index, value in enumerate(node):
        if value not in (INGRESS, EGRESS):
            continue  # invalid values are reported by the validity rules
        if value not in first:
            first[value] = index
            continue
        other = EGRESS if value == INGRESS else INGRESS
        missing = f" and never {other!r}" if other not in node else ""
        yield ctx.finding(types, f"policyTypes lists {value!r} twice{missing}", key=index,
                          related=[related(types, f"first {value!r}", key=first[value])])
