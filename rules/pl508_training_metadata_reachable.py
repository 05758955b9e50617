"""Training pods allowed to reach the cloud metadata endpoint.

## What it does
For every training pod group that is isolated for egress, asks the connectivity engine whether
it may connect to a cloud metadata address — by default `169.254.169.254` (AWS, GCP, Azure
instance metadata), `169.254.170.23` (EKS Pod Identity) and `fd00:ec2::254` (AWS IMDS over IPv6)
— on TCP port 80. The finding points at what lets the traffic through: an `ipBlock` peer that
covers the address without excepting it, or an egress rule without `to` (which `PL206`, a check
of ipBlocks alone, does not see). With `unisolated: true`, training pods that no policy isolates
for egress are reported too, at their pod template.

Cost: per training class (engine atom), the egress side towards each metadata address, and one
explanation per opening. O(training classes × metadata addresses).

Complexity: O(J x M) queries, cached per pod class: O(C) reach tests against the a metadata
addresses.

## Why is this bad?
The metadata endpoint hands out the node's or the workload's cloud credentials. Training pods
run third-party code (pip packages, model repositories, notebooks) next to datasets; an egress
policy that was written to lock them down but leaves `169.254.169.254` open gives that code the
credentials of the node. Except the address (`except: [169.254.169.254/32]`) or narrow the rule;
pods that need workload identity should get it through the provider's supported path.

## Example
```yaml
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: llama-sft
  namespace: ml-workloads
spec:
  replicatedJobs:
    - name: node
      replicas: 2
      template:
        spec:
          parallelism: 1
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: trainer
                  image: ghcr.io/example-org/llama-sft:1.0
                  command: ["torchrun", "--nnodes=2", "train.py"]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: llama-sft-egress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      jobset.sigs.k8s.io/jobset-name: llama-sft
  policyTypes:
    - Egress
  egress:
    - to:
        - podSelector:
            matchLabels:
              jobset.sigs.k8s.io/jobset-name: llama-sft
    - to:
        - ipBlock:
            cidr: 169.254.0.0/16
```

Use instead:
```yaml
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: llama-sft
  namespace: ml-workloads
spec:
  replicatedJobs:
    - name: node
      replicas: 2
      template:
        spec:
          parallelism: 1
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: trainer
                  image: ghcr.io/example-org/llama-sft:1.0
                  command: ["torchrun", "--nnodes=2", "train.py"]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: llama-sft-egress
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      jobset.sigs.k8s.io/jobset-name: llama-sft
  policyTypes:
    - Egress
  egress:
    - to:
        - podSelector:
            matchLabels:
              jobset.sigs.k8s.io/jobset-name: llama-sft
    - to:
        - ipBlock:
            cidr: 169.254.0.0/16
            except:
              - 169.254.169.254/32
              - 169.254.170.23/32
```

## Options
- `addresses` (default `["169.254.169.254", "169.254.170.23", "fd00:ec2::254"]`): the metadata
  addresses.
- `ports` (default `[80]`): the TCP ports on which they answer.
- `unisolated` (default `false`): also report training pods that no policy isolates for egress.

## References
- https://github.com/kubernetes/kubernetes/issues/68078
- https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html
- https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity#metadata_server
"""
from __future__ import annotations

import ipaddress
from typing import Iterator

from policylint.consequences import cause_at
from policylint.findings import Finding, Severity
from policylint.intent.blame import Anchor, workload_anchor
from policylint.intent.context import intent_of
from policylint.intent.rule_helpers import Groups, job_names
from policylint.model.types import EGRESS, Cluster
from policylint.rule_api import RuleContext
from policylint.rule_options import PORTS, AddressList, Flag, Option
from policylint.rules._metadata import METADATA_ADDRESSES, METADATA_PORTS

CODE = "PL508"
NAME = "training-metadata-reachable"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = ("Except the metadata address from the ipBlock (169.254.169.254/32) or narrow the egress rule so that "
               "training pods cannot reach it.")
