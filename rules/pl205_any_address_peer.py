"""ipBlock peer that matches every address.

## What it does
Reports an `ipBlock` whose `cidr` covers a whole address family — `0.0.0.0/0` or `::/0` (any
prefix length of 0) — with or without `except` entries. The finding points at the `cidr`.

- In an **ingress** rule, and in an **egress** rule without `ports`, it is reported with the
  rule's severity (warning).
- In an **egress** rule that lists `ports` (say, HTTPS to object storage on 443) it is reported
  as information by default, because "any address on port 443" is the only way NetworkPolicy can
  express "the dataset bucket" (it has no DNS-name peers). The option
  `port-restricted-egress` decides.

Complexity: O(E) per policy.

## Why is this bad?
An ingress peer of `0.0.0.0/0` lets anything that reaches the pods' IPs in: the internet behind a
load balancer, other clusters, every node. An egress peer of `0.0.0.0/0` on every port undoes an
egress lockdown (data exfiltration, cloud metadata endpoints, arbitrary downloads). Such peers are
often written to "make it work" and forgotten; an `except` list does not make them narrow.

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
        - ipBlock:
            cidr: 0.0.0.0/0
      ports:
        - port: 8080
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
        - ipBlock:
            cidr: 10.20.0.0/16
      ports:
        - port: 8080
```

## Options
- `port-restricted-egress` (default `info`): how to report an any-address peer in an egress rule
  that lists ports: `info`, `warning` (the rule's configured severity), or `ignore`.

## References
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#IPBlock
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- https://github.com/kubernetes/kubernetes/issues/68078 (an `except` some CNIs did not enforce)
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model.types import EGRESS, NetworkPolicy
from policylint.rule_api import RuleContext
from policylint.rule_options import Choice, Option
from policylint.rules._policy_parts import all_peers, describe_ports

CODE = "PL205"
NAME = "any-address-peer"
SEVERITY = Severity.WARNING
SCOPE = "policy"
# At the same `cidr`, these findings are consequences of matching every address.
SUBSUMES = ("PL206", "PL508")
REMEDIATION = "Replace the any-address ipBlock with the address ranges the pods really talk to, or with pod and namespace selectors for in-cluster peers."
OPTIONS = {
    "port-restricted-egress": Option("info", "how to report any-address egress peers in rules that list ports: info, warning or ignore", Choice(("info", "warning", "ignore"))),
}


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    choice = options["port-restricted-egress"]
    for rule, peer in all_peers(policy):
        block = peer.ip_block
        if block is None or block.network is None or block.network.prefixlen != 0:
            continue
        excepts = f" (minus {len(block.excepts)} except)" if len(block.excepts) == 1 else (
            f" (minus {len(block.excepts)} excepts)" if block.excepts else "")
        if rule.direction != EGRESS:
            yield ctx.finding(block.source, f"ingress from any address: ipBlock {block.cidr_text!r}{excepts}", key="cidr")
        elif rule.allows_all_ports:
            yield ctx.finding(block.source, f"egress to any address on every port: ipBlock {block.cidr_text!r}{excepts}", key="cidr")
        elif choice != "ignore":
            finding = ctx.finding(block.source, f"egress to any address on {describe_ports(rule.ports)}: "
                                                f"ipBlock {block.cidr_text!r}{excepts}", key="cidr")
            yield dataclasses.replace(finding, severity=Severity.INFO) if choice == "info" else finding
