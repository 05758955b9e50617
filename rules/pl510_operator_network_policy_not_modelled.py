"""NetworkPolicy that an operator creates and policylint cannot model.

## What it does
Reports a resource field that makes an operator create NetworkPolicies whose shape the input
cannot show: a KubeRay `RayJob` or `RayService` whose cluster spec has `networkPolicy`. KubeRay
creates the RayCluster under a generated name and its policies select that name
(`ray.io/cluster`), so they are left out of the analysis.

Complexity: O(O) over the RayJobs and RayServices that ask for network isolation.

## Why is this bad?
The policies isolate the Ray pods (by default for both directions): connections that `matrix`
and `reach` show as allowed may be denied, and the training rules cannot judge the cluster's
connectivity. `matrix` and `reach` print a caveat for each such field; this finding puts it in
the report.

## Example
```yaml
apiVersion: ray.io/v1
kind: RayJob
metadata:
  name: sample
  namespace: ml
spec:
  entrypoint: python /home/ray/samples/sample_code.py
  rayClusterSpec:
    networkPolicy:
      mode: DenyAll
    headGroupSpec:
      template:
        spec:
          containers:
            - name: ray-head
              image: rayproject/ray:2.52.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ray-dns
  namespace: ml
spec:
  podSelector:
    matchLabels:
      ray.io/is-ray-node: "yes"
  policyTypes:
    - Egress
  egress:
    - ports:
        - port: 53
          protocol: UDP
```

Use instead:
```yaml
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: sample
  namespace: ml
spec:
  networkPolicy:
    mode: DenyAll
  headGroupSpec:
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.52.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ray-dns
  namespace: ml
spec:
  podSelector:
    matchLabels:
      ray.io/is-ray-node: "yes"
  policyTypes:
    - Egress
  egress:
    - ports:
        - port: 53
          protocol: UDP
```

## References
- ray-project/kuberay `ray-operator/controllers/ray/networkpolicy_controller.go`
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL510"
NAME = "operator-network-policy-not-modelled"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = ("Judge the connectivity of these pods with the operator's policies in mind, or run the job on a "
               "RayCluster of a known name (RayJob's clusterSelector) so that its policies can be analysed.")


def check(ctx: RuleContext, cluster, options: dict) -> Iterator[Finding]:
    for missing in cluster.unmodelled_operator_policies:
        yield ctx.finding(
            missing.span,
            f"not modelled: {missing.operator} creates {missing.what} for {missing.owner}; answers about these pods "
            "may say allowed where the cluster denies",
            object=missing.owner, field_path=missing.field_path,
        )
