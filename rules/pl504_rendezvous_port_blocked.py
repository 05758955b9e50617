"""Rendezvous port of the job's master not allowed.

## What it does
Finds each training job's rendezvous endpoint — the master or head replica and the port the
framework uses there — and checks, with the connectivity engine, that every other replica type of
the job (and the other pods of the master's own type) may connect to it on that port. The port
comes from the manifest, in this order:

- the operator's named container port, which the model adds when the template omits it:
  PyTorchJob `pytorchjob-port` 23456, TFJob `tfjob-port` 2222 (on the chief/master, else worker
  0), MPIJob (v1) `mpi-port` 9999 on the launcher, XGBoostJob 9999, PaddleJob `master` 36543,
  JAXJob `jaxjob-port` 6666 (worker 0), KubeRay `gcs-server` 6379 on the head;
- Volcano's `pytorch`, `tensorflow` or `ray` plugin (`--port=` or its default);
- for JobSet, LeaderWorkerSet and plain workloads: a literal `MASTER_PORT`/`PET_MASTER_PORT` or
  `PET_RDZV_ENDPOINT` env value, `--master-port`/`--rdzv-endpoint` arguments, `--rdzv-backend
  c10d` (29400), or `torchrun`/`deepspeed` without a port (29500).

Only pairs that are allowed on some port are checked here; a pair with nothing allowed is
`PL502`'s. The finding points at the rule that admits the pair without the rendezvous port (on
the side that leaves it out) and names the port and where it comes from.

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
from policylint.intent.blame import blame_side
from policylint.intent.context import intent_of
from policylint.intent.rule_helpers import Groups, job_names, limited, pair_text
from policylint.model.types import Cluster
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
    groups = Groups()
    for job in intent.jobs:
        rendezvous = job.rendezvous
        if rendezvous is None:
            continue
        for target in rendezvous.targets:
            dst = engine.endpoint_of(target)
            for source in job.mesh:
                if source is target and target.replicas <= 1:
                    continue
                src = engine.endpoint_of(source)
                allowed = engine.allowed_ports(src, dst)
                if allowed.is_empty or allowed.contains(rendezvous.protocol, rendezvous.port):
                    continue
                explanation = engine.explain(src, dst, rendezvous.protocol, rendezvous.port)
                for side in (explanation.egress, explanation.ingress):
                    if side.allowed:
                        continue
                    blamed = blame_side(side, dst if side is explanation.egress else src, "the job's pods")
                    what = (f"{rendezvous.protocol}/{rendezvous.port} ({rendezvous.origin}) on "
                            f"{target.group or target.kind}")
                    group = groups.get(blamed.anchor, blamed.reason, what)
                    group.add(job=job, item=pair_text(source, target), related=blamed.related)
    for key, group in groups.items():
        message = (f"the rendezvous port {key[-1]} of {job_names(group.jobs.values())} is not allowed "
                   f"({limited(group.items)}): {group.reason}")
        yield ctx.finding(group.anchor.span, message, related=group.related,
                          object=group.anchor.object, field_path=group.anchor.field_path)
