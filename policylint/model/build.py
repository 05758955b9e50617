"""Turn raw Kubernetes objects into the cluster model."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable

from policylint import lazy_log
from policylint.load.nodes import Span, YMap, YSeq
from policylint.load.objects import RawObject
from policylint.model.api_backends import api_server_backends
from policylint.model.kind_names import near_miss
from policylint.model.duplicates import set_aside
from policylint.model.fields import Fields, join_path, type_name
from policylint.model.operator_policies import created_policies
from policylint.model.policy import build_policy
from policylint.model.services import build_service
from policylint.model.types import (
    NAMESPACE_NAME_LABEL,
    PROTOCOLS,
    Cluster,
    Source,
    ContainerPort,
    IPAddress,
    Issue,
    Namespace,
    OtherPolicy,
    UnusedObject,
    Workload,
)
from policylint.model.validation import dns_label_error, dns_subdomain_error, parse_address, port_name_error, port_number_error
from policylint.model.workload_kinds import TRAINER_GROUP, WORKLOAD_KIND_LABEL, TemplateRef, templates_of

if TYPE_CHECKING:
    from policylint.model.trainer_v2 import RuntimeIndex

LOG = lazy_log.get_logger(__name__)
DEFAULT_NAMESPACE = "default"

# Cluster-wide policy kinds that are evaluated in tiers around the NetworkPolicies.
TIER_POLICY_GROUP = "policy.networking.k8s.io"

# Policy kinds that change connectivity but are not evaluated (yet): (API group, kind).
OTHER_POLICY_KINDS = {
    ("cilium.io", "CiliumNetworkPolicy"),
    ("cilium.io", "CiliumClusterwideNetworkPolicy"),
    ("crd.projectcalico.org", "NetworkPolicy"),
    ("crd.projectcalico.org", "GlobalNetworkPolicy"),
    ("projectcalico.org", "NetworkPolicy"),
    ("projectcalico.org", "GlobalNetworkPolicy"),
    ("k8s.cni.cncf.io", "MultiNetworkPolicy"),
}


def build_cluster(objects: Iterable[RawObject], default_namespace: str = DEFAULT_NAMESPACE) -> Cluster:
    cluster = Cluster()
    used_namespaces: dict[str, Span] = {}
    objects, cluster.duplicates = set_aside(list(objects), default_namespace)
    for duplicate in cluster.duplicates:
        where = f"{duplicate.used.path}:{duplicate.used.line}"
        cluster.unused.append(UnusedObject(duplicate.object, duplicate.replaced, f"defined again at {where}, which is used"))
    # A TrainJob's pods are its runtime's templates, wherever the runtime is in the input.
    runtimes = _runtime_index(objects, default_namespace)
    for raw in objects:
        try:
            _add_object(cluster, raw, default_namespace, used_namespaces, runtimes)
        except Exception as error:  # a bug must cost one object, not the whole run
            LOG.debug("internal error while modelling %s at %s\n%s", raw.kind, raw.node.span, lazy_log.traceback_text())
            cluster.issues.append(Issue("internal", raw.node.span, raw.field_prefix.rstrip("."), _describe(raw),
                                        f"internal error while reading this {raw.kind}: {type(error).__name__}: "
                                        f"{error}; please report it (--debug shows the traceback)"))
    _unused_runtimes(cluster, runtimes, default_namespace)
    _operator_policies(cluster, objects, default_namespace)
    cluster.api_server_backends = api_server_backends(objects)
    for name, span in sorted(used_namespaces.items()):
        if name not in cluster.namespaces:
            fields = Fields(f"Namespace {name}", cluster.issues)
            cluster.namespaces[name] = Namespace(name, {NAMESPACE_NAME_LABEL: name}, False, fields.source(None, "", span))
    cluster.namespaces = dict(sorted(cluster.namespaces.items()))
    return cluster


def _describe(raw: RawObject) -> str:
    """`Kind namespace/name` from whatever the object's metadata holds (it may be anything)."""
    meta = raw.node.get("metadata")
    name = meta.get("name") if isinstance(meta, YMap) else None
    namespace = meta.get("namespace") if isinstance(meta, YMap) else None
    name = name if isinstance(name, str) and name else "<unnamed>"
    return f"{raw.kind} {namespace}/{name}" if isinstance(namespace, str) and namespace else f"{raw.kind} {name}"


