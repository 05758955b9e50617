"""Positions of Pulumi resource inputs in the program's source, without running anything.

The manifest values below are what pulumi-kubernetes hands the engine for the source shown; the
expected lines and columns are counted by hand in that source.
"""
from __future__ import annotations

import ast
from pathlib import Path

from policylint.load.nodes import YMap, YSeq
from policylint.pulumi.manifests import UNKNOWN_MARKER, Unknown, UnknownField, build
from policylint.pulumi.positions import ParsedFile, resource_root


def _parse(tmp_path: Path, source: str) -> ParsedFile:
    path = tmp_path / "__main__.py"
    path.write_text(source, encoding="utf-8")
    return ParsedFile.parse(str(path), "prog/__main__.py")


def _build(parsed: ParsedFile, inputs: dict, call_line: int) -> tuple[YMap, list[UnknownField]]:
    assert parsed.tree is not None
    calls = [n for n in ast.walk(parsed.tree) if isinstance(n, ast.Call) and n.lineno == call_line]
    call = min(calls, key=lambda c: c.col_offset)  # the outermost call starting on the line
    site = (call.lineno, call.end_lineno, call.col_offset, call.end_col_offset)
    found = parsed.call_at(*site)
    assert found is call
    unknowns: list[UnknownField] = []
    root = build(inputs, parsed, resource_root(parsed, found, parsed.line_span(call_line)), "", unknowns)
    assert isinstance(root, YMap)
    return root, unknowns


def _at(span) -> tuple[int, int]:
    return (span.line, span.column)


def test_keywords_args_objects_and_literals(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, (
        "import pulumi_kubernetes as k8s\n"                                               # 1
        "net = k8s.networking.v1\n"                                                       # 2
        "p = net.NetworkPolicy(\n"                                                        # 3
        "    'p',\n"                                                                      # 4
        "    spec=net.NetworkPolicySpecArgs(\n"                                           # 5
        "        pod_selector={'matchLabels': {'rôle': 'trainer'}},\n"                   # 6
        "        egress=[net.NetworkPolicyEgressRuleArgs(to=[net.NetworkPolicyPeerArgs(\n"  # 7
        "            ip_block=net.IPBlockArgs(cidr='', except_=['', '10.0.0.0/8']))])],\n"  # 8
        "    ),\n"                                                                        # 9
        ")\n"))                                                                           # 10
    inputs = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "spec": {
        "podSelector": {"matchLabels": {"rôle": "trainer"}},
        "egress": [{"to": [{"ipBlock": {"cidr": "", "except": ["", "10.0.0.0/8"]}}]}]}}
    root, unknowns = _build(parsed, inputs, 3)
    assert unknowns == []
    assert _at(root.span) == (3, 5) and root.span.end_line == 10
    assert _at(root.span_of_value("kind")) == (3, 5)  # filled in by the SDK: the constructor
    spec = root["spec"]
    assert _at(root.span_of_key("spec")) == (5, 5)
    labels = spec["podSelector"]["matchLabels"]
    # Columns count characters, not UTF-8 bytes ("ô" is two bytes).
    assert _at(labels.span_of_key("rôle")) == (6, 39) and _at(labels.span_of_value("rôle")) == (6, 47)
    block = spec["egress"][0]["to"][0]["ipBlock"]
    assert _at(block.span_of_value("cidr")) == (8, 43)
    assert _at(block.span_of_key("cidr")) == (8, 38)
    assert isinstance(block["except"], YSeq)
    assert _at(block["except"].span_of_item(0)) == (8, 56)
    assert _at(block["except"].span_of_item(1)) == (8, 60)


def test_names_bound_once_are_followed_and_others_fall_back(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, (
        "import pulumi_kubernetes as k8s\n"                   # 1
        "peers = [{'ipBlock': {'cidr': ''}}]\n"               # 2
        "cidr = 'a'\n"                                        # 3
        "cidr = 'b'\n"                                        # 4
        "k8s.networking.v1.NetworkPolicy('p', spec={\n"       # 5
        "    'egress': [{'to': peers},\n"                     # 6
        "               {'to': [{'ipBlock': {'cidr': cidr}}, *more]}],\n"  # 7
        "})\n"))
    inputs = {"spec": {"egress": [{"to": [{"ipBlock": {"cidr": ""}}]},
                                  {"to": [{"ipBlock": {"cidr": "b"}}, {"ipBlock": {"cidr": "c"}}]}]}}
    root, _ = _build(parsed, inputs, 5)
    first, second = root["spec"]["egress"]
    assert _at(first["to"][0]["ipBlock"].span_of_value("cidr")) == (2, 31)  # through `peers`
    # A starred list cannot be matched item by item: the list itself is the position.
    assert _at(second["to"].span_of_item(0)) == (7, 23)
    assert _at(second["to"][1]["ipBlock"].span_of_value("cidr")) == (7, 23)


def test_unknown_values_are_kept_and_listed(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, (
        "import pulumi_kubernetes as k8s\n"
        "k8s.networking.v1.NetworkPolicy('p', metadata={'namespace': ns.metadata.name})\n"))
    inputs = {"metadata": {"namespace": {UNKNOWN_MARKER: "known only after deployment"}}}
    root, unknowns = _build(parsed, inputs, 2)
    assert isinstance(root["metadata"]["namespace"], Unknown)
    assert [(u.field_path, _at(u.span)) for u in unknowns] == [("metadata.namespace", (2, 61))]


def test_positional_args_object(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, (
        "from pulumi_kubernetes.networking.v1 import NetworkPolicy, NetworkPolicyInitArgs\n"  # 1
        "NetworkPolicy('p', NetworkPolicyInitArgs(\n"                                         # 2
        "    metadata={'name': 'p'}))\n"))                                                    # 3
    root, _ = _build(parsed, {"metadata": {"name": "p"}, "kind": "NetworkPolicy"}, 2)
    assert _at(root["metadata"].span_of_value("name")) == (3, 23)
