"""Training pods isolated for egress without any route to object storage.

## What it does
For every training pod group that is isolated for egress, looks through the egress rules of the
policies that isolate it for a route to where datasets and checkpoints live:

- TCP port 443 (option `ports`) to public addresses — a rule without `to`, or an `ipBlock` that
  holds publicly routable addresses (object stores such as S3 and GCS, model hubs, registries);
- any allowed port to an address range listed in the option `storage-cidrs` (an on-premises
  object store, a VPC endpoint);
- any allowed connection (both sides, checked with the engine) to pods of the roles in
  `storage-roles` (default `egress-gateway` and `object-storage`; define them under `roles:` in
  the config — an egress proxy, an in-cluster MinIO).

When none exists, the finding points at the `egress` list of the first policy that isolates the
pods, lists the jobs concerned, and relates the other isolating policies.

## Why is this bad?
NetworkPolicy has no DNS-name peers, so "the dataset bucket" can only be written as address
ranges, an egress gateway, or "HTTPS anywhere". A policy set that isolates training pods for
egress and forgets all three lets the job schedule, then fail on its first read of training data
or its first checkpoint upload — after the expensive accelerators were allocated.

## Example
```yaml
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: vit-large
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: 4
      template:
        metadata:
          labels:
            role: ml-training-pod
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/vit:3.1
---
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
    - Egress
  egress:
    - to:
        - podSelector:
            matchLabels:
              role: ml-training-pod
```

Use instead:
```yaml
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: vit-large
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: 4
      template:
        metadata:
          labels:
            role: ml-training-pod
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/vit:3.1
---
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
    - Egress
  egress:
    - to:
        - podSelector:
            matchLabels:
              role: ml-training-pod
    - to:
        - ipBlock:
            cidr: 52.216.0.0/15
      ports:
        - protocol: TCP
          port: 443
```

## Options
- `ports` (default `[443]`): TCP ports on which a rule to public addresses counts as a route.
- `storage-cidrs` (default `[]`): address ranges of object storage; any allowed port to them
  counts.
- `storage-roles` (default `["egress-gateway", "object-storage"]`): roles whose pods are a route
  (an egress proxy, an in-cluster object store).

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#what-you-can-t-do-with-network-policies-at-least-not-yet
- https://github.com/kubernetes-sigs/network-policy-api/blob/main/npeps/npep-133-fqdn-egress-selector.md
- https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html
"""
from __future__ import annotations

import ipaddress
from typing import Iterator

from policylint.engine.ipset import IPRange
from policylint.findings import Finding, Related, Severity
from policylint.intent.blame import direction_anchor
from policylint.intent.context import intent_of
from policylint.intent.rule_helpers import Groups, has_public_addresses, job_names
from policylint.model.types import EGRESS, Cluster
from policylint.rule_api import RuleContext
from policylint.rule_options import PORTS, CidrList, NameList, Option

CODE = "PL506"
NAME = "training-without-storage-egress"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = ("Add an egress rule for the training pods towards the object storage: its address ranges on TCP 443 "
               "(or the configured storage CIDRs), or an egress gateway's pods.")
