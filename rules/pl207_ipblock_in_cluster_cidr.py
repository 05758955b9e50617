"""ipBlock that addresses pods or Services by IP.

## What it does
Reports an `ipBlock` whose `cidr` lies inside (or equals) one of the cluster's pod CIDRs or
Service CIDRs, as configured in `.policylint.yaml`, for example
`cluster: {pod-cidrs: [10.244.0.0/16], service-cidrs: [10.96.0.0/12]}`.

Without configured CIDRs the rule reports nothing. The finding points at the `cidr` and names
the cluster range. A block that *contains* a cluster range (such as `10.0.0.0/8` around a pod
CIDR of `10.244.0.0/16`) is a broad external range rather than an attempt to address pods, and
is only reported with the option `containing: true` — and then only when no `except` entry
covers the cluster range. (CIDRs either nest or are disjoint, so "inside" and "containing" are
the only ways to overlap.)

Complexity: O(E x (1 + x) x c) per policy for the c cluster CIDRs of the config.

## Why is this bad?
ipBlock is meant for cluster-external addresses. Pod IPs are ephemeral: the pod that had
`10.244.1.7` yesterday is another pod today. Traffic to a Service's ClusterIP is translated to a
pod IP before most network plugins evaluate the policy, so a ClusterIP block matches nothing
reliably, and source NAT makes in-cluster sources equally unpredictable. Select pods by their
labels (`podSelector`, with a `namespaceSelector` for other namespaces) instead.

## Example
With the cluster's pod CIDR configured:
```yaml
# .policylint.yaml
cluster:
  pod-cidrs: [10.244.0.0/16]
```

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-to-data-service
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Egress
  egress:
    - to:
        - ipBlock:
            cidr: 10.244.3.0/24
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-to-data-service
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
              kubernetes.io/metadata.name: data
          podSelector:
            matchLabels:
              role: data-service-pod
```

## Options
- `containing` (default `false`): also report an ipBlock that contains a pod or Service CIDR
  without excepting it.

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
  ("ipBlock … should be cluster-external IPs, since Pod IPs are ephemeral and unpredictable")
- https://github.com/cilium/cilium/issues/20550
- https://github.com/projectcalico/libcalico-go/issues/1060
"""
from __future__ import annotations

import ipaddress
from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model.types import IPBlock, IPNetwork, NetworkPolicy
from policylint.rule_api import RuleContext
from policylint.rule_options import Flag, Option
from policylint.rules._policy_parts import all_peers

CODE = "PL207"
NAME = "ipblock-in-cluster-cidr"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "Select in-cluster peers by labels (`podSelector`, with a `namespaceSelector` for other namespaces) instead of by IP address."
OPTIONS = {
    "containing": Option(False, "also report ipBlocks that contain a cluster CIDR without excepting it (true/false)", Flag()),
}


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    ranges = [("pod", _network(c)) for c in ctx.facts.pod_cidrs] + [("service", _network(c)) for c in ctx.facts.service_cidrs]
    if not ranges:
        return
    for _, peer in all_peers(policy):
        block = peer.ip_block
        if block is None or block.network is None:
            continue
        message = _overlap(block, ranges, options["containing"])
        if message:
            yield ctx.finding(block.source, message, key="cidr")


def _network(text: str) -> IPNetwork:
    return ipaddress.ip_network(text, strict=False)  # the config loader has checked it parses


def _overlap(block: IPBlock, ranges: list[tuple[str, IPNetwork]], containing: bool) -> str | None:
    network = block.network
    assert network is not None
    for kind, cluster in ranges:
        if cluster.version != network.version:
            continue
        if network == cluster:
            return f"ipBlock {block.cidr_text!r} is the {kind} CIDR {cluster}"
        if network.subnet_of(cluster):  # type: ignore[arg-type]
            return f"ipBlock {block.cidr_text!r} is inside the {kind} CIDR {cluster}"
    if not containing:
        return None
    for kind, cluster in ranges:
        if cluster.version != network.version or not cluster.subnet_of(network):  # type: ignore[arg-type]
            continue
        if any(e.network is not None and e.network.version == cluster.version and cluster.subnet_of(e.network)  # type: ignore[arg-type]
               for e in block.excepts):
            continue
        return f"ipBlock {block.cidr_text!r} contains the {kind} CIDR {cluster} without excepting it"
    return None
