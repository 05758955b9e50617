"""Whether a training job needs a service (the data service, object storage), and why.

A job needs a role's pods only when something says so; a policy set is not wrong for keeping a
job away from a service the job never uses. The evidence, strongest first:

1. the job's own metadata: the annotation or label `policylint.io/needs` on the job object or its
   pod template, listing roles (`data-service, object-storage`);
2. the config: a role whose definition says `needed-by: [training]`, or an expectation with
   `allow: true` between the role `training` (or a selection matching the job's pods) and the role;
3. the job referring to the service: an environment value, a command or argument, or a value of a
   ConfigMap it mounts or reads env from, naming the DNS name of a Service (or a StatefulSet's
   governing Service, or a workload of that name) whose pods have the role —
   `feature-store.data-services.svc`, `feature-store.data-services`, or from the same namespace
   `http://feature-store:8080`, `feature-store:8080` or an env value that is just `feature-store`.
   A reference names particular pods: the job needs those, not every pod of the role.

Object storage has two more kinds of reference: an object-store URL or endpoint
(`s3://`, `gs://`, `*.amazonaws.com`, `storage.googleapis.com`, `*.blob.core.windows.net`, …) and
the environment variables of S3 clients (`AWS_ENDPOINT_URL`, `S3_ENDPOINT`, `AWS_ACCESS_KEY_ID`, …).

Cost: one pass over each job's pod templates' strings (O(text)); names are looked up in a dict
built once per role from its members (O(members)).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from policylint.engine.label_index import matches
from policylint.intent.frameworks import TrainingJob
from policylint.intent.spec import IntentConfig, PeerSpec, where
from policylint.load.nodes import YMap, YSeq
from policylint.model.types import NAMESPACE_NAME_LABEL, Cluster, Workload

NEEDS_KEY = "policylint.io/needs"
OBJECT_STORAGE = "object-storage"

# A host name as it appears in a URL, `host:port` or a bare value (RFC 1123 labels, lower case).
_HOST = re.compile(r"(?<![A-Za-z0-9_.-])([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)"
                   r"(?![A-Za-z0-9_-])")
_STORAGE_URL = re.compile(r"\b(?:s3a?|s3n|gs|gcs|az|abfss?|wasbs?|oss|cos)://", re.IGNORECASE)
_STORAGE_HOST = re.compile(r"(?:^|\.)(?:s3[.-][a-z0-9.-]*amazonaws\.com|s3\.amazonaws\.com|storage\.googleapis\.com"
                           r"|storage\.cloud\.google\.com|blob\.core\.windows\.net|dfs\.core\.windows\.net"
                           r"|r2\.cloudflarestorage\.com|digitaloceanspaces\.com|backblazeb2\.com)$")
STORAGE_ENV = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "S3_ENDPOINT", "S3_ENDPOINT_URL", "AWS_S3_ENDPOINT",
               "AWS_ACCESS_KEY_ID", "MINIO_ENDPOINT", "FSSPEC_S3_ENDPOINT_URL", "AZURE_STORAGE_ACCOUNT",
               "AZURE_STORAGE_CONNECTION_STRING")


@dataclass(frozen=True, slots=True)
class Need:
    """A job needs pods of `role` because of `reason`; `targets` are the pods named (None: any pod
    of the role will do)."""

    role: str
    reason: str
    targets: tuple[Workload, ...] | None = None
    # (workload id, protocol, pod port): where a named Service port lands; None: any port the
    # pods serve
    ports: tuple[tuple[str, str, int], ...] | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """A string from a job's pod template, and where it came from."""

    value: str
    origin: str  # "env FEATURE_STORE_URL", "args", "ConfigMap ml/loader key endpoint"
    whole: bool  # the whole value names one thing (an env value), so a bare name counts


# -- the job's texts --------------------------------------------------------------------------------

def job_texts(job: TrainingJob, config_maps: Mapping[tuple[str, str], Mapping[str, str]]) -> list[Text]:
    texts: list[Text] = []
    seen: set[tuple[str, str]] = set()
    for replica in job.replicas:
        for text in workload_texts(replica.workload, config_maps):
            key = (text.value, text.origin)
            if key not in seen:
                seen.add(key)
                texts.append(text)
    return texts


