"""Egress deny that is not enforced.

## What it does
Reports a NetworkPolicy that reads as an egress deny but does not isolate its pods for egress,
because `Egress` is missing from its (effective) `policyTypes`:

- an `egress` key with no rules (`egress: []`, or `egress:` left empty) while `policyTypes` is
  absent, or is written without `Egress`. The finding points at the `egress` key.
- a policy whose name says it denies egress while it does not isolate egress. The name
  heuristic matches the words `deny-egress`, `deny-all-egress`, `deny-ingress-egress`
  (optionally with `and`), `egress-deny` and `default-deny-all` anywhere in the name, split on
  `-`, `.` and `_` (so `training-default-deny-egress` and `egress-deny-v2` match, `deny-all` and
  `allow-egress` do not: `deny-all` is the usual name of an ingress-only deny). The finding
  points at `metadata.name`. It is only reported when the first case is not.

Complexity: O(1) per policy, O(N) in all (the name test is one regular expression on the name).

## Why is this bad?
When `policyTypes` is absent, Kubernetes sets it to `["Ingress"]`, and adds `"Egress"` only when
the policy has at least one egress rule. `egress: []` therefore leaves egress completely open,
and so does any policy whose explicit `policyTypes` lists only `Ingress`. The policy looks like a
default deny for egress in review, and does nothing for egress in the cluster. For training pods
this means the egress lockdown everyone believes in (no exfiltration of datasets or checkpoints,
no metadata-endpoint access) does not exist.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-egress-lockdown
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  egress: []
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: training-egress-lockdown
  namespace: ml-workloads
spec:
  podSelector:
    matchLabels:
      role: ml-training-pod
  policyTypes:
    - Egress
  egress: []
```

## Options
- `name-heuristic` (default `true`): also report policies whose name says they deny egress.

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
  (`policyTypes`)
- kubernetes `pkg/apis/networking/v1/defaults.go` (`SetDefaults_NetworkPolicy`)
"""
from __future__ import annotations

import re
from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.load.nodes import YSeq
from policylint.model.types import EGRESS, NetworkPolicy
from policylint.rule_api import RuleContext
from policylint.rule_options import Flag, Option
from policylint.rules._policy_parts import (
    at_key,
    format_policy_types,
    key_related,
    metadata_source,
    raw,
    spec_source,
)

CODE = "PL106"
NAME = "egress-deny-not-enforced"
SEVERITY = Severity.WARNING
SCOPE = "policy"
REMEDIATION = "Add `Egress` to `policyTypes` (and keep `Ingress` if the policy also restricts ingress) so that the egress rules, or their absence, take effect."
OPTIONS = {
    "name-heuristic": Option(True, "also report policies whose name says they deny egress (true/false)", Flag()),
}

_ABSENT = object()
# Word sequences in a policy name that announce an egress deny (see the docstring).
_DENY_EGRESS_NAME = re.compile(
    r"(?:^|-)(?:deny-(?:all-)?(?:ingress-(?:and-)?)?egress|egress-deny|default-deny-all)(?:-|$)"
)


def check(ctx: RuleContext, policy: NetworkPolicy, options: dict) -> Iterator[Finding]:
    if policy.isolates(EGRESS):
        return
    spec = spec_source(policy)
    if spec is None:
        return
    written = policy.policy_types_written
    types_related = [key_related(spec, "policyTypes", f"policyTypes {format_policy_types(written)} has no Egress")] if written else []
    egress = raw(spec, "egress", _ABSENT)
    if egress is None or (isinstance(egress, YSeq) and len(egress) == 0):
        shown = "`egress: []`" if egress is not None else "an empty `egress:`"
        why = (f"policyTypes {format_policy_types(written)} leaves egress open" if written
               else "without policyTypes only ingress is isolated")
        yield at_key(ctx, spec, "egress", f"{shown} does not deny egress: {why}", types_related)
        return
    if options["name-heuristic"] and _names_egress_deny(policy.name):
        metadata = metadata_source(policy)
        if metadata is None:
            return
        why = f"policyTypes {format_policy_types(written)}" if written else "policyTypes defaults to [Ingress]"
        yield at_key(ctx, metadata, "name",
                     f"policy {policy.name!r} is named as an egress deny but does not isolate egress ({why})",
                     types_related)


def _names_egress_deny(name: str) -> bool:
    words = "-".join(word for word in re.split(r"[^a-z0-9]+", name.lower()) if word)
    return bool(_DENY_EGRESS_NAME.search(words))
