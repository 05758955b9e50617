"""Pods of one training job reach each other only on some ports.

## What it does
For every pair of replica types of a training job that can reach each other on *some* ports
(see `PL502` for pairs with none), checks that TCP is allowed on every port the receiving pods
may listen on: the kernel's ephemeral range — `net.ipv4.ip_local_port_range` when the pod
template sets it through `securityContext.sysctls`, otherwise the option `ephemeral-ports`
(Linux default `32768-60999`) — and the receiving pods' declared TCP container ports, except the
framework's rendezvous port, which `PL504` checks. The finding
points at the rule whose `ports` restrict the pair (on the egress or the ingress side), names
the ports it leaves out, and lists the pairs concerned.

Which ports the receiving pods need is read from the job (see the README's ML section):

- **MPI** (MPIJob, a launcher running `mpirun`/`mpiexec`/`horovodrun`, DeepSpeed with an MPI
  launcher): Open MPI's TCP BTL binds from `btl_tcp_port_min_v4` (default 1024) over
  `btl_tcp_port_range_v4` ports (default 64511) — any port from 1024 up unless pinned — and its
  out-of-band channel on `oob_tcp_static_ipv4_ports`/`oob_tcp_dynamic_ipv4_ports`, else on
  ephemeral ports; set as `OMPI_MCA_*`/`PRTE_MCA_*` env on any replica or `--mca` on the launcher.
  The launcher itself needs the out-of-band ports (and the BTL when `runLauncherAsWorker`). GPU
  jobs add NCCL's ephemeral ports.
- **Ray** (RayCluster, RayJob, RayService): the ports pinned in each group's `rayStartParams`
  (`node-manager-port`, `object-manager-port`, `runtime-env-agent-port`,
  `dashboard-agent-grpc-port`, `metrics-export-port`, `dashboard-agent-listen-port` (default
  52365), `min-worker-port`..`max-worker-port` (default 10002-19999) or `worker-port-list`); the
  ephemeral range only for those of the first five left unpinned.
- **everything else** (NCCL, Gloo): the ephemeral range. NCCL and Gloo have no setting that pins
  their ports; `net.ipv4.ip_local_port_range` on the pod does.

Cost: one row of the engine's cells per source class of a job towards the job's atoms; each
cell is compared with each distinct set of required ports as bitsets, and one pair per place is
explained. O(job classes × cells × distinct requirements) per job.

Complexity: O(J x M x C x g) for g port groups required by the job, as in PL502.

## Why is this bad?
NCCL and Gloo listen on ports the kernel picks from the ephemeral range, and every rank connects
to every other rank on them; NCCL has no setting to pin them. A worker↔worker rule that lists
only the rendezvous port (23456, 29500, …) lets the job rendezvous and then hang at the first
all-reduce. The only way to bound the ports is to set `net.ipv4.ip_local_port_range` on the pods
(a namespaced, safe sysctl) and allow that range with `port`/`endPort`.

## Example
```yaml
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: llm-finetune
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/llm-finetune:0.9.2
    Worker:
      replicas: 4
      template:
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/llm-finetune:0.9.2
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: llm-finetune-peers
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      training.kubeflow.org/job-name: llm-finetune
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              training.kubeflow.org/job-name: llm-finetune
      ports:
        - protocol: TCP
          port: 23456
```

Use instead:
```yaml
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: llm-finetune
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        spec:
          securityContext:
            sysctls:
              - name: net.ipv4.ip_local_port_range
                value: "40000 40999"
          containers:
            - name: pytorch
              image: ghcr.io/example-org/llm-finetune:0.9.2
    Worker:
      replicas: 4
      template:
        spec:
          securityContext:
            sysctls:
              - name: net.ipv4.ip_local_port_range
                value: "40000 40999"
          containers:
            - name: pytorch
              image: ghcr.io/example-org/llm-finetune:0.9.2
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: llm-finetune-peers
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      training.kubeflow.org/job-name: llm-finetune
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              training.kubeflow.org/job-name: llm-finetune
      ports:
        - protocol: TCP
          port: 23456
        - protocol: TCP
          port: 40000
          endPort: 40999
```

## Options
- `ephemeral-ports` (default `"32768-60999"`): the ephemeral port range assumed for pods whose
  template does not set `net.ipv4.ip_local_port_range`.

## References
- https://github.com/NVIDIA/nccl/issues/680
- https://github.com/NVIDIA/nccl/blob/master/docs/userguide/source/troubleshooting/networking_troubleshooting.rst
- https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/#safe-and-unsafe-sysctls
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports
"""
from __future__ import annotations

import re
from typing import Iterator

from policylint.engine.ports import PortSet
from policylint.findings import Finding, Severity
from policylint.intent.blame import restricting_rules
from policylint.intent.context import intent_of
from policylint.intent.frameworks import TrainingJob, framework_ports, peer_ports, uses_mpi
from policylint.intent.pairs import Mesh, add, emit
from policylint.intent.rule_helpers import Groups, group_of, job_names, limited, pair_text, training_workloads
from policylint.model.types import EGRESS, INGRESS, Cluster, Workload
from policylint.rule_api import RuleContext
from policylint.rule_options import Option, PortRange

