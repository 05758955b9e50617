"""`policylint matrix` with ports that cannot be judged offline: never among the connections,
listed apart (JSON `unknown`, a section after the text table). Expected values by hand."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from policylint.cli.main import cli

REPO = Path(__file__).resolve().parent.parent
CLUSTER = """\
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: "y"}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.1.0.5}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: egress-allowlist}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress:
  - {name: storage, action: Accept, to: [{domainNames: ["*.example.com"]}], protocols: [{tcp: {destinationPort: {number: 443}}}]}
  - {name: no-cluster-network, action: Deny, to: [{networks: [10.0.0.0/8]}]}
"""
ALL = {"TCP": [[1, 65535]], "UDP": [[1, 65535]], "SCTP": [[1, 65535]]}
TCP_443 = {"TCP": [[443, 443]], "UDP": [], "SCTP": []}
ALL_BUT_443 = {"TCP": [[1, 442], [444, 65535]], "UDP": [[1, 65535]], "SCTP": [[1, 65535]]}


def run(tmp_path: Path, *args: str):
    (tmp_path / "cluster.yaml").write_text(CLUSTER, encoding="utf-8")
    return CliRunner().invoke(cli, ["matrix", str(tmp_path / "cluster.yaml"), *args], catch_exceptions=False)


def test_json_lists_unknown_ports_apart(tmp_path: Path) -> None:
    data = json.loads(run(tmp_path, "-f", "json").stdout)
    schema = json.loads((REPO / "policylint" / "schemas" / "matrix-v1.schema.json").read_text())
    jsonschema.validate(data, schema)
    connections = {(c["from"], c["to"]): c["ports"] for c in data["connections"]}
    unknown = {(c["from"], c["to"]): c["ports"] for c in data["unknown"]}
    # b's IP is in 10.0.0.0/8: denied for sure, from a and from b itself
    assert ("x/a", "y/b") not in connections and ("x/a", "y/b") not in unknown
    assert ("y/b", "y/b") not in connections and ("y/b", "y/b") not in unknown
    # a's IP is unknown: it may or may not be in 10.0.0.0/8
    assert unknown[("y/b", "x/a")] == ALL and ("y/b", "x/a") not in connections
    assert unknown[("x/a", "x/a")] == ALL
    # outside 10.0.0.0/8: TCP 443 may be the storage domain; the rest is allowed by default
    assert connections[("x/a", "0.0.0.0-9.255.255.255")] == ALL_BUT_443
    assert unknown[("x/a", "0.0.0.0-9.255.255.255")] == TCP_443
    # inside 10.0.0.0/8: denied, except TCP 443, which the domain rule may decide first
    assert ("x/a", "10.0.0.0-10.1.0.4") not in connections
    assert unknown[("x/a", "10.0.0.0-10.1.0.4")] == TCP_443
    # ingress from outside: no cluster-wide rule can match an address, nothing isolates: allowed
    assert connections[("0.0.0.0-9.255.255.255", "x/a")] == ALL


def test_text_has_an_unknown_section(tmp_path: Path) -> None:
    text = run(tmp_path).stdout
    head, _, tail = text.partition("unknown offline")
    assert "x/a" in head
    lines = [" ".join(line.split()) for line in tail.splitlines()[1:]]
    assert "y/b x/a all ports" in lines
    assert "x/a 10.0.0.0-10.1.0.4 TCP 443" in lines


def _json_unknown(tmp_path: Path) -> dict:
    data = json.loads(run(tmp_path, "-f", "json").stdout)
    return {(c["from"], c["to"]): c["ports"] for c in data["unknown"]}


def test_csv_marks_unknown_ports_in_a_column_of_their_own(tmp_path: Path) -> None:
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(run(tmp_path, "-f", "csv").stdout)))
    assert list(rows[0]) == ["from", "to", "tcp", "udp", "sctp", "depends_on_invalid", "pairs", "unknown"]
    unknown = {(r["from"], r["to"]): (r["tcp"], r["udp"], r["sctp"]) for r in rows if r["unknown"] == "true"}
    allowed = {(r["from"], r["to"]) for r in rows if r["unknown"] == "false"}
    # the hand-derived pairs of the JSON test above
    assert unknown[("y/b", "x/a")] == ("1-65535", "1-65535", "1-65535")
    assert unknown[("x/a", "10.0.0.0-10.1.0.4")] == ("443", "", "")
    assert ("x/a", "10.0.0.0-10.1.0.4") not in allowed and ("x/a", "0.0.0.0-9.255.255.255") in allowed
    # one answer in every format: the same pairs as the JSON's `unknown`
    assert set(unknown) == set(_json_unknown(tmp_path))


def test_csv_without_cluster_wide_rules_keeps_seven_columns(tmp_path: Path) -> None:
    (tmp_path / "pods.yaml").write_text(CLUSTER.split("---\napiVersion: policy")[0], encoding="utf-8")
    out = CliRunner().invoke(cli, ["matrix", str(tmp_path / "pods.yaml"), "-f", "csv"]).stdout
    assert out.splitlines()[0] == "from,to,tcp,udp,sctp,depends_on_invalid,pairs"


def test_markdown_and_dot_show_unknown_ports_apart(tmp_path: Path) -> None:
    markdown = run(tmp_path, "-f", "markdown").stdout
    head, _, tail = markdown.partition("**Unknown offline**")
    assert tail, markdown
    assert "| `y/b` | `x/a` | all ports |" in tail and "| `y/b` | `x/a` |" not in head
    assert "| `x/a` | `10.0.0.0-10.1.0.4` | TCP 443 |" in tail
    assert len([line for line in tail.splitlines() if line.startswith("| `")]) == len(_json_unknown(tmp_path))
    dot = run(tmp_path, "-f", "dot").stdout
    assert '"y/b" -> "x/a" [label="unknown: all ports", style="dotted"];' in dot
    assert dot.count('style="dotted"') == len(_json_unknown(tmp_path))


# --aggregate namespace: the same unknown ports, grouped by pair of namespaces. Expected by hand
# from the pairs above: a (namespace x) has no IP, so x->x and y->x may be decided by the networks
# rule on every port; TCP 443 to each of the five external ranges may be the storage domain.
SUMMARY_SCHEMA = json.loads((REPO / "policylint" / "schemas" / "matrix-summary-v1.schema.json").read_text())
EXPECTED_UNKNOWN_GROUPS = {("x", "x"): (ALL, 1), ("x", "(external)"): (TCP_443, 5),
                           ("y", "x"): (ALL, 1), ("y", "(external)"): (TCP_443, 5)}


def test_aggregated_json_lists_unknown_groups_apart(tmp_path: Path) -> None:
    data = json.loads(run(tmp_path, "-f", "json", "--aggregate", "namespace").stdout)
    jsonschema.validate(data, SUMMARY_SCHEMA)
    unknown = {(c["from"], c["to"]): (c["ports"], c["pairs"]) for c in data["unknown"]}
    assert unknown == EXPECTED_UNKNOWN_GROUPS
    assert [(c["from"], c["to"]) for c in data["unknown"]] == list(EXPECTED_UNKNOWN_GROUPS)  # sorted, external last
    connections = {(c["from"], c["to"]): c for c in data["connections"]}
    assert ("x", "x") not in connections and ("y", "x") not in connections
    # the allowed ports outside 10.0.0.0/8 (three ranges: IPv4 below and above it, and IPv6)
    assert connections[("x", "(external)")]["ports"] == ALL_BUT_443 and connections[("x", "(external)")]["pairs"] == 3
    assert data["pairs"] == sum(c["pairs"] for c in data["connections"])  # unknown pairs never counted as allowed


def test_aggregated_unknown_groups_are_the_pair_list_grouped(tmp_path: Path) -> None:
    """One answer in both forms: grouping the pair list's `unknown` by namespace gives the summary's."""
    pairs = json.loads(run(tmp_path, "-f", "json").stdout)
    namespaces = {e["id"]: e.get("namespace") or "(external)" for e in pairs["endpoints"]}
    grouped: dict[tuple[str, str], tuple[set, int]] = {}
    for c in pairs["unknown"]:
        key = (namespaces[c["from"]], namespaces[c["to"]])
        ports, count = grouped.get(key, (set(), 0))
        grouped[key] = (ports | {(p, lo, hi) for p, spans in c["ports"].items() for lo, hi in spans}, count + 1)
    summary = json.loads(run(tmp_path, "-f", "json", "--aggregate", "namespace").stdout)
    assert {(c["from"], c["to"]): c["pairs"] for c in summary["unknown"]} == {k: n for k, (_, n) in grouped.items()}
    for c in summary["unknown"]:  # the five ranges' TCP 443 intervals are equal, so the union is one of them
        spans = grouped[(c["from"], c["to"])][0]
        assert {(p, lo, hi) for p, s in c["ports"].items() for lo, hi in s} == spans


def test_aggregated_human_formats_show_unknown_groups_apart(tmp_path: Path) -> None:
    text = run(tmp_path, "--aggregate", "namespace").stdout
    head, _, tail = text.partition("unknown offline")
    assert tail and "x           (external)  TCP 1-442, 444-65535; UDP all; SCTP all  3" in head
    lines = [" ".join(line.split()) for line in tail.splitlines()[1:]]
    assert lines == ["FROM TO PORTS PAIRS", "x x all ports 1", "x (external) TCP 443 5", "y x all ports 1",
                     "y (external) TCP 443 5"]
    markdown = run(tmp_path, "-f", "markdown", "--aggregate", "namespace").stdout
    _, _, tail = markdown.partition("**Unknown offline**")
    assert "| `x` | `(external)` | TCP 443 | 5 |" in tail and "| `y` | `x` | all ports | 1 |" in tail
    dot = run(tmp_path, "-f", "dot", "--aggregate", "namespace").stdout
    assert '"x" -> "(external)" [label="unknown: TCP 443 (5 pairs)", style="dotted"];' in dot
    assert dot.count('style="dotted"') == len(EXPECTED_UNKNOWN_GROUPS)


def test_aggregated_csv_has_the_unknown_column_only_when_rules_need_it(tmp_path: Path) -> None:
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(run(tmp_path, "-f", "csv", "--aggregate", "namespace").stdout)))
    assert list(rows[0]) == ["from", "to", "tcp", "udp", "sctp", "depends_on_invalid", "pairs", "unknown"]
    assert {(r["from"], r["to"]): int(r["pairs"]) for r in rows if r["unknown"] == "true"} == {
        k: n for k, (_, n) in EXPECTED_UNKNOWN_GROUPS.items()}
    (tmp_path / "pods.yaml").write_text(CLUSTER.split("---\napiVersion: policy")[0], encoding="utf-8")
    out = CliRunner().invoke(cli, ["matrix", str(tmp_path / "pods.yaml"), "-f", "csv", "--aggregate", "namespace"]).stdout
    assert out.splitlines()[0] == "from,to,tcp,udp,sctp,depends_on_invalid,pairs"


def test_graph_formats_mark_unknown_edges(tmp_path: Path) -> None:
    """GraphML and GEXF carry an `unknown` edge attribute, pair by pair and aggregated, read back by
    networkx; a pair with allowed and unknown ports has one edge of each."""
    import networkx as nx

    for fmt, read in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        for extra, expected in (((), set(_json_unknown(tmp_path))), (("--aggregate", "namespace"), set(EXPECTED_UNKNOWN_GROUPS))):
            path = tmp_path / f"m.{fmt}"
            path.write_text(run(tmp_path, "-f", fmt, *extra).stdout, encoding="utf-8")
            graph = read(str(path))
            marked = {(u, v) for u, v, data in graph.edges(data=True) if data.get("unknown") in (True, "true")}
            assert marked == expected, (fmt, extra)
    (tmp_path / "pods.yaml").write_text(CLUSTER.split("---\napiVersion: policy")[0], encoding="utf-8")
    plain = CliRunner().invoke(cli, ["matrix", str(tmp_path / "pods.yaml"), "-f", "graphml"]).stdout
    assert "unknown" not in plain
