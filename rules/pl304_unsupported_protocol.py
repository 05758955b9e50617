"""Protocol other than TCP, UDP or SCTP.

## What it does
Reports a port entry whose `protocol` is not exactly `TCP`, `UDP` or `SCTP` (the values are
case-sensitive, so `tcp` is reported too).

Complexity: O(I) over the model's issues.

## Why is this bad?
The API server rejects the policy. NetworkPolicy cannot express ICMP or other protocols; CNI
plugins differ in what they do with them, so a rule for ICMP needs the CNI's own policy kind.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: dns
  namespace: ml-workloads
spec:
  podSelector: {}
  egress:
    - ports:
        - port: 53
          protocol: udp
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: dns
  namespace: ml-workloads
spec:
  podSelector: {}
  egress:
    - ports:
        - port: 53
          protocol: UDP
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
- kubernetes `pkg/apis/networking/validation/validation.go` (`ValidateNetworkPolicyPort`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL304"
NAME = "unsupported-protocol"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Set `protocol` to TCP, UDP or SCTP in capitals, or omit it for TCP."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("port.protocol")
