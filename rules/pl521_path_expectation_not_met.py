"""Path expectation from the config is not met.

## What it does
Verifies the config's `expectations:` entries that have `max-hops`: expectations about chains
of connections rather than single ones (those are PL500's). With `allow: false`, no path of at
most `max-hops` hops may lead from any `from` endpoint to any `to` endpoint; with `allow: true`,
every (`from`, `to`) pair must be joined by one. Paths step through workloads only (an external
range may start or end one); `ports` (numbers only) restricts every hop. A `cidr` side means the
outside world: the external address ranges it overlaps.

A broken expectation is reported at its line in the config. For `allow: false` the message
spells out the shortest offending path, and the rule that allows each hop (file:line) is a
related location, so the finding says where to cut it.

Complexity: O(X x (C + edges)) for X path expectations, one bounded breadth-first search each.

## Why is this bad?
"Nothing on the internet is within two hops of the feature store" is the kind of statement a
security review of an ML platform ends with, and the kind no single-pair check can keep true: a
policy change far from the feature store (a notebook's egress opened, a namespace admitted) can
create a new path without touching it.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: notebook
  namespace: ml-platform
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
  name: feature-store
  namespace: data-services
  labels:
    role: data-service-pod
spec:
  containers:
    - name: server
      image: ghcr.io/example-org/feature-store:2.3.1
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: notebook-public
  namespace: ml-platform
spec:
  podSelector: {}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - ipBlock:
            cidr: 0.0.0.0/0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: feature-store
  namespace: data-services
spec:
  podSelector: {}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector: {}
```
with this `.policylint.yaml`:
```yaml
# .policylint.yaml
expectations:
  - name: the internet stays two hops away from the feature store
    from: {cidr: 0.0.0.0/0}
    to: data-service
    max-hops: 2
    allow: false
```

Use instead:
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: notebook
  namespace: ml-platform
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
  name: feature-store
  namespace: data-services
  labels:
    role: data-service-pod
spec:
  containers:
    - name: server
      image: ghcr.io/example-org/feature-store:2.3.1
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: notebook-public
  namespace: ml-platform
spec:
  podSelector: {}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - ipBlock:
            cidr: 0.0.0.0/0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: feature-store
  namespace: data-services
spec:
  podSelector: {}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ml-workloads
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/
- https://attack.mitre.org/tactics/TA0008/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.intent.context import intent_of
from policylint.model.types import Cluster
from policylint.rule_api import RuleContext

CODE = "PL521"
NAME = "path-expectation-not-met"
SEVERITY = Severity.ERROR
SCOPE = "cluster"
REMEDIATION = ("Cut the path at one of the hops named in the finding (or, for `allow: true`, open the missing "
               "hop), or update the expectation if the architecture changed.")


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    intent = intent_of(ctx)
    expectations = [e for e in intent.config.expectations if getattr(e, "max_hops", None) is not None]
    if not expectations:
        return
    from policylint.graph.expect import check_path_expectation
    from policylint.graph.rows import shared_rows

    engine = ctx.engine
    graph = shared_rows(ctx.extras, engine)
    for expectation in expectations:
        broken = check_path_expectation(engine, graph, cluster, intent.roles, expectation)
        if broken is not None:
            yield ctx.finding(broken.anchor.span, broken.message, related=broken.related,
                              object=broken.anchor.object, field_path=broken.anchor.field_path)
