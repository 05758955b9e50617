"""Egress ipBlock that lets pods reach the cloud metadata endpoint.

## What it does
Reports an **egress** `ipBlock` whose `cidr` contains a cloud metadata address — by default
`169.254.169.254` (AWS/GCP/Azure instance metadata), `169.254.170.23` (EKS Pod Identity) and
`fd00:ec2::254` (AWS IMDS over IPv6) — when no `except` entry covers that address and the rule
allows TCP port 80: a rule without `ports`, a TCP entry without `port`, or a numeric port or
`port`/`endPort` range including 80. Named ports are not counted (they never match an external
address). The finding points at the `cidr` and quotes it.

Only ipBlocks are checked: an egress rule without peers allows everything, which is the state of
an unisolated pod and not a range anyone wrote down.

Complexity: O(E x a) per policy for the a metadata addresses of the option.

## Why is this bad?
The metadata endpoint hands out the node's (or the workload's) cloud credentials over plain
HTTP. A broad egress allow such as `0.0.0.0/0` or `169.254.0.0/16` — typically written so that
training jobs can download datasets — also lets every selected pod, and any code it runs, fetch
those credentials. Excepting `169.254.169.254/32` closes the hole; JupyterHub's chart does this
by default (`cloudMetadataServer`).

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-internet-egress
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
            cidr: 0.0.0.0/0
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-internet-egress
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
            cidr: 0.0.0.0/0
            except:
              - 169.254.169.254/32
              - 169.254.170.23/32
```

## Options
- `addresses` (default `["169.254.169.254", "169.254.170.23", "fd00:ec2::254"]`): the metadata
  addresses to protect. Entries that are not IP addresses are ignored with a log warning.
- `ports` (default `[80]`): the TCP ports on which those endpoints answer.

## References
- https://github.com/kubernetes/kubernetes/issues/68078
- https://z2jh.jupyter.org/en/stable/administrator/security.html#audit-cloud-metadata-server-access
- https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#IPBlock
"""
from __future__ import annotations

import ipaddress
from typing import Iterator

from policylint.engine.ipset import block_ranges
from policylint.engine.ports import rule_port_spec
from policylint.findings import Finding, Severity
from policylint.model.types import IPAddress, IPBlock, NetworkPolicy, Rule
from policylint.rule_api import RuleContext
from policylint.rule_options import PORTS, AddressList, Option
from policylint.rules._metadata import METADATA_ADDRESSES, METADATA_PORTS

CODE = "PL206"
NAME = "metadata-endpoint-reachable"
SEVERITY = Severity.WARNING
SCOPE = "policy"
# At the same `cidr`, PL508 is this finding again, for training pods.
SUBSUMES = ("PL508",)
REMEDIATION = "Add the metadata address to the ipBlock's `except` list (for example `169.254.169.254/32`), or narrow the `cidr` to the ranges the pods need."
OPTIONS = {
    "addresses": Option(list(METADATA_ADDRESSES), "metadata endpoint addresses to protect (list of IP addresses)", AddressList()),
    "ports": Option(list(METADATA_PORTS), "TCP ports on which the metadata endpoints answer (list of integers)", PORTS),
}


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    addresses = [ipaddress.ip_address(a) for a in options["addresses"]]  # checked when the config loaded
    ports = options["ports"]
    for rule in policy.egress:
        reached_ports = _allowed_ports(rule, ports)
        if not reached_ports:
            continue
        for peer in rule.peers:
            block = peer.ip_block
            if block is None or not peer.valid or block.network is None:
                continue
            exposed = [a for a in addresses if _exposes(block, a)]
            if exposed:
                what = "endpoint" if len(exposed) == 1 else "endpoints"
                shown = ", ".join(str(a) for a in exposed)
                on = "every port" if reached_ports == "all" else "port " + ", ".join(map(str, reached_ports))
                yield ctx.finding(block.source, f"egress ipBlock {block.cidr_text!r} reaches the cloud metadata "
                                                f"{what} {shown} on {on}", key="cidr")


def _exposes(block: IPBlock, address: IPAddress) -> bool:
    """Whether the ipBlock's addresses (its cidr minus its excepts) hold `address`."""
    excepts = [e.network for e in block.excepts if e.network is not None]
    return any(r.contains(address) for r in block_ranges(block.network, excepts))


def _allowed_ports(rule: Rule, ports: list[int]) -> list[int] | str:
    """'all' for a rule without ports, else the watched TCP ports the rule allows."""
    if rule.allows_all_ports:
        return "all"
    allowed = rule_port_spec(rule.ports).static  # named ports: only a pod has names, not an address
    return [number for number in ports if allowed.contains("TCP", number)]
