"""Training or data service reachable from outside the cluster over exposed workloads.

## What it does
Walks the connectivity graph from the public internet (external ranges with publicly routable
addresses, as in PL507) and reports training pods (role `training`) and data services (role
`data-service`) that a path of at most `max-hops` hops (default 2) reaches *through other
workloads*: the first workload is exposed to the internet by a policy rule (an `ipBlock` with
public addresses, or a rule without `from`), the next is reachable from it, and so on. As in
PL507, a workload that no policy isolates for ingress only starts a path with the option
`unisolated: true`: in many clusters that is most workloads, and whether the internet can
actually connect to them depends on Services and load balancers the policies do not show. A
target the internet reaches directly is not reported here (PL507 judges training pods that are
exposed themselves).

The finding points at the rule that lets the internet into the first workload of the path (or
at that workload when no policy isolates it for ingress) and names the targets reached that way;
the rules allowing each later hop (file:line) are its related locations. Run
`policylint paths PATH… --from 0.0.0.0/0 --to training` for every path.

Complexity: O(A x (C + edges)) for a breadth-first search from each outside address over the
distinct matrix rows, bounded by the option max-hops; rows are computed as reached.

## Why is this bad?
A workload that faces the internet is the one most likely to be compromised: a notebook server,
a dashboard, an inference endpoint. Whatever it can reach, an attacker who owns it can reach.
When that includes training pods (unauthenticated rendezvous and Ray ports, GPU credentials) or
the feature store, one exposed service is one hop away from the data and the accelerators, even
though neither is exposed itself and PL507 stays silent.

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: notebook
  namespace: ml-platform
spec:
  selector:
    matchLabels:
      app: notebook
  template:
    metadata:
      labels:
        app: notebook
    spec:
      containers:
        - name: jupyter
          image: quay.io/jupyter/scipy-notebook:2024-05-27
---
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: ml-workloads
  labels:
    role: ml-training-pod
spec:
  containers:
    - name: pytorch
      image: ghcr.io/example-org/trainer:1.0.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: notebook-public
  namespace: ml-platform
spec:
  podSelector:
    matchLabels:
      app: notebook
  policyTypes:
    - Ingress
  ingress:
    - from:
        - ipBlock:
            cidr: 0.0.0.0/0
      ports:
        - protocol: TCP
          port: 8888
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training
  namespace: ml-workloads
spec:
  podSelector: {}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ml-platform
```

Use instead:
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: notebook
  namespace: ml-platform
spec:
  selector:
    matchLabels:
      app: notebook
  template:
    metadata:
      labels:
        app: notebook
    spec:
      containers:
        - name: jupyter
          image: quay.io/jupyter/scipy-notebook:2024-05-27
---
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: ml-workloads
  labels:
    role: ml-training-pod
spec:
  containers:
    - name: pytorch
      image: ghcr.io/example-org/trainer:1.0.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: notebook-public
  namespace: ml-platform
spec:
  podSelector:
    matchLabels:
      app: notebook
  policyTypes:
    - Ingress
    - Egress
  ingress:
    - from:
        - ipBlock:
            cidr: 0.0.0.0/0
      ports:
        - protocol: TCP
          port: 8888
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - protocol: UDP
          port: 53
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training
  namespace: ml-workloads
spec:
  podSelector: {}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ml-platform
```

## Options
- `max-hops` (default `2`): the longest path reported (2 to 16).
- `unisolated` (default `false`): also start paths at workloads that no policy isolates for
  ingress (they admit every address).

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/
- https://docs.ray.io/en/latest/ray-security/index.html
- https://attack.mitre.org/tactics/TA0008/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.intent.blame import Anchor, workload_anchor
from policylint.intent.context import intent_of
from policylint.intent.rule_helpers import Groups, has_public_addresses, limited
from policylint.intent.roles import DATA_SERVICE, TRAINING
from policylint.model.types import INGRESS, Cluster
from policylint.rule_api import RuleContext
from policylint.rule_options import Flag, Int, Option

CODE = "PL520"
NAME = "lateral-path-from-outside"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = ("Cut the path at its first hop: isolate the exposed workload's egress to what it needs, or admit "
               "only named clients (podSelector with a namespaceSelector) at the next workload of the path.")
OPTIONS = {
    "max-hops": Option(2, "the longest path reported, in hops (2 to 16)", Int(2, 16)),
    "unisolated": Option(False, "also start paths at workloads that no policy isolates for ingress (true or false)",
                         Flag()),
}


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    intent = intent_of(ctx)
    targets = {id(w): w for role in (TRAINING, DATA_SERVICE) for w in intent.roles.members(role)}
    if not targets:
        return
    engine = ctx.engine
    outside = [e for e in engine.endpoints if e.is_external and has_public_addresses(e)]
    if not outside:
        return
    from policylint.engine.bits import positions
    from policylint.graph.paths import FORWARD, Hop, Path, Search
    from policylint.graph.reasons import hop_reason, path_related
    from policylint.graph.rows import shared_rows

    graph = shared_rows(ctx.extras, engine)
    # The first hop: workloads the internet reaches, with the first public range that does.
    reached_directly: set[int] = set()
    exposed: dict[int, Hop] = {}
    graph.prefetch(address.atom for address in outside)
    for address in outside:
        for ports, bits in graph.cells(address.atom):
            for atom in positions(bits):
                for endpoint in graph.atom_endpoints[atom]:
                    reached_directly.add(endpoint.index)
                    if endpoint.index not in exposed and (options["unisolated"] or engine.isolated(endpoint, INGRESS)):
                        exposed[endpoint.index] = Hop(address, endpoint, ports)
    if not exposed:
        return
    search = Search(graph, [hop.dst for hop in exposed.values()], FORWARD, options["max-hops"] - 1)
    groups = Groups()
    for endpoint in sorted(engine.endpoint_of(w) for w in targets.values()):
        if endpoint.index in reached_directly:
            continue  # exposed itself, not through others: PL507's
        rest = search.path_to(endpoint)
        if rest is None:
            continue
        path = Path((exposed[rest.start.index],) + rest.hops)
        first = hop_reason(engine, path.hops[0])
        if first.ingress.rules:
            rule = first.ingress.rules[0]
            anchor = Anchor(rule.span, rule.source.object, rule.source.field_path)
            how = f"{rule.policy} {rule.rule} admits {path.start.id} on {path.hops[0].ports.describe()}"
        else:
            assert rest.start.workload is not None
            anchor = workload_anchor(rest.start.workload)
            how = f"{rest.start.id} is not isolated for ingress"
        route = " -> ".join(e.id for e in path.endpoints)
        group = groups.get(anchor, f"{how}; {len(path)} hops: {route}")
        # The path of the first target reached this way is the finding's related locations.
        group.add(item=endpoint.id, related=() if group.items else path_related(engine, path, first=2))
    for _, group in groups.items():
        yield ctx.finding(group.anchor.span,
                          f"{limited(group.items, 3)} reachable from outside the cluster through exposed "
                          f"workloads: {group.reason}",
                          related=group.related, object=group.anchor.object, field_path=group.anchor.field_path)

