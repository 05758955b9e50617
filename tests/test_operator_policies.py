"""NetworkPolicies that operators create: built as their sources build them, evaluated like any other.

`fixtures/model/operator-policies/handwritten/` holds the policies Volcano's svc plugin and
KubeRay's NetworkPolicy controller would create for `created/`, written by hand from their
sources; the connectivity of both must be equal, pair by pair, and equal to the reference
evaluator's on the built policies.
"""
from __future__ import annotations

import ipaddress
import json
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from policylint.cli.main import cli
from policylint.engine import Engine
from policylint.load import load_paths
from policylint.model import build_cluster
from tests import reference_evaluator

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "model" / "operator-policies"
PORTS = [("TCP", 22), ("TCP", 443), ("TCP", 6379), ("TCP", 8080), ("TCP", 23456), ("UDP", 53)]
OUTSIDE = [ipaddress.ip_address("10.1.2.3"), ipaddress.ip_address("192.0.2.7")]


def _cluster(folder: Path):
    loaded = load_paths([str(folder)])
    assert loaded.problems == []
    cluster = build_cluster(loaded.objects)
    assert cluster.issues == []
    return cluster


def test_the_created_policies_are_the_ones_the_operators_write() -> None:
    cluster = _cluster(FIXTURES / "created")
    assert cluster.policies == []
    assert [(p.namespace, p.name, set(p.policy_types)) for p in cluster.operator_policies] == [
        ("ml", "resnet", {"Ingress"}),
        ("ml", "rc-head", {"Ingress", "Egress"}),
        ("ml", "rc-workers-cpu", {"Ingress", "Egress"}),
        ("ml", "rc-workers-gpu", {"Ingress", "Egress"}),
    ]
    volcano, head = cluster.created_policies[0], cluster.created_policies[1]
    # positions: the field that makes the operator create the policy
    assert (volcano.field_path, volcano.span.line) == ("spec.plugins.pytorch", 8)
    assert (head.field_path, head.span.line) == ("spec.networkPolicy", 33)
    # a rule copied from the RayCluster keeps its own position there
    copied = cluster.operator_policies[1].ingress[1]
    assert copied.source.span.line == 37 and Path(copied.source.span.path).name == "workloads.yaml"


def test_built_and_handwritten_policies_give_the_same_connectivity() -> None:
    built, written = _cluster(FIXTURES / "created"), _cluster(FIXTURES / "handwritten")
    assert written.operator_policies == [] and len(written.policies) == 4
    built_engine, written_engine = Engine(built), Engine(written)
    ids = sorted(w.id for w in built.workloads)
    assert ids == sorted(w.id for w in written.workloads)
    endpoints = {e.id: e for e in built_engine.endpoints}
    others = {e.id: e for e in written_engine.endpoints}
    assert sorted(endpoints) == sorted(others)
    compared = 0
    for src in sorted(endpoints):
        for dst in sorted(endpoints):
            a = built_engine.allowed_ports(endpoints[src], endpoints[dst])
            b = written_engine.allowed_ports(others[src], others[dst])
            assert a == b, (src, dst)
            compared += 1
    assert compared == len(endpoints) ** 2


def test_the_engine_agrees_with_the_reference_evaluator_on_the_built_policies() -> None:
    built = _cluster(FIXTURES / "created")
    engine = Engine(built)
    # the reference evaluator reads `policies`: hand it the built ones as if written
    plain = replace(built, policies=built.evaluated_policies, operator_policies=[], created_policies=[])
    pods = {w.id: w for w in built.workloads}
    ends = [(w, engine.endpoint_of(w)) for w in pods.values()]
    for address in OUTSIDE:  # the external range that holds the address
        ends.append((address, next(e for e in engine.endpoints if e.is_external and e.range.version == address.version
                                   and e.range.first <= int(address) <= e.range.last)))
    denied = allowed = 0
    for src, src_end in ends:
        for dst, dst_end in ends:
            if src_end.is_external and dst_end.is_external:
                continue
            for protocol, port in PORTS:
                expected = reference_evaluator.allowed(plain, src, dst, protocol, port)
                assert engine.allowed_ports(src_end, dst_end).contains(protocol, port) == expected, (src, dst, port)
                allowed += expected
                denied += not expected
    assert allowed and denied  # the case discriminates


def test_reach_and_matrix_say_which_policies_operators_create() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["reach", "--from", "ml/client", "--to", "ml/resnet[VolcanoJob/worker]",
                                 "--port", "23456", str(FIXTURES / "created")])
    assert "answers include 4 NetworkPolicies that operators create" in result.stderr
    assert "NetworkPolicy ml/resnet for Job ml/resnet, created by Volcano through the svc plugin that its " \
           "pytorch plugin brings, unless given `--disable-network-policy`" in result.stderr
    matrix = runner.invoke(cli, ["matrix", str(FIXTURES / "created")])
    assert "NetworkPolicy ml/rc-head for RayCluster ml/rc, created by KubeRay when its " \
           "RayClusterNetworkPolicy feature gate (alpha, off by default) is on" in matrix.stderr


def test_unmodelled_operator_policies_are_a_caveat(tmp_path: Path) -> None:
    (tmp_path / "rayjob.yaml").write_text((ROOT / "fixtures/rules/PL510/rayjob/rayjob.yaml").read_text())
    result = CliRunner().invoke(cli, ["matrix", str(tmp_path)])
    assert "answers ignore NetworkPolicies that operators create and policylint does not model" in result.stderr
    assert "rayjob.yaml:10: KubeRay creates NetworkPolicies for the RayCluster it creates" in result.stderr


def test_exposure_counts_the_operators_policies() -> None:
    """What the RayCluster's pods admit from peers the input does not have: what KubeRay's policies
    admit (by hand from the fixture: the cluster's own pods; the head also any pod of `monitoring`
    on TCP 8080), never "every namespace" (PL406), which ignoring those policies would say."""
    runner = CliRunner()
    result = runner.invoke(cli, ["matrix", str(FIXTURES / "created"), "--exposure", "-f", "json"])
    ingress = {}
    for claim in json.loads(result.stdout)["exposure"]:
        if claim["endpoint"].startswith("ml/rc[") and claim["direction"] == "ingress":
            ingress.setdefault(claim["endpoint"], set()).add((claim["description"], json.dumps(claim["ports"])))
    every_port = json.dumps({"TCP": [[1, 65535]], "UDP": [[1, 65535]], "SCTP": [[1, 65535]]})
    own = ("pods matching {ray.io/cluster=rc} in namespace ml", every_port)
    assert ingress == {
        "ml/rc[RayCluster/head]": {own, ("any pod in namespace monitoring", json.dumps({"TCP": [[8080, 8080]], "UDP": [], "SCTP": []}))},
        "ml/rc[RayCluster/cpu]": {own},
        "ml/rc[RayCluster/gpu]": {own},
    }
    check = runner.invoke(cli, ["check", str(FIXTURES / "created"), "--select", "PL406", "-f", "json"])
    assert json.loads(check.stdout)["findings"] == []
