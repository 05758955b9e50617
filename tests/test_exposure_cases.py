"""Exposure on hand-derived fixtures (fixtures/exposure): each expected claim below was worked
out from the NetworkPolicy and AdminNetworkPolicy specifications before the program was run; the
comments say how. Claims are compared exactly (a missing and an extra claim both fail), as
(workload, direction, peer in words, ports in words)."""
from __future__ import annotations

import json
import pathlib

import jsonschema
import pytest
from click.testing import CliRunner

from policylint.cli.main import cli
from policylint.engine import Engine
from policylint.exposure import analyse
from tests.strategies import cluster_from_text

REPO = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "exposure"
SCHEMA = json.loads((REPO / "policylint" / "schemas" / "matrix-v1.schema.json").read_text())
EVERYWHERE = "any address in 0.0.0.0/0, ::/0"
ALL = "all ports"

EXPECTED = {
    # trainer-ingress isolates the trainer for ingress only. Rule 1: namespaces with team in
    # (research, data), any pod, on the trainer's own port `http` (8080). Rule 2: pods with a
    # `gpu` label in namespaces without env=prod (ml itself has no `env`, so its gpu pods too)
    # on 9000. Rule 3: role=scraper pods in namespaces without a `sandbox` label on 9090. Rules
    # 4 and 5 contradict themselves (In and NotIn of one value; Exists and DoesNotExist): no
    # exposure. Nothing isolates a new pod's egress (no policy selects it for egress).
    # Egress: the trainer is not isolated; a new pod labelled app=trainer in ml would be
    # selected by trainer-ingress and admits the trainer on no rule (the trainer has no gpu or
    # role label and ml's team is ml), so ml's pods only without that label.
    "operators": {
        ("ml/trainer", "ingress", "any pod in namespaces matching {team in (data, research)}", "TCP 8080"),
        ("ml/trainer", "ingress", "pods matching {gpu} in namespaces matching {env notin (prod)}", "TCP 9000"),
        ("ml/trainer", "ingress", "pods matching {role=scraper} in namespaces matching {!sandbox}", "TCP 9090"),
        ("ml/trainer", "egress", "any pod in any namespace not in the input", ALL),
        ("ml/trainer", "egress", "pods matching {app notin (trainer)} in namespace ml", ALL),
        ("ml/trainer", "egress", EVERYWHERE, ALL),
    },
    # Every pod of namespace data is egress-locked to kube-system DNS, so no pod of data (present
    # or new) reaches anything else, whatever trainer-in admits: its rule naming data by
    # kubernetes.io/metadata.name gives nothing. trainer-in admits any namespace on 6000, ml's
    # app=launcher on 22 (a podSelector-only peer: the policy's own namespace) and namespace
    # staging, which the input does not have, on 7001 (staging's pods get 6000 as well, as pods
    # of a new namespace). Outbound, a new pod labelled app=trainer in ml admits the trainer on
    # 6000 only (any namespace's pods); everything else admits it on every port.
    "namespaces": {
        ("data/loader", "ingress", "any pod in any namespace not in the input", ALL),
        ("data/loader", "ingress", "any pod in namespace ml", ALL),
        ("data/loader", "ingress", EVERYWHERE, ALL),
        ("data/loader", "egress", "any pod in namespace kube-system (not in the input)", "UDP 53"),
        ("ml/trainer", "ingress", "any pod in any namespace not in the input", "TCP 6000"),
        ("ml/trainer", "ingress", "any pod in namespace ml", "TCP 6000"),
        ("ml/trainer", "ingress", "any pod in namespace staging (not in the input)", "TCP 6000, 7001"),
        ("ml/trainer", "ingress", "pods matching {app=launcher} in namespace ml", "TCP 22, 6000"),
        ("ml/trainer", "egress", "any pod in any namespace not in the input", ALL),
        ("ml/trainer", "egress", "any pod in namespace data", ALL),
        ("ml/trainer", "egress", "any pod in namespace ml", "TCP 6000"),
        ("ml/trainer", "egress", "pods matching {app notin (trainer)} in namespace ml", ALL),
        ("ml/trainer", "egress", EVERYWHERE, ALL),
    },
    # The trainer may leave on 443 to every IPv4 address but 10.0.0.0/8 and the metadata address,
    # and on UDP 53 to any pod of any namespace (namespaceSelector {}), which nothing isolates for
    # ingress. Inbound it is not isolated, but a new app=trainer pod in ml would be isolated for
    # egress by the same policy: it reaches the trainer on UDP 53 only.
    "addresses": {
        ("ml/trainer", "ingress", "any pod in any namespace not in the input", ALL),
        ("ml/trainer", "ingress", "any pod in namespace ml", "UDP 53"),
        ("ml/trainer", "ingress", "pods matching {app notin (trainer)} in namespace ml", ALL),
        ("ml/trainer", "ingress", EVERYWHERE, ALL),
        ("ml/trainer", "egress", "any pod in the cluster", "UDP 53"),
        ("ml/trainer", "egress", "any address in 0.0.0.0/0 except 10.0.0.0/8, 169.254.169.254/32", "TCP 443"),
    },
    # Admin tier for namespaces team=ml: env=sandbox denied outright; team=research passed on 8080
    # (to the NetworkPolicy, which admits any namespace on 8080 for the trainer; the notebook has
    # no NetworkPolicy, so the baseline allows research); team=platform allowed on 9100; 8080
    # denied to everyone else. Baseline: research allowed, every other pod denied. Addresses are
    # no namespaces peer: allowed. Outbound, only a pod that is itself a subject (a namespace
    # labelled team=ml) refuses the ml pods (admin no-8080, baseline nobody-else, and the
    # trainer's own NetworkPolicy for app=trainer).
    "tiers": {
        ("ml/notebook", "ingress", "any pod in namespaces matching {env notin (sandbox), team=platform}", "TCP 9100"),
        ("ml/notebook", "ingress", "any pod in namespaces matching {env notin (sandbox), team=research}", ALL),
        ("ml/notebook", "ingress", EVERYWHERE, ALL),
        ("ml/notebook", "egress", "any pod in namespaces matching {team notin (ml)}", ALL),
        ("ml/notebook", "egress", EVERYWHERE, ALL),
        ("ml/trainer", "ingress", "any pod in namespaces matching {env notin (sandbox), team=platform}", "TCP 9100"),
        ("ml/trainer", "ingress", "any pod in namespaces matching {env notin (sandbox), team=research}", "TCP 8080"),
        ("ml/trainer", "egress", "any pod in namespaces matching {team notin (ml)}", ALL),
        ("ml/trainer", "egress", EVERYWHERE, ALL),
    },
}