def workload_texts(workload: Workload, config_maps: Mapping[tuple[str, str], Mapping[str, str]]) -> Iterator[Text]:
    node = workload.source.node
    spec = node.get("spec") if isinstance(node, YMap) else None
    if not isinstance(spec, YMap):
        return
    namespace = workload.namespace
    for container in _items(spec.get("initContainers")) + _items(spec.get("containers")):
        for entry in _items(container.get("env")):
            name = entry.get("name")
            if not isinstance(name, str):
                continue
            value = entry.get("value")
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                yield Text(str(value), f"env {name}", True)
            elif isinstance(entry.get("valueFrom"), YMap):
                ref = entry["valueFrom"].get("configMapKeyRef")
                if isinstance(ref, YMap) and isinstance(ref.get("name"), str) and isinstance(ref.get("key"), str):
                    data = config_maps.get((namespace, ref["name"]), {})
                    if ref["key"] in data:
                        yield Text(data[ref["key"]], f"env {name} from ConfigMap {ref['name']}", True)
                yield Text("", f"env {name}", True)  # the variable is set: its name alone may tell
        for source in _items(container.get("envFrom")):
            ref = source.get("configMapRef")
            if isinstance(ref, YMap) and isinstance(ref.get("name"), str):
                for key, value in config_maps.get((namespace, ref["name"]), {}).items():
                    yield Text(value, f"env {key} from ConfigMap {ref['name']}", True)
        for key in ("command", "args"):
            value = container.get(key)
            for item in _items(value, str) if isinstance(value, YSeq) else [value] if isinstance(value, str) else []:
                yield Text(item, "arguments" if key == "args" else "command", False)
    for volume in _items(spec.get("volumes")):
        for name in _volume_config_maps(volume):
            for key, value in config_maps.get((namespace, name), {}).items():
                yield Text(value, f"mounted ConfigMap {name} key {key}", False)


def _volume_config_maps(volume: YMap) -> list[str]:
    found = []
    ref = volume.get("configMap")
    if isinstance(ref, YMap) and isinstance(ref.get("name"), str):
        found.append(ref["name"])
    projected = volume.get("projected")
    if isinstance(projected, YMap):
        for source in _items(projected.get("sources")):
            ref = source.get("configMap")
            if isinstance(ref, YMap) and isinstance(ref.get("name"), str):
                found.append(ref["name"])
    return found


def _items(value: object, kind: type = YMap) -> list:
    return [v for v in value if isinstance(v, kind)] if isinstance(value, YSeq) else []


def env_name(text: Text) -> str | None:
    return text.origin.split()[1] if text.origin.startswith("env ") else None


# -- DNS names of a role's pods ---------------------------------------------------------------------

