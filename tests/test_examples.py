"""The bundled examples end to end, through the command line.

`fixtures/examples/` is the seed policy next to a small ML platform (a PyTorchJob labelled
`role: ml-training-pod` in ml-workloads, a data service in data-services, CoreDNS in
kube-system); `check` must report each problem at its line. `fixtures/examples-fixed/` is the
corrected policy set: `check` is clean with every rule, and `matrix` shows the intended
connectivity. Every expected value below is read off the manifests by hand (line numbers of
`seed/ml-training-policy.yaml` as printed in the comments).
"""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from policylint.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "fixtures" / "examples"
FIXED = ROOT / "fixtures" / "examples-fixed"
SEED = "seed/ml-training-policy.yaml"

MASTER = "ml-workloads/bert-pretrain[PyTorchJob/Master]"
WORKER = "ml-workloads/bert-pretrain[PyTorchJob/Worker]"
DATA = "data-services/feature-store[Deployment]"
DNS = "kube-system/coredns[Deployment]"
S3 = "52.216.0.0-52.217.255.255"


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def _findings(*args: str) -> tuple[int, list[dict]]:
    result = _invoke("check", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)["findings"]


def _where(findings: list[dict], base: Path) -> set[tuple[str, int, str]]:
    return {(str(Path(f["file"]).resolve().relative_to(base)), f["line"], f["code"]) for f in findings}


def test_the_seed_example_reports_each_problem_at_its_line() -> None:
    code, findings = _findings(str(EXAMPLES))
    assert code == 1
    found = _where(findings, EXAMPLES)
    required = {
        (SEED, 27, "PL201"),  # cidr: ""
        (SEED, 29, "PL202"),  # except: [""]
        (SEED, 21, "PL110"),  # the podSelector-only peer cannot reach data-services
        (SEED, 21, "PL501"),  # ... so the data service cannot reach the training pods
        (SEED, 19, "PL502"),  # workers cannot reach each other: ingress admits only the data service
        (SEED, 24, "PL502"),  # ... and egress allows only the (invalid) ipBlock
        (SEED, 18, "PL305"),  # Egress isolation without DNS (the policyTypes entry)
    }
    assert required <= found, sorted(required - found)
    # The intent rules and the CIDR rules report exactly this, nothing more:
    ours = {f for f in found if f[2].startswith(("PL2", "PL5"))}
    assert ours == {
        (SEED, 27, "PL201"), (SEED, 29, "PL202"),
        (SEED, 21, "PL501"),  # data service -> training, blocked at the training pods' ingress
        (SEED, 24, "PL501"),  # training -> data service, blocked at the training pods' egress
        (SEED, 19, "PL502"), (SEED, 24, "PL502"),
        (SEED, 24, "PL506"),  # egress-isolated with no route to object storage
    }
    by_key = {(f["line"], f["code"]): f for f in findings if f["file"].endswith(SEED)}
    assert "blocked by ingress at the training pods" in by_key[(21, "PL501")]["message"]
    assert "has no namespaceSelector, so it only matches pods in namespace ml-workloads, not data-services" \
        in by_key[(21, "PL501")]["message"]
    assert "blocked by egress at the training pods" in by_key[(24, "PL501")]["message"]
    assert "(Master -> Worker, Worker -> Master, Worker -> Worker)" in by_key[(19, "PL502")]["message"]


