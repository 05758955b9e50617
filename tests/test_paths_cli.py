"""`policylint paths` on a hand-built platform (fixtures/paths/lateral/), expected paths worked out
by hand from the manifests (see the comments in policies.yaml):

- the notebook is open to the internet on TCP 8888, egress not isolated;
- the dashboard is open to the internet on TCP 443, egress isolated to DNS (UDP 53);
- training (ml-workloads, bert Master and Worker) admits ml-platform on TCP 22 and itself;
- the feature store admits ml-workloads on TCP 5000; the registry admits the feature store on 5432;
- CoreDNS admits every namespace on UDP 53.
"""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from policylint.cli.main import cli

REPO = Path(__file__).resolve().parent.parent
LATERAL = "fixtures/paths/lateral"
POLICIES = f"{LATERAL}/policies.yaml"
INTERNET = "0.0.0.0-255.255.255.255"
IPV6 = "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
NOTEBOOK = "ml-platform/notebook[Deployment]"
DASHBOARD = "ml-platform/dashboard[Deployment]"
MASTER = "ml-workloads/bert[PyTorchJob/Master]"
WORKER = "ml-workloads/bert[PyTorchJob/Worker]"
STORE = "data-services/feature-store[Deployment]"
REGISTRY = "data-services/registry[Deployment]"
DNS = "kube-system/coredns[Deployment]"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["paths", LATERAL, *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def run_json(*args: str) -> tuple[int, dict]:
    code, out = run(*args, "--format", "json")
    return code, json.loads(out)


def line_of(text: str, after: str | None = None) -> str:
    """`policies.yaml:N` for the first line holding `text` (after the line holding `after`)."""
    lines = (REPO / POLICIES).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    number = next(i for i, line in enumerate(lines[start:], start + 1) if text in line)
    return f"{POLICIES}:{number}"


def rules(side: dict) -> list[tuple[str, str, str]]:
    return [(r["policy"], r["rule"], r["location"]) for r in side["rules"]]


@pytest.fixture(autouse=True)
def _repo(monkeypatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((resources.files("policylint") / "schemas" / "paths-v1.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_three_hops_from_the_internet_to_the_feature_store(validator) -> None:
    # Nothing outside reaches training or the store directly; the notebook reaches training on 22
    # (not the store: it admits ml-workloads only); training reaches the store on 5000.
    code, doc = run_json("--from", "0.0.0.0/0", "--to", "data-services/feature-store")
    validator.validate(doc)
    assert code == 0
    assert doc["unreached"] == []
    [path] = doc["paths"]
    # Master and Worker are interchangeable here; the first by id stands for both.
    assert [(h["from"], h["to"]) for h in path["hops"]] == [(INTERNET, NOTEBOOK), (NOTEBOOK, MASTER), (MASTER, STORE)]
    assert [h["ports"]["TCP"] for h in path["hops"]] == [[[8888, 8888]], [[22, 22]], [[5000, 5000]]]
    first, second, third = path["hops"]
    assert first["egress"]["state"] == "external"
    assert rules(first["ingress"]) == [("ml-platform/notebook-public", "ingress[0]", line_of("- from:"))]
    assert second["egress"]["state"] == "not-isolated"
    assert rules(second["ingress"]) == [("ml-workloads/training", "ingress[0]", line_of("- from:", "name: training"))]
    assert rules(third["ingress"]) == [("data-services/feature-store", "ingress[0]",
                                         line_of("- from:", "name: feature-store"))]


def test_max_hops_cuts_the_path_and_the_registry_needs_four() -> None:
    code, doc = run_json("--from", "0.0.0.0/0", "--to", "data-services/feature-store", "--max-hops", "2")
    assert code == 1 and doc["paths"] == [] and doc["unreached"] == [STORE]
    code, doc = run_json("--from", "0.0.0.0/0", "--to", "data-services/registry")
    assert code == 0
    assert [h["to"] for h in doc["paths"][0]["hops"]] == [NOTEBOOK, MASTER, STORE, REGISTRY]


def test_egress_isolation_at_the_middle_hop_breaks_the_path() -> None:
    # Training admits the whole ml-platform namespace on 22, the dashboard among it, but the
    # dashboard's own egress only allows DNS.
    code, doc = run_json("--from", DASHBOARD, "--to", "training")
    assert code == 1 and doc["paths"] == [] and doc["unreached"] == [MASTER, WORKER]
    code, doc = run_json("--from", NOTEBOOK, "--to", "training")
    assert code == 0 and [p["to"] for p in doc["paths"]] == [MASTER, WORKER]


def test_port_restricted_hops() -> None:
    # The store's 5000 is not a lateral-movement port: no path on those ports alone.
    code, doc = run_json("--from", "0.0.0.0/0", "--to", "data-services/feature-store", "--port", "lateral")
    assert code == 1 and doc["paths"] == []
    code, doc = run_json("--from", "0.0.0.0/0", "--to", "data-services/feature-store",
                         "--port", "TCP/8888", "--port", "22,TCP/5000")
    assert code == 0 and len(doc["paths"][0]["hops"]) == 3
    # Without 22 the notebook cannot step to training.
    code, doc = run_json("--from", "0.0.0.0/0", "--to", "training", "--port", "TCP/8888", "--port", "TCP/5000")
    assert code == 1
    # Ports of a hop are what the pair allows within the ports asked for.
    code, doc = run_json("--from", NOTEBOOK, "--to", MASTER, "--port", "22", "--port", "80")
    assert doc["paths"][0]["hops"][0]["ports"] == {"TCP": [[22, 22]], "UDP": [], "SCTP": []}


def test_blast_radius_from_the_internet(validator) -> None:
    code, doc = run_json("--from", "0.0.0.0/0", "--max-hops", "2")
    validator.validate(doc)
    assert code == 0 and doc["mode"] == "from" and doc["starts"] == [INTERNET]
    got = {r["endpoint"]: (r["hops"], r["path"]) for r in doc["reachable"]}
    assert got == {
        DASHBOARD: (1, [INTERNET, DASHBOARD]),
        NOTEBOOK: (1, [INTERNET, NOTEBOOK]),
        MASTER: (2, [INTERNET, NOTEBOOK, MASTER]),
        WORKER: (2, [INTERNET, NOTEBOOK, WORKER]),
        # DNS admits pods only; the dashboard (first in order) and the notebook both reach it.
        DNS: (2, [INTERNET, DASHBOARD, DNS]),
        # The notebook's egress is open: the IPv6 internet too.
        IPV6: (2, [INTERNET, NOTEBOOK, IPV6]),
    }
    assert {r["role"]: r["endpoints"] for r in doc["roles"]} == {"dns": [DNS], "training": [MASTER, WORKER]}
    assert {n["namespace"]: n["endpoints"] for n in doc["namespaces"]} == {
        "kube-system": 1, "ml-platform": 2, "ml-workloads": 2, None: 1}


def test_blast_radius_backwards() -> None:
    code, doc = run_json("--to", "data-services/feature-store", "--max-hops", "2")
    assert code == 0 and doc["mode"] == "to"
    got = {r["endpoint"]: r["path"] for r in doc["reachable"]}
    assert got == {NOTEBOOK: [NOTEBOOK, MASTER, STORE], MASTER: [MASTER, STORE], WORKER: [WORKER, STORE]}


def test_role_and_namespace_ends() -> None:
    code, doc = run_json("--from", "role:training", "--to", "data-service")
    assert code == 0 and [(p["from"], p["to"], p["length"]) for p in doc["paths"]] == [(MASTER, STORE, 1)]
    code, doc = run_json("--from", "ml-platform/*", "--to", "data-services/*")
    assert [(p["from"], p["to"], p["length"]) for p in doc["paths"]] == [(NOTEBOOK, STORE, 2), (NOTEBOOK, REGISTRY, 3)]


def test_text_output_names_hops_ports_and_rules() -> None:
    code, out = run("--from", "0.0.0.0/0", "--to", "data-services/feature-store")
    assert code == 0
    assert out.splitlines()[:3] == [
        f"{INTERNET} -> {STORE}: 3 hops",
        f"  1. {INTERNET} -> {NOTEBOOK} on TCP 8888",
        f"       ingress at {NOTEBOOK}: ml-platform/notebook-public ingress[0] ({line_of('- from:')})",
    ]


def test_output_is_deterministic() -> None:
    first = run("--from", "0.0.0.0/0", "--format", "json")
    assert first == run("--from", "0.0.0.0/0", "--format", "json")


@pytest.mark.parametrize("args, message", [
    ((), "give --from, --to or both"),
    (("--from", "0.0.0.0/0", "--chokepoints"), "--chokepoints needs both --from and --to"),
    (("--from", "0.0.0.0/0", "--to", STORE, "--chokepoints", "--max-hops", "3"), "any length"),
    (("--from", "nowhere/x"), "--from 'nowhere/x' matches no endpoint"),
    (("--from", "0.0.0.0/0", "--port", "TCP/99999"), "invalid port"),
])
def test_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = CliRunner().invoke(cli, ["paths", LATERAL, *args], catch_exceptions=False)
    assert result.exit_code == 2 and message in result.stderr


def _readme_examples() -> list[tuple[list[str], str]]:
    """The README's `$ policylint paths fixtures/paths/lateral …` blocks: (arguments, output)."""
    import re
    import shlex

    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```\n\$ (policylint paths fixtures/paths/lateral[^\n]*)\n(.*?)```", text, re.S):
        command, output = block
        found.append((shlex.split(command)[1:], output))
    return found


def test_readme_examples_are_the_real_output() -> None:
    examples = _readme_examples()
    assert len(examples) == 3
    for args, output in examples:
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.stdout == output, args


def test_chokepoints_from_the_internet() -> None:
    """By hand: the dashboard may only ask DNS, so every path to the data services goes through the
    notebook, then through one of the training job's replica types (interchangeable: one group),
    and to the registry through the feature store besides; CoreDNS is reached through the notebook
    or the dashboard, so through no single workload."""
    schema = json.loads((resources.files("policylint") / "schemas" / "chokepoints-v1.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    code, document = run_json("--from", "0.0.0.0/0", "--to", "data-services/*", "--to", DNS, "--chokepoints")
    jsonschema.Draft202012Validator(schema).validate(document)
    assert code == 0
    assert document["chokepoints"] == [
        {"to": STORE, "through": [[NOTEBOOK], [MASTER, WORKER]]},
        {"to": REGISTRY, "through": [[NOTEBOOK], [MASTER, WORKER], [STORE]]},
        {"to": DNS, "through": []},
    ]
    assert document["unreached"] == [] and document["query"]["max_hops"] is None


def test_chokepoints_follow_the_port_constraint() -> None:
    """Over ssh alone (TCP 22) the internet reaches nothing (the notebook takes 8888), and from the
    notebook the training job is the only way to the feature store on ssh or 5000."""
    code, document = run_json("--from", "0.0.0.0/0", "--to", STORE, "--chokepoints", "--port", "TCP/22")
    assert code == 1 and document["chokepoints"] == [] and document["unreached"] == [STORE]
    code, document = run_json("--from", NOTEBOOK, "--to", REGISTRY, "--chokepoints", "--port", "TCP/22",
                              "--port", "TCP/5000", "--port", "TCP/5432")
    assert code == 0 and document["chokepoints"] == [{"to": REGISTRY, "through": [[MASTER, WORKER], [STORE]]}]


def test_a_job_reaches_its_own_replicas() -> None:
    """Training admits itself (policies.yaml): from training to training, Master and Worker each
    get the path from the other, one hop (not "no path": they are the starts, not unreachable)."""
    code, doc = run_json("--from", "training", "--to", "training")
    assert code == 0 and doc["unreached"] == []
    assert [(p["from"], p["to"], p["length"]) for p in doc["paths"]] == [(WORKER, MASTER, 1), (MASTER, WORKER, 1)]
    code, doc = run_json("--from", DASHBOARD, "--from", MASTER, "--to", DASHBOARD, "--to", MASTER)
    assert code == 1 and doc["paths"] == [] and doc["unreached"] == [DASHBOARD, MASTER]


_SHARD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: train}}
spec:
  selector: {{matchLabels: {{app: shard}}}}
  template:
    metadata: {{labels: {{app: shard}}}}
    spec: {{containers: [{{name: c, image: i}}]}}
---
"""
_TWINS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: train}\n---\n" + "".join(
    _SHARD.format(name=name) for name in ("shard-a", "shard-b")) + """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: shards, namespace: train}
spec:
  podSelector: {matchLabels: {app: shard}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: shard}}
"""


def test_workloads_the_engine_cannot_tell_apart_reach_each_other(tmp_path: Path) -> None:
    """Two Deployments with the same pod labels are one class for the engine; each still gets its
    path from the other, never from itself (hand analysis: the policy admits app=shard from
    app=shard on every port)."""
    (tmp_path / "twins.yaml").write_text(_TWINS, encoding="utf-8")
    a, b = "train/shard-a[Deployment]", "train/shard-b[Deployment]"
    result = CliRunner().invoke(cli, ["paths", str(tmp_path), "--from", "train/*", "--to", "train/*", "-f", "json"],
                                catch_exceptions=False)
    doc = json.loads(result.stdout)
    assert result.exit_code == 0 and doc["unreached"] == []
    assert [(p["from"], p["to"], p["length"]) for p in doc["paths"]] == [(b, a, 1), (a, b, 1)]
    result = CliRunner().invoke(cli, ["paths", str(tmp_path), "--from", a, "--to", a, "-f", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 1 and json.loads(result.stdout)["unreached"] == [a]  # no other start


def test_destinations_that_are_starts_are_named_for_chokepoints() -> None:
    """Chokepoints are of every path from the starts: a destination among them is named as such,
    not called unreachable."""
    code, text = run("--from", "training", "--to", "training", "--chokepoints")
    assert code == 1 and "no path" not in text
    assert text == (f"not searched as destinations, since they are starts too: {MASTER}, {WORKER} "
                    "(give one of them alone as --from to see what every path to the others goes through)\n")
