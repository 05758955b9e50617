"""Named port that is not a valid port name.

## What it does
Reports a string `port` that is not a valid port name: more than 15 characters, upper-case
letters or characters other than `a-z`, `0-9` and `-`, no letter at all (a quoted number such
as `"8080"`), two consecutive hyphens, or a hyphen at either end.

Complexity: O(I) over the model's issues.

## Why is this bad?
The API server rejects the policy. A quoted number is a frequent accident of templates and
infrastructure-as-code programs that turn every value into a string: `"8080"` is a port *name*
to Kubernetes, not the number 8080.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: data-service
  namespace: ml-workloads
spec:
  podSelector: {}
  ingress:
    - ports:
        - port: "8080"
        - port: HTTP
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: data-service
  namespace: ml-workloads
spec:
  podSelector: {}
  ingress:
    - ports:
        - port: 8080
        - port: http
```

## References
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
- kubernetes apimachinery `pkg/util/validation/validation.go` (`IsValidPortName`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL303"
NAME = "invalid-port-name"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = ("Write port numbers without quotes, and port names as the container declares them: at most 15 "
               "lower-case letters, digits and single hyphens, with at least one letter.")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("port.name")
