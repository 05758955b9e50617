"""Pods of one training job cannot reach each other.

## What it does
For every training job (role `training`, grouped by the job's controller labels: Kubeflow
`training.kubeflow.org/job-name`, JobSet, KubeRay, Volcano, LeaderWorkerSet; otherwise by
owning object), checks with the connectivity engine every ordered pair of its replica types
that take part in the collectives — master, workers, PS, launcher, Ray head and workers, in
both directions, and a replica type with several pods with itself. A pair with **nothing**
allowed is reported, at the side that blocks it: the `egress` list of the policy isolating the
sending pods, or the `ingress` list (or a near-miss peer) of the policy isolating the receiving
pods. One finding is reported per blocking place, listing the pairs it breaks. A plain JobSet
whose pods show no sign of talking to each other (no launcher command, framework environment,
declared port or sibling DNS name: independent batch jobs) has no mesh to check.

Pairs that are allowed on some ports but not all are reported by `PL503`; a rendezvous or ssh
port missing from an otherwise open pair by `PL504` and `PL505`.

Cost: one row of the engine's cells per source class of a job towards the job's atoms (a
handful of bitset operations); blocked destinations are the mesh bits no cell covers, and one
pair per source and destination replica type is explained. O(job classes × cells) per job.

Complexity: O(J x K x C) bitset operations: for each training job, one matrix row (C cells over
the A atoms) against the job's own pods per distinct row key among its members (K <= M members:
in a cluster export every pod is a class of its own, but a job's pods share their rows), then
one AND per member; blame only for the pairs blocked.

## Why is this bad?
Distributed training is all-to-all: every rank opens connections to every other rank (NCCL and
Gloo rings and trees, parameter servers, MPI). A policy that isolates training pods and only
admits, say, the data service, cuts the job's own pods off from each other; the job hangs in
`init_process_group` or at the first all-reduce and is killed by its timeout. KubeRay's and
Volcano's own generated policies allow every port between pods of one job for this reason.

## Example
```yaml
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: bert-pretrain
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        metadata:
          labels:
            role: ml-training-pod
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/bert-pretrain:1.4.0
    Worker:
      replicas: 3
      template:
        metadata:
          labels:
            role: ml-training-pod
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/bert-pretrain:1.4.0
---
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
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: data-services
```

Use instead:
```yaml
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: bert-pretrain
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        metadata:
          labels:
            role: ml-training-pod
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/bert-pretrain:1.4.0
    Worker:
      replicas: 3
      template:
        metadata:
          labels:
            role: ml-training-pod
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/bert-pretrain:1.4.0
---
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
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: data-services
    - from:
        - podSelector:
            matchLabels:
              training.kubeflow.org/job-name: bert-pretrain
```

## References
- https://github.com/NVIDIA/nccl/issues/680
- https://github.com/ray-project/kuberay/blob/master/ray-operator/controllers/ray/networkpolicy_controller.go
- https://volcano.sh/en/docs/svc_plugin/
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.intent.context import intent_of
from policylint.intent.pairs import Blamer, Mesh, Representative, add, emit
from policylint.intent.rule_helpers import Groups, first_port, group_of, job_names, limited, pair_text, training_workloads
from policylint.model.types import EGRESS, INGRESS, Cluster, Workload
from policylint.rule_api import RuleContext

CODE = "PL502"
NAME = "training-peers-blocked"
SEVERITY = Severity.ERROR
SCOPE = "cluster"
REMEDIATION = ("Allow the job's pods to reach each other on every port, in both directions: an ingress rule and an "
               "egress rule whose peer is a podSelector on the job's label (for example "
               "training.kubeflow.org/job-name), without `ports`.")


def reads(ctx: RuleContext) -> Iterator[Workload]:
    """The workloads whose connectivity the findings depend on (rule_api.RuleSpec.reads): the
    pods of every training job (the rest is the config and the objects other than NetworkPolicies)."""
    return training_workloads(intent_of(ctx).jobs)


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    intent = intent_of(ctx)
    engine = ctx.engine
    blamer = Blamer(engine)
    groups = Groups()
    for job in intent.jobs:
        default = ("TCP", job.rendezvous.port) if job.rendezvous else ("TCP", 29500)
        mesh = Mesh(engine, job.mesh)
        # What a source reaches in the mesh, per row key (sources with equal keys have equal
        # rows): reaching is decided atom by atom, so the row towards the whole mesh, cut to the
        # member's own mask below (less its own atom), is the row towards that mask.
        reached_by_key: dict[tuple, int] = {}
        for a, src in mesh.members:
            key = engine.row_key(src)
            reached = reached_by_key.get(key)
            if reached is None:
                reached = 0
                for _, bits in engine.cells_towards(src, mesh.mask):
                    reached |= bits
                reached_by_key[key] = reached
            blocked = mesh.towards(src) & ~reached
            seen: set[str] = set()
            for b, dst in mesh.endpoints_in(blocked):
                if group_of(b) in seen:  # one pair per destination replica type
                    continue
                seen.add(group_of(b))
                _blame_pair(engine, blamer, groups, job, a, b, src, dst, default)
    yield from emit(ctx, groups, lambda key, group: (
        f"pods of {job_names(group.jobs.values())} cannot reach each other ({limited(group.items)}): "
        f"blocked by {key[-1]}: {group.reason}"))


def _blame_pair(engine, blamer, groups, job, a, b, src, dst, default) -> None:
    egress, ingress = engine.egress_ports(src, dst), engine.ingress_ports(src, dst)
    sides = [d for d, ports in ((EGRESS, egress), (INGRESS, ingress)) if ports.is_empty]
    for direction in sides or [EGRESS, INGRESS]:
        # A side that admits some ports is explained on a port the other side admits.
        protocol, port = (first_port(ingress if direction == EGRESS else egress, default) if not sides
                          else default)
        blamed = blamer.blame(Representative(src, dst, protocol, port, direction), "the job's pods")
        where = "egress at the sending pods" if direction == EGRESS else "ingress at the receiving pods"
        add(groups, blamed, where, job=job, item=pair_text(a, b))
