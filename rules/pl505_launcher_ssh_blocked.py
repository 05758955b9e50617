"""MPI or DeepSpeed launcher cannot reach the workers' ssh port.

## What it does
For training jobs whose launcher starts the workers over ssh — `MPIJob` of the mpi-operator
(`kubeflow.org/v2beta1`), a JobSet with a `launcher` replicated job (the Kubeflow Trainer MPI and
DeepSpeed runtimes), a Volcano job with the `mpi` or `ssh` plugin — checks with the connectivity
engine that the launcher may connect to every worker replica type on the sshd port: the workers'
container port named `ssh`/`sshd` or numbered 22/2222 when declared, the Volcano `mpi` plugin's
`--port` (default 22), otherwise 22 or 2222 (either suffices: mpi-operator and Trainer images run
sshd on 2222). Pairs with nothing allowed at all are `PL502`'s. The finding points at the rule
that admits the launcher without the ssh port.

The training-operator's v1 `MPIJob` starts workers through `kubectl exec` and is not checked.

## Why is this bad?
`mpirun` (and DeepSpeed's pdsh launcher, Horovod) opens an ssh session to every worker before
anything else happens. A worker policy that admits the launcher only on, say, the MPI data ports
leaves the launcher retrying ssh until the job fails, with nothing in the worker logs.

## Example
```yaml
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata:
  name: allreduce-bench
  namespace: ml-workloads
spec:
  slotsPerWorker: 8
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      template:
        spec:
          containers:
            - name: launcher
              image: mpioperator/mpi-pi:openmpi
              command: ["mpirun", "-n", "16", "/home/mpiuser/pi"]
    Worker:
      replicas: 2
      template:
        spec:
          containers:
            - name: worker
              image: mpioperator/mpi-pi:openmpi
              command: ["/usr/sbin/sshd", "-De", "-f", "/home/mpiuser/.sshd_config"]
              ports:
                - name: ssh
                  containerPort: 2222
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allreduce-bench-workers
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      training.kubeflow.org/job-role: worker
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              training.kubeflow.org/job-name: allreduce-bench
      ports:
        - protocol: TCP
          port: 1024
          endPort: 2221
        - protocol: TCP
          port: 2223
          endPort: 65535
```

Use instead:
```yaml
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata:
  name: allreduce-bench
  namespace: ml-workloads
spec:
  slotsPerWorker: 8
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      template:
        spec:
          containers:
            - name: launcher
              image: mpioperator/mpi-pi:openmpi
              command: ["mpirun", "-n", "16", "/home/mpiuser/pi"]
    Worker:
      replicas: 2
      template:
        spec:
          containers:
            - name: worker
              image: mpioperator/mpi-pi:openmpi
              command: ["/usr/sbin/sshd", "-De", "-f", "/home/mpiuser/.sshd_config"]
              ports:
                - name: ssh
                  containerPort: 2222
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allreduce-bench-workers
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      training.kubeflow.org/job-role: worker
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              training.kubeflow.org/job-name: allreduce-bench
```

## References
- https://github.com/kubeflow/mpi-operator/blob/master/build/base/Dockerfile
- https://github.com/kubeflow/trainer/blob/master/manifests/base/runtimes/deepspeed_distributed.yaml
- https://volcano.sh/en/docs/user-guide/how_to_use_mpi_plugin/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.intent.blame import blame_side
from policylint.intent.context import intent_of
from policylint.intent.rule_helpers import Groups, job_names, limited, pair_text
from policylint.model.types import Cluster
from policylint.rule_api import RuleContext

CODE = "PL505"
NAME = "launcher-ssh-blocked"
SEVERITY = Severity.ERROR
SCOPE = "cluster"
REMEDIATION = "Allow the launcher to reach the workers on their sshd port (22, or 2222 in the mpi-operator and Trainer images)."


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    intent = intent_of(ctx)
    engine = ctx.engine
    groups = Groups()
    for job in intent.jobs:
        ssh = job.ssh
        if ssh is None:
            continue
        ports = " or ".join(f"TCP/{p}" for p in ssh.ports)
        for launcher in ssh.launchers:
            src = engine.endpoint_of(launcher)
            for worker in ssh.workers:
                dst = engine.endpoint_of(worker)
                allowed = engine.allowed_ports(src, dst)
                if allowed.is_empty or any(allowed.contains("TCP", p) for p in ssh.ports):
                    continue
                explanation = engine.explain(src, dst, "TCP", ssh.ports[0])
                for side in (explanation.egress, explanation.ingress):
                    if side.allowed:
                        continue
                    is_egress = side is explanation.egress
                    blamed = blame_side(side, dst if is_egress else src, "the workers" if is_egress else "the launcher")
                    group = groups.get(blamed.anchor, blamed.reason, f"{ports} ({ssh.origin})")
                    group.add(job=job, item=pair_text(launcher, worker), related=blamed.related)
    for key, group in groups.items():
        message = (f"the launcher of {job_names(group.jobs.values())} cannot reach the workers' ssh port {key[-1]} "
                   f"({limited(group.items)}): {group.reason}")
        yield ctx.finding(group.anchor.span, message, related=group.related,
                          object=group.anchor.object, field_path=group.anchor.field_path)
