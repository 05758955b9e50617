"""`policylint matrix`: the JSON contract on a hand-derived example, the other formats, filters."""
from __future__ import annotations

import csv
import io
import json
import pathlib
import shutil
import subprocess
import sys

import jsonschema
import pytest
from click.testing import CliRunner

from policylint.cli.main import cli

REPO = pathlib.Path(__file__).resolve().parent.parent
SHOP = "fixtures/engine/shop"
INVALID = "fixtures/engine/invalid"
SCHEMA = json.loads((REPO / "policylint" / "schemas" / "matrix-v1.schema.json").read_text())
SUMMARY_SCHEMA = json.loads((REPO / "policylint" / "schemas" / "matrix-summary-v1.schema.json").read_text())

E1, E2, E3 = "0.0.0.0-9.255.255.255", "10.0.0.0-10.255.255.255", "11.0.0.0-255.255.255.255"
E6 = "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
ALL = {"TCP": [[1, 65535]], "UDP": [[1, 65535]], "SCTP": [[1, 65535]]}


def tcp(first: int, last: int | None = None) -> dict:
    return {"TCP": [[first, first if last is None else last]], "UDP": [], "SCTP": []}


# Derived by hand from fixtures/engine/shop:
# - every shop pod is isolated for ingress (default-deny); web admits anyone on TCP 80; api admits
#   app=web of shop on TCP 8080-8081; db admits app=api on 5432 and pods of namespaces labelled
#   team=ops on its own `metrics` port (TCP 9187).
# - ops/monitor is isolated for egress only: towards pods of namespace shop on the destination's
#   `metrics` port (only db has one: 9187), and anywhere in 10.0.0.0/8 (the external range
#   10.0.0.0-10.255.255.255; no pod has a known IP). Nothing isolates its ingress.
# - External ranges: the only ipBlock cuts IPv4 at 10.0.0.0 and 11.0.0.0; IPv6 stays whole.
EXPECTED_CONNECTIONS = [
    ("ops/monitor", "shop/db", tcp(9187)),
    ("ops/monitor", E2, ALL),
    ("shop/api", "ops/monitor", ALL),
    ("shop/api", "shop/db", tcp(5432)),
    ("shop/api", "shop/web", tcp(80)),
    ("shop/api", E1, ALL), ("shop/api", E2, ALL), ("shop/api", E3, ALL), ("shop/api", E6, ALL),
    ("shop/db", "ops/monitor", ALL),
    ("shop/db", "shop/web", tcp(80)),
    ("shop/db", E1, ALL), ("shop/db", E2, ALL), ("shop/db", E3, ALL), ("shop/db", E6, ALL),
    ("shop/web", "ops/monitor", ALL),
    ("shop/web", "shop/api", tcp(8080, 8081)),
    ("shop/web", "shop/web", tcp(80)),
    ("shop/web", E1, ALL), ("shop/web", E2, ALL), ("shop/web", E3, ALL), ("shop/web", E6, ALL),
    (E1, "ops/monitor", ALL), (E1, "shop/web", tcp(80)),
    (E2, "ops/monitor", ALL), (E2, "shop/web", tcp(80)),
    (E3, "ops/monitor", ALL), (E3, "shop/web", tcp(80)),
    (E6, "ops/monitor", ALL), (E6, "shop/web", tcp(80)),
]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_json_matches_the_hand_derived_matrix_and_the_schema(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run("matrix", SHOP, "--format", "json")
    assert code == 0
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert document["schema"] == "policylint.matrix/v1"
    assert [(c["from"], c["to"], c["ports"]) for c in document["connections"]] == EXPECTED_CONNECTIONS
    assert [e["id"] for e in document["endpoints"]] == ["ops/monitor", "shop/api", "shop/db", "shop/web", E1, E2, E3, E6]
    assert document["endpoints"][0] == {"id": "ops/monitor", "kind": "Pod", "namespace": "ops", "name": "monitor",
                                        "labels": {"app": "monitor"}}
    assert document["endpoints"][4] == {"id": E1, "kind": "External", "cidrs": ["0.0.0.0/5", "8.0.0.0/7"]}
    assert document["endpoints"][5]["cidrs"] == ["10.0.0.0/8"]
    assert not any("depends_on_invalid" in c for c in document["connections"])
    # Byte for byte the same on a second run.
    assert run("matrix", SHOP, "--format", "json")[1] == out


def test_connections_resting_on_invalid_objects_are_marked(monkeypatch) -> None:
    # x/a admits x/b through its valid peer; the empty-cidr peer matches nothing (it never opens
    # x/a to everyone), and x/b -> x/a is marked because x/a's ingress policy is invalid.
    monkeypatch.chdir(REPO)
    code, out, err = run("matrix", INVALID, "--format", "json")
    assert code == 0 and "problem" in err
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    into_a = [c for c in document["connections"] if c["to"] == "x/a"]
    assert into_a == [{"from": "x/b", "to": "x/a", "ports": ALL, "depends_on_invalid": True}]
    assert not any(c.get("depends_on_invalid") for c in document["connections"] if c["to"] != "x/a")


def test_text_table(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run("matrix", SHOP, "--from", "shop/web")
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["FROM", "TO", "PORTS"]
    assert rows[1:] == [
        ["shop/web", "ops/monitor", "all", "ports"],
        ["shop/web", "shop/api", "TCP", "8080-8081"],
        ["shop/web", "shop/web", "TCP", "80"],
        ["shop/web", E1, "all", "ports"], ["shop/web", E2, "all", "ports"],
        ["shop/web", E3, "all", "ports"], ["shop/web", E6, "all", "ports"],
    ]


def test_csv_has_one_row_per_pair(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run("matrix", SHOP, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(EXPECTED_CONNECTIONS)
    web_api = next(r for r in rows if r["from"] == "shop/web" and r["to"] == "shop/api")
    assert web_api == {"from": "shop/web", "to": "shop/api", "tcp": "8080-8081", "udp": "", "sctp": "",
                       "depends_on_invalid": "false", "pairs": "1"}


def test_markdown_table(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run("matrix", SHOP, "--format", "markdown", "--to", "shop/db")
    assert code == 0
    assert out.splitlines() == [
        "| From | To | Ports |",
        "| --- | --- | --- |",
        "| `ops/monitor` | `shop/db` | TCP 9187 |",
        "| `shop/api` | `shop/db` | TCP 5432 |",
    ]


def test_dot_output(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run("matrix", SHOP, "--format", "dot", "--to", "shop/db")
    assert code == 0
    assert out.startswith("digraph policylint {")
    assert '"ops/monitor" -> "shop/db" [label="TCP 9187"];' in out
    assert '"shop/api" -> "shop/db" [label="TCP 5432"];' in out
    assert out.count("->") == 2
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed; the DOT text was checked above")
    rendered = subprocess.run(["dot", "-Tsvg"], input=out, capture_output=True, text=True, check=False)
    assert rendered.returncode == 0, rendered.stderr
    assert "<svg" in rendered.stdout


def test_filters(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    # --port keeps pairs allowed on that port; UDP/53 is open only where everything is.
    _, out, _ = run("matrix", SHOP, "--format", "json", "--port", "TCP/80")
    pairs = [(c["from"], c["to"]) for c in json.loads(out)["connections"]]
    assert pairs == [(s, d) for s, d, p in EXPECTED_CONNECTIONS
                     if p == ALL or (p["TCP"] and p["TCP"][0][0] <= 80 <= p["TCP"][0][1])]
    # --namespace keeps pairs touching a workload of that namespace.
    _, out, _ = run("matrix", SHOP, "--format", "json", "--namespace", "ops")
    document = json.loads(out)
    assert [(c["from"], c["to"]) for c in document["connections"]] == [
        (s, d) for s, d, _ in EXPECTED_CONNECTIONS if "ops/monitor" in (s, d)]
    assert [e["id"] for e in document["endpoints"]] == ["ops/monitor", E1, E2, E3, E6]
    # An address resolves to the external range holding it.
    _, out, _ = run("matrix", SHOP, "--format", "json", "--from", "10.1.2.3")
    assert [(c["from"], c["to"]) for c in json.loads(out)["connections"]] == [(E2, "ops/monitor"), (E2, "shop/web")]


def test_aggregate_by_namespace(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run("matrix", SHOP, "--format", "csv", "--aggregate", "namespace")
    assert code == 0
    rows = {(r["from"], r["to"]): r for r in csv.DictReader(io.StringIO(out))}
    # Counted from EXPECTED_CONNECTIONS: shop -> shop has api->db, api->web, db->web, web->api, web->web.
    assert rows[("shop", "shop")]["pairs"] == "5"
    assert rows[("shop", "shop")]["tcp"] == "80 5432 8080-8081"
    assert rows[("ops", "shop")]["pairs"] == "1"
    assert rows[("(external)", "shop")]["pairs"] == "4"
    assert rows[("shop", "(external)")]["pairs"] == "12"
    assert list(rows) == [("ops", "shop"), ("ops", "(external)"), ("shop", "ops"), ("shop", "shop"),
                          ("shop", "(external)"), ("(external)", "ops"), ("(external)", "shop")]
    # The JSON form is its own contract, policylint.matrix-summary/v1; v1 stays the pair list.
    code, out, _ = run("matrix", SHOP, "--format", "json", "--aggregate", "namespace")
    assert code == 0
    summary = json.loads(out)
    jsonschema.validate(summary, SUMMARY_SCHEMA)
    assert summary["schema"] == "policylint.matrix-summary/v1"
    assert summary["pairs"] == len(EXPECTED_CONNECTIONS)
    assert [(g["id"], g["endpoints"]) for g in summary["groups"]] == [("ops", 1), ("shop", 3), ("(external)", 4)]
    lines = {(c["from"], c["to"]): c for c in summary["connections"]}
    assert list(lines) == list(rows)
    assert lines[("shop", "shop")]["pairs"] == 5
    assert lines[("shop", "shop")]["ports"] == {"TCP": [[80, 80], [5432, 5432], [8080, 8081]], "UDP": [], "SCTP": []}
    assert lines[("shop", "(external)")] == {"from": "shop", "to": "(external)", "ports": ALL, "pairs": 12}


def test_unknown_endpoint_is_a_usage_error_with_close_matches(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, _, err = run("matrix", SHOP, "--from", "shop/wbe")
    assert code == 2
    assert "shop/web" in err and "did you mean" in err


def test_console_entry_point(tmp_path) -> None:
    completed = subprocess.run([sys.executable, "-m", "policylint", "matrix", SHOP, "--format", "json"],
                               cwd=REPO, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert [(c["from"], c["to"], c["ports"]) for c in document["connections"]] == EXPECTED_CONNECTIONS


def test_a_service_names_the_pods_it_selects_in_filters(monkeypatch) -> None:
    # fixtures/engine/services: the Service selects the feature-store Deployment only; the fixed
    # policy admits namespace ml on `http` (8080); nothing else isolates anything. Ports shown are
    # pod ports, as policies see them.
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(cli, ["matrix", "fixtures/engine/services/base.yaml", "fixtures/engine/services/fixed",
                                      "--to", "data-services/feature-store[Service]", "--format", "csv"])
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [["from", "to", "tcp", "udp", "sctp", "depends_on_invalid", "pairs"],
                    ["ml/trainer[Deployment]", "data-services/feature-store[Deployment]", "8080", "", "", "false", "1"]]
