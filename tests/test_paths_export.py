"""`matrix --format graphml|gexf`: networkx reads the files back, and they hold exactly the
engine's matrix (every allowed pair, its ports per protocol, its invalid mark); bytes are
deterministic."""
from __future__ import annotations

import io
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from policylint.analysis import load_and_model
from policylint.cli.main import cli
from policylint.config import load_config
from policylint.engine import Engine
from policylint.graph.export import protocol_text

REPO = Path(__file__).resolve().parent.parent
CASES = ["fixtures/paths/lateral", "fixtures/examples", "fixtures/engine/shop"]
READERS = {"graphml": nx.read_graphml, "gexf": nx.read_gexf}


def matrix(*args: str) -> bytes:
    result = CliRunner().invoke(cli, ["matrix", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def engine_of(case: str) -> Engine:
    _, cluster = load_and_model([str(REPO / case)], load_config(None))
    return Engine(cluster)


@pytest.fixture(autouse=True)
def _repo(monkeypatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.mark.parametrize("fmt", sorted(READERS))
@pytest.mark.parametrize("case", CASES)
def test_networkx_reads_back_the_matrix(case: str, fmt: str) -> None:
    data = matrix(case, "--format", fmt)
    assert data == matrix(case, "--format", fmt)  # deterministic bytes
    graph = READERS[fmt](io.BytesIO(data))
    assert graph.is_directed()
    engine = engine_of(case)
    assert sorted(graph.nodes) == sorted(e.id for e in engine.endpoints)
    for e in engine.endpoints:
        assert graph.nodes[e.id]["kind"] == ("External" if e.is_external else e.kind)
    expected = {(s.id, d.id): (ports, engine.depends_on_invalid(s, d)) for s, d, ports in engine.matrix()}
    assert set(graph.edges) == set(expected)
    for (src, dst), (ports, invalid) in expected.items():
        edge = graph.edges[src, dst]
        assert edge["ports"] == ports.describe()
        for protocol in ("TCP", "UDP", "SCTP"):
            assert edge[protocol.lower()] == protocol_text(ports, protocol) or (
                edge[protocol.lower()] is None and not protocol_text(ports, protocol))
        assert edge["depends_on_invalid"] in (invalid, str(invalid).lower())


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_aggregated_by_namespace(fmt: str) -> None:
    data = matrix("fixtures/paths/lateral", "--format", fmt, "--aggregate", "namespace")
    graph = READERS[fmt](io.BytesIO(data))
    # By hand from the policies: the internet reaches both ml-platform workloads (8888, 443).
    edge = graph.edges["(external)", "ml-platform"]
    assert edge["tcp"] == "443,8888" and int(edge["pairs"]) == 2


def test_filters_apply() -> None:
    data = matrix("fixtures/paths/lateral", "--format", "graphml", "--from", "ml-platform/notebook", "--port", "22")
    graph = nx.read_graphml(io.BytesIO(data))
    # By hand: training admits ml-platform on 22; the notebook's egress is open to the internet.
    notebook = "ml-platform/notebook[Deployment]"
    assert set(graph.edges) == {(notebook, "ml-workloads/bert[PyTorchJob/Master]"),
                                (notebook, "ml-workloads/bert[PyTorchJob/Worker]"),
                                (notebook, "0.0.0.0-255.255.255.255"),
                                (notebook, "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}


def _group_pairs(graph) -> dict:
    """Every endpoint pair a grouped file allows, walking group -> sources -> destinations -> group,
    with the middle edge's data and whether the pair is marked invalid by its groups' marks."""
    kind = dict(graph.nodes(data="kind"))

    def members(node):
        return str(graph.nodes[node]["members"]).split(" ")

    def flag(node, key):
        return graph.nodes[node][key] in (True, "true")

    found = {}
    for group in (n for n in graph.nodes if kind[n] == "group"):
        for row in graph.successors(group):
            assert kind[row] == "sources"
            for cell in graph.successors(row):
                assert kind[cell] == "destinations"
                data = graph.edges[row, cell]
                for target in graph.successors(cell):
                    assert kind[target] == "group"
                    invalid = flag(group, "invalid_as_source") or flag(target, "invalid_as_destination")
                    for src in members(group):
                        for dst in members(target):  # an endpoint to itself too, as the matrix lists it
                            assert (src, dst) not in found  # a row's cells are disjoint
                            found[src, dst] = (data["ports"], data["tcp"], data["udp"], data["sctp"], invalid)
    return found


@pytest.mark.parametrize("fmt", sorted(READERS))
@pytest.mark.parametrize("case", [*CASES, "fixtures/real/platform-mixed", "fixtures/ml-scenarios/mpijob-deepspeed"])
def test_grouped_graph_holds_exactly_the_matrix(case: str, fmt: str) -> None:
    """`--aggregate group`: networkx reads the hubs back, and walking them gives every allowed pair
    of the engine with its ports and invalid mark, and no other."""
    data = matrix(case, "--format", fmt, "--aggregate", "group")
    assert data == matrix(case, "--format", fmt, "--aggregate", "group")
    graph = READERS[fmt](io.BytesIO(data))
    engine = engine_of(case)
    members = [m for n, k in graph.nodes(data="kind") if k == "group" for m in str(graph.nodes[n]["members"]).split(" ")]
    assert sorted(members) == sorted(e.id for e in engine.endpoints)

    def text(ports, protocol):
        return protocol_text(ports, protocol) or None  # the readers give an empty value as None

    expected = {(s.id, d.id): (ports.describe(), *(text(ports, p) for p in ("TCP", "UDP", "SCTP")),
                               engine.depends_on_invalid(s, d)) for s, d, ports in engine.matrix()}
    found = {k: (v[0], *(x or None for x in v[1:4]), v[4]) for k, v in _group_pairs(graph).items()}
    assert found == expected


def test_grouped_graph_refuses_filters_and_other_formats() -> None:
    for args in (["--format", "json"], ["--format", "graphml", "--from", "ml-platform/notebook"],
                 ["--format", "gexf", "--namespace", "ml-platform"]):
        result = CliRunner().invoke(cli, ["matrix", "fixtures/paths/lateral", "--aggregate", "group", *args])
        assert result.exit_code == 2 and "--aggregate group" in result.output, args
