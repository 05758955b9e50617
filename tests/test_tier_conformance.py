"""Cluster-wide policy conformance (fixtures/tiers/conformance): the upstream network-policy-api
scenarios, each probe's verdict written by hand from the API documentation, checked three ways —
the engine's pair query, the matrix (allowed and unknown cells), and the reference evaluator.

A probe is `[from, to, PROTOCOL/port, allowed|denied|unknown]`; an end is a pod `ns/name` or an
IP address.
"""
from __future__ import annotations

import copy
import ipaddress
import pathlib

import pytest
import yaml

from policylint.engine import EMPTY_PORTS, Engine
from policylint.load.objects import split_objects
from policylint.load.yaml_reader import parse_text
from policylint.model import build_cluster
from tests import reference_evaluator as reference

ROOT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "tiers" / "conformance"
BASE = list(yaml.safe_load_all((ROOT / "base-cluster.yaml").read_text(encoding="utf-8")))
CASES = sorted((ROOT / "cases").glob("*.yaml"))
VERDICTS = {"allowed": reference.ALLOWED, "denied": reference.DENIED, "unknown": reference.UNKNOWN}


def steps():
    for path in CASES:
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        for index, step in enumerate(case["steps"]):
            yield pytest.param(case, step, id=f"{path.stem}[{index}]")


def build(case: dict, step: dict):
    docs = copy.deepcopy(BASE) + copy.deepcopy(case.get("objects", [])) + copy.deepcopy(step["policies"])
    for doc in docs:
        if doc["kind"] == "Namespace" and doc["metadata"]["name"] in step.get("namespace_labels", {}):
            doc["metadata"]["labels"] = step["namespace_labels"][doc["metadata"]["name"]]
    text = yaml.safe_dump_all(docs, sort_keys=False)
    parsed = parse_text(text, "tiers-conformance.yaml")
    assert not parsed.problems
    objects, problems = split_objects(parsed.documents)
    assert not problems
    cluster = build_cluster(objects)
    assert not cluster.issues, cluster.issues  # the fixtures are valid objects
    return cluster


def test_the_cases_are_there() -> None:
    found = list(steps())
    assert len(CASES) == 7 and len(found) == 18
    assert sum(len(p.values[1]["probes"]) for p in found) == 109


@pytest.mark.parametrize(("case", "step"), list(steps()))
def test_tier_conformance_step(case: dict, step: dict) -> None:
    cluster = build(case, step)
    engine = Engine(cluster)
    matrix = {(s.id, d.id): ports for s, d, ports in engine.matrix()}
    mismatches = []
    for source, destination, port_text, expected in step["probes"]:
        protocol, _, number = port_text.partition("/")
        port = int(number)
        want = VERDICTS[expected]
        src, src_obj = _end(engine, source)
        dst, dst_obj = _end(engine, destination)
        allowed = engine.allowed_ports(src, dst)
        unknown = engine.unknown_ports(src, dst)
        pair = _verdict(allowed, unknown, protocol, port)
        in_matrix = matrix.get((src.id, dst.id), EMPTY_PORTS)
        unknown_cells = [ports for ports, bits in engine.unknown_cells(src, [dst]) if (bits >> dst.atom) & 1]
        from_matrix = _verdict(in_matrix, unknown_cells[0] if unknown_cells else EMPTY_PORTS, protocol, port)
        literal = reference.decision(cluster, src_obj, dst_obj, protocol, port)
        for who, got in (("pair query", pair), ("matrix", from_matrix), ("reference", literal)):
            if got != want:
                mismatches.append(f"{step['description']}: {source} -> {destination} {port_text}: "
                                  f"{who} says {got}, expected {want}")
    assert not mismatches, "\n".join(mismatches)


def _end(engine: Engine, text: str):
    endpoint = engine.endpoint(text)
    if endpoint is not None:
        return endpoint, endpoint.workload
    address = ipaddress.ip_address(text)
    found, = engine.resolve(text)
    assert found.is_external
    return found, address


def _verdict(allowed, unknown, protocol: str, port: int) -> str:
    if allowed.contains(protocol, port):
        return reference.ALLOWED
    return reference.UNKNOWN if unknown.contains(protocol, port) else reference.DENIED
