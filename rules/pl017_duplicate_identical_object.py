"""Object defined twice, identically.

## What it does
Reports, at `info`, an object (same API group, kind, namespace and name) that the input defines
twice with the same content. The analysis uses the last copy read; the finding points at it and
names the other place.

Complexity: O(O) over the duplicates the model found with a dict keyed by (kind, namespace,
name).

## Why is this bad?
It does no harm to the cluster, but two copies drift apart at the next edit of one of them, and
then what the cluster enforces depends on the order of deployment (PL015).

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata: {name: shop, namespace: shop, labels: {team: web}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, namespace: shop, labels: {team: web}}
```

Use instead:
```yaml
apiVersion: v1
kind: Namespace
metadata: {name: shop, namespace: shop, labels: {team: web}}
```

## References
- https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.model.duplicates import rendered_from
from policylint.rule_api import RuleContext

CODE = "PL017"
NAME = "duplicate-identical-object"
SEVERITY = Severity.INFO
SCOPE = "input"
REMEDIATION = "Keep one definition of the object and refer to it from every place that needs it."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    for duplicate in ctx.cluster.duplicates:
        if not duplicate.identical or duplicate.between_variants:  # variants of one base: PL026
            continue
        other = duplicate.replaced_place
        yield ctx.finding(duplicate.used, f"{duplicate.object} is also defined at {other}, identically; "
                                          f"the analysis uses this copy{rendered_from(duplicate.used_via)}, the last one read", object=duplicate.object,
                          related=(Related(duplicate.replaced, "the other copy, set aside"),))

