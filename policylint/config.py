"""The configuration file: discovery, validation (errors name the key and file:line), defaults.

`.policylint.yaml` (or `.policylint.yml`), or `[tool.policylint]` in `pyproject.toml`, found by
walking up from the working directory; `--config FILE` overrides discovery.
"""
from __future__ import annotations

import fnmatch
import ipaddress
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policylint.cluster_facts import ClusterFacts
from policylint.errors import ConfigError
from policylint.load import path_text
from policylint.load.nodes import Span, YMap, YSeq, where
from policylint.load.render.settings import RenderSettings
from policylint.load.yaml_reader import Limits, parse_text
from policylint.severity import Severity

if TYPE_CHECKING:
    from pathlib import Path

    from policylint.intent.spec import IntentConfig

CONFIG_NAMES = (".policylint.yaml", ".policylint.yml")
TOP_LEVEL_KEYS = {
    "select": "codes, code prefixes or rule names to run (default: all)",
    "ignore": "codes, code prefixes or rule names to skip",
    "severity": "map of code or name to error, warning or info",
    "rules": "map of code or name to that rule's options",
    "exclude": "glob patterns of paths not to read",
    "namespace": "namespace for objects without metadata.namespace (default: default)",
    "fail-on": "lowest severity that makes `check` exit 1 (error, warning, info)",
    "cluster": "facts about the cluster: pod-cidrs, service-cidrs, dns, runtime-namespace-labels",
    "limits": "resource bounds: max-file-bytes, max-depth, max-alias-nodes",
    "roles": "named sets of pods (namespace and pod selectors) for intent rules",
    "expectations": "connectivity that must (or must not) be allowed",
    "render": "rendering of Helm charts and kustomizations: kustomize, helm, helm-values, timeout",
}
CLUSTER_KEYS = {"pod-cidrs", "service-cidrs", "dns", "runtime-namespace-labels"}
DNS_KEYS = {"namespace-labels", "pod-labels"}
RENDER_KEYS = {"kustomize", "helm", "helm-values", "timeout"}
LIMIT_KEYS = {"max-file-bytes": "max_file_bytes", "max-depth": "max_depth", "max-alias-nodes": "max_alias_nodes"}


@dataclass(frozen=True, slots=True)
class Config:
    """The settings of a run: the config file, with the command line applied."""

    path: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    namespace: str = "default"
    fail_on: Severity = Severity.ERROR
    facts: ClusterFacts = ClusterFacts()
    limits: Limits = Limits()
    # The `roles` and `expectations` sections, parsed (and validated) once, when the file is read;
    # None when the config has neither.
    intent: IntentConfig | None = None
    render: RenderSettings = RenderSettings()
    # Processes that read and parse the input (0: every usable core); set by --jobs or
    # $POLICYLINT_JOBS, never by the file: it changes how fast, not what is reported.
    jobs: int = 0

    def is_excluded(self, path: str) -> bool:
        normalised = os.path.normpath(path)
        return any(fnmatch.fnmatch(normalised, pattern) or fnmatch.fnmatch(os.path.basename(normalised), pattern)
                   for pattern in self.exclude)


def discover_config(start: Path | None = None) -> Path | None:
    # Walked with os.path, as pathlib would walk it (`Path.cwd().resolve()` and its parents): most
    # runs find no config, and pathlib is imported only for the one found (load.path_text).
    folder = path_text.normal(os.path.realpath(start if start is not None else os.getcwd()))
    while True:
        for name in CONFIG_NAMES:
            candidate = path_text.join(folder, name)
            if path_text.is_file(candidate):
                return _path(candidate)
        pyproject = path_text.join(folder, "pyproject.toml")
        if path_text.is_file(pyproject) and _pyproject_section(pyproject) is not None:
            return _path(pyproject)
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _path(text: str) -> Path:
    from pathlib import Path

    return Path(text)


def _pyproject_section(path: str | os.PathLike[str]) -> dict | None:
    try:
        with open(path, encoding="utf-8") as handle:  # as Path.read_text reads
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    # Most projects' pyproject.toml has no policylint section: a table or key that defines one
    # names it, plainly or with \u escapes in a quoted key, so without either the file is not parsed.
    if "policylint" not in text and "\\u" not in text and "\\U" not in text:
        return None
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    section = data.get("tool", {}).get("policylint")
    return section if isinstance(section, dict) else None


