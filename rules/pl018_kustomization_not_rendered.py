"""Kustomization not rendered.

## What it does
Reports, once per top-most kustomization of the input (a folder with `kustomization.yaml`,
`kustomization.yml` or `Kustomization` that no other kustomization of the input refers to), that
it was not rendered, why, and how to render it: rendering is switched off (`--no-render`,
`render.kustomize: false`), neither `kustomize` nor `kubectl` is on PATH, the kustomization
refers to a remote resource (policylint renders offline only), it inflates Helm charts
(`helmCharts`), or the render did not finish in time (`render.timeout`). The files the
kustomization uses — its resources, patches, generator inputs and those of its bases — are then
not read as manifests: a patch is not an object, `$(VAR)` placeholders are not names, and a base
shared by two overlays is not a workload defined twice.

Complexity: O(I) over the load problems (one per kustomization not rendered).

## Why is this bad?
What the kustomization deploys is not analysed: its NetworkPolicies and workloads are missing
from every other finding and from connectivity answers. Reading its sources as they are would
be worse: `namespace:`, name prefixes, labels and patches change exactly the fields that
NetworkPolicy analysis depends on.

## Example
A kustomization with rendering switched off in `.policylint.yaml` (`render: {kustomize: false}`):
```yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
resources:
  - policy.yaml
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
```

## References
- https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/
- https://kubectl.docs.kubernetes.io/references/kustomize/builtins/#field-name-buildmetadata
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL018"
NAME = "kustomization-not-rendered"
SEVERITY = Severity.WARNING
SCOPE = "input"
REMEDIATION = ("Install `kustomize` or `kubectl` and leave rendering on, or pipe the rendered output in: "
               "`kubectl kustomize DIR | policylint check -`.")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("kustomize-not-rendered")
