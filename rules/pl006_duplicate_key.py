"""Duplicate mapping key.

## What it does
Reports a key that appears twice in the same YAML mapping.

Complexity: O(I) over the load problems; keys are checked while parsing, O(keys) per mapping
with a set.

## Why is this bad?
YAML parsers disagree on which value wins, and `kubectl` rejects the object ("mapping key
already defined"). A duplicated `ingress:` or `podSelector:` usually means half of a policy is
silently dropped.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector: {matchLabels: {app: web}}
  podSelector: {matchLabels: {app: api}}
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
```

## References
- https://yaml.org/spec/1.2.2/#mapping
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL006"
NAME = "duplicate-key"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Keep one occurrence of the key and merge the values that were meant."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("duplicate-key")
