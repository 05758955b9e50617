"""Rendezvous port of the job's master not allowed.

## What it does
Finds each training job's rendezvous endpoint — the master or head replica and the port the
framework uses there — and checks, with the connectivity engine, that every other replica type of
the job (and the other pods of the master's own type) may connect to it on that port. The port
comes from the manifest, in this order:

- the operator's named container port, which the model adds when the template omits it:
  PyTorchJob `pytorchjob-port` 23456, TFJob `tfjob-port` 2222 (on the chief/master, else worker
  0), MPIJob (v1) `mpi-port` 9999 on the launcher, XGBoostJob 9999, PaddleJob `master` 36543
  (on the master, else worker 0), JAXJob `jaxjob-port` 6666 (worker 0), MXJob `mxjob-port` 9091
  on the scheduler, KubeRay `gcs-server` 6379 on the head;
- Kubeflow Trainer v2: a TrainJob whose runtime has `mlPolicy.torch` rendezvouses on node 0 at
  `PET_MASTER_PORT` 29500, which the torch plugin sets (with container port 29500);
- Volcano's `pytorch`, `tensorflow` or `ray` plugin (`--port=` or its default);
- for JobSet, LeaderWorkerSet and plain workloads: a literal `MASTER_PORT`/`PET_MASTER_PORT` or
  `PET_RDZV_ENDPOINT` env value, `--master-port`/`--rdzv-endpoint` arguments, `--rdzv-backend
  c10d` (29400), or `torchrun`/`deepspeed` without a port (29500).

Only pairs that are allowed on some port are checked here; a pair with nothing allowed is
`PL502`'s. The finding points at the rule that admits the pair without the rendezvous port (on
the side that leaves it out) and names the port and where it comes from.

Cost: one row of the engine's cells per source class of a job towards the rendezvous
targets' atoms; one explanation per blocked source and target replica type. O(job classes ×
cells) per job.

Complexity: O(J x M x t) pair queries for the t rendezvous targets of each job (usually 1).

## Why is this bad?
Every rank first connects to the master's rendezvous port (`MASTER_ADDR:MASTER_PORT`, the c10d
store, Ray's GCS); without it the job never starts and the pods wait until a timeout. Allow-lists
that copy another framework's default (29500 for a PyTorchJob whose operator uses 23456) are a
classic silent hang.

## Example
```yaml
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: resnet
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/resnet:2.0
    Worker:
      replicas: 2
      template:
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/resnet:2.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: resnet-peers
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      training.kubeflow.org/job-name: resnet
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              training.kubeflow.org/job-name: resnet
      ports:
        - protocol: TCP
          port: 29500
        - protocol: TCP
          port: 32768
          endPort: 60999
```

Use instead:
```yaml
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: resnet
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/resnet:2.0
    Worker:
      replicas: 2
      template:
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/resnet:2.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: resnet-peers
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      training.kubeflow.org/job-name: resnet
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              training.kubeflow.org/job-name: resnet
```

## References
- https://github.com/kubeflow/trainer/blob/v1.9.0/pkg/apis/kubeflow.org/v1/pytorch_defaults.go
- https://pytorch.org/docs/stable/elastic/run.html
- https://docs.ray.io/en/latest/ray-core/configure.html#ports-configurations
- https://volcano.sh/en/docs/user-guide/how_to_use_pytorch_plugin/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.intent.context import intent_of
from policylint.intent.pairs import Blamer, Mesh, Representative, add, emit
from policylint.intent.rule_helpers import Groups, job_names, limited, pair_text
from policylint.model.types import EGRESS, INGRESS, Cluster
from policylint.rule_api import RuleContext

CODE = "PL504"
NAME = "rendezvous-port-blocked"
SEVERITY = Severity.ERROR
SCOPE = "cluster"
REMEDIATION = ("Allow the job's pods to reach the master/head replica on the framework's rendezvous port (or drop "
               "`ports` from the rule between the job's pods).")


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    intent = intent_of(ctx)
    engine = ctx.engine
    blamer = Blamer(engine)
    groups = Groups()
    for job in intent.jobs:
        rendezvous = job.rendezvous
        if rendezvous is None:
            continue
        mesh = Mesh(engine, job.mesh)
        targets = [(t, engine.endpoint_of(t)) for t in rendezvous.targets]
        target_mask = 0
        for _, t in targets:
            target_mask |= 1 << t.atom
        what_of = {id(t): (f"{rendezvous.protocol}/{rendezvous.port} ({rendezvous.origin}) on "
                           f"{t.group or t.kind}") for t, _ in targets}
        for source, src in mesh.members:
            row = mesh.row(src, target_mask)
            for target, dst in targets:
                if source is target and target.replicas <= 1:
                    continue
                allowed = mesh.cell_of(row, dst.atom)
                if allowed is None or allowed.contains(rendezvous.protocol, rendezvous.port):
                    continue  # nothing at all is PL502's
                for direction in (EGRESS, INGRESS):
                    side = (engine.egress_ports if direction == EGRESS else engine.ingress_ports)(src, dst)
                    if side.contains(rendezvous.protocol, rendezvous.port):
                        continue
                    pair = Representative(src, dst, rendezvous.protocol, rendezvous.port, direction)
                    blamed = blamer.blame(pair, "the job's pods")
                    add(groups, blamed, what_of[id(target)], job=job, item=pair_text(source, target))
    yield from emit(ctx, groups, lambda key, group: (
        f"the rendezvous port {key[-1]} of {job_names(group.jobs.values())} is not allowed "
        f"({limited(group.items)}): {group.reason}"))
