"""Namespace without a default-deny policy.

## What it does
Reports a namespace that has workloads in the input but no NetworkPolicy that isolates all of its
pods for ingress: a policy with an empty `podSelector: {}` and `Ingress` in its (effective)
`policyTypes`. With the option `egress: true`, a missing default-deny for egress is reported
too. The finding points at the Namespace manifest's name or, when the namespace is not declared,
at the first place an object uses it. Policies the API server would reject do not count.

A namespace without workloads in the input is not reported: its pods, and maybe its policies,
come from elsewhere.

Complexity: O(N + NS) in all, with one bitset test per policy.

## Why is this bad?
Pods that no policy selects accept every connection. Without a namespace-wide default-deny,
every new workload, and every workload whose labels drift away from the selectors, is open
to the whole cluster until someone writes a policy for it. A `podSelector: {}` policy that isolates
all pods, plus narrow policies that allow what is needed, is the recommended baseline.

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
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
    - Ingress
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

## Options
- `egress` (default `false`): also report a namespace without a policy that isolates all its
  pods for egress.
- `exclude-namespaces` (default `[kube-system, kube-public, kube-node-lease]`): namespaces that
  are never reported. The system namespaces run platform components (DNS, kube-proxy, often on
  the host network) whose traffic the platform, not the repository, decides.

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.load.nodes import YMap
from policylint.model.types import EGRESS, INGRESS, Cluster, Namespace
from policylint.rule_api import RuleContext
from policylint.rule_options import Flag, NameList, Option
from policylint.rules._workloads import index

CODE = "PL404"
NAME = "namespace-without-default-deny"
SEVERITY = Severity.INFO
SCOPE = "cluster"
REMEDIATION = "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]` (and `Egress` if outgoing traffic should be denied by default) to the namespace, then allow what is needed with narrower policies."
OPTIONS = {
    "egress": Option(False, "also report a namespace without a default-deny policy for egress (true/false)", Flag()),
    "exclude-namespaces": Option(["kube-system", "kube-public", "kube-node-lease"], "namespaces never reported (list of names)", NameList()),
}


def _name_span(namespace: Namespace):
    node = namespace.source.node
    metadata = node.get("metadata") if isinstance(node, YMap) else None
    if isinstance(metadata, YMap) and "name" in metadata:
        return metadata.span_of_value("name")
    return namespace.source.span


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    if not cluster.workloads:
        return
    engine = ctx.engine
    directions = (INGRESS, EGRESS) if options["egress"] else (INGRESS,)
    denied: dict[str, set[str]] = {}
    for policy in cluster.policies:
        selector = policy.pod_selector
        if selector.valid and selector.is_empty and not engine.compiled(policy).invalid_parts:
            denied.setdefault(policy.namespace, set()).update(policy.policy_types)
    excluded = set(options["exclude-namespaces"])
    for name in sorted(set(index(ctx).namespace_bits) - excluded):
        missing = [d.lower() for d in directions if d not in denied.get(name, set())]
        if not missing:
            continue
        namespace = cluster.namespaces[name]
        yield ctx.finding(
            _name_span(namespace),
            f"namespace `{name}` has no default-deny {' or '.join(missing)} policy "
            f"(`podSelector: {{}}` isolating {' and '.join(missing)})",
            object=namespace.source.object, field_path="metadata.name" if namespace.declared else "",
        )