class ServiceNames:
    """The DNS names under which a role's pods are reached: the Services that select them, a
    StatefulSet's governing Service, and the workload's own name (a Deployment and its Service
    usually share it). Built once per role: O(members × Services of their namespace)."""

    def __init__(self, cluster: Cluster, members: Iterable[Workload]) -> None:
        # (name, namespace) -> (pods, the Service of that name or None)
        self._by_name: dict[tuple[str, str], tuple[list[Workload], Any]] = {}
        self._refs: dict[tuple, Reference] = {}
        self._ports: dict[tuple, tuple | None] = {}
        by_namespace: dict[str, list] = {}
        for service in getattr(cluster, "services", None) or ():
            by_namespace.setdefault(service.namespace, []).append(service)
        seen: set[tuple[str, str, int]] = set()
        for workload in members:
            for name, service in self._names(workload, by_namespace.get(workload.namespace, ())):
                pods, known = self._by_name.setdefault((name, workload.namespace), ([], service))
                if known is None and service is not None:
                    self._by_name[(name, workload.namespace)] = (pods, service)
                key = (name, workload.namespace, id(workload))
                if key not in seen:  # workloads compare by value: keep identity, in linear time
                    seen.add(key)
                    pods.append(workload)

    @staticmethod
    def _names(workload: Workload, services: Iterable) -> list[tuple[str, Any]]:
        names: list[tuple[str, Any]] = [(s.name, s) for s in services if s.selects(workload)]
        if workload.kind != "Pod":
            names.append((workload.name, None))
        obj = workload.object_source.node
        spec = obj.get("spec") if isinstance(obj, YMap) else None
        if workload.kind == "StatefulSet" and isinstance(spec, YMap) and isinstance(spec.get("serviceName"), str):
            names.append((spec["serviceName"], None))
        return names

    def __bool__(self) -> bool:
        return bool(self._by_name)

    def find(self, text: Text, namespace: str) -> Reference | None:
        """The first name in `text` that names pods of the role, seen from `namespace`."""
        value = text.value
        for match in _HOST.finditer(value):
            host = match.group(1)
            labels = host.split(".")
            found = None
            for i in range(len(labels) - 1):
                # name.namespace, name.namespace.svc[.cluster-domain], pod.name.namespace.svc…
                if (i + 2 == len(labels) or labels[i + 2] == "svc") and (labels[i], labels[i + 1]) in self._by_name:
                    found = self._by_name[(labels[i], labels[i + 1])]
                    break
            if found is None and len(labels) == 1 and (host, namespace) in self._by_name \
                    and _bare_reference(text, match):
                found = self._by_name[(host, namespace)]
            if found is not None:
                key = (host, namespace, _port_after(value, match))
                ref = self._refs.get(key)
                if ref is None:  # shared by every job that names it: its pods are one tuple
                    ref = self._refs[key] = Reference(host, tuple(found[0]), found[1], key[2])
                return ref
        return None

    def target_ports(self, ref: Reference) -> tuple[tuple[str, str, int], ...] | None:
        key = (ref.host, ref.port, id(ref.pods))
        if key not in self._ports:
            self._ports[key] = ref.target_ports()
        return self._ports[key]


@dataclass(frozen=True, slots=True)
class Reference:
    """A DNS name found in a job's strings: the pods it names, the Service when it is one, and the
    port written after it (or implied by an http/https scheme)."""

    host: str
    pods: tuple[Workload, ...]
    service: Any  # model Service, or None for a workload's own name
    port: int | None

    def target_ports(self) -> tuple[tuple[str, str, int], ...] | None:
        """(workload id, protocol, pod port) the connection lands on, through the Service's
        port mapping; None when the port or the Service is unknown."""
        if self.service is None or self.port is None:
            return None
        service_port = self.service.port(self.port)
        if service_port is None:
            return None
        found = []
        for pod in self.pods:
            if self.service.selects(pod):
                target = service_port.target_on(pod.ports)
                if target is not None:
                    found.append((pod.id, service_port.protocol, target))
        return tuple(found) or None


def _port_after(value: str, match: re.Match) -> int | None:
    after = re.match(r":(\d{1,5})\b", value[match.end():])
    if after:
        return int(after.group(1))
    before = value[:match.start()].lower()
    if before.endswith("https://"):
        return 443
    if before.endswith("http://"):
        return 80
    return None


def _bare_reference(text: Text, match: re.Match) -> bool:
    """A bare name counts only where it is clearly a host: after `scheme://`, before `:port`, or
    as a whole env value."""
    before, after = text.value[:match.start()], text.value[match.end():]
    if before.endswith("://") or re.match(r":\d+\b", after):
        return True
    return text.whole and text.value.strip() == match.group(1)


# -- the evidence -----------------------------------------------------------------------------------

def metadata_need(job: TrainingJob, role: str) -> Need | None:
    for replica in job.replicas:
        workload = replica.workload
        obj = workload.object_source.node
        meta = obj.get("metadata") if isinstance(obj, YMap) else None
        for where_, values in ((f"{job.kind} {job.namespace}/{job.name}", _meta_values(meta)),
                               (f"pod template of {workload.id}", (workload.annotations, workload.labels))):
            for values_map in values:
                listed = values_map.get(NEEDS_KEY) if isinstance(values_map, Mapping) else None
                if isinstance(listed, str) and role in re.split(r"[\s,]+", listed.strip()):
                    return Need(role, f"{NEEDS_KEY}: {listed} on {where_}")
    return None


