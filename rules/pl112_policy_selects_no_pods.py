"""Policy whose podSelector selects no workload of its namespace.

## What it does
Reports a NetworkPolicy whose `spec.podSelector` matches no workload of the policy's namespace
in the input. When the selector matches workloads in other namespaces, the message names them
(the policy may be in the wrong namespace). The finding points at `spec.podSelector`.

By default a policy is only judged when the input holds at least one workload of its namespace:
a repository of policies whose workloads live elsewhere (or whose namespace's workloads are
deployed from another repository) would otherwise be flooded with findings. So an empty
`podSelector: {}` is never reported by default. Set `require-workloads: false` to report every
policy that selects no workload of the input.

Complexity: O(1) bitset tests per policy (the engine's compiled selection), plus a label-index
query to explain an empty one.

## Why is this bad?
A policy applies to the pods its selector matches, and to nothing else. A selector that matches
no pod is usually a label typo (`app: fronted`), a label the controller does not set, or a
policy in the wrong namespace: the pods it was written for stay unprotected, or unisolated, and
the policy looks like it does something.

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
  name: frontend
  namespace: shop
spec:
  selector:
    matchLabels:
      app: frontend
  template:
    metadata:
      labels:
        app: frontend
    spec:
      containers:
        - name: web
          image: frontend:1.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: frontend-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: fronted
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
  name: frontend
  namespace: shop
spec:
  selector:
    matchLabels:
      app: frontend
  template:
    metadata:
      labels:
        app: frontend
    spec:
      containers:
        - name: web
          image: frontend:1.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: frontend-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: frontend
  policyTypes:
    - Ingress
  ingress:
    - ports:
        - port: 8080
```

## Options
- `require-workloads` (default `true`): judge a policy only when the input holds workloads of its
  namespace. With `false`, every policy that selects no workload of the input is reported, even
  when the input holds no workload at all.

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
- kubernetes/api `networking/v1/types.go` (`NetworkPolicySpec.podSelector`)
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

from policylint.consequences import selector_cause
from policylint.findings import Finding, Severity
from policylint.model.types import NetworkPolicy
from policylint.rule_api import RuleContext
from policylint.rule_options import Flag, Option
from policylint.rules._workloads import finding_at, index, name_span, quote_list, spec_key_span, workload_related

CODE = "PL112"
NAME = "policy-selects-no-pods"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "Make `spec.podSelector` match the labels of the pods the policy is meant for (check for typos and for the labels the controller sets), or move the policy to their namespace."
OPTIONS = {
    "require-workloads": Option(True, "judge a policy only when the input holds workloads of its namespace (true/false)", Flag()),
}


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    selector = policy.pod_selector
    if not selector.valid:
        return  # PL101 reports it; an unreadable selector selects nothing
    if options["require-workloads"] and not ctx.cluster.workloads:
        return
    idx = index(ctx)
    has_workloads = policy.namespace in idx.namespace_bits
    if options["require-workloads"] and not has_workloads:
        return
    if ctx.engine.compiled(policy).selected:
        return
    message = f"podSelector `{selector.describe()}` selects no pod in namespace `{policy.namespace}`"
    related = []
    if not has_workloads:
        message += " (the input holds no workload of that namespace)"
    positive = selector.match_labels or any(r.operator in ("In", "Exists") for r in selector.expressions)
    elsewhere = idx.workloads(idx.everywhere(policy, selector)) if positive else []
    if elsewhere:
        namespaces = sorted({w.namespace for w in elsewhere})
        plural = "s" if len(namespaces) > 1 else ""
        message += f"; it would select {quote_list(w.id for w in elsewhere)} in namespace{plural} {quote_list(namespaces)}"
        related = workload_related(elsewhere, "`{id}` matches the podSelector in another namespace")
    span = spec_key_span(policy, "podSelector") or name_span(policy)
    finding = finding_at(ctx, span, policy, selector.source.field_path, message, related)
    yield dataclasses.replace(finding, causes=frozenset((selector_cause(selector),)))
