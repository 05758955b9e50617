"""Port entry whose missing protocol silently means TCP.

## What it does
Reports a port entry without `protocol` where TCP is unlikely to be all that was meant:

- an entry with neither `port` nor `protocol` (`ports: [{}]`), which reads as "all ports" but
  means "all TCP ports". Not reported when another entry of the same rule names its protocol
  (`[{}, {protocol: UDP}]` is a deliberate "all TCP and all UDP").
- an entry for DNS — `port: 53`, or the port name `dns` used by CoreDNS/kube-dns — without
  `protocol`, when no entry of the same rule allows UDP on port 53. DNS runs over UDP (and
  falls back to TCP), and the `dns` container port of CoreDNS is a UDP port, so a protocol-less
  `port: dns` matches nothing at all.

The finding points at the port entry. Both variants are warnings, in ingress and egress rules:
the entry is legal, but its meaning differs from how it reads, and in egress it breaks name
resolution.

Complexity: O(K) per policy.

## Why is this bad?
`protocol` defaults to `TCP`. A rule meant to open every port, or to allow DNS, therefore keeps
UDP and SCTP closed. For distributed training this shows up as pods that cannot resolve the
headless Service of their master (`MASTER_ADDR`), so the job hangs at rendezvous, while the
policy looks as if it allowed DNS.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-dns-egress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Egress
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - port: 53
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-dns-egress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Egress
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
```

## References
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyPort
  (`protocol` defaults to TCP)
- https://github.com/ahmetb/kubernetes-network-policy-recipes/blob/master/11-deny-egress-traffic-from-an-application.md
- kubernetes `pkg/apis/networking/v1/defaults.go` (`SetDefaults_NetworkPolicyPort`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model.types import NetworkPolicy, PolicyPort, Rule
from policylint.rule_api import RuleContext
from policylint.rules._policy_parts import all_rules

CODE = "PL307"
NAME = "protocol-defaults-to-tcp"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "Write `protocol` on every port entry; for DNS allow port 53 on both UDP and TCP, and to allow every port and protocol remove `ports` altogether."

DNS_PORT = 53
DNS_PORT_NAME = "dns"


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    for rule in all_rules(policy):
        for entry in rule.ports:
            if entry.protocol_given or not entry.valid:
                continue
            if entry.port is None and not any(p.protocol_given for p in rule.ports):
                yield ctx.finding(entry.source, "port entry without port or protocol allows TCP only, "
                                                "not UDP (DNS) or SCTP")
            elif entry.port in (DNS_PORT, DNS_PORT_NAME) and entry.end_port is None and not _allows_udp_dns(rule):
                detail = ("the CoreDNS port named 'dns' is UDP, so this matches nothing"
                          if entry.port == DNS_PORT_NAME else "DNS needs UDP 53")
                yield ctx.finding(entry.source, f"port {entry.port!r} without protocol is TCP only: {detail}")


def _allows_udp_dns(rule: Rule) -> bool:
    return any(_covers_udp_53(p) for p in rule.ports)


def _covers_udp_53(port: PolicyPort) -> bool:
    if not port.valid or port.protocol != "UDP":
        return False
    if port.port is None or port.port == DNS_PORT_NAME:
        return True
    return isinstance(port.port, int) and port.port <= DNS_PORT <= (port.end_port or port.port)