def _operator_policies(cluster: Cluster, objects: list[RawObject], default_namespace: str) -> None:
    created, unmodelled = created_policies(objects, default_namespace)
    for policy in created:
        fields = Fields(f"NetworkPolicy {policy.namespace}/{policy.name} (created by {policy.operator} for "
                        f"{policy.owner})", cluster.issues)
        built = build_policy(fields, policy.node, "", policy.namespace, policy.name, {})
        # the whole policy points at the owner's field (its rules copied from the owner keep theirs)
        built = replace(built, source=Source(policy.node, policy.field_path, fields.object))
        cluster.operator_policies.append(built)
        cluster.created_policies.append(policy)
    cluster.unmodelled_operator_policies.extend(unmodelled)


def _tier_kinds() -> tuple[str, ...]:
    # The tier policies' model is imported for an input that has objects of their group (most have
    # none): its dataclasses and parser were about 1 % of a small `matrix`.
    from policylint.model.tier_types import TIER_KINDS

    return TIER_KINDS


def _runtime_index(objects: list[RawObject], default_namespace: str) -> RuntimeIndex | None:
    """The Trainer v2 runtimes of the input; None when it has no object of that API group (most
    inputs: the Trainer model, its dataclasses and readers, is then not even imported)."""
    if not any(raw.group == TRAINER_GROUP for raw in objects):
        return None
    from policylint.model.trainer_v2 import RuntimeIndex

    return RuntimeIndex.of(objects, default_namespace)


def _unused_runtimes(cluster: Cluster, runtimes: RuntimeIndex | None, default_namespace: str) -> None:
    """Runtimes are pod templates for TrainJobs: one that no TrainJob of the input names is read
    and not used (said under `-v`, never dropped silently)."""
    if runtimes is None:
        return
    for key, raw in runtimes.runtimes.items():
        if key not in runtimes.used:
            kind, namespace, name = key
            label = f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"
            cluster.unused.append(UnusedObject(label, raw.node.span, "training runtime that no TrainJob of the input refers to"))


