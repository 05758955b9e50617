"""NetworkPolicies that operators create from a field of their own resource.

Two operators that policylint models create NetworkPolicies for the pods they run. Where their
sources fix the policy's shape, the policy is built here as the operator would build it and the
engine evaluates it like any other NetworkPolicy; its source position is the resource field that
makes the operator create it. Where the shape depends on what the input cannot show, the policy
is reported as existing and not modelled, and every connectivity answer says so.

- **Volcano, `svc` plugin** (volcano-sh/volcano `pkg/controllers/job/plugins/svc/svc.go`): for a
  Job whose `spec.plugins` holds `svc` — or `tensorflow`, `pytorch`, `mpi` or `ray`, to which the
  admission webhook adds `svc` (`pkg/webhooks/admission/jobs/mutate/mutate_job.go`) — the
  controller creates a NetworkPolicy named after the Job, unless the plugin is given
  `--disable-network-policy`: it selects the Job's pods (`volcano.sh/job-name`,
  `volcano.sh/job-namespace`), isolates them for ingress, and admits ingress from the Job's pods
  only, on every port. It is created only if no NetworkPolicy of that name exists: when the
  input holds one, that one is the policy and nothing is added.
- **KubeRay, `spec.networkPolicy` of a RayCluster** (ray-project/kuberay
  `ray-operator/controllers/ray/networkpolicy_controller.go`, behind the operator's
  `RayClusterNetworkPolicy` feature gate, alpha in KubeRay 1.7): a policy `<cluster>-head` for the
  head and `<cluster>-workers-<group>` per worker group. The mode (default `DenyAll`) decides the
  directions isolated; each direction admits the cluster's pods (`ray.io/cluster`) and then the
  rules written under `head`, `worker` or the group's `workerGroups` entry (which replaces
  `worker`). A policy of the same name not owned by the cluster stops the reconcile: that policy
  and the ones after it are not created. A RayJob's or RayService's cluster gets a generated
  name, which the policies select on: those are reported as not modelled.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from policylint.load.nodes import Span, YMap, YSeq
from policylint.load.objects import RawObject
from policylint.model.fields import mapping_or_empty as _map

VOLCANO_IMPLY_SVC = ("tensorflow", "pytorch", "mpi", "ray")
KUBERAY_MODES = {"DenyAll": ("Ingress", "Egress"), "DenyAllIngress": ("Ingress",), "DenyAllEgress": ("Egress",)}
KUBERAY_OPERATOR = "ray.io/kuberay-operator"


@dataclass(frozen=True, slots=True)
class CreatedPolicy:
    """A NetworkPolicy an operator creates: the object as the API would hold it (positioned on the
    field that makes the operator create it), and what it takes for the operator to do so."""

    operator: str  # "Volcano svc plugin"
    owner: str  # "Job ml/resnet"
    namespace: str
    name: str
    node: YMap  # a NetworkPolicy manifest: apiVersion, kind, metadata, spec
    field_path: str  # of the resource field, from the owner's root
    span: Span
    condition: str  # how the operator comes to create it: "when its … feature gate … is on"


@dataclass(frozen=True, slots=True)
class UnmodelledPolicy:
    """Policies an operator creates that the input cannot show the shape of."""

    operator: str
    owner: str
    namespace: str
    what: str  # "NetworkPolicies for the RayCluster it generates (name unknown offline)"
    field_path: str
    span: Span


def _synth(value: Any, span: Span) -> Any:
    """A positioned value: dicts and lists become YMap/YSeq placed at `span`; values read from
    the input (already YMap/YSeq) keep their own positions."""
    if isinstance(value, (YMap, YSeq)):
        return value
    if isinstance(value, dict):
        node = YMap(span)
        for key, item in value.items():
            node[key] = _synth(item, span)
        node.key_spans = {k: span for k in node}
        node.value_spans = {k: getattr(node[k], "span", span) if isinstance(node[k], (YMap, YSeq)) else span
                            for k in node}
        return node
    if isinstance(value, list):
        seq = YSeq(span)
        for item in value:
            seq.append(_synth(item, span))
        seq.item_spans = [getattr(item, "span", span) if isinstance(item, (YMap, YSeq)) else span for item in seq]
        return seq
    return value


def _policy(namespace: str, name: str, spec: dict[str, Any], span: Span) -> YMap:
    return _synth({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": name, "namespace": namespace}, "spec": spec}, span)



def _meta(raw: RawObject, default_namespace: str) -> tuple[str, str]:
    meta = _map(raw.node.get("metadata"))
    name = meta.get("name") if isinstance(meta.get("name"), str) else ""
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) and meta.get("namespace") else default_namespace
    return namespace, name


# -- Volcano --------------------------------------------------------------------------------------

def _flag_true(args: list[Any], flag: str) -> bool:
    """Go's flag package: `--flag`, `-flag`, `--flag=true|1|t|T|TRUE|True` set a boolean."""
    for arg in args:
        text = str(arg)
        name, _, value = text.lstrip("-").partition("=")
        if name == flag and text.startswith("-"):
            return value == "" or value in ("1", "t", "T", "true", "TRUE", "True")
    return False