OPTIONS = {
    "addresses": Option(list(METADATA_ADDRESSES), "cloud metadata addresses (list of IP addresses)", AddressList()),
    "ports": Option(list(METADATA_PORTS), "TCP ports on which they answer (list of integers)", PORTS),
    "unisolated": Option(False, "also report training pods that no policy isolates for egress (true or false)", Flag()),
}


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    intent = intent_of(ctx)
    if not intent.jobs:
        return
    engine = ctx.engine
    targets = []
    for text in options["addresses"]:
        try:
            address = str(ipaddress.ip_address(str(text)))
        except ValueError:
            raise ValueError(f"option 'addresses': {text!r} is not an IP address") from None
        targets.extend((address, e) for e in engine.resolve(address) if e.is_external)
    ports = [p for p in options["ports"] if isinstance(p, int) and not isinstance(p, bool)]
    groups = Groups()
    cache: dict[int, list[tuple[Anchor, str]]] = {}
    for job in intent.jobs:
        for replica in job.replicas:
            endpoint = engine.endpoint_of(replica.workload)
            # With cluster-wide policies an unisolated pod may still be denied (an admin Deny of the
            # metadata endpoint is the usual guard): judge it through the tiers below.
            if not engine.isolated(endpoint, EGRESS) and not engine.has_tiers:
                if options["unisolated"]:
                    groups.get(workload_anchor(replica.workload),
                               "no policy isolates them for egress, so every address is allowed").add(job=job)
                continue
            if endpoint.atom not in cache:
                cache[endpoint.atom] = list(_openings(engine, endpoint, targets, ports))
            for anchor, reason in cache[endpoint.atom]:
                if not options["unisolated"] and reason.startswith("no policy isolates"):
                    continue
                groups.get(anchor, reason).add(job=job)
    for _, group in groups.items():
        message = f"training pods of {job_names(group.jobs.values())} can reach the cloud metadata endpoint: {group.reason}"
        yield ctx.finding(group.anchor.span, message, related=group.related,
                          object=group.anchor.object, field_path=group.anchor.field_path,
                          causes=_block_causes(cluster, group.anchor.span))


def _block_causes(cluster: Cluster, span) -> list:
    """When the opening is an ipBlock peer, its `cidr` (where PL205 and PL206 point): the same cause."""
    for policy in cluster.policies:
        for rule in policy.egress:
            for peer in rule.peers:
                if peer.ip_block is not None and peer.source.span == span:
                    return [cause_at(peer.ip_block.source.span_of("cidr"))]
    return []


def _openings(engine, endpoint, targets, ports) -> Iterator[tuple[Anchor, str]]:
    """The rules (or peers) that let `endpoint` reach a metadata address, with a reason."""
    found: dict[tuple, tuple[Anchor, str, list[str]]] = {}
    for address, target in targets:
        allowed = engine.egress_ports(endpoint, target)
        port = next((p for p in ports if allowed.contains("TCP", p)), None)
        if port is None:
            continue
        explanation = engine.explain(endpoint, target, "TCP", port)
        trace = explanation.egress.trace
        if trace is not None:
            opening = _tier_opening(endpoint, trace, port)
            if opening is not None:
                anchor, reason = opening
                key = (anchor.span, anchor.field_path)
                found.setdefault(key, (anchor, reason, []))
                if address not in found[key][2]:
                    found[key][2].append(address)
                continue
        for verdict in explanation.egress.allowing_rules:
            peer = verdict.matching_peer
            label = f"{verdict.policy.id} {verdict.label}"
            if peer is not None and peer.peer is not None:
                source = peer.peer.source
                how = f"via {peer.text}"
            else:
                source = verdict.rule.source
                how = "(a rule without `to`)"
            anchor = Anchor(source.span, source.object, source.field_path)
            key = (anchor.span, anchor.field_path)
            if key not in found:
                found[key] = (anchor, f"{label} allows TCP {port} {how} to", [])
            if address not in found[key][2]:
                found[key][2].append(address)
    for anchor, reason, addresses in found.values():
        yield anchor, f"{reason} {', '.join(addresses)}"


def _tier_opening(endpoint, trace, port: int):
    """With cluster-wide policies: the tier rule that allows, or the default allow of a pod that
    nothing isolates; None when a NetworkPolicy decides (its rules are the opening)."""
    step = next((s for s in trace.admin + trace.baseline if s.verdict == "allow" and s.ports.contains("TCP", port)), None)
    if step is not None:
        source = step.rule.source
        return (Anchor(source.span, source.object, source.field_path),
                f"{step.tier.lower()} tier: {step.policy.id} {step.rule.label} allows TCP {port} to")
    if trace.networkpolicy_decides or not trace.default.contains("TCP", port):
        return None
    workload = endpoint.workload
    return (workload_anchor(workload), "no policy isolates them for egress and no cluster-wide rule denies "
            f"TCP {port} to")
