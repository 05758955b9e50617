"""NetworkPolicy that an operator creates from a field of its resource.

## What it does
Reports each NetworkPolicy that an operator creates because of a field of a resource in the
input, at that field, and says that the analysis includes it:

- a Volcano `Job` whose plugins hold `svc` (or `tensorflow`, `pytorch`, `mpi`, `ray`, which bring
  `svc`): the controller creates a policy named after the Job that admits ingress to the Job's
  pods from the Job's pods only, unless the plugin has `--disable-network-policy` or a
  NetworkPolicy of that name already exists;
- a KubeRay `RayCluster` with `spec.networkPolicy`: a policy for the head and one per worker
  group, isolating the directions of the mode (`DenyAll` by default) and admitting the cluster's
  own pods plus the rules written under `head`, `worker` or `workerGroups` (the operator's
  `RayClusterNetworkPolicy` feature gate must be on).

The engine evaluates these policies with the input's own, so `matrix`, `reach` and the training
rules see what the cluster will enforce; `matrix` and `reach` list them in their caveat.

Complexity: O(N) over the policies that operators create (built with the model, O(O)).

## Why is this bad?
It is not a mistake: it is information that a reviewer cannot see in the manifests. A policy
nobody wrote can still isolate pods: Volcano's makes every other ingress to the job's pods
(metrics scrapers, a notebook attaching to the master) depend on another policy allowing it.

## Example
```yaml
apiVersion: batch.volcano.sh/v1alpha1
kind: Job
metadata:
  name: resnet
  namespace: ml
spec:
  plugins:
    pytorch: ["--master=master", "--worker=worker", "--port=23456"]
  tasks:
    - name: master
      replicas: 1
      template:
        spec:
          containers:
            - name: master
              image: ghcr.io/example-org/resnet:2.0
```

Use instead:
```yaml
apiVersion: batch.volcano.sh/v1alpha1
kind: Job
metadata:
  name: resnet
  namespace: ml
spec:
  plugins:
    pytorch: ["--master=master", "--worker=worker", "--port=23456"]
    svc: ["--disable-network-policy=true"]
  tasks:
    - name: master
      replicas: 1
      template:
        spec:
          containers:
            - name: master
              image: ghcr.io/example-org/resnet:2.0
```

## References
- volcano-sh/volcano `pkg/controllers/job/plugins/svc/svc.go` (`createNetworkPolicyIfNotExist`)
- ray-project/kuberay `ray-operator/controllers/ray/networkpolicy_controller.go`,
  `ray-operator/config/samples/ray-cluster.network-policy-deny-all.yaml`
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL022"
NAME = "operator-network-policy"
SEVERITY = Severity.INFO
SCOPE = "input"
REMEDIATION = ("Nothing to fix if the operator's policy is wanted; keep it in mind when writing the others, or "
               "turn it off where the operator allows (`--disable-network-policy` for Volcano's svc plugin).")


def _what(spec) -> str:
    types = [t.lower() for t in spec.policy_types]
    return " and ".join(types) if types else "no direction"


def check(ctx: RuleContext, cluster, options: dict) -> Iterator[Finding]:
    for built, created in zip(cluster.operator_policies, cluster.created_policies):
        yield ctx.finding(
            created.span,
            f"created by {created.operator} {created.condition}: NetworkPolicy `{created.namespace}/{created.name}` "
            f"for {created.owner}, isolating its pods for {_what(built)}; the analysis includes it",
            object=created.owner, field_path=created.field_path,
        )