def _add_object(cluster: Cluster, raw: RawObject, default_namespace: str, used: dict[str, Span],
                runtimes: RuntimeIndex | None = None) -> None:
    node = raw.node
    kind = raw.kind
    group = raw.group
    label = f"{kind} ?"
    fields = Fields(label, cluster.issues)
    metadata = fields.mapping(node, "metadata", raw.field_prefix.rstrip("."))
    meta = metadata if isinstance(metadata, YMap) else YMap(node.span)
    meta_path = raw.field_prefix + "metadata"
    name = fields.string(meta, "name", meta_path)
    name = name if isinstance(name, str) else ""
    namespace = fields.string(meta, "namespace", meta_path)
    namespace_written = isinstance(namespace, str) and namespace != ""
    namespace = namespace if namespace_written else default_namespace
    cluster_scoped = kind == "Namespace" or (group, kind) in {
        ("cilium.io", "CiliumClusterwideNetworkPolicy"), ("crd.projectcalico.org", "GlobalNetworkPolicy"),
        ("projectcalico.org", "GlobalNetworkPolicy"), ("policy.networking.k8s.io", "AdminNetworkPolicy"),
        ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"), ("policy.networking.k8s.io", "ClusterNetworkPolicy"),
    }
    fields.object = f"{kind} {name or '<unnamed>'}" if cluster_scoped else f"{kind} {namespace}/{name or '<unnamed>'}"
    annotations = fields.string_map(meta, "annotations", meta_path)
    if isinstance(meta.get("annotations"), YMap):
        # keyed by file too: an annotation silences its own object, not a namesake in another file
        cluster.object_annotations[(meta["annotations"].span.path, fields.object)] = meta["annotations"]
    if kind == "Namespace" and group == "":
        _add_namespace(cluster, fields, node, meta, meta_path, name, raw)
        return
    if group == TIER_POLICY_GROUP and kind in _tier_kinds():
        from policylint.model.tier_policy import build_tier_policy

        _check_name(fields, meta, meta_path, name, node, True)
        cluster.tier_policies.append(build_tier_policy(fields, node, raw.field_prefix, kind, raw.api_version, name))
        return
    if (group, kind) in OTHER_POLICY_KINDS:
        cluster.other_policies.append(
            OtherPolicy(kind, raw.api_version, None if cluster_scoped else namespace, name, fields.source(node, raw.field_prefix.rstrip(".")))
        )
        return
    if kind == "Service" and group == "":
        _check_name(fields, meta, meta_path, name, node, False)
        cluster.services.append(build_service(fields, node, raw.field_prefix, namespace, name))
        return
    if group == TRAINER_GROUP and kind in _runtime_kinds():
        _check_name(fields, meta, meta_path, name, node, False)
        return  # modelled through the TrainJobs that name it (see _unused_runtimes)
    is_policy = kind == "NetworkPolicy" and group == "networking.k8s.io"
    if group == TRAINER_GROUP and kind == "TrainJob":
        templates = _trainjob(cluster, fields, raw, name, namespace, runtimes)
    else:
        templates = None if is_policy else templates_of(kind, raw.api_version, node, name, namespace)
    miss = near_miss(kind, raw.api_version)
    if miss is not None:  # a typo or a removed version of a known kind: never dropped silently
        key, message = miss
        analysed = is_policy or templates is not None
        fields.issue("kind-near-miss", node.span_of_value(key), join_path(raw.field_prefix.rstrip("."), key),
                     message + ("; analysed as if it were served" if analysed else "; the object is not analysed"))
    if not is_policy and templates is None:
        cluster.unknown_kinds[kind] = cluster.unknown_kinds.get(kind, 0) + 1
        cluster.unused.append(UnusedObject(fields.object, node.span, "kind without pods or policies"))
        if kind == "ConfigMap" and group == "" and name:
            _add_config_map(cluster, node, namespace, name)
        return
    _check_name(fields, meta, meta_path, name, node, is_policy)
    if namespace_written:
        error = dns_label_error(namespace)
        if error:
            fields.issue("name", meta.span_of_value("namespace"), join_path(meta_path, "namespace"), f"namespace {namespace!r} {error}")
    if namespace not in used:  # the span of the first object in each namespace (made once per namespace)
        used[namespace] = meta.span_of_value("namespace") if namespace_written else node.span
    if is_policy:
        fields.string_map(meta, "labels", meta_path)  # unused by the analysis, but a wrong type is rejected
        cluster.policies.append(build_policy(fields, node, raw.field_prefix, namespace, name, annotations))
        return
    for template in templates:
        workload = _workload(fields, raw, template, namespace, name)
        if workload is not None:
            cluster.workloads.append(workload)


def _runtime_kinds() -> tuple[str, ...]:
    from policylint.model.trainer_v2 import RUNTIME_KINDS

    return RUNTIME_KINDS


def _trainjob(cluster: Cluster, fields: Fields, raw: RawObject, name: str, namespace: str,
              runtimes: RuntimeIndex | None) -> list[TemplateRef]:
    """The pod templates of a TrainJob, from its runtime; none (and an issue) without one."""
    from policylint.model.trainer_v2 import RuntimeIndex, find_runtime, runtime_ref, trainjob_templates

    runtimes = runtimes if runtimes is not None else RuntimeIndex()
    ref = runtime_ref(raw.node)
    if isinstance(ref, str):
        fields.issue("shape", raw.node.span_of_value("spec") if "spec" in raw.node else raw.node.span,
                     raw.field_prefix + "spec.runtimeRef", ref)
        return []
    runtime = find_runtime(runtimes, ref, namespace)
    if runtime is None:
        where = f"namespace {namespace}" if ref.kind == "TrainingRuntime" else "the input"
        fields.issue("trainjob-runtime-missing", ref.span, raw.field_prefix + ref.path,
                     f"{ref.kind} {ref.name!r} is not in {where}: the TrainJob's pods are not analysed "
                     f"(add the runtime's manifest to the input)")
        cluster.unused.append(UnusedObject(fields.object, raw.node.span, f"TrainJob whose {ref.kind} {ref.name} is not in the input"))
        return []
    label = f"{ref.kind} {namespace}/{ref.name}" if ref.kind == "TrainingRuntime" else f"{ref.kind} {ref.name}"
    holder = Source(runtime.node, runtime.field_prefix.rstrip("."), label)
    return [TemplateRef(job, template, path, count, labels, holder=holder)
            for job, template, path, count, labels in trainjob_templates(raw.node, name, runtime)]


