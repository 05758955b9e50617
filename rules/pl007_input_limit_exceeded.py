"""Input exceeds a resource limit.

## What it does
Reports a file or document that policylint refused to analyse because it exceeds a resource
bound: file size, nesting depth, or values produced by YAML aliases (an "alias bomb").

Complexity: O(I) over the load problems; the limits bound the parse itself (bytes, depth, alias
expansion).

## Why is this bad?
The refused part is not analysed. Real manifests stay far below the defaults; raise them in the
`limits` section of the config file if yours do not.

## Example
An alias bomb: six short lines that expand to 531,441 values.
```yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: laughs
  namespace: shop
data:
  a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
```

Use instead:
```yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: laughs
  namespace: shop
data:
  a: "x x x"
```

## Options
Limits are set in the config file: `limits: {max-file-bytes, max-depth, max-alias-nodes}`.

## References
- https://en.wikipedia.org/wiki/Billion_laughs_attack
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL007"
NAME = "input-limit-exceeded"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = "Split or simplify the input, or raise the limit in the `limits` section of the config file."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("limit")
