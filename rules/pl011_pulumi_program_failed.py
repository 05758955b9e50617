"""Pulumi program failed.

## What it does
Reports a Pulumi program (given with `--pulumi DIR`) that did not run to its end under the
Pulumi mock runtime: it raised an exception, imported a module that is not installed, exited with
an error, or did not finish within the time limit (`--pulumi-timeout`). The finding points at
the innermost line of the program in the traceback (for a time-out: the line it was running)
and quotes the error. A `ConfigFile` naming a local file that does not exist is reported here
too: the deployment would fail on it.

Complexity: O(I) over the load problems (the Pulumi program runs under its own timeout).

## Why is this bad?
Objects the program would have created after the failure are missing from the analysis, so
other findings and connectivity answers may be incomplete. `pulumi preview` would fail the same
way, unless the failure comes from running offline (a network call, a configuration value or
secret that only the stack has).

## Example
```python
import pulumi_kubernetes as k8s

namespace = k8s.core.v1.Namespace("ml", metadata={"name": "ml-workloads"})
raise RuntimeError("forgot to finish the network policy")
```

Use instead:
```python
import pulumi_kubernetes as k8s

namespace = k8s.core.v1.Namespace("ml", metadata={"name": "ml-workloads"})
```

## References
- https://www.pulumi.com/docs/iac/guides/testing/unit/
- https://www.pulumi.com/registry/packages/kubernetes/api-docs/yaml/configfile/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL011"
NAME = "pulumi-program-failed"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = ("Fix the error at the reported line (run `pulumi preview` to reproduce it), or raise "
               "--pulumi-timeout if the program is only slow.")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_load_problems("pulumi-failed")
