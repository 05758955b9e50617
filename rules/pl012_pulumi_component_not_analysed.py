"""Pulumi component not analysed.

## What it does
Reports a resource of a Pulumi program (given with `--pulumi DIR`) whose Kubernetes objects
policylint cannot see offline: a Helm `Chart` or `Release` (rendering it needs `helm` and often
the network), a kustomization, a `ConfigFile` or `ConfigGroup` file given as a URL, or a
`…Patch` resource (it changes an object that is not part of the input).

Complexity: O(I) over the load problems.

## Why is this bad?
The objects it creates, NetworkPolicies included, are missing from the analysis: a namespace may
look unprotected, or a connection allowed, only because a policy from the chart is not seen.

## Example
```python
import pulumi_kubernetes as k8s

k8s.helm.v3.Chart("netpol", k8s.helm.v3.ChartOpts(chart="./charts/netpol"))
```

Use instead:
```python
import pulumi_kubernetes as k8s

# `helm template ./charts/netpol > rendered/netpol.yaml`, then lint the YAML with policylint, or:
k8s.yaml.ConfigFile("netpol", file="rendered/netpol.yaml")
```

## References
- https://www.pulumi.com/registry/packages/kubernetes/api-docs/helm/v3/chart/
- https://helm.sh/docs/helm/helm_template/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL012"
NAME = "pulumi-component-not-analysed"
SEVERITY = Severity.INFO
SCOPE = "input"
REMEDIATION = ("Render the chart or kustomization to YAML (`helm template`, `kubectl kustomize`) and lint "
               "that output too, or read a local file instead of a URL.")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("pulumi-not-analysed")
