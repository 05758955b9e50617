"""TrainJob whose runtime is not in the input.

## What it does
Reports a Kubeflow Trainer `TrainJob` whose `spec.runtimeRef` names a `ClusterTrainingRuntime`
(the default kind) or a `TrainingRuntime` of its namespace that the input does not hold.

Complexity: O(I) over the model's issues; runtimes are looked up by name in a dict.

## Why is this bad?
A TrainJob has no pod template of its own: the Trainer controller builds its pods from the
runtime's JobSet template (replicated jobs such as `node`, `dataset-initializer`, `launcher`).
Without the runtime, policylint cannot know the job's pods, their labels or its rendezvous
port, so no training rule (PL500–PL509) can judge the job and `matrix`/`reach` leave it out. The
runtime is often installed with the Trainer itself and kept out of the application's
repository: the finding is a warning, not an error, and says what was not analysed.

## Example
```yaml
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata:
  name: mnist
  namespace: team-a
spec:
  runtimeRef:
    name: torch-distributed
```

Use instead:
```yaml
apiVersion: trainer.kubeflow.org/v1alpha1
kind: ClusterTrainingRuntime
metadata:
  name: torch-distributed
spec:
  mlPolicy:
    numNodes: 1
    torch: {}
  template:
    spec:
      replicatedJobs:
        - name: node
          template:
            metadata:
              labels:
                trainer.kubeflow.org/trainjob-ancestor-step: trainer
            spec:
              template:
                spec:
                  containers:
                    - name: node
                      image: pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime
---
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata:
  name: mnist
  namespace: team-a
spec:
  runtimeRef:
    name: torch-distributed
```

## References
- https://www.kubeflow.org/docs/components/trainer/operator-guides/runtime/
- kubeflow/trainer `manifests/base/runtimes` (the runtimes installed with the Trainer)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL021"
NAME = "trainjob-runtime-missing"
SEVERITY = Severity.WARNING
SCOPE = "input"
REMEDIATION = ("Add the runtime's manifest to the input (for the runtimes installed with Kubeflow Trainer, its "
               "`manifests/base/runtimes` files) so that the job's pods are analysed.")


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    yield from ctx.findings_for_issues("trainjob-runtime-missing")
