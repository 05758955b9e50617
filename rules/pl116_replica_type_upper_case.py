"""Kubeflow replica-type or job-role selected with an upper-case value.

## What it does
Reports a pod selector — the policy's `spec.podSelector` or a peer's `podSelector` — that
selects `training.kubeflow.org/replica-type` or `training.kubeflow.org/job-role` with a value
containing an upper-case letter, in `matchLabels` or in the `values` of an `In`/`NotIn`
expression. The finding points at the value.

Complexity: O(size of the selectors) per policy.

## Why is this bad?
The Kubeflow training operator writes the replica type into the pod label lower-cased
(`strings.ToLower`): a PyTorchJob's `Master` and `Worker` replicas get `replica-type: master`
and `replica-type: worker`, a TFJob's `PS` gets `ps`. The `job-role` label is lower-case too
(`master` from the training operator; `launcher`, `worker` from the MPI operator). Label values
are case-sensitive, so a selector copied from the job's `pytorchReplicaSpecs.Worker` key never
matches: `In`/`matchLabels` select nothing (the policy protects, or allows, no pod) and `NotIn`
excludes nothing.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: workers-from-master
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      training.kubeflow.org/replica-type: Worker
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              training.kubeflow.org/job-role: master
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: workers-from-master
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      training.kubeflow.org/replica-type: worker
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              training.kubeflow.org/job-role: master
```

## References
- kubeflow/training-operator v1.9.0 `pkg/controller.v1/common/pod.go` (`strings.ToLower` on the
  replica type), `pkg/apis/kubeflow.org/v1/common_types.go` (label keys)
- kubeflow/mpi-operator `pkg/apis/kubeflow/v2beta1/constants.go` (`job-role` values)
- https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.load.nodes import YMap, YSeq
from policylint.model.types import LabelSelector, NetworkPolicy, Source
from policylint.consequences import selector_cause
from policylint.rule_api import RuleContext
from policylint.rules._policy_parts import all_peers

CODE = "PL116"
NAME = "replica-type-upper-case"
SEVERITY = Severity.ERROR
SCOPE = "policy"
# A selector that never matches because of the case also selects no pods (PL112 on the same selector).
SUBSUMES = ("PL112",)
REMEDIATION = "Write the value in lower case (`worker`, `master`, `ps`, `launcher`, …): the training operators set these labels lower-cased."

LOWER_CASED_KEYS = ("training.kubeflow.org/replica-type", "training.kubeflow.org/job-role")


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    selectors = [policy.pod_selector] + [peer.pod_selector for _, peer in all_peers(policy) if peer.pod_selector]
    for selector in selectors:
        for where, key, label, value, operator in _upper_case_values(selector):
            effect = "excludes nothing" if operator == "NotIn" else "never matches"
            yield ctx.finding(where, f"{label} value {value!r} {effect}: the operator sets it lower-case "
                                     f"({value.lower()!r})", key=key, causes=[selector_cause(selector)])


def _upper_case_values(selector: LabelSelector) -> Iterator[tuple[Source, str | int, str, str, str]]:
    """(container source, key or index, label key, value, operator) of each offending value."""
    node, base = selector.source.node, selector.source
    if not isinstance(node, YMap):
        return
    labels = node.get("matchLabels")
    if isinstance(labels, YMap):
        where = Source(labels, base.child_path("matchLabels"), base.object)
        for label, value in labels.items():
            if label in LOWER_CASED_KEYS and isinstance(value, str) and value != value.lower():
                yield where, label, label, value, "In"
    expressions = node.get("matchExpressions")
    if not isinstance(expressions, YSeq):
        return
    for index, item in enumerate(expressions):
        if not isinstance(item, YMap) or item.get("key") not in LOWER_CASED_KEYS:
            continue
        values, operator = item.get("values"), item.get("operator")
        if operator not in ("In", "NotIn") or not isinstance(values, YSeq):
            continue
        path = f"{base.child_path('matchExpressions')}[{index}].values"
        where = Source(values, path, base.object)
        for position, value in enumerate(values):
            if isinstance(value, str) and value != value.lower():
                yield where, position, item["key"], value, operator
