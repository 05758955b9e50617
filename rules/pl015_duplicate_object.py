"""Object defined twice with different content.

## What it does
Reports an object (same API group, kind, namespace and name) that the input defines twice with
different content. The finding points at the copy the analysis uses, the last one read, and
names the other place. Earlier copies are set aside, never merged: they are listed under `-v`
as objects not used.

Complexity: O(O) over the duplicates the model found with a dict keyed by (kind, namespace,
name).

## Why is this bad?
`kubectl apply` of both files leaves the cluster with whichever copy was applied last, so what
the cluster enforces depends on the order of deployment. Two overlays that write the same
object for different clusters, analysed as one input, describe no cluster at all.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 8080}]}]
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 80}, {port: 8080}]}]
```

## References
- https://kubernetes.io/docs/reference/using-api/server-side-apply/
- https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.model.duplicates import rendered_from
from policylint.rule_api import RuleContext

CODE = "PL015"
NAME = "duplicate-object"
SEVERITY = Severity.WARNING
SCOPE = "input"
REMEDIATION = "Keep one definition of the object, or lint each overlay or cluster on its own."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    for duplicate in ctx.cluster.duplicates:
        if duplicate.identical or duplicate.between_variants:  # variants of one base: PL026
            continue
        other = duplicate.replaced_place
        yield ctx.finding(duplicate.used, f"{duplicate.object} is also defined at {other} with different content; "
                                          f"the analysis uses this copy{rendered_from(duplicate.used_via)}, the last one read (the API server keeps "
                                          "the last one applied)", object=duplicate.object,
                          related=(Related(duplicate.replaced, "the other copy, set aside"),))

