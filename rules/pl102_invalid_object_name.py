"""Object name or namespace that the API server rejects.

## What it does
Reports a NetworkPolicy without `metadata.name`, a NetworkPolicy name that is not a DNS-1123
subdomain (lower-case letters, digits, `-` and `.`, at most 253 characters), and a namespace
name (of a Namespace object, or in any object's `metadata.namespace`) that is not a DNS-1123
label (lower-case letters, digits and `-`, at most 63 characters).

Complexity: O(I) over the model's issues.

## Why is this bad?
The API server rejects the object. Names such as `ML_Policy` often come from a template or a
program that builds them from other identifiers.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ML_Policy
  namespace: ml-workloads
spec:
  podSelector: {}
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ml-policy
  namespace: ml-workloads
spec:
  podSelector: {}
```

## References
- https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
- kubernetes `pkg/apis/networking/validation/validation.go` (`ValidateNetworkPolicyName`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL102"
NAME = "invalid-object-name"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = ("Name the object with lower-case letters, digits, '-' and '.' (namespaces: no '.', "
               "at most 63 characters), starting and ending with a letter or digit.")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("name")