def _add_config_map(cluster: Cluster, node: YMap, namespace: str, name: str) -> None:
    data = node.get("data")
    if isinstance(data, YMap):
        values = {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
        cluster.config_maps.setdefault((namespace, name), values)


def _check_name(fields: Fields, meta: YMap, meta_path: str, name: str, node: YMap, strict: bool) -> None:
    if not name:
        if "generateName" not in meta:
            where = meta.span_of_value("name") if "name" in meta else meta.span if meta else node.span
            fields.issue("name" if strict else "shape", where, join_path(meta_path, "name"), "metadata.name is required")
        return
    error = dns_subdomain_error(name)
    if error and strict:
        fields.issue("name", meta.span_of_value("name"), join_path(meta_path, "name"), f"name {name!r} {error}")


def _add_namespace(cluster: Cluster, fields: Fields, node: YMap, meta: YMap, meta_path: str, name: str, raw: RawObject) -> None:
    if not name:
        fields.issue("name", meta.span, join_path(meta_path, "name"), "metadata.name is required")
        return
    error = dns_label_error(name)
    if error:
        fields.issue("name", meta.span_of_value("name"), join_path(meta_path, "name"), f"namespace name {name!r} {error}")
    labels = fields.string_map(meta, "labels", meta_path)
    labels[NAMESPACE_NAME_LABEL] = name  # set by the API server, whatever the manifest says
    if name in cluster.namespaces and cluster.namespaces[name].declared:
        return  # unreachable for named copies: model.duplicates keeps only the last one
    cluster.namespaces[name] = Namespace(name, dict(sorted(labels.items())), True, fields.source(node, raw.field_prefix.rstrip(".")))


def _workload(fields: Fields, raw: RawObject, template: TemplateRef, namespace: str, name: str) -> Workload | None:
    if template.holder is not None:
        path = template.path  # a path in the runtime that holds the template
    else:
        path = raw.field_prefix + template.path if template.path else raw.field_prefix.rstrip(".")
    node = template.node
    if not isinstance(node, YMap):
        if node is not None:
            fields.issue("shape", raw.node.span, path, f"pod template must be a mapping, not {type_name(node)}")
        return None
    meta_path = join_path(path, "metadata")
    if template.metadata_path is not None:
        meta_path = raw.field_prefix + template.metadata_path
    meta = fields.mapping(node, "metadata", path)
    meta = meta if isinstance(meta, YMap) else YMap(node.span)
    labels = fields.string_map(meta, "labels", meta_path)
    labels.update(template.labels)
    annotations = fields.string_map(meta, "annotations", meta_path)
    spec = fields.mapping(node, "spec", path)
    spec = spec if isinstance(spec, YMap) else YMap(node.span)
    ports = _container_ports(fields, spec, join_path(path, "spec"))
    present = {(p.name, p.protocol) for p in ports}
    for default in template.default_ports:
        if (default.name, default.protocol) not in present:
            ports.append(default)
    host_network = spec.get("hostNetwork") is True
    pod_ips = _pod_ips(raw.node) if raw.kind == "Pod" else ()
    kind = WORKLOAD_KIND_LABEL.get((raw.group, raw.kind), raw.kind)
    return Workload(
        kind=kind,
        namespace=namespace,
        name=name,
        group=template.group,
        labels=dict(sorted(labels.items())),
        ports=tuple(sorted(set(ports), key=lambda p: (p.port, p.protocol, p.name or ""))),
        replicas=template.replicas,
        host_network=host_network,
        pod_ips=pod_ips,
        annotations=annotations,
        source=fields.source(node, path),
        object_source=fields.source(raw.node, raw.field_prefix.rstrip(".")),
        template_source=template.holder,
    )


def _container_ports(fields: Fields, spec: YMap, spec_path: str) -> list[ContainerPort]:
    ports: list[ContainerPort] = []
    for key in ("containers", "initContainers"):
        containers = spec.get(key)
        if not isinstance(containers, YSeq):
            continue
        for c, container in enumerate(containers):
            if not isinstance(container, YMap):
                continue
            # Only init containers that keep running (native sidecars) serve ports.
            if key == "initContainers" and container.get("restartPolicy") != "Always":
                continue
            entries = container.get("ports")
            if not isinstance(entries, YSeq):
                continue
            names: set[str] = set()
            for i, entry in enumerate(entries):
                path = join_path(spec_path, f"{key}[{c}].ports[{i}]")
                port = _container_port(fields, entries, i, entry, path)
                if port is None:
                    continue
                if port.name is not None and port.name in names:
                    fields.issue("container-port", entry.span_of_value("name"), join_path(path, "name"),
                                 f"port name {port.name!r} is used twice in this container")
                elif port.name is not None:
                    names.add(port.name)
                ports.append(port)
    return ports


def _container_port(fields: Fields, entries: YSeq, index: int, entry: Any, path: str) -> ContainerPort | None:
    """One `ports` entry of a container, or None with an issue where the API server would reject
    it (the pod is refused whole, so the port is never served; a named port resting on it resolves
    to nothing, which the issue says rather than silently)."""
    if not isinstance(entry, YMap):
        fields.issue("container-port", entries.span_of_item(index), path,
                     f"a container port must be a mapping, not {type_name(entry)}")
        return None
    number = entry.get("containerPort")
    if number is None:
        fields.issue("container-port", entry.span, path, "containerPort is required")
        return None
    if not isinstance(number, int) or isinstance(number, bool):
        fields.issue("container-port", entry.span_of_value("containerPort"), join_path(path, "containerPort"),
                     f"containerPort must be an integer, not {type_name(number)}"
                     + (f" ({number!r}: quoted, it is text)" if isinstance(number, str) else ""))
        return None
    error = port_number_error(number)
    if error is not None:
        fields.issue("container-port", entry.span_of_value("containerPort"), join_path(path, "containerPort"),
                     f"containerPort {number} {error}")
        return None
    protocol = entry.get("protocol", "TCP")
    if protocol not in PROTOCOLS:
        fields.issue("container-port", entry.span_of_value("protocol"), join_path(path, "protocol"),
                     f"unsupported protocol {protocol!r}: must be TCP, UDP or SCTP")
        return None
    name = entry.get("name")
    if name is not None and name != "":
        error = port_name_error(name) if isinstance(name, str) else f"must be a string, not {type_name(name)}"
        if error is not None:
            fields.issue("container-port", entry.span_of_value("name"), join_path(path, "name"),
                         f"port name {name!r} {error}")  # the port is kept: what its number allows is still true
    return ContainerPort(name if isinstance(name, str) and name else None, number, protocol)


def _pod_ips(pod: YMap) -> tuple[IPAddress, ...]:
    status = pod.get("status")
    if not isinstance(status, YMap):
        return ()
    texts: list[str] = []
    if isinstance(status.get("podIP"), str):
        texts.append(status["podIP"])
    entries = status.get("podIPs")
    if isinstance(entries, YSeq):
        texts.extend(e["ip"] for e in entries if isinstance(e, YMap) and isinstance(e.get("ip"), str))
    addresses: list[IPAddress] = []
    for text in dict.fromkeys(texts):  # podIP is podIPs[0] too
        address = parse_address(text)
        if address is not None and address not in addresses:
            addresses.append(address)
    return tuple(addresses)
