"""namespaceSelector on a label that no namespace carries.

## What it does
Reports a `namespaceSelector` that requires a label key (in `matchLabels`, or a match expression
with `In` or `Exists`) that no namespace of the input carries. The finding points at the key. When
the required value is the name of a namespace in the input, the message suggests
`kubernetes.io/metadata.name` instead.

The rule only runs when the input declares at least one `Namespace` object: without one, the
labels of the namespaces are unknown. Namespaces that objects use but no manifest declares are
taken to carry only `kubernetes.io/metadata.name`, the one label every namespace has. Expressions
with `NotIn` and `DoesNotExist` are not reported: they match namespaces that lack the key.

Labels that controllers set on namespaces after creation are known without a manifest showing
them: `kubernetes.io/metadata.name` (the API server), Kubeflow's profile labels
(`app.kubernetes.io/part-of: kubeflow-profile`, `pipelines.kubeflow.org/enabled: "true"`,
`serving.kubeflow.org/inferenceservice: enabled`, Katib's metrics-collector injection label),
Istio's enrolment labels (`istio-injection`, `istio.io/rev`, `istio.io/dataplane-mode`,
`istio.io/use-waypoint`) and the Pod Security admission labels. Declare others in the config:
`cluster: {runtime-namespace-labels: [team, "owner=ml-platform"]}` (a key alone: any value).

Complexity: O(NS) once per run: the label keys of the NS namespaces are gathered once; then
O(E x k) per policy: each of its E namespaceSelectors' k keys is a set look-up.

## Why is this bad?
`namespaceSelector: {matchLabels: {name: data}}` looks like "the namespace called data", but it
matches namespaces that carry a label `name` with value `data`, and nobody sets that label. The
peer matches nothing and the traffic it was written for is dropped. The API server sets
`kubernetes.io/metadata.name` on every namespace; select namespaces by name with that label.

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: ml-workloads
---
apiVersion: v1
kind: Namespace
metadata:
  name: data
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data
spec:
  selector:
    matchLabels:
      role: data-service-pod
  template:
    metadata:
      labels:
        role: data-service-pod
    spec:
      containers:
        - name: feature-store
          image: feature-store:1.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-to-data
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Egress
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              name: data
          podSelector:
            matchLabels:
              role: data-service-pod
```

Use instead:
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: ml-workloads
---
apiVersion: v1
kind: Namespace
metadata:
  name: data
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data
spec:
  selector:
    matchLabels:
      role: data-service-pod
  template:
    metadata:
      labels:
        role: data-service-pod
    spec:
      containers:
        - name: feature-store
          image: feature-store:1.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-to-data
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Egress
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: data
          podSelector:
            matchLabels:
              role: data-service-pod
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-namespace-by-its-name
- https://kodekloud.com/community/t/network-policy-and-namespace-selector/247512
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.load.nodes import Span, YMap, YSeq
from policylint.model.runtime_labels import runtime_namespace_labels, set_at_run_time
from policylint.model.types import NAMESPACE_NAME_LABEL, Cluster, LabelSelector, NetworkPolicy
from policylint.rule_api import RuleContext
from policylint.rules._workloads import finding_at

CODE = "PL111"
NAME = "namespace-label-unknown"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "Select namespaces by a label they carry, usually `kubernetes.io/metadata.name: <namespace>`, or add the label to the Namespace manifests."


def _required(selector: LabelSelector) -> Iterator[tuple[str, tuple[str, ...], Span, str]]:
    """(key, values, where, field path) of each key the selector requires to be present."""
    node = selector.source.node
    path = selector.source.field_path
    labels = node.get("matchLabels") if isinstance(node, YMap) else None
    for key, value in selector.match_labels:
        span = labels.span_of_key(key) if isinstance(labels, YMap) else selector.source.span
        yield key, (value,), span, f"{path}.matchLabels.{key}"
    items = node.get("matchExpressions") if isinstance(node, YMap) else None
    for i, item in enumerate(items if isinstance(items, YSeq) else ()):
        if not isinstance(item, YMap) or item.get("operator") not in ("In", "Exists"):
            continue
        key = item.get("key")
        values = item.get("values")
        values = tuple(v for v in values if isinstance(v, str)) if isinstance(values, YSeq) else ()
        if isinstance(key, str):
            yield key, values, item.span_of_value("key"), f"{path}.matchExpressions[{i}].key"


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    namespaces = ctx.cluster.namespaces
    known = ctx.cached(_known_keys, lambda: _known_keys(ctx.cluster))
    if known is None:
        return
    at_run_time = runtime_namespace_labels(ctx.facts.runtime_namespace_labels)
    for rule in (*policy.ingress, *policy.egress):
        for peer in rule.peers:
            selector = peer.namespace_selector
            if selector is None or not selector.valid:
                continue
            for key, values, span, path in _required(selector):
                if key in known or set_at_run_time(at_run_time, key, values):
                    continue
                names = [v for v in values if v in namespaces]
                hint = (f"; to select namespace `{names[0]}` by name use `{NAMESPACE_NAME_LABEL}: {names[0]}`"
                        if names else f"; every namespace carries `{NAMESPACE_NAME_LABEL}`")
                yield finding_at(ctx, span, policy, path,
                                 f"namespaceSelector label `{key}` is carried by no namespace in the input{hint}")


def _known_keys(cluster: Cluster) -> set[str] | None:
    """The label keys some namespace carries, once per run (the rule runs per policy, and a
    cluster export has thousands of each); None when the input declares no namespace."""
    namespaces = cluster.namespaces.values()
    if not any(ns.declared for ns in namespaces):
        return None
    return {key for ns in namespaces for key in ns.labels} | {NAMESPACE_NAME_LABEL}
