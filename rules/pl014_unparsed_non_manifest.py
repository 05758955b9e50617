"""Unparsed non-manifest.

## What it does
Reports, once and at `info`, a file that does not parse as YAML or JSON and is not meant to be a
Kubernetes manifest (it has no top-level `apiVersion` or `kind`): a `tsconfig.json` with
comments, a Jinja-templated Ansible playbook, a file of another tool's syntax. The file is
skipped. A file that has a top-level `apiVersion` or `kind` but does not parse is an error
instead (PL001).

Complexity: O(I) over the load problems.

## Why is this bad?
It is not: a repository holds many files that are not manifests. The finding only says that a
file was skipped, so that a manifest broken beyond recognition is not passed over in silence.

## Example
A playbook whose last line misses its closing quote:
```yaml
- hosts: cluster
  tasks:
    - kubernetes.core.k8s:
        definition:
          apiVersion: v1
          kind: Namespace
          metadata: {name: shop, namespace: shop}
      when: "stage == 'prod'
```

Use instead:
```yaml
- hosts: cluster
  tasks:
    - kubernetes.core.k8s:
        definition:
          apiVersion: v1
          kind: Namespace
          metadata: {name: shop, namespace: shop}
      when: "stage == 'prod'"
```

## References
- https://kubernetes.io/docs/concepts/overview/working-with-objects/#describing-a-kubernetes-object
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL014"
NAME = "unparsed-non-manifest"
SEVERITY = Severity.INFO
SCOPE = "input"
REMEDIATION = "Nothing to do when the file is not a manifest; exclude it in the configuration to silence this note."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("skipped")
