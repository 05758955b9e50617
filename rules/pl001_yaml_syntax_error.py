"""YAML syntax error.

## What it does
Reports a file that is not valid YAML (or JSON), at the line and column where the parser stopped.

Complexity: O(I) over the I load problems; the parse itself is the loader's, linear in the
input's bytes B.

## Why is this bad?
`kubectl apply` rejects the whole file, and nothing after the error is analysed. A common cause
is an unrendered Helm template (`{{ .Values.x }}`) or a tab used for indentation.

## Example
An unrendered Helm template:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "chart.fullname" . }}-ingress
  namespace: shop
spec:
  podSelector: {}
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-ingress
  namespace: shop
spec:
  podSelector: {}
```

## References
- https://yaml.org/spec/1.2.2/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL001"
NAME = "yaml-syntax-error"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Fix the YAML syntax at the reported position; render Helm templates with `helm template` before linting."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("syntax")
