"""Policy kind that policylint does not evaluate.

## What it does
Reports, once per object, a policy whose kind changes connectivity in a cluster but that
policylint does not evaluate: `CiliumNetworkPolicy` and
`CiliumClusterwideNetworkPolicy` (`cilium.io`), Calico `NetworkPolicy` and `GlobalNetworkPolicy`
(`crd.projectcalico.org` and `projectcalico.org`), and `MultiNetworkPolicy`
(`k8s.cni.cncf.io`). The finding points at the object.

The object is read, kept in the model and listed in the report's summary, but its rules are not
applied: the connectivity that `matrix`, `reach` and `diff` compute, and the findings of the rules
that ask the engine, are those of the Kubernetes `networking.k8s.io/v1` NetworkPolicies and the
cluster-wide policies of `policy.networking.k8s.io` (AdminNetworkPolicy,
BaselineAdminNetworkPolicy, ClusterNetworkPolicy), which are evaluated in their tiers.
`matrix`, `reach` and `diff` print the same caveat with their answers.

Complexity: O(O) over the objects of a kind that is not evaluated.

## Why is this bad?
It is not a mistake in the manifest; it is a limit of the analysis, and it should never be
silent. A CiliumClusterwideNetworkPolicy can deny what every NetworkPolicy allows, a CiliumNetworkPolicy
can allow what none of them allows: an answer that ignores them may be wrong in either
direction. The finding tells the reader which answers to take with care.

## Example
```yaml
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: backend-from-frontend
  namespace: shop
spec:
  endpointSelector:
    matchLabels:
      app: backend
  ingress:
    - fromEndpoints:
        - matchLabels:
            app: frontend
      toPorts:
        - ports:
            - port: "8080"
              protocol: TCP
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: backend-from-frontend
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: backend
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: frontend
      ports:
        - port: 8080
          protocol: TCP
```

When the policy needs what only its own kind offers (layer-7 rules, DNS names, tiers and
priorities, deny rules), keep it and acknowledge the finding on the object with the annotation
`policylint.io/ignore: "PL008: <why the answers may ignore it>"`, or turn the rule off in the
configuration (`ignore: [unsupported-policy-kind]`).

## References
- https://network-policy-api.sigs.k8s.io/
- https://docs.cilium.io/en/stable/security/policy/
- https://docs.tigera.io/calico/latest/reference/resources/networkpolicy
- https://github.com/k8snetworkplumbingwg/multi-networkpolicy
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model import Cluster
from policylint.rule_api import RuleContext

CODE = "PL008"
NAME = "unsupported-policy-kind"
SEVERITY = Severity.INFO
SCOPE = "input"
REMEDIATION = ("Read the connectivity answers as those of the NetworkPolicies and cluster-wide policies only, "
               "or express the policy as a NetworkPolicy where its features allow it.")


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    for other in cluster.other_policies:
        yield ctx.finding(other.source, f"kind {other.kind!r} ({other.api_version}) is not evaluated: "
                                        "connectivity answers ignore this object")