def load_config(path: Path | None) -> Config:
    """Read and validate a config file; None gives the defaults."""
    if path is None:
        return Config()
    display = str(path)
    if path.name == "pyproject.toml":
        import tomllib

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"{display}: cannot read config: {error}") from None
        section = data.get("tool", {}).get("policylint", {})
        root = _to_nodes(section, display)
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{display}: cannot read config: {error}") from None
        parsed = parse_text(text, display)
        if parsed.problems:
            problem = parsed.problems[0]
            raise ConfigError(f"{display}:{problem.span.line}: {problem.message}")
        root = parsed.documents[0].root if parsed.documents else None
        if root is None:
            return Config(path=display)
    return _parse(root, display)


def _to_nodes(value: Any, path: str) -> Any:
    """Wrap TOML values in positioned containers (TOML gives no lines: line 1)."""
    span = Span(path, 1, 1, 1, 1)
    if isinstance(value, dict):
        node = YMap(span)
        for k, v in value.items():
            node[k] = _to_nodes(v, path)
        return node
    if isinstance(value, list):
        seq = YSeq(span)
        for v in value:
            seq.append(_to_nodes(v, path))
        return seq
    return value


def _where(node: YMap, key: str) -> str:
    return where(node.span_of_key(key))


def _parse(root: Any, display: str) -> Config:
    if not isinstance(root, YMap):
        raise ConfigError(f"{display}:1: the config must be a mapping of keys to values")
    values: dict[str, Any] = {"path": display}
    for key in root:
        if key not in TOP_LEVEL_KEYS:
            known = ", ".join(sorted(TOP_LEVEL_KEYS))
            raise ConfigError(f"{_where(root, key)}: unknown config key {key!r} (known: {known})")
    values["select"] = _string_list(root, "select")
    values["ignore"] = _string_list(root, "ignore")
    values["exclude"] = _string_list(root, "exclude")
    if "severity" in root:
        values["severity"] = _severities(root)
    if "rules" in root:
        values["rule_options"] = _rule_options(root)
    if "namespace" in root:
        namespace = root["namespace"]
        if not isinstance(namespace, str) or not namespace:
            raise ConfigError(f"{_where(root, 'namespace')}: `namespace` must be a non-empty string")
        values["namespace"] = namespace
    if "fail-on" in root:
        values["fail_on"] = _severity(root, "fail-on", root["fail-on"])
    if "cluster" in root:
        values["facts"] = _facts(root)
    if "limits" in root:
        values["limits"] = _limits(root)
    if "render" in root:
        values["render"] = _render(root)
    sections = {k: root[k] for k in ("roles", "expectations") if k in root}
    if sections:  # parsed here, so that every command rejects a bad section, not only those that use it
        from policylint.intent.spec import parse_intent_sections  # only when there is something to parse

        values["intent"] = parse_intent_sections(sections, {k: root.span_of_key(k) for k in sections}, display)
    return Config(**values)


