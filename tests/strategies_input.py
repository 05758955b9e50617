"""Hypothesis strategies for hostile input: bytes, YAML-ish text, wrong types in policy fields, mutations."""
from __future__ import annotations

import copy
import json
import math
from typing import Any

import yaml
from hypothesis import strategies as st

# -- arbitrary values ----------------------------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "80", "http", "TCP", "udp", "Ingress", "Egress", "10.0.0.0/8", "::/0", "In", "Exists",
                     "kube-system", "app", "{{ .Values.x }}", "0x50", "1:20", "yes", "~", "-", "<<", "*a", "a" * 70]),
)


def json_like(max_leaves: int = 25) -> st.SearchStrategy[Any]:
    """Trees of null, booleans, numbers, strings, lists and string-keyed mappings."""
    return st.recursive(
        _SCALARS,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(
                ["matchLabels", "matchExpressions", "key", "operator", "values", "podSelector", "namespaceSelector",
                 "ipBlock", "cidr", "except", "port", "endPort", "protocol", "from", "to", "ports"])),
                children, max_size=4),
        ),
        max_leaves=max_leaves,
    )


# -- a valid policy, and every field of it -----------------------------------------------------

def base_policy() -> dict[str, Any]:
    """A NetworkPolicy that uses every field once (namespace `hostile`, away from the good files)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "hostile", "namespace": "hostile", "labels": {"app": "x"}, "annotations": {"a": "b"}},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"},
                            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{
                "from": [{"podSelector": {"matchLabels": {"role": "client"}},
                          "namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "Exists"}]}},
                         {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                "ports": [{"protocol": "TCP", "port": 80, "endPort": 90}, {"port": "http"}],
            }],
            "egress": [{
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}],
                "ports": [{"protocol": "UDP", "port": 53}],
            }],
        },
    }


def field_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into `value` (mapping keys and list indexes), parents before children."""
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths.extend(field_paths(item, prefix + (key,)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths.extend(field_paths(item, prefix + (index,)))
    return paths


POLICY_FIELDS = field_paths(base_policy())


def with_value_at(document: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    result = copy.deepcopy(document)
    node: Any = result
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return result


def dump(document: Any, style: str) -> str:
    """YAML block style, YAML flow style, or JSON (which is YAML too)."""
    if style == "json":
        return json.dumps(document, default=str)
    from tests.strategies import KubectlSafeDumper

    return yaml.dump(document, Dumper=KubectlSafeDumper, default_flow_style=(style == "flow"), allow_unicode=True,
                     sort_keys=False)


@st.composite
def policy_with_wrong_field(draw: st.DrawFn) -> tuple[tuple, Any, str]:
    """(field path, the value put there, the policy as text)."""
    path = draw(st.sampled_from(POLICY_FIELDS))
    value = draw(json_like())
    style = draw(st.sampled_from(["block", "flow", "json"]))
    if style == "json" and _has_non_finite(value):
        style = "block"
    return path, value, dump(with_value_at(base_policy(), path, value), style)


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_non_finite(v) for v in value)
    return False


# -- YAML-ish text and bytes -------------------------------------------------------------------

YAML_TOKENS = [
    "key: ", "kind: NetworkPolicy\n", "apiVersion: networking.k8s.io/v1\n", "metadata: {name: x}\n", "spec:\n",
    "  podSelector: {}\n", "- ", "-\n", "? ", ": ", ",", "{", "}", "[", "]", "&a ", "*a", "&b [*a, *a, *a]\n",
    "<<: *a\n", "!!python/object/apply:os.system ['true'] ", "!Ref ", "!!binary ", "!!int ", "! ", "|\n", ">-\n",
    "'", "\"", "\\", "#", " # c\n", "\t", "\n", "  ", "    ", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n",
    "{{ .Values.x }}", "{{- if .Values.y }}\n", "~", "null", "true", "0x1F", "0o17", "1:20", ".nan", "-.inf",
    "123456789012345678901234567890", "é", "\u2028", "\u0085", "\ufeff", "\x00", "\x07", "\r\n", "\r", "😀",
    "10.0.0.0/8", "ipBlock: {cidr: ", "ports: [{port: ", "matchLabels: {", "items:\n", "kind: List\n",
]


def yaml_soup(max_tokens: int = 40) -> st.SearchStrategy[str]:
    """Text assembled from YAML-significant fragments: reaches far more parser paths than random text."""
    return st.lists(st.one_of(st.sampled_from(YAML_TOKENS), st.text(max_size=6)), max_size=max_tokens).map("".join)


def hostile_bytes() -> st.SearchStrategy[bytes]:
    """Raw bytes, and YAML-ish text in the encodings a file may come in (with and without BOM)."""
    encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1"])
    encoded = st.tuples(yaml_soup(), encodings).map(lambda t: t[0].encode(t[1], errors="replace"))
    return st.one_of(st.binary(max_size=300), encoded)


# -- mutations of valid manifests ----------------------------------------------------------------

VALID_MANIFESTS = [
    dump(base_policy(), "block"),
    dump(base_policy(), "flow"),
    dump(base_policy(), "json"),
    """apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Namespace
    metadata: {name: hostile, labels: {team: data}}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: hostile}
    spec:
      replicas: 2
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
            - name: main
              ports: [{containerPort: 8080, name: http}]
""",
    """base: &base {podSelector: {matchLabels: {app: web}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: anchors, namespace: hostile}
spec:
  <<: *base
  ingress:
    - from: [&peer {namespaceSelector: {}}, *peer]
""",
]


@st.composite
def mutated_manifest(draw: st.DrawFn) -> str:
    """A valid manifest after a few random edits: deletions, insertions, line swaps, re-indentation."""
    text = draw(st.sampled_from(VALID_MANIFESTS))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        operation = draw(st.sampled_from(["delete", "insert", "duplicate", "swap", "indent", "replace"]))
        size = max(len(text), 1)
        at = draw(st.integers(min_value=0, max_value=size - 1))
        lines = text.split("\n")
        if operation == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=20)):]
        elif operation == "insert":
            text = text[:at] + draw(st.sampled_from(YAML_TOKENS)) + text[at:]
        elif operation == "replace":
            text = text[:at] + draw(st.characters(codec="utf-8")) + text[at + 1:]
        else:
            line = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            if operation == "duplicate":
                lines.insert(line, lines[line])
            elif operation == "swap":
                lines[line], lines[other] = lines[other], lines[line]
            else:
                delta = draw(st.integers(min_value=-4, max_value=4))
                lines[line] = (" " * delta + lines[line]) if delta > 0 else lines[line][-delta:]
            text = "\n".join(lines)
    return text
