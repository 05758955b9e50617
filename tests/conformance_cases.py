"""Loader for the NetworkPolicy conformance fixtures in ``fixtures/conformance``.

The fixtures transcribe the upstream Kubernetes NetworkPolicy e2e suite (plus a few
hand-written endPort cases) into data: a shared base cluster and one YAML file per case
with the policies in force at each step and the expected 9x9 connectivity grid for each
probed protocol/port. See ``fixtures/conformance/README.md`` for the format.

This module depends on PyYAML only, so the engine's tests can use it without pulling in
anything else from the project.
"""
from __future__ import annotations

import copy
import ipaddress
import pathlib
from dataclasses import dataclass, field
from typing import Any

import yaml

NAMESPACES: tuple[str, ...] = ("x", "y", "z")
POD_NAMES: tuple[str, ...] = ("a", "b", "c")
#: Grid order of the pods: rows (sources) and columns (destinations) follow it.
PODS: tuple[str, ...] = tuple(f"{ns}/{pod}" for ns in NAMESPACES for pod in POD_NAMES)
PROTOCOLS: tuple[str, ...] = ("TCP", "UDP", "SCTP")
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
ALLOWED = "."
DENIED = "X"
GRID_PLACEHOLDER = "-"

BASE_CLUSTER_FILE = "base-cluster.yaml"
CASES_DIR = "cases"

_CASE_KEYS = frozenset(
    {"name", "upstream", "context", "upstream_pods", "origin", "notes", "pod_ips", "extra_pod_ports", "steps"}
)
_STEP_KEYS = frozenset(
    {"description", "policies", "namespace_labels", "pod_labels", "pod_ips", "extra_pod_ports", "probes"}
)
_PROBE_KEYS = frozenset({"protocol", "port", "expect"})
_PORT_KEYS = frozenset({"name", "containerPort", "protocol"})


class FixtureError(ValueError):
    """A conformance fixture file is malformed; the message names the file and the place."""


@dataclass(frozen=True)
class Probe:
    """One probed protocol/port and the expected verdict for every (source, destination) pair."""

    protocol: str
    port: int
    expected: dict[tuple[str, str], bool]

    def allowed(self, source: str, destination: str) -> bool:
        return self.expected[(source, destination)]

    def checked_pairs(self) -> list[tuple[str, str]]:
        """All (source, destination) pairs except a pod to itself, which upstream ignores."""
        return [(s, d) for s in PODS for d in PODS if s != d]


@dataclass(frozen=True)
class Step:
    description: str
    policies: list[dict[str, Any]]
    namespace_labels: dict[str, dict[str, str]]
    pod_labels: dict[str, dict[str, str]]
    pod_ips: dict[str, str]
    extra_pod_ports: dict[str, list[dict[str, Any]]]
    probes: list[Probe]


@dataclass(frozen=True)
class Case:
    slug: str
    name: str
    steps: list[Step]
    upstream: str | None = None
    context: str | None = None
    upstream_pods: tuple[str, ...] | None = None
    notes: str | None = None
    path: pathlib.Path | None = field(default=None, compare=False)


# --------------------------------------------------------------------------- paths


def conformance_dir(root: pathlib.Path) -> pathlib.Path:
    """Accept either the ``fixtures/conformance`` directory itself or the repository root."""
    root = pathlib.Path(root)
    if (root / CASES_DIR).is_dir() or (root / BASE_CLUSTER_FILE).is_file():
        return root
    nested = root / "fixtures" / "conformance"
    if nested.is_dir():
        return nested
    raise FixtureError(f"{root}: neither a conformance fixture directory nor a repository root containing one")


# --------------------------------------------------------------------------- base cluster


def base_cluster(root: pathlib.Path) -> list[dict[str, Any]]:
    """The base Namespace and Pod manifests (fresh copies on every call)."""
    path = conformance_dir(root) / BASE_CLUSTER_FILE
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    except yaml.YAMLError as exc:
        raise FixtureError(f"{path}: invalid YAML: {exc}") from exc
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict) or doc.get("kind") not in ("Namespace", "Pod"):
            raise FixtureError(f"{path}: document {i + 1} is not a Namespace or Pod manifest")
    return docs


