"""Helm chart not rendered.

## What it does
Reports, once per Helm chart of the input (a folder with `Chart.yaml`; a subchart under
`charts/` is part of its parent), that it was not rendered, why, and how to render it: rendering
is switched off (`--no-render`, `render.helm: false`), `helm` is not on PATH, the chart's
dependencies are not vendored under `charts/` (policylint never downloads them), or the render
did not finish in time (`render.timeout`). No file of the chart is read as a manifest: templates
are Go templates, not YAML, and values files configure the chart.

Complexity: O(I) over the load problems (one per chart not rendered).

## Why is this bad?
What the chart deploys is not analysed: its NetworkPolicies and workloads are missing from every
other finding and from connectivity answers.

## Example
A chart with rendering switched off in `.policylint.yaml` (`render: {helm: false}`), whose
template is:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .Release.Name }}-web
spec:
  podSelector: {matchLabels: {app: web}}
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: release-web
spec:
  podSelector: {matchLabels: {app: web}}
```

## References
- https://helm.sh/docs/helm/helm_template/
- https://helm.sh/docs/helm/helm_dependency_build/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL019"
NAME = "helm-chart-not-rendered"
SEVERITY = Severity.WARNING
SCOPE = "input"
REMEDIATION = ("Install `helm` and leave rendering on (choose values files with --helm-values or "
               "render.helm-values), or pipe the rendered chart in: `helm template DIR | policylint check -`.")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("helm-not-rendered")
