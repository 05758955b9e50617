"""Policy allows a Service's port instead of the pod port it forwards to.

## What it does
Reports a numeric port entry of a policy rule that allows the `port` of a Service but not the
`targetPort` that Service forwards it to, towards the pods the Service selects: an ingress rule
of a policy that selects those pods, or an egress rule whose peers match them. The finding names
the Service, its port and targetPort, and the pod port it lands on.

It is only reported when nothing else in the same rule allows the target port, when the pods do
not themselves declare a container port equal to the Service port, and when no Service forwards
to that port on them (then the entry may be meant for the pod port of that number).

Complexity: O(K x W x s) per policy: each port entry is compared, for each of the W workloads
its rule applies to, with the ports of the s Services of that workload.

## Why is this bad?
A client connects to the Service's address and port; kube-proxy (or the CNI's replacement)
rewrites the destination to a pod's address and the **target** port before any policy sees the
packet. A policy that allows `port: 80` for a Service that maps 80 to 8080 lets nothing through
the Service: the connection is dropped on 8080, and every test that dials the Service fails.

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
      targetPort: http
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: feature-store-ingress
  namespace: data-services
spec:
  podSelector:
    matchLabels:
      app: feature-store
  ingress:
    - ports:
        - port: 80
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
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: feature-store-ingress
  namespace: data-services
spec:
  podSelector:
    matchLabels:
      app: feature-store
  ingress:
    - ports:
        - port: http
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/ ("the policy
  applies to the pod's port and IP, after the Service translation")
- https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec
  (`ports.targetPort`)
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.model.types import EGRESS, INGRESS, NetworkPolicy, PolicyPort, Rule, Service, ServicePort, Workload
from policylint.rule_api import RuleContext
from policylint.rules._workloads import index

CODE = "PL308"
NAME = "service-port-in-policy"
SEVERITY = Severity.ERROR
SCOPE = "policy"
REMEDIATION = ("Allow the port the Service forwards to (its targetPort: the pod's port, by number or by the "
               "container port's name), not the Service's own port: policies see traffic after the Service has "
               "translated it.")


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    if not ctx.cluster.services or not ctx.cluster.workloads:
        return
    for direction in (INGRESS, EGRESS):
        if not policy.isolates(direction):
            continue  # PL107 reports rules of a direction the policy does not isolate
        for rule in policy.rules(direction):
            entries = [p for p in rule.ports if p.valid and isinstance(p.port, int)]
            if not entries:
                continue
            pods = _pods(ctx, policy, rule)
            for entry in entries:
                misses = list(_misses(ctx, policy, rule, entry, pods))
                if misses:
                    yield _finding(ctx, entry, misses)


def _pods(ctx: RuleContext, policy: NetworkPolicy, rule: Rule) -> list[Workload]:
    """The pods on the receiving end of the rule: the policy's pods for ingress; for egress, the
    pods its selector peers match. A rule open to every peer (or every pod of every namespace)
    is left alone: it is not written for one Service."""
    engine = ctx.engine
    if rule.direction == INGRESS:
        return engine.selected_by(policy)
    if rule.allows_all_peers:
        return []
    bits = 0
    for peer in rule.peers:
        if not peer.valid or peer.ip_block is not None:
            continue
        everything = (peer.namespace_selector is not None and peer.namespace_selector.is_empty
                      and (peer.pod_selector is None or peer.pod_selector.is_empty))
        if not everything:
            bits |= engine.peer_bits(policy, peer)
    return index(ctx).workloads(bits)


def _covers(entry: PolicyPort, protocol: str, port: int) -> bool:
    assert isinstance(entry.port, int)
    return entry.protocol == protocol and entry.port <= port <= (entry.end_port or entry.port)


def _misses(ctx: RuleContext, policy: NetworkPolicy, rule: Rule, entry: PolicyPort,
            pods: list[Workload]) -> Iterator[tuple[Service, ServicePort, Workload, int]]:
    engine = ctx.engine
    compiled = engine.compiled_rule(policy, rule)
    for workload in pods:
        declared = {(p.port, p.protocol) for p in workload.ports}
        services = ctx.cluster.services_of(workload)
        # A port that some Service forwards to on these pods is a pod port: the entry may be for it.
        targets = {(sp.target_on(workload.ports), sp.protocol) for s in services for sp in s.ports}
        if any(t is not None and _covers(entry, protocol, t) for t, protocol in targets):
            continue
        for service in services:
            for sp in service.ports:
                if not _covers(entry, sp.protocol, sp.port) or (sp.port, sp.protocol) in declared:
                    continue
                target = sp.target_on(workload.ports)
                if target is None or target == sp.port:
                    continue  # an unresolved name is PL309's; an identity mapping is fine
                allowed = engine.resolve_spec(compiled.spec, engine.endpoint_of(workload))
                if not allowed.contains(sp.protocol, target):
                    yield service, sp, workload, target


def _finding(ctx: RuleContext, entry: PolicyPort, misses: list[tuple[Service, ServicePort, Workload, int]]) -> Finding:
    service, sp, workload, target = misses[0]
    landing = (f"targetPort `{sp.target_port}` (port {target} of `{workload.id}`)" if isinstance(sp.target_port, str)
               else f"targetPort {target} of `{workload.id}`")
    message = (f"port {entry.port} is the port of Service `{service.namespace}/{service.name}`, which forwards it to "
               f"{landing}; policies see the pod's port, so {sp.protocol}/{target} is not allowed here")
    others = sorted({m[2].id for m in misses[1:]} - {workload.id})
    if others:
        message += f" (also for {len(others)} more workload{'s' if len(others) > 1 else ''})"
    related = []
    for s, p, w, t in misses[:20]:
        item = Related(p.source.span, f"Service {s.namespace}/{s.name} port {p.protocol}/{p.port} -> "
                                      f"targetPort {p.target_port} ({t} on {w.id})")
        if item not in related:
            related.append(item)
    return ctx.finding(entry.source, message, key="port", related=related)
