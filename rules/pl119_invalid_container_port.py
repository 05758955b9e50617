"""Container port that the API server rejects.

## What it does
Reports a `ports` entry of a container (in a Pod or any pod template: Deployments, Jobs, the
training operators' replica specs, JobSet and Trainer runtimes) that the API server would refuse:
`containerPort` missing, not an integer (`80.5`, `"8080"`) or outside 1-65535, a `protocol` other
than TCP, UDP and SCTP, a `name` that is not a valid port name (at most 15 characters of `a-z`,
`0-9` and `-`, with a letter), or the same `name` twice in one container. Native sidecars
(`initContainers` with `restartPolicy: Always`) are checked too; other init containers serve no
ports and are skipped as the model skips them.

Complexity: O(I) over the model's issues (the build checks each container port once).

## Why is this bad?
The API server refuses the whole pod (or the controller's pods, which then never start), so the
workload the policies were written for does not run. policylint cannot model a port it cannot
read: a NetworkPolicy naming that port resolves to nothing for this workload, and analysis that
rests on the port is silent about it without this finding.

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: ml-data
spec:
  selector:
    matchLabels: {app: feature-store}
  template:
    metadata:
      labels: {app: feature-store}
    spec:
      containers:
        - name: server
          image: feast
          ports:
            - name: grpc_api
              containerPort: "6566"
```

Use instead:
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: ml-data
spec:
  selector:
    matchLabels: {app: feature-store}
  template:
    metadata:
      labels: {app: feature-store}
    spec:
      containers:
        - name: server
          image: feast
          ports:
            - name: grpc-api
              containerPort: 6566
```

## References
- https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports
- kubernetes `pkg/apis/core/validation/validation.go` (`validateContainerPorts`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL119"
NAME = "invalid-container-port"
SEVERITY = Severity.ERROR
SCOPE = "input"
REMEDIATION = ("Give `containerPort` as an integer between 1 and 65535, `protocol` as TCP, UDP or SCTP, and a `name` "
               "of at most 15 characters of a-z, 0-9 and '-' with a letter, unique in the container.")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    # One finding per place: a Trainer runtime's template is built once per TrainJob using it.
    seen: set[tuple] = set()
    for finding in ctx.findings_for_issues("container-port"):
        key = (finding.span, finding.message)
        if key not in seen:
            seen.add(key)
            yield finding
