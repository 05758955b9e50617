"""Service whose selector matches no workload of its namespace.

## What it does
Reports a Service with a selector that matches no workload of its namespace, when the input holds
workloads of that namespace. The finding points at `spec.selector` and names the near misses: a
workload of the namespace with the same label keys but other values, or workloads of other
namespaces that the selector would match (a Service only selects pods of its own namespace).

Not reported: a Service without a selector, or with an empty one (its endpoints are managed by
hand, through EndpointSlices, or by another controller), an `ExternalName` Service, and a
namespace with no workload in the input (the workloads may live in another repository). Selector
entries on labels that controllers set per pod at run time (`statefulset.kubernetes.io/pod-name`,
`apps.kubernetes.io/pod-index`, `training.kubeflow.org/replica-index`, `pod-template-hash` …)
cannot be judged from manifests and are left out of the comparison.

Complexity: O(P + S x W) in all: workloads are grouped by namespace once, then each of the S
Services is matched against the W workloads of its namespace (worst case quadratic within one
namespace).

## Why is this bad?
A Service that selects no pod has no endpoints: clients resolve its name and then time out. The
usual causes are a label that differs between the Service and the pod template (`app: fs` against
`app: feature-store`) or a Service created in another namespace than its pods.

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data-services
spec:
  template:
    metadata:
      labels:
        app: feature-store
    spec:
      containers:
        - name: server
          image: feature-store:2.3
---
apiVersion: v1
kind: Service
metadata:
  name: feature-store
  namespace: data-services
spec:
  selector:
    app: featurestore
  ports:
    - port: 80
```

Use instead:
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data-services
spec:
  template:
    metadata:
      labels:
        app: feature-store
    spec:
      containers:
        - name: server
          image: feature-store:2.3
---
apiVersion: v1
kind: Service
metadata:
  name: feature-store
  namespace: data-services
spec:
  selector:
    app: feature-store
  ports:
    - port: 80
```

## References
- https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors
- https://kubernetes.io/docs/reference/labels-annotations-taints/ (labels set per pod by
  controllers)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.load.nodes import YMap
from policylint.model.runtime_labels import without_runtime_pod_labels
from policylint.model.types import Cluster, Service, Workload
from policylint.rule_api import RuleContext
from policylint.rules._workloads import labels_span, quote_list

CODE = "PL118"
NAME = "service-selects-no-pods"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = ("Make the Service's selector match the labels of its pods' template (check for typos), and create "
               "the Service in the namespace of its pods.")


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    by_namespace: dict[str, list[Workload]] = {}
    for workload in cluster.workloads:
        by_namespace.setdefault(workload.namespace, []).append(workload)
    for service in cluster.services:
        if not service.selects_pods or service.namespace not in by_namespace:
            continue
        decidable = without_runtime_pod_labels(service.selector or ())
        if not decidable:
            continue
        if any(_matches(decidable, w) for w in by_namespace[service.namespace]):
            continue
        yield _finding(ctx, cluster, service, decidable, by_namespace[service.namespace])


def _matches(selector: tuple[tuple[str, str], ...], workload: Workload) -> bool:
    return all(workload.labels.get(k) == v for k, v in selector)


def _finding(ctx: RuleContext, cluster: Cluster, service: Service, selector: tuple[tuple[str, str], ...],
             local: list[Workload]) -> Finding:
    text = ", ".join(f"{k}={v}" for k, v in service.selector or ())
    message = f"selector `{text}` matches no workload of namespace `{service.namespace}`"
    related: list[Related] = []
    keys = [k for k, _ in selector]
    # Near misses: same keys, other values (a typo), in the Service's namespace.
    close = [w for w in local if all(k in w.labels for k in keys)]
    if close:
        first = close[0]
        differs = ", ".join(f"{k}={first.labels[k]}" for k, v in selector if first.labels[k] != v)
        message += f"; `{first.id}` has {differs}"
        related += [Related(labels_span(w), f"`{w.id}` has the selector's keys with other values") for w in close[:10]]
    elsewhere = [w for w in cluster.workloads if w.namespace != service.namespace and _matches(selector, w)]
    if elsewhere:
        namespaces = sorted({w.namespace for w in elsewhere})
        message += (f"; it would match {quote_list(w.id for w in elsewhere)} in namespace"
                    f"{'s' if len(namespaces) > 1 else ''} {quote_list(namespaces)}, but a Service only selects "
                    f"pods of its own namespace")
        related += [Related(labels_span(w), f"`{w.id}` matches the selector in another namespace") for w in elsewhere[:10]]
    assert service.selector_source is not None
    where = service.selector_source
    spec = service.source.node.get("spec") if isinstance(service.source.node, YMap) else None
    span = spec.span_of_key("selector") if isinstance(spec, YMap) and "selector" in spec else where.span
    return ctx.finding(span, message, related=related, object=service.source.object, field_path=where.field_path)
