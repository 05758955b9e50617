"""Number that kubectl reads as another number.

## What it does
Reports an unquoted number written with a leading zero (`010`) or `0o` (`0o120`): Kubernetes'
YAML decoder (go-yaml, YAML 1.1 rules) reads it as an octal number, so `port: 010` is port 8
and `port: 0o120` is port 80. File modes (`defaultMode`, `mode` of volume items) are exempt:
the API documents them in octal (`defaultMode: 0644`), so the octal reading is the one meant.

Complexity: O(I) over the load problems; each scalar is typed once while parsing.

## Why is this bad?
The manifest says one number and the cluster enforces another, silently: a policy meant for
port 10 opens port 8. Most readers, and YAML 1.2 tools, read `010` as ten.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector: {}
  ingress:
    - ports:
        - port: 010
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
  ingress:
    - ports:
        - port: 10
```

## References
- https://yaml.org/type/int.html (YAML 1.1 integers)
- https://github.com/kubernetes-sigs/yaml (the YAML-to-JSON conversion kubectl uses)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL023"
NAME = "octal-number"
SEVERITY = Severity.WARNING
SCOPE = "input"
REMEDIATION = "Write the number without its leading zero (or quote it if text was meant)."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("typing")