def _pod_key(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


def step_manifests(root: pathlib.Path, step: Step) -> list[dict[str, Any]]:
    """Every manifest of a step: base namespaces and pods with the step's overrides, then its policies.

    * ``namespace_labels`` / ``pod_labels`` replace the whole label set of that object; the
      ``kubernetes.io/metadata.name`` label is always (re)set to the namespace name, as the
      API server does.
    * ``pod_ips`` become ``status.podIP`` / ``status.podIPs``.
    * ``extra_pod_ports`` are added to the pod as one more container named ``extra-ports``.
    """
    out: list[dict[str, Any]] = []
    for doc in base_cluster(root):
        meta = doc.setdefault("metadata", {})
        if doc["kind"] == "Namespace":
            name = meta["name"]
            if name in step.namespace_labels:
                meta["labels"] = dict(step.namespace_labels[name])
            meta.setdefault("labels", {})[NAMESPACE_NAME_LABEL] = name
        else:
            key = _pod_key(doc)
            if key in step.pod_labels:
                meta["labels"] = dict(step.pod_labels[key])
            if key in step.pod_ips:
                ip = step.pod_ips[key]
                doc["status"] = {"podIP": ip, "podIPs": [{"ip": ip}]}
            if step.extra_pod_ports.get(key):
                containers = doc.setdefault("spec", {}).setdefault("containers", [])
                image = containers[0].get("image") if containers else None
                extra: dict[str, Any] = {"name": "extra-ports"}
                if image:
                    extra["image"] = image
                extra["ports"] = copy.deepcopy(step.extra_pod_ports[key])
                containers.append(extra)
        out.append(doc)
    out.extend(copy.deepcopy(step.policies))
    return out


# --------------------------------------------------------------------------- parsing


def parse_grid(text: str, where: str) -> dict[tuple[str, str], bool]:
    """Parse an ``expect`` grid; rows are sources, columns destinations, in ``PODS`` order."""
    if not isinstance(text, str):
        raise FixtureError(f"{where}: expect must be a multi-line string, got {type(text).__name__}")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) != len(PODS) + 1:
        raise FixtureError(
            f"{where}: expect must have a header row and {len(PODS)} pod rows, found {len(lines)} non-empty lines"
        )
    header = lines[0].split()
    if header != [GRID_PLACEHOLDER, *PODS]:
        raise FixtureError(
            f"{where}: header row must be '{GRID_PLACEHOLDER} {' '.join(PODS)}', found {lines[0].strip()!r}"
        )
    expected: dict[tuple[str, str], bool] = {}
    for row_no, (line, source) in enumerate(zip(lines[1:], PODS), start=1):
        tokens = line.split()
        if not tokens or tokens[0] != source:
            raise FixtureError(f"{where}: row {row_no} must start with {source!r}, found {line.strip()!r}")
        cells = tokens[1:]
        if len(cells) != len(PODS):
            raise FixtureError(
                f"{where}: row {row_no} ({source}) must have {len(PODS)} cells, found {len(cells)}: {line.strip()!r}"
            )
        for destination, cell in zip(PODS, cells):
            if cell not in (ALLOWED, DENIED):
                raise FixtureError(
                    f"{where}: row {row_no} ({source}), column {destination}: cell must be "
                    f"'{ALLOWED}' or '{DENIED}', found {cell!r}"
                )
            expected[(source, destination)] = cell == ALLOWED
    return expected


def _require_mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FixtureError(f"{where}: must be a mapping, got {type(value).__name__}")
    return value


