"""Cluster-wide network policy that the API server rejects.

## What it does
Reports what the CRD schemas of `AdminNetworkPolicy`, `BaselineAdminNetworkPolicy`
(`policy.networking.k8s.io/v1alpha1`) and `ClusterNetworkPolicy` (`v1alpha2`) reject, each
problem at its own line: a priority outside 0-1000, a missing or unknown `tier`, a
BaselineAdminNetworkPolicy not named `default`, an action the kind does not have (`Pass` in a
baseline policy, `Allow` in a ClusterNetworkPolicy, `Accept` in an AdminNetworkPolicy), a subject,
peer or port entry that does not set exactly one field, a peer kind the direction does not offer
(`networks` in an ingress rule), an empty `from`/`to`, too many rules, peers or CIDRs, an invalid
CIDR or domain name, a port range whose start is not below its end, and a named port next to a
`nodes`, `networks` or `domainNames` peer.

Complexity: O(I) over the model's issues.

## Why is this bad?
The API server refuses the object, so the cluster-wide guard the platform team wrote does not
exist: tenants keep the access it was meant to remove. policylint analyses the rest of the
object as if the rejected parts matched nothing, and marks the answers that depend on it.

## Example
```yaml
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: deny-metadata
spec:
  priority: 2000
  subject:
    namespaces: {}
  egress:
    - name: no-cloud-metadata
      action: Deny
      to:
        - networks: [169.254.169.254/32]
```

Use instead:
```yaml
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: deny-metadata
spec:
  priority: 10
  subject:
    namespaces: {}
  egress:
    - name: no-cloud-metadata
      action: Deny
      to:
        - networks: [169.254.169.254/32]
```

## References
- https://network-policy-api.sigs.k8s.io/reference/spec/
- kubernetes-sigs/network-policy-api `apis/v1alpha1/*_types.go`, `apis/v1alpha2/clusternetworkpolicy_types.go`
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL600"
NAME = "invalid-cluster-network-policy"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Correct the field as the message says; the API server rejects the whole object until then."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("tier")