def volcano_policy(raw: RawObject, default_namespace: str, existing: set[tuple[str, str]]) -> CreatedPolicy | None:
    spec = _map(raw.node.get("spec"))
    plugins = spec.get("plugins")
    if not isinstance(plugins, YMap):
        return None
    if "svc" in plugins:
        key = "svc"
    else:
        key = next((k for k in VOLCANO_IMPLY_SVC if k in plugins), None)
        if key is None:
            return None
    args = plugins.get("svc")
    if isinstance(args, YSeq) and _flag_true(list(args), "disable-network-policy"):
        return None
    namespace, name = _meta(raw, default_namespace)
    if not name or (namespace, name) in existing:
        return None  # created only if absent: the input's policy of that name is the one
    span = plugins.span_of_key(key)
    job = {"volcano.sh/job-name": name, "volcano.sh/job-namespace": namespace}
    node = _policy(namespace, name, {
        "podSelector": {"matchLabels": dict(job)},
        "ingress": [{"from": [{"podSelector": {"matchLabels": dict(job)}}]}],
        "policyTypes": ["Ingress"],
    }, span)
    why = "its svc plugin" if key == "svc" else f"the svc plugin that its {key} plugin brings"
    return CreatedPolicy("Volcano", f"Job {namespace}/{name}", namespace, name, node,
                         raw.field_prefix + f"spec.plugins.{key}", span,
                         f"through {why}, unless given `--disable-network-policy`")


# -- KubeRay --------------------------------------------------------------------------------------

def _rules(rules: Any, key: str) -> list[Any]:
    value = _map(rules).get(key)
    return list(value) if isinstance(value, YSeq) else []


def kuberay_policies(raw: RawObject, default_namespace: str, existing: set[tuple[str, str]]
                     ) -> tuple[list[CreatedPolicy], UnmodelledPolicy | None]:
    spec = _map(raw.node.get("spec"))
    if raw.kind in ("RayJob", "RayService"):
        inner_key = "rayClusterSpec" if raw.kind == "RayJob" else "rayClusterConfig"
        inner = _map(spec.get(inner_key))
        if isinstance(inner.get("networkPolicy"), YMap):
            namespace, name = _meta(raw, default_namespace)
            return [], UnmodelledPolicy(
                "KubeRay", f"{raw.kind} {namespace}/{name}", namespace,
                "NetworkPolicies for the RayCluster it creates (they select its generated name)",
                raw.field_prefix + f"spec.{inner_key}.networkPolicy", inner.span_of_key("networkPolicy"))
        return [], None
    config = spec.get("networkPolicy")
    if raw.kind != "RayCluster" or not isinstance(config, YMap):
        return [], None
    managed_by = spec.get("managedBy")
    if isinstance(managed_by, str) and managed_by != KUBERAY_OPERATOR:
        return [], None  # another controller (MultiKueue) reconciles it
    namespace, name = _meta(raw, default_namespace)
    mode = config.get("mode", "DenyAll")
    if not name or mode not in KUBERAY_MODES:
        return [], None  # the CRD's enum refuses any other mode
    types = KUBERAY_MODES[mode]
    span = spec.span_of_key("networkPolicy")
    path = raw.field_prefix + "spec.networkPolicy"
    condition = "when its RayClusterNetworkPolicy feature gate (alpha, off by default) is on"
    cluster = {"ray.io/cluster": name}
    base_in = {"from": [{"podSelector": {"matchLabels": dict(cluster)}}]}
    base_out = {"to": [{"podSelector": {"matchLabels": dict(cluster)}}]}
    wanted: list[tuple[str, dict[str, str], Any]] = [
        (f"{name}-head", {**cluster, "ray.io/node-type": "head"}, config.get("head"))]
    groups = _map(spec).get("workerGroupSpecs")
    overrides = {str(g.get("groupName")): g for g in config.get("workerGroups") or () if isinstance(g, YMap)} \
        if isinstance(config.get("workerGroups"), YSeq) else {}
    for group in groups if isinstance(groups, YSeq) else ():
        group_name = str(_map(group).get("groupName", ""))
        custom = overrides.get(group_name, config.get("worker"))
        wanted.append((f"{name}-workers-{group_name}",
                       {**cluster, "ray.io/node-type": "worker", "ray.io/group": group_name}, custom))
    created = []
    for policy_name, selector, custom in wanted:
        if (namespace, policy_name) in existing:
            break  # not owned by the cluster: the reconcile stops here (a name collision event)
        body: dict[str, Any] = {"podSelector": {"matchLabels": selector}, "policyTypes": list(types)}
        if "Ingress" in types:
            body["ingress"] = [base_in] + _rules(custom, "ingressRules")
        if "Egress" in types:
            body["egress"] = [base_out] + _rules(custom, "egressRules")
        created.append(CreatedPolicy("KubeRay", f"RayCluster {namespace}/{name}", namespace, policy_name,
                                     _policy(namespace, policy_name, body, span), path, span, condition))
    return created, None


def created_policies(objects: Iterable[RawObject], default_namespace: str
                     ) -> tuple[list[CreatedPolicy], list[UnmodelledPolicy]]:
    """The policies the input's resources make their operators create."""
    objects = list(objects)
    existing = set()
    for raw in objects:
        if raw.kind == "NetworkPolicy" and raw.group == "networking.k8s.io":
            existing.add(_meta(raw, default_namespace))
    created: list[CreatedPolicy] = []
    unmodelled: list[UnmodelledPolicy] = []
    for raw in objects:
        if raw.group == "batch.volcano.sh" and raw.kind == "Job":
            policy = volcano_policy(raw, default_namespace, existing)
            if policy is not None:
                created.append(policy)
        elif raw.group == "ray.io" and raw.kind in ("RayCluster", "RayJob", "RayService"):
            made, missing = kuberay_policies(raw, default_namespace, existing)
            created.extend(made)
            if missing is not None:
                unmodelled.append(missing)
    return created, unmodelled
