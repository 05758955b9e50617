"""Training or data service reachable from outside the cluster over exposed workloads.

## What it does
Walks the connectivity graph from the public internet (external ranges with publicly routable
addresses, as in PL507) and reports training pods (role `training`) and data services (role
`data-service`) that a path of at most `max-hops` hops (default 2) reaches *through other
workloads*: the first workload is exposed to the internet, the next is reachable from it, and
so on. A direct exposure (one hop) is PL507's for training pods and is not reported here.

The finding points at the rule that lets the internet into the first workload of the path (or
at that workload when no policy isolates it for ingress) and names the targets reached that way;
the rules allowing each later hop (file:line) are its related locations. Run
`policylint paths PATH… --from 0.0.0.0/0 --to training` for every path.

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
- `max-hops` (default `2`): the longest path reported (at least 2).

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
from policylint.intent.reach import Groups, has_public_addresses, limited
from policylint.intent.roles import DATA_SERVICE, TRAINING
from policylint.model.types import Cluster
from policylint.rule_api import RuleContext

CODE = "PL520"
NAME = "lateral-path-from-outside"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = ("Cut the path at its first hop: isolate the exposed workload's egress to what it needs, or admit "
               "only named clients (podSelector with a namespaceSelector) at the next workload of the path.")
OPTIONS = {"max-hops": "the longest path reported, in hops (at least 2)"}
DEFAULTS = {"max-hops": 2}


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    intent = intent_of(ctx)
    targets = {id(w): w for role in (TRAINING, DATA_SERVICE) for w in intent.roles.members(role)}
    if not targets:
        return
    engine = ctx.engine
    outside = [e for e in engine.endpoints if e.is_external and has_public_addresses(e)]
    if not outside:
        return
    from policylint.graph.build import shared_graph
    from policylint.graph.paths import FORWARD, Search
    from policylint.graph.reasons import hop_reason, path_related

    search = Search(shared_graph(ctx.extras, engine), outside, FORWARD, max(int(options["max-hops"]), 2))
    groups = Groups()
    for endpoint in sorted(engine.endpoint_of(w) for w in targets.values()):
        path = search.path_to(endpoint)
        if path is None or len(path) < 2:
            continue
        first = hop_reason(engine, path.hops[0])
        exposed = first.hop.dst
        if first.ingress.rules:
            rule = first.ingress.rules[0]
            anchor = Anchor(rule.span, rule.source.object, rule.source.field_path)
            how = f"{rule.policy} {rule.rule} admits {first.hop.src.id} on {first.hop.ports.describe()}"
        else:
            assert exposed.workload is not None
            anchor = workload_anchor(exposed.workload)
            how = f"{exposed.id} is not isolated for ingress"
        route = " -> ".join(e.id for e in path.endpoints)
        group = groups.get(anchor, f"{how}; {len(path)} hops: {route}")
        # The path of the first target reached this way is the finding's related locations.
        group.add(item=endpoint.id, related=() if group.items else path_related(engine, path, first=2))
    for _, group in groups.items():
        yield ctx.finding(group.anchor.span,
                          f"{limited(group.items, 3)} reachable from outside the cluster through exposed "
                          f"workloads: {group.reason}",
                          related=group.related, object=group.anchor.object, field_path=group.anchor.field_path)