def claims_of(name: str) -> set[tuple[str, str, str, str]]:
    engine = Engine(cluster_from_text((FIXTURES / f"{name}.yaml").read_text(), f"{name}.yaml"))
    return {(c.endpoint, c.direction, c.peer.describe(), c.ports.describe()) for c in analyse(engine)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_claims_are_as_derived_by_hand(name: str) -> None:
    assert claims_of(name) == EXPECTED[name]


def test_matrix_exposure_json_follows_the_schema_and_focus() -> None:
    runner = CliRunner()
    path = str(FIXTURES / "namespaces.yaml")
    result = runner.invoke(cli, ["matrix", path, "--exposure", "-f", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    assert len(document["exposure"]) == len(EXPECTED["namespaces"])
    staging = [c for c in document["exposure"] if c["peer"].get("namespace") == "staging"]
    assert staging == [{"endpoint": "ml/trainer", "direction": "ingress",
                        "peer": {"kind": "pods", "namespaces": "named", "namespace": "staging",
                                 "namespace_in_input": False, "pod_selector": {}},
                        "description": "any pod in namespace staging (not in the input)",
                        "ports": {"TCP": [[6000, 6000], [7001, 7001]], "UDP": [], "SCTP": []}}]
    # --to: who may reach the trainer; --port keeps the claims that give that port.
    focused = runner.invoke(cli, ["matrix", path, "--exposure", "-f", "json", "--to", "ml/trainer", "--port", "22"])
    assert [c["description"] for c in json.loads(focused.stdout)["exposure"]] == [
        "pods matching {app=launcher} in namespace ml"]
    # --from: what the loader may reach.
    outbound = runner.invoke(cli, ["matrix", path, "--exposure", "-f", "json", "--from", "data/loader"])
    assert {(c["endpoint"], c["direction"]) for c in json.loads(outbound.stdout)["exposure"]} == {("data/loader", "egress")}
    # Without --exposure the document has no such field.
    plain = json.loads(runner.invoke(cli, ["matrix", path, "-f", "json"]).stdout)
    assert "exposure" not in plain


def test_matrix_exposure_text_and_markdown() -> None:
    runner = CliRunner()
    path = str(FIXTURES / "addresses.yaml")
    text = runner.invoke(cli, ["matrix", path, "--exposure", "--from", "ml/trainer"]).stdout
    assert "ml/trainer  to  any address in 0.0.0.0/0 except 10.0.0.0/8, 169.254.169.254/32  TCP 443" in text
    markdown = runner.invoke(cli, ["matrix", path, "--exposure", "-f", "markdown", "--from", "ml/trainer"]).stdout
    assert "| `ml/trainer` | outbound to | `any pod in the cluster` | UDP 53 |" in markdown


def test_exposure_refuses_formats_without_a_place_for_it() -> None:
    result = CliRunner().invoke(cli, ["matrix", str(FIXTURES / "addresses.yaml"), "--exposure", "-f", "csv"])
    assert result.exit_code == 2
    assert "--exposure works with" in result.output


# -- described peers: reach and paths ----------------------------------------------------------

def test_reach_from_a_described_pod_in_a_new_namespace() -> None:
    """A pod labelled app=notebook in a new namespace labelled team=research: the first rule of
    trainer-ingress admits it on the trainer's `http` port (8080), nothing else does (no gpu or
    role label); nothing isolates its egress."""
    result = CliRunner().invoke(cli, ["reach", str(FIXTURES / "operators.yaml"), "--from", "ns:team=research/pod:app=notebook",
                                      "--to", "ml/trainer", "-f", "json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)["results"][0]
    assert answer["allowed"] and answer["ports"] == {"TCP": [[8080, 8080]], "UDP": [], "SCTP": []}


def test_reach_from_a_described_pod_in_an_input_namespace() -> None:
    """In ml (no env label, so env notin (prod) holds) a pod with a gpu label gets rule 2's 9000;
    in a new namespace labelled env=prod it gets nothing (exit 1)."""
    path = str(FIXTURES / "operators.yaml")
    inside = CliRunner().invoke(cli, ["reach", path, "--from", "ns:ml/pod:gpu=a100", "--to", "ml/trainer", "-f", "json"])
    assert json.loads(inside.stdout)["results"][0]["ports"] == {"TCP": [[9000, 9000]], "UDP": [], "SCTP": []}
    prod = CliRunner().invoke(cli, ["reach", path, "--from", "ns:env=prod/pod:gpu=a100", "--to", "ml/trainer"])
    assert prod.exit_code == 1


def test_a_described_peer_that_does_not_parse_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["reach", str(FIXTURES / "operators.yaml"), "--from", "ns:team=research/pod:app",
                                      "--to", "ml/trainer"])
    assert result.exit_code == 2
    assert "must be key=value" in result.output


def test_paths_from_a_described_pod() -> None:
    """A pod of namespace staging, which the input does not have: trainer-in admits staging on
    7001 and every namespace on 6000; the loader is not isolated for ingress. So both are one
    hop away."""
    result = CliRunner().invoke(cli, ["paths", str(FIXTURES / "namespaces.yaml"), "--from", "ns:staging/pod:app=x",
                                      "--max-hops", "1", "-f", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["query"]["from"] == ["ns:staging/pod:app=x"]
    reached = {item["id"] for group in document["groups"] for item in group["endpoints"]} if "groups" in document else None
    text = json.dumps(document)
    assert "data/loader" in text and "ml/trainer" in text, reached


# -- diff -------------------------------------------------------------------------------------

def test_diff_reports_exposure_gained_with_no_such_pod_in_the_input() -> None:
    """The first rule goes from namespaces labelled team in (research, data) to every namespace:
    every pod of every namespace gains the trainer's 8080 (the narrower claims that now also
    list 8080 are said by that one entry). Backwards, the same ports are lost."""
    runner = CliRunner()
    old, new = str(FIXTURES / "diff" / "old.yaml"), str(FIXTURES / "diff" / "new.yaml")
    forward = json.loads(runner.invoke(cli, ["diff", old, new, "-f", "json"]).stdout)
    jsonschema.validate(forward, json.loads((REPO / "policylint" / "schemas" / "diff-v1.schema.json").read_text()))
    assert [(e["change"], e["endpoint"], e["direction"], e["description"], e["new"]) for e in forward["exposure"]] == [
        ("added", "ml/trainer", "ingress", "any pod in the cluster", {"TCP": [[8080, 8080]], "UDP": [], "SCTP": []})]
    backward = json.loads(runner.invoke(cli, ["diff", new, old, "-f", "json"]).stdout)
    assert [(e["change"], e["description"], e["old"]) for e in backward["exposure"]] == [
        ("removed", "any pod in the cluster", {"TCP": [[8080, 8080]], "UDP": [], "SCTP": []})]
    text = runner.invoke(cli, ["diff", old, new]).stdout
    assert "added: any pod in the cluster → ml/trainer: gained TCP 8080" in text
    same = json.loads(runner.invoke(cli, ["diff", old, old, "-f", "json"]).stdout)
    assert "exposure" not in same


def test_fail_on_widened_counts_exposure_gained_when_no_pair_changes(tmp_path: pathlib.Path) -> None:
    """Only ml/trainer is in the input, and it already reaches itself on every port; the change
    opens 8080 from namespaces labelled team=research to every namespace. No pair of the input
    changes, but every pod of another namespace gains 8080: the widening gate fails."""
    head = """\
apiVersion: v1
kind: Pod
metadata: {name: trainer, namespace: ml, labels: {app: trainer}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: trainer-in, namespace: ml}
spec:
  podSelector: {matchLabels: {app: trainer}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {}}]
  - from: [{namespaceSelector: %s}]
    ports: [{port: 8080}]
"""
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "m.yaml").write_text(head % "{matchLabels: {team: research}}", encoding="utf-8")
    (tmp_path / "new" / "m.yaml").write_text(head % "{}", encoding="utf-8")
    runner = CliRunner()
    args = ["diff", str(tmp_path / "old"), str(tmp_path / "new"), "-f", "json"]
    plain = runner.invoke(cli, args)
    assert plain.exit_code == 0, plain.output
    document = json.loads(plain.stdout)
    assert document["connections"] == [] and [e["change"] for e in document["exposure"]] == ["added"]
    gated = runner.invoke(cli, [*args, "--fail-on-widened"])
    assert gated.exit_code == 1, gated.output
    narrowed = runner.invoke(cli, ["diff", str(tmp_path / "new"), str(tmp_path / "old"), "--fail-on-widened"])
    assert narrowed.exit_code == 0, narrowed.output  # exposure lost does not fail the widening gate
