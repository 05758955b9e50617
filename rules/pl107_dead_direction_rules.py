"""Rules for a direction that policyTypes leaves out.

## What it does
Reports `ingress` or `egress` rules in a policy whose explicit `policyTypes` does not list that
direction, for example `policyTypes: [Ingress]` with `egress:` rules. The finding points at the
`ingress` or `egress` key and names the number of rules that never apply.

Only an explicit `policyTypes` is checked: when it is absent, Kubernetes derives it from the
rules written, so no rule can be dead.

Complexity: O(1) per policy, O(N) in all.

## Why is this bad?
A policy only isolates, and only applies its rules to, the directions listed in `policyTypes`.
Rules for any other direction are accepted by the API server and then ignored: the egress
allow-list someone reviewed carefully restricts nothing, and the pods' egress stays open. The
usual cause is a `policyTypes` copied from an ingress-only policy.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-egress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Ingress
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: data
      ports:
        - port: 443
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-egress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Ingress
    - Egress
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: data
      ports:
        - port: 443
```

## References
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
  (`policyTypes`)
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model.types import EGRESS, INGRESS, NetworkPolicy
from policylint.rule_api import RuleContext
from policylint.rules._policy_parts import at_key, format_policy_types, key_related, spec_source

CODE = "PL107"
NAME = "dead-direction-rules"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "Add the direction to `policyTypes` if its rules are meant to apply, or delete the rules if they are not."


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    written = policy.policy_types_written
    if not written:
        return  # absent or empty: defaulted from the rules, nothing can be dead
    spec = spec_source(policy)
    if spec is None:
        return
    shown = format_policy_types(written)
    for direction in (INGRESS, EGRESS):
        rules = policy.rules(direction)
        if not rules or policy.isolates(direction):
            continue
        key = direction.lower()
        count = f"{len(rules)} {key} rules never apply" if len(rules) > 1 else f"the {key} rule never applies"
        yield at_key(ctx, spec, key, f"{count}: policyTypes {shown} does not include {direction!r}",
                     [key_related(spec, "policyTypes", f"policyTypes {shown}")])
