"""Render failed.

## What it does
Reports a kustomization or a Helm chart whose render ended with an error, quoting the
renderer's first error line: a resource or patch file that does not exist, a patch whose target
is not in the build, a template error, a `required` value that no values file gives. The finding
points at the kustomization file or at `Chart.yaml`. Nothing the kustomization or chart would
deploy is analysed.

Complexity: O(I) over the load problems (one per failed render).

## Why is this bad?
`kubectl apply -k` and `helm install` fail the same way: nothing of it can be deployed as it is.

## Example
A kustomization that lists a file that is not there:
```yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - policy.yaml
  - missing.yaml
```

Use instead:
```yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - policy.yaml
```

## References
- https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/resource/
- https://helm.sh/docs/helm/helm_template/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL020"
NAME = "render-failed"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = ("Run the same render yourself (`kubectl kustomize DIR` or `helm template DIR`) and fix the "
               "error it reports; give a chart the values it requires with --helm-values or render.helm-values.")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("render-failed")
