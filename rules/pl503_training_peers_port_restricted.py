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
from policylint.intent.frameworks import ephemeral_port_range, framework_ports
from policylint.intent.rule_helpers import Groups, job_names, limited, mesh_pairs, pair_text
from policylint.model.types import EGRESS, INGRESS, Cluster, Workload
from policylint.rule_api import RuleContext
from policylint.rule_options import Option, PortRange

CODE = "PL503"
NAME = "training-peers-port-restricted"
SEVERITY = Severity.ERROR
SCOPE = "cluster"
REMEDIATION = ("Drop `ports` from the rules between a job's own pods, or set net.ipv4.ip_local_port_range on the "
               "pods (securityContext.sysctls) and allow that range with port/endPort next to the rendezvous port.")
OPTIONS = {
    "ephemeral-ports": Option("32768-60999", "ephemeral port range (FIRST-LAST) for pods that do not set ip_local_port_range", PortRange()),
}


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    default_range = _parse_range(options["ephemeral-ports"])
    intent = intent_of(ctx)
    engine = ctx.engine
    groups = Groups()
    for job in intent.jobs:
        for a, b in mesh_pairs(job):
            src, dst = engine.endpoint_of(a), engine.endpoint_of(b)
            allowed = engine.allowed_ports(src, dst)
            if allowed.is_empty:
                continue  # nothing at all: PL502
            required = _required(b, default_range)
            if (required - allowed).is_empty:
                continue
            for side, ports in (("egress", engine.egress_ports(src, dst)), ("ingress", engine.ingress_ports(src, dst))):
                missing = required - ports
                if missing.is_empty:
                    continue
                direction = EGRESS if side == "egress" else INGRESS
                blamed = restricting_rules(engine, direction, src, dst, "the job's pods")
                if blamed is None:  # nothing admits the pair on this side: PL502's business
                    continue
                where = "egress at the sending pods" if side == "egress" else "ingress at the receiving pods"
                group = groups.get(blamed.anchor, blamed.reason, where)
                group.add(job=job, item=pair_text(a, b), related=blamed.related)
                group.add(item=f"missing:{missing.describe()}")
    for key, group in groups.items():
        pairs = [i for i in group.items if not i.startswith("missing:")]
        missing = sorted({i.split(":", 1)[1] for i in group.items if i.startswith("missing:")})
        message = (f"pods of {job_names(group.jobs.values())} reach each other only on some ports "
                   f"({limited(pairs)}): collectives also need {'; '.join(missing)}: restricted by {key[-1]}: "
                   f"{group.reason}")
        yield ctx.finding(group.anchor.span, message, related=group.related,
                          object=group.anchor.object, field_path=group.anchor.field_path)


def _required(destination: Workload, default_range: tuple[int, int]) -> PortSet:
    """TCP ports the receiving pods may listen on: ephemeral range plus declared ports (the
    rendezvous port is PL504's)."""
    lo, hi = ephemeral_port_range(destination) or default_range
    skipped = set(framework_ports(destination))
    intervals = [(lo, hi)] + [(p.port, p.port) for p in destination.ports
                              if p.protocol == "TCP" and p.port not in skipped]
    return PortSet.of({"TCP": intervals})


def _parse_range(text: object) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(text))
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)) <= 65535:
        raise ValueError(f"option 'ephemeral-ports' must be FIRST-LAST within 1-65535, not {text!r}")
    return int(match.group(1)), int(match.group(2))
