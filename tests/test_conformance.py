"""The upstream NetworkPolicy e2e cases (fixtures/conformance) against the engine and the
reference evaluator: every case, step and probe, every ordered pair of pods but the diagonal.

Each step's manifests go through the real YAML reader, object splitter and model, so a case
exercises the whole pipeline up to the engine.
"""
from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from policylint.engine import Engine
from policylint.load.objects import split_objects
from policylint.load.yaml_reader import parse_text
from policylint.model import build_cluster
from tests import reference_evaluator as reference
from tests.conformance_cases import load_cases, step_manifests

ROOT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "conformance"
CASES = load_cases(ROOT)
STEPS = [(case, index, step) for case in CASES for index, step in enumerate(case.steps)]


def build(step):
    # JSON (which is YAML) quotes every string: PyYAML's dump leaves `y` bare, which Kubernetes'
    # decoder, and policylint's loader, read as the boolean true (YAML 1.1).
    text = "\n---\n".join(json.dumps(doc) for doc in step_manifests(ROOT, step))
    parsed = parse_text(text, "conformance.yaml")
    assert not parsed.problems
    objects, problems = split_objects(parsed.documents)
    assert not problems
    cluster = build_cluster(objects)
    assert not cluster.issues, cluster.issues  # the fixtures are valid policies
    return cluster


def test_every_case_is_run() -> None:
    # The fixture README counts 53 cases, 63 steps and 95 probes; a loader change that
    # silently dropped some must not make this suite pass by running less.
    assert len(CASES) == 53
    assert len(STEPS) == 63
    assert sum(len(step.probes) for _, _, step in STEPS) == 95


@pytest.mark.parametrize(("case", "index", "step"), STEPS,
                         ids=[f"{case.slug}[{index}]" for case, index, _ in STEPS])
def test_conformance_step(case, index, step) -> None:
    cluster = build(step)
    engine = Engine(cluster)
    pods = {e.id: e for e in engine.endpoints if not e.is_external}
    matrix = {(s.id, d.id): ports for s, d, ports in engine.matrix()}
    mismatches = []
    for probe in step.probes:
        for src, dst in probe.checked_pairs():
            want = probe.expected[(src, dst)]
            fast = engine.allowed_ports(pods[src], pods[dst]).contains(probe.protocol, probe.port)
            in_matrix = (src, dst) in matrix and matrix[(src, dst)].contains(probe.protocol, probe.port)
            literal = reference.allowed(cluster, pods[src].workload, pods[dst].workload, probe.protocol, probe.port)
            for who, got in (("engine", fast), ("matrix", in_matrix), ("reference", literal)):
                if got != want:
                    mismatches.append(f"{case.slug} step {index} {probe.protocol}/{probe.port} {src} -> {dst}: "
                                      f"{who} says {'allowed' if got else 'denied'}, expected "
                                      f"{'allowed' if want else 'denied'}")
    assert not mismatches, "\n".join(mismatches)
