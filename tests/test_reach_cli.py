"""`policylint reach`: verdicts, exit codes and explanations that point at file:line."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

from click.testing import CliRunner

from policylint.cli.main import cli

REPO = pathlib.Path(__file__).resolve().parent.parent
SEED = "fixtures/examples/seed/ml-training-policy.yaml"
ML = "fixtures/engine/ml"
SHOP = "fixtures/engine/shop"
POLICIES = "fixtures/engine/shop/policies.yaml"
MASTER = "ml-workloads/resnet-train[PyTorchJob/Master]"
WORKER = "ml-workloads/resnet-train[PyTorchJob/Worker]"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def seed_line(text: str) -> int:
    """1-based line of the first line of the seed file containing `text`."""
    lines = (REPO / SEED).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_seed_data_service_cannot_reach_training_pods(monkeypatch) -> None:
    # The seed's only ingress peer is `podSelector: {role: data-service-pod}` without a
    # namespaceSelector: it matches pods of ml-workloads only, and the data service lives in
    # namespace `data`. Both replica types of the job are isolated by the seed policy -> denied.
    monkeypatch.chdir(REPO)
    code, out, _ = run("reach", SEED, ML, "--from", "data/feature-store", "--to", "ml-workloads/resnet-train",
                       "--port", "23456")
    assert code == 1
    policy_line = seed_line("apiVersion: networking.k8s.io/v1")
    rule_line = seed_line("- from:")
    peer_line = seed_line("- podSelector:")
    for target in (MASTER, WORKER):
        assert f"data/feature-store[Deployment] -> {target} TCP/23456: denied" in out
    assert out.count(f"policy ml-workloads/ml-training-communication ({SEED}:{policy_line})") == 2
    assert f"ingress[0] ({SEED}:{rule_line}): no peer matches" in out
    assert (f"from[0] podSelector role=data-service-pod ({SEED}:{peer_line}): a podSelector without "
            "namespaceSelector only matches pods in the policy's namespace ml-workloads; "
            "data/feature-store[Deployment] is in namespace data") in out
    assert "0 of 2 pairs allowed" in out


def test_seed_json(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run("reach", SEED, ML, "--from", "data/feature-store[Deployment]", "--to", MASTER,
                       "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["schema"] == "policylint.reach/v1" and document["allowed"] is False
    result, = document["results"]
    assert (result["from"], result["to"], result["protocol"], result["port"]) == (
        "data/feature-store[Deployment]", MASTER, None, None)
    assert result["egress"]["isolated"] is False and result["egress"]["allowed"] is True
    ingress = result["ingress"]
    assert ingress["isolated"] is True and ingress["allowed"] is False
    assert ingress["policies"] == [{"id": "ml-workloads/ml-training-communication",
                                    "location": f"{SEED}:{seed_line('apiVersion: networking.k8s.io/v1')}"}]
    peer, = ingress["rules"][0]["peers"]
    assert peer["matches"] is False
    assert peer["location"] == f"{SEED}:{seed_line('- podSelector:')}"
    # The seed's invalid parts are in its egress rule: they do not bear on the ingress side.
    assert ingress["invalid"] == [] and ingress["invalid_may_cause"] is False


def test_training_pods_cannot_reach_each_other_because_of_the_invalid_egress_block(monkeypatch) -> None:
    # The seed policy isolates the training pods for egress, and its only egress peer has
    # `cidr: ""`: it matches nothing, so even master -> worker is denied on the egress side,
    # and the explanation says the invalid part may be the cause.
    monkeypatch.chdir(REPO)
    code, out, _ = run("reach", SEED, ML, "--from", MASTER, "--to", WORKER, "--format", "json")
    assert code == 1
    result, = json.loads(out)["results"]
    egress = result["egress"]
    assert egress["isolated"] is True and egress["allowed"] is False
    assert egress["invalid"] == [{"policy": "ml-workloads/ml-training-communication", "parts": ["spec.egress[0].to[0]"]}]
    assert egress["invalid_may_cause"] is True
    assert result["depends_on_invalid"] is True


def test_allowed_pair_names_the_policy_rule_and_peer(monkeypatch) -> None:
    # allow-api (policies.yaml line 22) admits app=web of shop on TCP 8080-8081 through its rule
    # ingress[0] (line 31) and peer from[0] (line 32); web's egress is not isolated.
    monkeypatch.chdir(REPO)
    code, out, _ = run("reach", SHOP, "--from", "shop/web", "--to", "shop/api", "--port", "8081")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "shop/web -> shop/api TCP/8081: allowed"
    assert f"    policy shop/allow-api ({POLICIES}:22)" in lines
    assert (f"      ingress[0] ({POLICIES}:31): allows via podSelector app=web ({POLICIES}:32): "
            "TCP/8081 is among its ports") in lines
    assert f"    policy shop/default-deny ({POLICIES}:1)" in lines
    assert "      no ingress rules: denies all ingress" in lines
    assert lines[-1] == "allowed for this pair: TCP 8080-8081"


def test_port_outside_the_range_is_denied(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run("reach", SHOP, "--from", "shop/web", "--to", "shop/api", "--port", "8082")
    assert code == 1
    assert f"      ingress[0] ({POLICIES}:31): peer matches but its ports (TCP 8080-8081) do not include TCP/8082" in out
    code, out, _ = run("reach", SHOP, "--from", "shop/web", "--to", "shop/api", "--port", "8080", "--protocol", "udp")
    assert code == 1 and "UDP/8080: denied" in out


def test_named_port_and_namespace_selector(monkeypatch) -> None:
    # monitor -> db on 9187: monitor's egress allows shop pods on the destination's `metrics`
    # port (db: 9187); db's ingress rule ingress[1] (line 52) admits namespaces labelled team=ops.
    monkeypatch.chdir(REPO)
    code, out, _ = run("reach", SHOP, "--from", "ops/monitor", "--to", "shop/db", "--port", "TCP/9187")
    assert code == 0
    assert f"ingress[1] ({POLICIES}:52): allows via namespaceSelector team=ops ({POLICIES}:53)" in out
    code, out, _ = run("reach", SHOP, "--from", "ops/monitor", "--to", "shop/api", "--port", "9187")
    assert code == 1
    assert "named port TCP/metrics is not a container port of shop/api" in out


def test_external_addresses(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run("reach", SHOP, "--from", "203.0.113.7", "--to", "shop/web", "--port", "80")
    assert code == 0
    assert "egress at 11.0.0.0-255.255.255.255: an external address: no policy applies" in out
    code, out, _ = run("reach", SHOP, "--from", "ops/monitor", "--to", "8.8.8.8")
    assert code == 1
    code, _, err = run("reach", SHOP, "--from", "8.8.8.8", "--to", "1.1.1.1")
    assert code == 2 and "external" in err


def test_unknown_endpoint_lists_close_matches(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = run("reach", SEED, ML, "--from", "data/feature-stor", "--to", MASTER)
    assert code == 2 and out == ""
    assert "--from 'data/feature-stor' matches no endpoint" in err
    assert "data/feature-store" in err


def test_through_python_dash_m() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "policylint", "reach", SEED, ML, "--from", "data/feature-store", "--to", MASTER,
         "--port", "23456"],
        cwd=REPO, capture_output=True, text=True, check=False)
    assert completed.returncode == 1, completed.stderr
    assert f"from[0] podSelector role=data-service-pod ({SEED}:{seed_line('- podSelector:')})" in completed.stdout


def test_every_data_service_in_the_examples_is_denied_by_the_seed(monkeypatch) -> None:
    # Whatever workloads fixtures/examples/ holds next to the seed: every data-service pod outside
    # ml-workloads must be denied towards every pod the seed policy isolates, and the explanation
    # must point at the seed's podSelector-only peer.
    import pytest

    from policylint.engine import Engine
    from policylint.load import load_paths
    from policylint.model import build_cluster

    monkeypatch.chdir(REPO)
    engine = Engine(build_cluster(load_paths(["fixtures/examples"]).objects))
    data = [e for e in engine.endpoints
            if e.labels.get("role") == "data-service-pod" and e.namespace != "ml-workloads"]
    seed = next(p for p in engine.cluster.policies if p.id == "ml-workloads/ml-training-communication")
    training = [engine.endpoint_of(w) for w in engine.selected_by(seed)]
    assert data and training, "fixtures/examples/ must hold a data service and training pods next to the seed"
    for src in data:
        for dst in training:
            code, out, _ = run("reach", "fixtures/examples", "--from", src.id, "--to", dst.id)
            assert code == 1, out
            assert f"from[0] podSelector role=data-service-pod ({SEED}:{seed_line('- podSelector:')})" in out


# -- a Service as the destination ------------------------------------------------------------------

SERVICES = "fixtures/engine/services"
STORE = "data-services/feature-store[Service]"


def test_service_port_is_translated_to_the_pod_port(monkeypatch) -> None:
    # base.yaml: Service port 80 -> targetPort `http`, which the pods declare as 8080. The broken
    # policy allows 80 only: policies see 8080, so the trainer is denied; the fixed one allows
    # `http` (8080) and the same question is answered "allowed".
    monkeypatch.chdir(REPO)
    code, out, _ = run("reach", f"{SERVICES}/base.yaml", f"{SERVICES}/broken", "--from", "ml/trainer",
                       "--to", STORE, "--port", "80")
    assert code == 1
    assert out.splitlines()[:2] == [
        f"via Service {STORE} port TCP/80 ({SERVICES}/base.yaml:29): targetPort http -> pod port TCP/8080",
        "ml/trainer[Deployment] -> data-services/feature-store[Deployment] TCP/8080: denied"]
    assert "peer matches but its ports (TCP 80) do not include TCP/8080" in out
    code, out, _ = run("reach", f"{SERVICES}/base.yaml", f"{SERVICES}/fixed", "--from", "ml/trainer",
                       "--to", STORE, "--port", "80")
    assert code == 0 and "TCP/8080: allowed" in out


def test_every_service_port_without_port_and_an_unresolved_name(monkeypatch) -> None:
    # Port 9000 -> targetPort `grpc`, which no pod declares: no endpoint, so denied whatever the
    # policies say.
    monkeypatch.chdir(REPO)
    code, out, _ = run("reach", f"{SERVICES}/base.yaml", f"{SERVICES}/fixed", "--from", "ml/trainer",
                       "--to", STORE, "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert [(r["service"]["port"], r["port"], r["allowed"]) for r in document["results"]] == [
        (80, 8080, True), (9000, None, False)]
    assert document["results"][1]["unresolved_target_port"] is True
    assert document["results"][0]["service"] == {"id": STORE, "protocol": "TCP", "port": 80, "target_port": "http",
                                                 "location": f"{SERVICES}/base.yaml:29"}


def test_a_port_the_service_does_not_have_is_a_usage_error(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, _, err = run("reach", f"{SERVICES}/base.yaml", "--from", "ml/trainer", "--to", STORE, "--port", "8080")
    assert code == 2
    assert f"--to {STORE} has no port 8080" in err and "--port is the Service's port" in err


def test_a_service_as_source_and_an_unknown_service(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run("reach", f"{SERVICES}/base.yaml", "--from", STORE, "--to", "ml/trainer", "--port", "22")
    assert code == 0 and out.startswith("data-services/feature-store[Deployment] -> ml/trainer[Deployment] TCP/22: allowed")
    code, _, err = run("reach", f"{SERVICES}/base.yaml", "--from", "data-services/feature-stor[Service]",
                       "--to", "ml/trainer")
    assert code == 2 and f"did you mean {STORE}" in err