def _meta_values(meta: object) -> tuple:
    if not isinstance(meta, YMap):
        return ()
    return tuple(m for m in (meta.get("annotations"), meta.get("labels")) if isinstance(m, YMap))


def config_need(job: TrainingJob, role: str, config: IntentConfig, namespace_labels) -> Need | None:
    definition = config.roles.get(role)
    if definition is not None and "training" in definition.needed_by:
        return Need(role, f"config role {role} is needed-by training ({where(definition.span)})"
                    if definition.span else f"config role {role} is needed-by training")
    for expectation in config.expectations:
        if not expectation.allow:
            continue
        for near, far in ((expectation.source, expectation.destination), (expectation.destination, expectation.source)):
            if far.role == role and _covers(near, job, namespace_labels):
                at = f" ({where(expectation.span)})" if expectation.span else ""
                return Need(role, f"expectation '{expectation.name}'{at}")
    return None


def _covers(peer: PeerSpec, job: TrainingJob, namespace_labels) -> bool:
    if peer.role == "training":
        return True
    selection = peer.selection
    if selection is None:
        return False
    for replica in job.replicas:
        w = replica.workload
        if ((selection.namespace_selector is None or matches(selection.namespace_selector, namespace_labels(w.namespace)))
                and (selection.pod_selector is None or matches(selection.pod_selector, w.labels))):
            return True
    return False


def reference_need(job: TrainingJob, role: str, texts: list[Text], names: ServiceNames) -> Need | None:
    if not names:
        return None
    refs: dict[int, Reference] = {}
    first = None
    for text in texts:
        if not text.value:
            continue
        found = names.find(text, job.namespace)
        if found is None:
            continue
        if first is None:
            first = f"its {text.origin} {_verb(text)} {found.host}"
            landed = names.target_ports(found)
            if landed:
                pod_ports = ", ".join(sorted({str(p) for _, _, p in landed}))
                first += (f", port {found.port} of Service {found.service.name}, which forwards to pod port "
                          f"{pod_ports}")
        refs.setdefault(id(found), found)
    if first is None:
        return None
    found_refs = list(refs.values())
    all_ports = [names.target_ports(r) for r in found_refs]
    ports = None if any(p is None for p in all_ports) else tuple(dict.fromkeys(x for p in all_ports for x in p))
    if len(found_refs) == 1:  # the common case: one tuple shared by every job naming the same Service
        return Need(role, first, found_refs[0].pods, ports)
    targets: dict[int, Workload] = {}
    for ref in found_refs:
        for pod in ref.pods:
            targets.setdefault(id(pod), pod)
    return Need(role, first, tuple(targets.values()), ports)


def storage_reference(texts: list[Text]) -> str | None:
    """An object-store URL, endpoint or client variable in the job's texts."""
    for text in texts:
        name = env_name(text)
        if name in STORAGE_ENV:
            # never repeat a credential: only endpoints are worth quoting
            if not text.value or not name.endswith(("ENDPOINT", "ENDPOINT_URL", "ENDPOINT_URL_S3")):
                return f"its env {name} is set"
            return f"its {text.origin} is {_short(text.value)}"
        match = _STORAGE_URL.search(text.value)
        if match:
            return f"its {text.origin} {_verb(text)} {_short(text.value[match.start():].split()[0])}"
        for host in _HOST.finditer(text.value):
            if _STORAGE_HOST.search(host.group(1)):
                return f"its {text.origin} {_verb(text)} {host.group(1)}"
    return None


def _verb(text: Text) -> str:
    return "name" if text.origin == "arguments" else "names"


def _short(value: str, limit: int = 60) -> str:
    value = value.strip()
    return value if len(value) <= limit else value[:limit - 1] + "…"


def namespace_labels_of(cluster: Cluster):
    def labels(namespace: str) -> Mapping[str, str]:
        found = cluster.namespaces.get(namespace)
        return found.labels if found is not None else {NAMESPACE_NAME_LABEL: namespace}
    return labels