CODE = "PL503"
NAME = "training-peers-port-restricted"
SEVERITY = Severity.ERROR
SCOPE = "cluster"
REMEDIATION = ("Drop `ports` from the rules between a job's own pods, or pin the framework's ports (Open MPI MCA "
               "parameters, Ray's rayStartParams, net.ipv4.ip_local_port_range through securityContext.sysctls) and "
               "allow exactly those with port/endPort next to the rendezvous port.")
OPTIONS = {
    "ephemeral-ports": Option("32768-60999", "ephemeral port range (FIRST-LAST) for pods that do not set ip_local_port_range", PortRange()),
}


def reads(ctx: RuleContext) -> Iterator[Workload]:
    """The workloads whose connectivity the findings depend on (rule_api.RuleSpec.reads): the
    pods of every training job (the rest is the config and the objects other than NetworkPolicies)."""
    return training_workloads(intent_of(ctx).jobs)


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    default_range = _parse_range(options["ephemeral-ports"])
    intent = intent_of(ctx)
    engine = ctx.engine
    groups = Groups()
    origins: dict[int, str] = {}
    for job in intent.jobs:
        mesh = Mesh(engine, job.mesh)
        required = _Requirements(job, default_range, mesh)
        for a, src in mesh.members:
            row = mesh.row(src)
            seen: set[tuple[str, str]] = set()
            for ports, bits in row:
                for need, mask, text in required.groups:
                    hit = bits & mask
                    if not hit or (need - ports).is_empty:
                        continue
                    for b, dst in mesh.endpoints_in(hit):
                        if (group_of(b), text) in seen:
                            continue
                        seen.add((group_of(b), text))
                        _restricted(engine, groups, origins, job, a, b, src, dst, need, required.origin(b))
    def message(key: tuple, group) -> str:
        pairs = [i for i in group.items if not i.startswith("missing:")]
        missing = sorted({i.split(":", 1)[1] for i in group.items if i.startswith("missing:")})
        return (f"pods of {job_names(group.jobs.values())} reach each other only on some ports ({limited(pairs)}): "
                f"collectives also need {'; '.join(missing)} ({origins[id(group)]}): restricted by {key[-1]}: "
                f"{group.reason}")

    yield from emit(ctx, groups, message)


def _restricted(engine, groups, origins, job, a, b, src, dst, need: PortSet, origin: str) -> None:
    for direction, ports in ((EGRESS, engine.egress_ports(src, dst)), (INGRESS, engine.ingress_ports(src, dst))):
        missing = need - ports
        if missing.is_empty:
            continue
        blamed = restricting_rules(engine, direction, src, dst, "the job's pods")
        if blamed is None:  # nothing admits the pair on this side: PL502's business
            continue
        where = "egress at the sending pods" if direction == EGRESS else "ingress at the receiving pods"
        group = add(groups, blamed, where, job=job, item=pair_text(a, b))
        group.add(item=f"missing:{missing.describe()}")
        origins.setdefault(id(group), origin)


class _Requirements:
    """What each receiving replica type of a job needs: the framework's peer ports plus its
    declared TCP ports (less the rendezvous port, PL504's), grouped as atom masks, each with its
    description (the key that says which needs were already reported)."""

    def __init__(self, job: TrainingJob, default_range: tuple[int, int], mesh: Mesh) -> None:
        self._origin: dict[int, str] = {}
        by_need: dict[PortSet, int] = {}
        mpi = uses_mpi(job)  # once per job: it reads every replica's command
        for workload, endpoint in mesh.members:
            need, origin = _required(job, workload, default_range, mpi)
            by_need[need] = by_need.get(need, 0) | (1 << endpoint.atom)
            self._origin[id(workload)] = origin
        self.groups = [(need, mask, need.describe()) for need, mask in by_need.items()]

    def origin(self, workload: Workload) -> str:
        return self._origin[id(workload)]


def _required(job: TrainingJob, destination: Workload, default_range: tuple[int, int],
              mpi: bool) -> tuple[PortSet, str]:
    """The framework's peer ports plus the declared TCP ports, less what PL504 and PL505 check:
    the rendezvous port on its targets and the ssh port on the workers."""
    found = peer_ports(job, destination, default_range, mpi)
    skipped = set(framework_ports(destination))
    intervals = [(p.port, p.port) for p in destination.ports if p.protocol == "TCP" and p.port not in skipped]
    need = PortSet.of({"TCP": list(found.ranges) + intervals})
    for port in _own_ports(job, destination):
        need = need - PortSet.single("TCP", port)
    return need, found.origin


def _own_ports(job: TrainingJob, destination: Workload) -> set[int]:
    """Ports PL504/PL505 check on this destination."""
    own = set()
    if job.rendezvous is not None and any(t is destination for t in job.rendezvous.targets):
        own.add(job.rendezvous.port)
    if job.ssh is not None and any(w is destination for w in job.ssh.workers):
        own.update(job.ssh.ports)
    return own


def _parse_range(text: object) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(text))
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)) <= 65535:
        raise ValueError(f"option 'ephemeral-ports' must be FIRST-LAST within 1-65535, not {text!r}")
    return int(match.group(1)), int(match.group(2))
