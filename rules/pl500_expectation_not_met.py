"""Connectivity expectation from the config is not met.

## What it does
Verifies, with the connectivity engine, every entry of the config file's `expectations:` list.
Each names a source (`from`) and a destination (`to`) — a role, a namespace and pod selection,
or an address range — optional `ports`, and `allow: true|false`:

- `allow: true` with `ports`: every listed port must be allowed for every (source,
  destination) pair; without `ports`: every pair must be able to connect on some port;
- `allow: false` with `ports`: no listed port may be allowed for any pair; without `ports`: no
  pair may connect at all.

A broken expectation is reported **at its line in the config file**. The message names the first
failing pair and how many others fail, and — from the engine's explanation — the side that
blocks it (the policies that isolate the pods, the rule or peer that comes closest, with
file:line), or, for `allow: false`, the rules that let it through. The same places are attached
as related locations. An expectation whose `from` or `to` matches nothing in the input cannot be
checked and is reported at that key.

Cost: each expectation is judged a source at a time from the engine's cells towards the
destinations' atoms; destinations of one cell with the same named ports are judged once and
counted with bit counts, and only the first failing pair is explained. O(sources × cells × port
groups) per expectation, not O(pairs).

Complexity: O(X x q) for the X expectations of the config, each q engine queries (a pair of
endpoints or a row, bitset operations).

## Why is this bad?
Lint rules know the common mistakes; only the team knows its architecture. An expectation such
as "the data service reaches the training pods on 5000/TCP" or "nothing outside the cluster
reaches the training pods" turns that knowledge into a check that fails the build the moment a
policy change breaks it, and says which policy did.

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: data-services
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data-services
spec:
  selector:
    matchLabels:
      app: feature-store
  template:
    metadata:
      labels:
        app: feature-store
        role: data-service-pod
    spec:
      containers:
        - name: server
          image: ghcr.io/example-org/feature-store:2.3.1
---
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: bert-pretrain
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: 2
      template:
        metadata:
          labels:
            role: ml-training-pod
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/bert-pretrain:1.4.0
              ports:
                - name: data-feed
                  containerPort: 5000
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
        - podSelector:
            matchLabels:
              role: data-service-pod
```
with this `.policylint.yaml`:
```yaml
# .policylint.yaml
expectations:
  - name: data service feeds training
    from: data-service
    to: training
    ports: [5000/TCP]
    allow: true
```

Use instead:
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: data-services
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data-services
spec:
  selector:
    matchLabels:
      app: feature-store
  template:
    metadata:
      labels:
        app: feature-store
        role: data-service-pod
    spec:
      containers:
        - name: server
          image: ghcr.io/example-org/feature-store:2.3.1
---
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: bert-pretrain
  namespace: ml-workloads
spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: 2
      template:
        metadata:
          labels:
            role: ml-training-pod
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example-org/bert-pretrain:1.4.0
              ports:
                - name: data-feed
                  containerPort: 5000
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
          podSelector:
            matchLabels:
              role: data-service-pod
      ports:
        - protocol: TCP
          port: 5000
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/
- https://github.com/kubernetes/kubernetes/tree/master/test/e2e/network/netpol
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.intent.context import intent_of
from policylint.model.types import Cluster
from policylint.rule_api import RuleContext

CODE = "PL500"
NAME = "expectation-not-met"
SEVERITY = Severity.ERROR
SCOPE = "cluster"
REMEDIATION = ("Change the policies named in the finding so the expected connectivity holds (or update the "
               "expectation in the config if the architecture changed).")


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    intent = intent_of(ctx)
    if not intent.config.expectations:
        return
    from policylint.intent.expectations import report, verify  # only a config with expectations needs it

    engine = ctx.engine
    for expectation in intent.config.expectations:
        if getattr(expectation, "max_hops", None) is not None:
            continue  # a path expectation: PL521
        outcome = verify(engine, cluster, intent.roles, expectation, keep=1)
        if outcome.met:
            continue
        found = report(engine, outcome)
        yield ctx.finding(found.anchor.span, found.message, related=found.related,
                          object=found.anchor.object, field_path=found.anchor.field_path)
