"""Named Service targetPort that no selected pod declares.

## What it does
Reports a Service port whose `targetPort` is a name (`targetPort: http`) when the Service selects
workloads of the input and none of them declares a container port of that name with the Service
port's protocol. When a pod declares the name for another protocol, the message says so.

Complexity: O(S x p x c) in all: each Service port is resolved against the container ports c of
the workloads it selects.

## Why is this bad?
A named `targetPort` is looked up on each selected pod, by name and protocol. A pod without that
port is no endpoint for it, so the Service port has no endpoints at all: connections to it are
refused or time out, whatever the NetworkPolicies say. It is usually a typo, a renamed container
port, or a `protocol` left to its TCP default for a UDP port.

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data-services
spec:
  template:
    metadata:
      labels:
        app: feature-store
    spec:
      containers:
        - name: server
          ports:
            - name: http
              containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: feature-store
  namespace: data-services
spec:
  selector:
    app: feature-store
  ports:
    - port: 80
      targetPort: web
```

Use instead:
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: feature-store
  namespace: data-services
spec:
  template:
    metadata:
      labels:
        app: feature-store
    spec:
      containers:
        - name: server
          ports:
            - name: http
              containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: feature-store
  namespace: data-services
spec:
  selector:
    app: feature-store
  ports:
    - port: 80
      targetPort: http
```

## References
- https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports
- https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec
  (`ports.targetPort`: "the named port in the target Pod's container ports")
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.model.types import Cluster
from policylint.rule_api import RuleContext
from policylint.rules._workloads import labels_span, quote_list

CODE = "PL309"
NAME = "service-target-port-undeclared"
SEVERITY = Severity.WARNING
SCOPE = "cluster"
REMEDIATION = ("Name a container port that the selected pods declare (with the Service port's protocol), or "
               "declare that port in their containers.")


def check(ctx: RuleContext, cluster: Cluster, options: dict) -> Iterator[Finding]:
    for service in cluster.services:
        pods = cluster.service_pods(service)
        if not pods:
            continue  # PL118 reports a Service that selects nothing
        for sp in service.ports:
            if not isinstance(sp.target_port, str) or any(sp.target_on(w.ports) is not None for w in pods):
                continue
            other = sorted({p.protocol for w in pods for p in w.ports
                            if p.name == sp.target_port and p.protocol != sp.protocol})
            message = (f"targetPort `{sp.target_port}` of Service port {sp.protocol}/{sp.port}: no selected pod "
                       f"declares a {sp.protocol} container port of that name "
                       f"({quote_list(dict.fromkeys(w.id for w in pods))})")
            if other:
                message += f"; they declare it for {', '.join(other)}: set `protocol: {other[0]}` on the Service port"
            related = [Related(labels_span(w), f"`{w.id}` is selected by the Service") for w in pods[:20]]
            yield ctx.finding(sp.source, message, key="targetPort" if sp.target_port_given else None,
                              related=related)
