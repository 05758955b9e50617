"""Allow-all rule that makes the other rules of its direction moot.

## What it does
Reports a rule with neither peers nor ports (`- {}`, or a rule with only an empty `from`/`to`
and no `ports`) when the same policy has other rules in the same direction. The finding points
at the allow-all rule and names the rules it makes moot; each moot rule is a related location.
Each direction is reported once, at its first allow-all rule.

An allow-all rule that is the only rule of its direction is not reported, whatever the policy's
`podSelector`: that is the documented "allow all ingress/egress" policy, used on purpose to open
some pods up despite a namespace-wide default deny.

Complexity: O(R) per policy.

## Why is this bad?
A rule without peers matches every source (or destination) and a rule without ports matches
every port and protocol, so `- {}` allows all traffic in its direction. Rules are ORed, so every
other rule next to it adds nothing: the carefully written allow-list is dead, and the pods are
not isolated at all in that direction. The usual cause is a stray `-` or a `from:` whose items
were indented into the wrong place, or a debugging "open everything" left behind.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-ingress
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
              role: ml-training-pod
    - {}
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-ingress
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
              role: ml-training-pod
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#allow-all-ingress-traffic
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyIngressRule
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model.types import EGRESS, INGRESS, NetworkPolicy
from policylint.rule_api import RuleContext, related
from policylint.rules._policy_parts import rule_label

CODE = "PL117"
NAME = "allow-all-rule"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "Delete the allow-all rule if the other rules express what is meant, or delete the other rules if the direction is meant to be open."


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    for direction in (INGRESS, EGRESS):
        rules = policy.rules(direction)
        allow_all = next((r for r in rules if r.allows_all_peers and r.allows_all_ports), None)
        if allow_all is None or len(rules) < 2:
            continue
        moot = [r for r in rules if r is not allow_all]
        names = ", ".join(rule_label(r) for r in moot)
        side = "every source" if direction == INGRESS else "every destination"
        yield ctx.finding(
            allow_all.source,
            f"{rule_label(allow_all)} allows {side} on every port, so {names} add{'s' if len(moot) == 1 else ''} nothing",
            related=[related(r.source, f"{rule_label(r)} is moot") for r in moot],
        )
