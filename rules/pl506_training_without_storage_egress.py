"""Training pods that need object storage are isolated for egress without any route to it.

## What it does
For every training job that **needs** object storage and whose pods are isolated for egress,
looks for a route to where its datasets and checkpoints live:

- TCP port 443 (option `ports`) to public addresses — a rule without `to`, or an `ipBlock` that
  holds publicly routable addresses (object stores such as S3 and GCS, model hubs, registries);
- any allowed port to an address range listed in the option `storage-cidrs` (an on-premises
  object store, a VPC endpoint);
- any allowed connection (both sides, checked with the engine) to pods of the roles in
  `storage-roles` (default `egress-gateway` and `object-storage`: an egress proxy, or in-cluster
  S3-compatible storage — the built-in `object-storage` role knows MinIO's labels; define more
  under `roles:` in the config).

When the job names in-cluster storage by its DNS name (`minio.storage.svc:9000`), only a
connection to those pods counts.

A job needs object storage only when something says so, and the message says what: an
object-store URL or endpoint in an env value, a command or argument, or a ConfigMap it reads
(`s3://…`, `gs://…`, `*.amazonaws.com`, `storage.googleapis.com`, `*.blob.core.windows.net`, …);
an S3 client's variable (`AWS_ENDPOINT_URL`, `S3_ENDPOINT`, `AWS_ACCESS_KEY_ID`, …); the DNS name of
pods of a storage role; the annotation or label `policylint.io/needs: object-storage`; or the
config (`needed-by: [training]` on the `object-storage` role, or an `allow: true` expectation
from the job to a storage role or to a range in `storage-cidrs`). Without evidence, no check.

When there is no route, the finding points at the `egress` list of the first policy that isolates
the pods, lists the jobs concerned, and relates the other isolating policies.

Cost: the public and storage ranges are found once among the engine's external ranges; each
training class is then a few bitset operations on its egress side
(`Engine.egress_cells`), or one row of cells towards the storage pods. O(external ranges +
training classes × egress groups).

Complexity: O(J x M) egress row queries plus O(N) over the policies that select the job's pods
for explanations.

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
              args: ["--train-data", "s3://example-datasets/imagenet/train"]
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
              args: ["--train-data", "s3://example-datasets/imagenet/train"]
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
- `needed-by` (default `"evidence"`): which jobs need object storage. `evidence`: the jobs that
  say so (above); `every-job`: every training job.

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#what-you-can-t-do-with-network-policies-at-least-not-yet
- https://github.com/kubernetes-sigs/network-policy-api/blob/main/npeps/npep-133-fqdn-egress-selector.md
- https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html
- https://min.io/docs/minio/kubernetes/upstream/
"""
from __future__ import annotations

import ipaddress
from typing import Iterator

from policylint.engine.ipset import IPRange
from policylint.findings import Finding, Related, Severity
from policylint.intent.blame import direction_anchor
from policylint.intent.context import Intent, intent_of
from policylint.intent.dependencies import OBJECT_STORAGE, Need, storage_reference
from policylint.intent.frameworks import TrainingJob
from policylint.intent.pairs import WantedAtoms
from policylint.intent.rule_helpers import Groups, job_names, public_atoms, wanted_ports
from policylint.model.types import EGRESS, Cluster
from policylint.rule_api import RuleContext
from policylint.rule_options import PORTS, Choice, CidrList, NameList, Option

CODE = "PL506"
NAME = "training-without-storage-egress"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = ("Add an egress rule for the training pods towards the object storage: its address ranges on TCP 443 "
               "(or the configured storage CIDRs), or an egress gateway's or in-cluster store's pods.")
