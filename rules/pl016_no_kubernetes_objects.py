"""No Kubernetes objects.

## What it does
Reports an input whose files hold no Kubernetes object at all (no document with `apiVersion`
and `kind`), with how many files were read and why none counted. Files that are not
manifests are skipped one by one without a finding; this finding says that nothing at all was
analysed.

Complexity: O(I) over the load problems.

## Why is this bad?
A clean pass on an input that holds nothing to check looks like a success. In CI it usually
means a wrong path (`policylint check .github/` instead of `k8s/`), or manifests that exist only
after rendering (Helm charts, kustomize overlays).

## Example
A Helm values file, which configures a chart but is no manifest:
```yaml
networkPolicy:
  enabled: true
  apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  name: web
  namespace: shop
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
```

## References
- https://kubernetes.io/docs/concepts/overview/working-with-objects/#describing-a-kubernetes-object
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL016"
NAME = "no-kubernetes-objects"
SEVERITY = Severity.WARNING
SCOPE = "input"
REMEDIATION = "Point policylint at the folder that holds the manifests, or render Helm charts and kustomize overlays first."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("no-objects")