def _string_list(node: YMap, key: str) -> tuple[str, ...]:
    if key not in node:
        return ()
    value = node[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{_where(node, key)}: `{key}` must be a list of strings")
    return tuple(value)


def _severity(node: YMap, key: str, value: Any) -> Severity:
    try:
        return Severity.parse(value) if isinstance(value, str) else Severity.parse("?")
    except ValueError:
        raise ConfigError(f"{_where(node, key)}: `{key}`: {value!r} is not a severity (error, warning, info)") from None


def _severities(root: YMap) -> dict[str, Severity]:
    node = root["severity"]
    if not isinstance(node, YMap):
        raise ConfigError(f"{_where(root, 'severity')}: `severity` must map rule codes or names to severities")
    return {str(k): _severity(node, k, v) for k, v in node.items()}


def _rule_options(root: YMap) -> dict[str, dict[str, Any]]:
    """`rules:`, each value checked against the declarations of the rules its token names (a
    code, a prefix such as PL2, a name, or `all`): an option must be declared by at least one of
    them, and its value must be allowed by every one that declares it."""
    from policylint.rules import RULES  # the rules' own declarations: those a `rules:` entry names are imported
    from policylint.rule_api import token_matches

    node = root["rules"]
    if not isinstance(node, YMap):
        raise ConfigError(f"{_where(root, 'rules')}: `rules` must map rule codes or names to option mappings")
    result = {}
    for token, options in node.items():
        token = str(token)
        specs = [RULES[code] for code, name in RULES.names().items() if token_matches(token, code, name)]
        if not specs:
            raise ConfigError(f"{_where(node, token)}: `rules`: unknown rule code or name {token!r} (see `policylint rules`)")
        if not isinstance(options, YMap):
            raise ConfigError(f"{_where(node, token)}: options of rule {token!r} must be a mapping")
        for key, value in options.items():
            declaring = [spec for spec in specs if key in spec.declared]
            if not declaring:
                known = ", ".join(sorted({k for spec in specs for k in spec.declared})) or "none"
                raise ConfigError(f"{_where(options, key)}: rule {token}: unknown option {key!r} (known: {known})")
            for spec in declaring:
                option = spec.declared[key]
                problem = option.problem(value)
                if problem is not None:
                    raise ConfigError(f"{where(options.span_of_value(key))}: rule {token}: option {key!r} of {spec.code}: "
                                      f"{problem}; allowed: {option.kind.allowed}")
        result[token] = dict(options)
    return result


def _cidrs(node: YMap, key: str) -> tuple[str, ...]:
    values = _string_list(node, key)
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ConfigError(f"{_where(node, key)}: `{key}`: {value!r} is not a CIDR") from None
    return values


def _runtime_labels(node: YMap, key: str) -> tuple[tuple[str, str | None], ...]:
    """`[key, key=value, …]`: namespace labels that controllers set after creation."""
    from policylint.model.validation import label_key_error, label_value_error

    found = []
    for text in _string_list(node, key):
        label, _, value = text.partition("=")
        error = label_key_error(label.strip()) or (label_value_error(value.strip()) if "=" in text else None)
        if error or not label.strip():
            raise ConfigError(f"{_where(node, key)}: `{key}`: {text!r} is not a label key or key=value "
                              f"({error or 'empty key'})")
        found.append((label.strip(), value.strip() if "=" in text else None))
    return tuple(found)


def _facts(root: YMap) -> ClusterFacts:
    node = root["cluster"]
    if not isinstance(node, YMap):
        raise ConfigError(f"{_where(root, 'cluster')}: `cluster` must be a mapping")
    for key in node:
        if key not in CLUSTER_KEYS:
            raise ConfigError(f"{_where(node, key)}: unknown key {key!r} in `cluster` (known: {', '.join(sorted(CLUSTER_KEYS))})")
    facts: dict[str, Any] = {"pod_cidrs": _cidrs(node, "pod-cidrs"), "service_cidrs": _cidrs(node, "service-cidrs"),
                             "runtime_namespace_labels": _runtime_labels(node, "runtime-namespace-labels")}
    dns = node.get("dns")
    if dns is not None:
        if not isinstance(dns, YMap):
            raise ConfigError(f"{_where(node, 'dns')}: `dns` must be a mapping with namespace-labels and pod-labels")
        for key in dns:
            if key not in DNS_KEYS:
                raise ConfigError(f"{_where(dns, key)}: unknown key {key!r} in `cluster.dns` (known: {', '.join(sorted(DNS_KEYS))})")
        for key, attr in (("namespace-labels", "dns_namespace_labels"), ("pod-labels", "dns_pod_labels")):
            if key in dns:
                labels = dns[key]
                if not isinstance(labels, YMap) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
                    raise ConfigError(f"{_where(dns, key)}: `{key}` must map label keys to label values")
                facts[attr] = tuple(sorted(labels.items()))
    return ClusterFacts(**facts)


def _limits(root: YMap) -> Limits:
    node = root["limits"]
    if not isinstance(node, YMap):
        raise ConfigError(f"{_where(root, 'limits')}: `limits` must be a mapping")
    values = {}
    for key, value in node.items():
        if key not in LIMIT_KEYS:
            raise ConfigError(f"{_where(node, key)}: unknown key {key!r} in `limits` (known: {', '.join(sorted(LIMIT_KEYS))})")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{_where(node, key)}: `{key}` must be a positive integer")
        values[LIMIT_KEYS[key]] = value
    return Limits(**values)


def _render(root: YMap) -> RenderSettings:
    node = root["render"]
    if not isinstance(node, YMap):
        raise ConfigError(f"{_where(root, 'render')}: `render` must be a mapping")
    for key in node:
        if key not in RENDER_KEYS:
            raise ConfigError(f"{_where(node, key)}: unknown key {key!r} in `render` (known: {', '.join(sorted(RENDER_KEYS))})")
    values: dict[str, Any] = {}
    for key in ("kustomize", "helm"):
        if key in node:
            if not isinstance(node[key], bool):
                raise ConfigError(f"{_where(node, key)}: `render.{key}` must be true or false")
            values[key] = node[key]
    if "helm-values" in node:
        values["helm_values"] = _string_list(node, "helm-values")
    if "timeout" in node:
        timeout = node["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigError(f"{_where(node, 'timeout')}: `render.timeout` must be a positive number of seconds")
        values["timeout"] = float(timeout)
    return RenderSettings(**values)
