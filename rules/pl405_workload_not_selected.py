"""Workload that no policy selects, next to workloads that are selected.

## What it does
Reports a workload that no NetworkPolicy selects (so it is isolated in neither direction) when
other workloads of its namespace are selected by at least one policy. The finding points at the
labels of the workload's pods (its pod template's, or the Pod's).

Namespaces where no workload is selected are left alone (the namespace does not use
NetworkPolicy at all; PL404 namespace-without-default-deny covers that choice).

Complexity: O(P) in all: each endpoint's isolation is two bit tests in the engine.

## Why is this bad?
In a namespace that uses NetworkPolicy, a pod that no policy selects accepts connections from
everywhere and may connect anywhere. This is rarely meant: usually its labels do not match the
selectors (a renamed app, a label the chart does not set, a job's pods that carry the
controller's labels only), or it was added after the policies were written.

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: api:1.0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cache
  namespace: shop
spec:
  selector:
    matchLabels:
      app: cache
  template:
    metadata:
      labels:
        app: cache
    spec:
      containers:
        - name: redis
          image: redis:7
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
    - Ingress
  ingress:
    - ports:
        - port: 8080
```

Use instead:
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: api:1.0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cache
  namespace: shop
spec:
  selector:
    matchLabels:
      app: cache
  template:
    metadata:
      labels:
        app: cache
    spec:
      containers:
        - name: redis
          image: redis:7
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
    - Ingress
  ingress:
    - ports:
        - port: 8080
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: cache-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: cache
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: api
      ports:
        - port: 6379
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.model.types import EGRESS, INGRESS, Cluster
from policylint.rule_api import RuleContext
from policylint.rules._workloads import labels_span

CODE = "PL405"
NAME = "workload-not-selected"
SEVERITY = Severity.INFO
SCOPE = "cluster"
REMEDIATION = "Give the workload the labels a policy of its namespace selects, add a policy for it, or add a namespace-wide default-deny policy (`podSelector: {}`)."


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    if not cluster.policies or not cluster.workloads:
        return
    engine = ctx.engine
    open_by_namespace: dict[str, list] = {}
    selected_namespaces: set[str] = set()
    for endpoint in engine.endpoints:
        workload = endpoint.workload
        if workload is None:
            continue
        if engine.isolated(endpoint, INGRESS) or engine.isolated(endpoint, EGRESS):
            selected_namespaces.add(workload.namespace)
        else:
            open_by_namespace.setdefault(workload.namespace, []).append(workload)
    for namespace in sorted(selected_namespaces & open_by_namespace.keys()):
        for workload in open_by_namespace[namespace]:
            yield ctx.finding(
                labels_span(workload),
                f"workload `{workload.id}` is selected by no NetworkPolicy while other workloads of namespace "
                f"`{namespace}` are; all its traffic is allowed",
                object=workload.source.object, field_path=f"{workload.source.field_path}.metadata.labels",
            )