OPTIONS = {
    "ports": Option([443], "TCP ports on which egress to public addresses counts as a route to object storage", PORTS),
    "storage-cidrs": Option([], "address ranges (CIDRs) of object storage; any allowed port counts", CidrList()),
    "storage-roles": Option(["egress-gateway", "object-storage"], "roles whose pods are a route to object storage (egress gateway, in-cluster store)", NameList()),
}


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    ports = [p for p in options["ports"] if isinstance(p, int) and not isinstance(p, bool)]
    cidrs = [_network(c) for c in options["storage-cidrs"]]
    intent = intent_of(ctx)
    engine = ctx.engine
    gateways = {id(w): w for role in options["storage-roles"] for w in intent.roles.members(str(role))}
    groups = Groups()
    verdicts: dict[tuple, bool] = {}
    for job in intent.jobs:
        for replica in job.replicas:
            endpoint = engine.endpoint_of(replica.workload)
            if not engine.isolated(endpoint, EGRESS):
                continue
            policies = engine.policies_selecting(endpoint, EGRESS)
            key = (endpoint.atom, tuple(id(p) for p in policies))
            if key not in verdicts:
                # With cluster-wide policies the admin tier decides before the NetworkPolicies: an
                # admin Accept may be the route, an admin Deny may close the one they open.
                verdicts[key] = (_has_route_tiers(engine, endpoint, ports, cidrs, gateways) if engine.has_tiers
                                 else _has_route(engine, endpoint, policies, ports, cidrs, gateways))
            if verdicts[key]:
                continue
            anchor = direction_anchor(policies[0], EGRESS)
            related = [Related(direction_anchor(p, EGRESS).span, f"{p.id} also isolates egress of {endpoint.id}")
                       for p in policies[1:]]
            group = groups.get(anchor, "")
            group.add(job=job, endpoint=endpoint, related=related)
    for _, group in groups.items():
        shown = " or ".join(f"TCP/{p}" for p in ports) or "any port"
        routes = [f"{shown} to public addresses"]
        if cidrs:
            routes.append("the storage CIDRs")
        routes.append(f"pods of role {'/'.join(map(str, options['storage-roles']))}" if options["storage-roles"] else "")
        message = (f"training pods of {job_names(group.jobs.values())} are isolated for egress with no route to object "
                   f"storage ({', '.join(r for r in routes if r)})")
        yield ctx.finding(group.anchor.span, message, related=group.related,
                          object=group.anchor.object, field_path=group.anchor.field_path)


def _network(text: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        raise ValueError(f"option 'storage-cidrs': {text!r} is not a CIDR") from None


def _has_route(engine, endpoint, policies, ports, cidrs, gateways) -> bool:
    gateway_eps = [engine.endpoint_of(g) for g in gateways.values()]
    for policy in policies:
        for rule in policy.egress:
            static = engine.compiled_rule(policy, rule).spec.static
            https = any(static.contains("TCP", p) for p in ports)
            if not rule.peers:
                if https or any(not engine.allowed_ports(endpoint, g).is_empty for g in gateway_eps):
                    return True
                continue
            for peer in rule.peers:
                if peer.ip_block is not None:  # few ranges: look at each
                    for other in engine.peer_endpoints(policy, peer):
                        if other.is_external and ((https and has_public_addresses(other))
                                                  or (not static.is_empty and _in_storage(other, cidrs))):
                            return True
                    continue
                bits = engine.peer_bits(policy, peer)  # selectors: test only the gateways' bits
                for gateway in gateway_eps:
                    if (bits >> gateway.atom) & 1 and not engine.allowed_ports(endpoint, gateway).is_empty:
                        return True
    return False


def _has_route_tiers(engine, endpoint, ports, cidrs, gateways) -> bool:
    """A route through the tiers: some public address on a storage port, a storage CIDR, or a
    gateway pod, allowed on the egress side — or unknown offline (a domainNames Accept may be the
    storage endpoint: not reported, since it cannot be shown missing)."""
    for gateway in (engine.endpoint_of(g) for g in gateways.values()):
        if not (engine.allowed_ports(endpoint, gateway) | engine.unknown_ports(endpoint, gateway)).is_empty:
            return True
    for other in engine.endpoints:
        if not other.is_external:
            continue
        egress = engine.egress_ports(endpoint, other) | engine.side_unknown_ports(EGRESS, endpoint, other)
        if egress.is_empty:
            continue
        if has_public_addresses(other) and any(egress.contains("TCP", p) for p in ports):
            return True
        if _in_storage(other, cidrs):
            return True
    return False


def _in_storage(endpoint, cidrs) -> bool:
    return any(endpoint.range.overlaps(IPRange.of_network(network)) for network in cidrs)