def test_the_seed_example_breaks_the_teams_expectations() -> None:
    config = EXAMPLES / ".policylint.yaml"
    code, findings = _findings("--config", str(config), "--select", "PL500", str(EXAMPLES))
    assert code == 1
    assert {(Path(f["file"]).name, f["line"]) for f in findings} == {
        (".policylint.yaml", 15),  # data service feeds training (5000/TCP)
        (".policylint.yaml", 20),  # training reads the data service (8080/TCP)
        (".policylint.yaml", 24),  # training resolves names
        (".policylint.yaml", 28),  # workers of bert-pretrain reach each other
        (".policylint.yaml", 39),  # training reaches the dataset bucket
    }
    dns = next(f for f in findings if f["line"] == 24)
    assert dns["message"].startswith(f"expectation 'training resolves names' not met: {MASTER} -> {DNS}: ")
    assert ": blocked by egress at " + MASTER + ": egress is isolated by policy ml-workloads/ml-training-communication " \
           "whose peers are all invalid and match nothing (" in dns["message"]
    assert dns["message"].endswith(f"{SEED}:24) (and 1 more of 2 pairs)")
    assert [Path(r["file"]).name for r in dns["related"]][:2] == ["ml-training-policy.yaml", "ml-training-policy.yaml"]


def test_the_fixed_example_is_clean_with_every_rule() -> None:
    for args in ([str(FIXED)], ["--config", str(FIXED / ".policylint.yaml"), str(FIXED)]):
        code, findings = _findings("--fail-on", "info", *args)
        assert (code, findings) == (0, []), [(f["file"], f["line"], f["code"], f["message"]) for f in findings]


def _matrix(folder: Path) -> dict[tuple[str, str], dict]:
    result = _invoke("matrix", str(folder), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # a warning about the invalid parts goes to stderr
    assert data["schema"] == "policylint.matrix/v1"
    return {(c["from"], c["to"]): c["ports"] for c in data["connections"]}


ALL = [[1, 65535]]


def test_the_fixed_example_has_the_intended_connectivity() -> None:
    m = _matrix(FIXED)
    tcp = lambda *ranges: {"TCP": [list(r) for r in ranges], "UDP": [], "SCTP": []}  # noqa: E731
    # the data service pushes shards to the training pods on data-feed only
    assert m[(DATA, MASTER)] == tcp((5000, 5000)) and m[(DATA, WORKER)] == tcp((5000, 5000))
    # the training pods read from the data service on its HTTP port only
    assert m[(MASTER, DATA)] == tcp((8080, 8080)) and m[(WORKER, DATA)] == tcp((8080, 8080))
    # master and workers reach each other on every port of every protocol, both directions
    for pair in ((MASTER, WORKER), (WORKER, MASTER), (WORKER, WORKER)):
        assert m[pair] == {"TCP": ALL, "UDP": ALL, "SCTP": ALL}, pair
    # DNS on 53 over UDP and TCP, from the training pods and the data service
    dns = {"TCP": [[53, 53]], "UDP": [[53, 53]], "SCTP": []}
    assert m[(MASTER, DNS)] == dns and m[(WORKER, DNS)] == dns and m[(DATA, DNS)] == dns
    # the dataset bucket over HTTPS, and nothing else outside the cluster
    assert m[(MASTER, S3)] == tcp((443, 443)) and m[(WORKER, S3)] == tcp((443, 443))
    outside = [k for k in m if k[0] in (MASTER, WORKER) and k[1] not in (MASTER, WORKER, DATA, DNS, S3)]
    assert outside == []
    # nothing reaches the training pods but the data service and the job itself
    assert sorted(src for src, dst in m if dst == WORKER) == sorted([DATA, MASTER, WORKER])
    # the DNS admits the two namespaces only: not itself, not the internet
    assert sorted(src for src, dst in m if dst == DNS) == sorted([DATA, MASTER, WORKER])


def test_the_seed_example_matrix_shows_what_is_broken() -> None:
    m = _matrix(EXAMPLES)
    # the training pods are isolated both ways and their only rules match nothing they need
    for pair in ((DATA, MASTER), (DATA, WORKER), (MASTER, WORKER), (WORKER, MASTER), (WORKER, WORKER),
                 (MASTER, DATA), (MASTER, DNS)):
        assert pair not in m, pair
    assert [k for k in m if k[0] in (MASTER, WORKER)] == []  # no egress at all
