"""Pulumi value unknown until deployment.

## What it does
Reports a field of a Kubernetes object created by a Pulumi program (given with `--pulumi DIR`)
whose value is known only after a deployment: the output of another resource that the mock
runtime cannot compute (a cloud resource's generated id or address, an output of a resource
that is not a Kubernetes object). policylint keeps such a field as unknown and does not guess:
the field matches nothing, and other findings about it are not repeated. A data source (a
provider function such as `aws.ec2.get_vpc(…)`) is not called offline either: it is reported
where the program calls it, since values taken from it are missing.

Complexity: O(I) over the load problems.

## Why is this bad?
A selector, namespace or CIDR that policylint cannot see is not checked, and connectivity that
depends on it is not known. Review it by hand, or write it as a value the program knows.

## Example
```python
import pulumi_aws as aws
import pulumi_kubernetes as k8s

vpc = aws.ec2.Vpc("training")  # its CIDR is assigned at deployment
k8s.networking.v1.NetworkPolicy("egress", spec=k8s.networking.v1.NetworkPolicySpecArgs(
    pod_selector={},
    egress=[{"to": [{"ip_block": {"cidr": vpc.cidr_block}}]}],
))
```

Use instead:
```python
import pulumi_aws as aws
import pulumi_kubernetes as k8s

vpc = aws.ec2.Vpc("training", cidr_block="10.20.0.0/16")
k8s.networking.v1.NetworkPolicy("egress", spec=k8s.networking.v1.NetworkPolicySpecArgs(
    pod_selector={},
    egress=[{"to": [{"ip_block": {"cidr": vpc.cidr_block}}]}],
))
```

## References
- https://www.pulumi.com/docs/iac/concepts/inputs-outputs/
- https://www.pulumi.com/docs/iac/guides/testing/unit/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL013"
NAME = "pulumi-value-unknown"
SEVERITY = Severity.WARNING
SCOPE = "input"
REMEDIATION = "Write the value where the program knows it (a literal, a config value) or review the field by hand."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    for problem in ctx.load_problems:
        if problem.kind == "pulumi-unknown":
            yield ctx.finding(problem.span, problem.message, field_path=getattr(problem, "field_path", ""))
