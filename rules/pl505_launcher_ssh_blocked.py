"""MPI or DeepSpeed launcher cannot reach the workers' ssh port.

## What it does
For training jobs whose launcher starts the workers over ssh — `MPIJob` of the mpi-operator
(`kubeflow.org/v2beta1`), a JobSet with a `launcher` replicated job (the Kubeflow Trainer MPI and
DeepSpeed runtimes), a Volcano job with the `mpi` or `ssh` plugin — checks with the connectivity
engine that the launcher may connect to every worker on the sshd port. The port is what the job
says, in this order: the annotation `policylint.io/ssh-port`; the launcher's ssh options
(`OMPI_MCA_plm_rsh_args="-p 2222"`, Open MPI 5's `PRTE_MCA_plm_ssh_args`, Intel MPI's
`I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS`, `--mca plm_rsh_args "-p N"`, DeepSpeed's `--ssh_port`);
a `Port` line of an ssh_config in a ConfigMap mounted on the launcher; the Volcano `mpi` plugin's
`--port` (default 22); the workers' container port named `ssh`/`sshd`, `sshd -p N` in their
command, a `Port` line of an sshd_config in a mounted ConfigMap, or a container port 22 or 2222.
When nothing says, the port is assumed — 2222 for the mpi-operator's images (their sshd_config
and ssh_config set it), 22 otherwise — and the message says so and how to declare the real one.

Pairs with nothing allowed at all are `PL502`'s. The finding points at the rule that admits the
launcher without the ssh port. The training-operator's v1 `MPIJob` starts workers through
`kubectl exec` and is not checked.

Cost: one row of the engine's cells per launcher class towards the workers' atoms; one
explanation per blocked launcher and worker replica type. O(launcher classes × cells).

Complexity: O(J x l x M) pair queries for the l launchers and M workers of each MPI job.

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

from policylint.engine.bits import has
from policylint.findings import Finding, Severity
from policylint.intent.context import intent_of
from policylint.intent.pairs import Blamer, Representative, add, emit
from policylint.intent.rule_helpers import Groups, job_names, limited, pair_text
from policylint.model.types import EGRESS, INGRESS, Cluster
from policylint.rule_api import RuleContext

CODE = "PL505"
NAME = "launcher-ssh-blocked"
SEVERITY = Severity.ERROR
SCOPE = "cluster"
REMEDIATION = ("Allow the launcher to reach the workers on their sshd port (the message says which port and where "
               "it was read; declare it with a worker container port named ssh or the annotation "
               "policylint.io/ssh-port when it was assumed).")


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    intent = intent_of(ctx)
    engine = ctx.engine
    blamer = Blamer(engine)
    groups = Groups()
    for job in intent.jobs:
        ssh = job.ssh
        if ssh is None:
            continue
        port = ssh.ports[0]
        workers = [engine.endpoint_of(w) for w in ssh.workers]
        mask = 0
        for w in workers:
            mask |= 1 << w.atom
        rows: dict[int, tuple[int, int]] = {}  # launcher atom -> (atoms reached at all, on the ssh port)
        for launcher in ssh.launchers:
            src = engine.endpoint_of(launcher)
            if src.atom not in rows:
                some = on_port = 0
                for ports, bits in engine.cells_towards(src, mask):
                    some |= bits
                    if ports.contains("TCP", port):
                        on_port |= bits
                rows[src.atom] = (some, on_port)
            some, on_port = rows[src.atom]
            for worker, dst in zip(ssh.workers, workers):
                if not has(some, dst.atom) or has(on_port, dst.atom):
                    continue  # nothing at all is PL502's; the port allowed is fine
                for direction in (EGRESS, INGRESS):
                    allowed = (engine.egress_ports if direction == EGRESS else engine.ingress_ports)(src, dst)
                    if allowed.contains("TCP", port):
                        continue
                    pair = Representative(src, dst, "TCP", port, direction)
                    blamed = blamer.blame(pair, "the workers" if direction == EGRESS else "the launcher")
                    add(groups, blamed, f"TCP/{port} ({ssh.origin})", job=job, item=pair_text(launcher, worker))
    yield from emit(ctx, groups, lambda key, group: (
        f"the launcher of {job_names(group.jobs.values())} cannot reach the workers' ssh port {key[-1]} "
        f"({limited(group.items)}): {group.reason}"))