def _check_keys(data: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise FixtureError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _labels_map(value: Any, where: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for obj, labels in _require_mapping(value, where).items():
        labels = _require_mapping(labels, f"{where}.{obj}")
        for k, v in labels.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise FixtureError(f"{where}.{obj}: label {k!r}: {v!r} must map a string to a string")
        out[str(obj)] = dict(labels)
    return out


def _pod_ips(value: Any, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pod, ip in _require_mapping(value, where).items():
        if not isinstance(ip, str):
            raise FixtureError(f"{where}.{pod}: IP must be a string, got {ip!r}")
        try:
            ipaddress.ip_address(ip)
        except ValueError as exc:
            raise FixtureError(f"{where}.{pod}: {exc}") from exc
        out[str(pod)] = ip
    return out


def _extra_ports(value: Any, where: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for pod, ports in _require_mapping(value, where).items():
        if not isinstance(ports, list):
            raise FixtureError(f"{where}.{pod}: must be a list of container ports")
        for i, port in enumerate(ports):
            pw = f"{where}.{pod}[{i}]"
            if not isinstance(port, dict):
                raise FixtureError(f"{pw}: must be a mapping")
            _check_keys(port, _PORT_KEYS, pw)
            number = port.get("containerPort")
            if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
                raise FixtureError(f"{pw}: containerPort must be an integer in 1..65535, got {number!r}")
            if port.get("protocol", "TCP") not in PROTOCOLS:
                raise FixtureError(f"{pw}: protocol must be one of {PROTOCOLS}, got {port.get('protocol')!r}")
            if "name" in port and not isinstance(port["name"], str):
                raise FixtureError(f"{pw}: name must be a string")
        out[str(pod)] = [dict(p) for p in ports]
    return out


def _parse_probe(data: Any, where: str) -> Probe:
    if not isinstance(data, dict):
        raise FixtureError(f"{where}: must be a mapping")
    _check_keys(data, _PROBE_KEYS, where)
    protocol = data.get("protocol")
    if protocol not in PROTOCOLS:
        raise FixtureError(f"{where}: protocol must be one of {PROTOCOLS}, got {protocol!r}")
    port = data.get("port")
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise FixtureError(f"{where}: port must be an integer in 1..65535, got {port!r}")
    if "expect" not in data:
        raise FixtureError(f"{where}: missing 'expect' grid")
    return Probe(protocol=protocol, port=port, expected=parse_grid(data["expect"], f"{where} ({protocol}/{port})"))


def _parse_step(
    data: Any, where: str, case_ips: dict[str, str], case_ports: dict[str, list[dict[str, Any]]]
) -> Step:
    if not isinstance(data, dict):
        raise FixtureError(f"{where}: must be a mapping")
    _check_keys(data, _STEP_KEYS, where)
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        raise FixtureError(f"{where}: description must be a non-empty string")
    policies = data.get("policies")
    if policies is None:
        policies = []
    if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
        raise FixtureError(f"{where}: policies must be a list of manifests")
    probes_raw = data.get("probes")
    if not isinstance(probes_raw, list) or not probes_raw:
        raise FixtureError(f"{where}: probes must be a non-empty list")
    pod_ips = dict(case_ips)
    pod_ips.update(_pod_ips(data.get("pod_ips"), f"{where}.pod_ips"))
    extra = {k: list(v) for k, v in case_ports.items()}
    extra.update(_extra_ports(data.get("extra_pod_ports"), f"{where}.extra_pod_ports"))
    return Step(
        description=description,
        policies=copy.deepcopy(policies),
        namespace_labels=_labels_map(data.get("namespace_labels"), f"{where}.namespace_labels"),
        pod_labels=_labels_map(data.get("pod_labels"), f"{where}.pod_labels"),
        pod_ips=pod_ips,
        extra_pod_ports=extra,
        probes=[_parse_probe(p, f"{where}, probe {i + 1}") for i, p in enumerate(probes_raw)],
    )


def load_case(path: pathlib.Path) -> Case:
    path = pathlib.Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FixtureError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise FixtureError(f"{path}: top level must be a mapping")
    _check_keys(data, _CASE_KEYS, str(path))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FixtureError(f"{path}: name must be a non-empty string")
    for key in ("upstream", "context", "notes", "origin"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise FixtureError(f"{path}: {key} must be a string or null")
    upstream_pods = data.get("upstream_pods")
    if upstream_pods is not None:
        if not isinstance(upstream_pods, list) or any(p not in PODS for p in upstream_pods):
            raise FixtureError(f"{path}: upstream_pods must be a list of pods out of {PODS}")
        upstream_pods = tuple(upstream_pods)
    steps_raw = data.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise FixtureError(f"{path}: steps must be a non-empty list")
    case_ips = _pod_ips(data.get("pod_ips"), f"{path}: pod_ips")
    case_ports = _extra_ports(data.get("extra_pod_ports"), f"{path}: extra_pod_ports")
    steps = [
        _parse_step(s, f"{path}: step {i + 1}", case_ips, case_ports) for i, s in enumerate(steps_raw)
    ]
    notes = data.get("notes")
    if data.get("origin"):
        notes = data["origin"] if not notes else f"{data['origin']}. {notes}"
    return Case(
        slug=path.stem,
        name=name,
        steps=steps,
        upstream=data.get("upstream"),
        context=data.get("context"),
        upstream_pods=upstream_pods,
        notes=notes,
        path=path,
    )


def load_cases(root: pathlib.Path) -> list[Case]:
    """Load and validate every case file under ``<root>/cases`` (sorted by slug)."""
    cases_dir = conformance_dir(root) / CASES_DIR
    paths = sorted(cases_dir.glob("*.yaml"))
    if not paths:
        raise FixtureError(f"{cases_dir}: no case files found")
    return [load_case(p) for p in paths]