OPTIONS = {
    "ports": Option([443], "TCP ports on which egress to public addresses counts as a route to object storage", PORTS),
    "storage-cidrs": Option([], "address ranges (CIDRs) of object storage; any allowed port counts", CidrList()),
    "storage-roles": Option(["egress-gateway", "object-storage"], "roles whose pods are a route to object storage "
                            "(egress gateway, in-cluster store)", NameList()),
    "needed-by": Option("evidence", "which training jobs need object storage: evidence (the jobs that say so) or "
                        "every-job", Choice(("evidence", "every-job"))),
}
NEEDED_BY = ("evidence", "every-job")


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    ports = [p for p in options["ports"] if isinstance(p, int) and not isinstance(p, bool)]
    cidrs = [IPRange.of_network(_network(c)) for c in options["storage-cidrs"]]
    if options["needed-by"] not in NEEDED_BY:
        raise ValueError(f"option 'needed-by' must be one of {', '.join(NEEDED_BY)}, not {options['needed-by']!r}")
    intent = intent_of(ctx)
    engine = ctx.engine
    roles = [str(r) for r in options["storage-roles"]]
    routes = _Routes(engine, intent, ports, cidrs, roles)
    groups = Groups()
    reasons: dict[tuple, str] = {}
    for job in intent.jobs:
        need = _need(intent, job, roles, cidrs, options["needed-by"])
        if need is None:
            continue
        for replica in job.replicas:
            endpoint = engine.endpoint_of(replica.workload)
            if not engine.isolated(endpoint, EGRESS) or routes.has_route(endpoint, need):
                continue
            policies = engine.policies_selecting(endpoint, EGRESS)
            anchor = direction_anchor(policies[0], EGRESS)
            related = [Related(direction_anchor(p, EGRESS).span, f"{p.id} also isolates egress of {endpoint.id}")
                       for p in policies[1:]]
            reasons.setdefault(job.key, need.reason)
            groups.get(anchor, "").add(job=job, endpoint=endpoint, related=related)
    for _, group in groups.items():
        shown = " or ".join(f"TCP/{p}" for p in ports) or "any port"
        found = [f"{shown} to public addresses"]
        if cidrs:
            found.append("the storage CIDRs")
        if roles:
            found.append(f"pods of role {'/'.join(roles)}")
        first = sorted(group.jobs.values(), key=lambda j: j.label)[0]
        message = (f"training pods of {job_names(group.jobs.values())} are isolated for egress with no route to object "
                   f"storage ({', '.join(found)}), which they need ({reasons[first.key]})")
        yield ctx.finding(group.anchor.span, message, related=group.related,
                          object=group.anchor.object, field_path=group.anchor.field_path)


def _network(text: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        raise ValueError(f"option 'storage-cidrs': {text!r} is not a CIDR") from None


def _need(intent: Intent, job: TrainingJob, roles: list[str], cidrs: list[IPRange], needed_by: str) -> Need | None:
    """Why the job needs object storage. A reference to storage-role pods by name says which."""
    for role in [OBJECT_STORAGE] + [r for r in roles if r != OBJECT_STORAGE]:
        need = intent.need(job, role)
        if need is not None:
            return need
    reference = storage_reference(intent.texts(job))
    if reference is not None:
        return Need(OBJECT_STORAGE, reference)
    for expectation in intent.config.expectations:
        cidr = expectation.destination.cidr
        if expectation.allow and cidr is not None and cidrs and expectation.source.role == "training":
            try:
                wanted = IPRange.of_network(ipaddress.ip_network(cidr, strict=False))
            except ValueError:
                continue
            if any(wanted.overlaps(c) for c in cidrs if c.version == wanted.version):
                return Need(OBJECT_STORAGE, f"expectation '{expectation.name}'")
    if needed_by == "every-job":
        return Need(OBJECT_STORAGE, "option needed-by is every-job")
    return None


class _Routes:
    """The destinations that count as a route, as atom masks built once; each training class is
    then tested with its egress side's cells (or, for storage pods, both sides)."""

    def __init__(self, engine, intent: Intent, ports: list[int], cidrs: list[IPRange], roles: list[str]) -> None:
        self.engine = engine
        self.ports = ports
        self.public = public_atoms(engine)
        self.storage = 0
        for endpoint in engine.endpoints if cidrs else ():
            if not endpoint.is_external:
                continue
            r = endpoint.range
            if any(c.version == r.version and c.overlaps(r) for c in cidrs):
                self.storage |= 1 << endpoint.atom
        self.pods = 0
        for role in roles:
            for workload in intent.roles.members(role):
                self.pods |= 1 << engine.endpoint_of(workload).atom
        self._verdicts: dict[tuple, bool] = {}
        self._views: dict[tuple, WantedAtoms] = {}

    def has_route(self, endpoint, need: Need) -> bool:
        key = (endpoint.atom, need.targets and tuple(w.id for w in need.targets))
        found = self._verdicts.get(key)
        if found is None:
            found = self._verdicts[key] = self._decide(endpoint, need)
        return found

    def _decide(self, endpoint, need: Need) -> bool:
        engine = self.engine
        if need.targets:  # named in-cluster storage: only those pods will do
            view = WantedAtoms([engine.endpoint_of(w) for w in need.targets],
                               lambda e: wanted_ports(e.workload))
            return bool(view.reached(engine.cells_towards(endpoint, view.mask)))
        for ports, bits in engine.egress_cells(endpoint, self.public | self.storage):
            if bits & self.storage:
                return True
            if any(ports.contains("TCP", p) for p in self.ports):
                return True
        if self.pods:
            return any(bits for _, bits in engine.cells_towards(endpoint, self.pods))
        return False
