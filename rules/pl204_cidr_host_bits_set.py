"""CIDR with host bits set.

## What it does
Reports an ipBlock `cidr` or `except` entry whose address has bits set beyond the prefix
length, such as `10.0.1.1/4`, and names the network it actually means (`0.0.0.0/4`).

Complexity: O(E x x) per policy for its E ipBlocks with x excepts each.

## Why is this bad?
The API server accepts it and uses the network, silently dropping the host bits: `10.0.1.1/4`
covers 0.0.0.0-15.255.255.255, not the /24 or the single host that was probably meant. Clusters
with strict CIDR validation (`StrictIPCIDRValidation`) reject it outright.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: egress-db
  namespace: ml-workloads
spec:
  podSelector: {}
  egress:
    - to:
        - ipBlock:
            cidr: 10.0.1.1/4
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: egress-db
  namespace: ml-workloads
spec:
  podSelector: {}
  egress:
    - to:
        - ipBlock:
            cidr: 10.0.1.1/32
```

## References
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
- kubernetes apimachinery `pkg/util/validation/ip.go` (`IsValidCIDRForLegacyField`, `GetWarningsForCIDR`)
- https://github.com/kubernetes/enhancements/issues/4858
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model.types import IPBlock, NetworkPolicy
from policylint.rule_api import RuleContext

CODE = "PL204"
NAME = "cidr-host-bits-set"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "Write the network address with its prefix length (10.0.0.0/8), or a /32 (/128) for a single host."


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    for rule in (*policy.ingress, *policy.egress):
        for peer in rule.peers:
            if peer.ip_block is not None:
                yield from _block_findings(ctx, peer.ip_block)


def _block_findings(ctx: RuleContext, block: IPBlock) -> Iterator[Finding]:
    if block.host_bits_set and block.network is not None:
        yield ctx.finding(block.source, f'cidr "{block.cidr_text}" has host bits set; it means {block.network}',
                          key="cidr")
    for entry in block.excepts:
        if entry.host_bits_set and entry.network is not None and entry.source is not None:
            yield ctx.finding(entry.source, f'except entry "{entry.text}" has host bits set; it means {entry.network}')
