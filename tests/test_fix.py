"""`policylint fix` and `check --fix/--diff/--show-fixes`: hand-written before/after fixtures, the
seed example, the proof that refuses a bad fix, and a property test against the reference evaluator."""
from __future__ import annotations

import ipaddress
import json
import shutil
import tempfile
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings

from policylint.analysis import analyse
from policylint.cli.main import cli
from policylint.config import Config
from policylint.fix import fixers as fixer_module
from policylint.fix.model import SAFE, Fix, Need
from policylint.fix.plan import FixRequest, finding_key, run_fixes
from policylint.fix.text import TextEdit
from tests import reference_evaluator as ref
from tests.strategies import cluster_from_text, clusters

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "fix"
CASES = yaml.safe_load((FIXTURES / "CASES.yaml").read_text(encoding="utf-8"))
REPORT_SCHEMA = json.loads((ROOT / "policylint" / "schemas" / "report-v1.schema.json").read_text(encoding="utf-8"))


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _keys(findings) -> set[tuple]:
    return {finding_key(f) for f in findings}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fix_turns_before_into_the_hand_written_after(case: str, tmp_path: Path) -> None:
    spec = CASES[case]
    target = tmp_path / "policy.yaml"
    shutil.copy(FIXTURES / case / "before.yaml", target)
    before = analyse([str(target)], Config())
    code, output = _run("fix", "--select", ",".join(spec["select"]), str(target))
    assert code == 0, output
    assert target.read_text(encoding="utf-8") == (FIXTURES / case / "after.yaml").read_text(encoding="utf-8")
    assert output.count(" fixed: ") == spec["fixed"], output
    after = analyse([str(target)], Config())
    assert not [f for f in after.findings if f.code in spec["select"]]
    assert _keys(after.findings) <= _keys(before.findings)  # nothing new


def test_diff_changes_nothing_and_shows_the_patch(tmp_path: Path) -> None:
    target = tmp_path / "policy.yaml"
    shutil.copy(FIXTURES / "cidr-host-bits" / "before.yaml", target)
    original = target.read_text(encoding="utf-8")
    code, output = _run("fix", "--diff", str(target))
    assert code == 1
    assert target.read_text(encoding="utf-8") == original
    assert '-            cidr: "10.20.30.40/16"\n+            cidr: "10.20.0.0/16"\n' in output
    assert "-            cidr: 192.168.1.77/24\n+            cidr: 192.168.1.0/24\n" in output
    code, output = _run("check", "--diff", str(target))
    assert code == 1 and target.read_text(encoding="utf-8") == original


def test_seed_example_is_fixed_except_the_address_a_person_must_choose(tmp_path: Path) -> None:
    tree = tmp_path / "examples"
    shutil.copytree(ROOT / "fixtures" / "examples", tree, ignore=shutil.ignore_patterns("pulumi-seed"))
    code, output = _run("check", "--fix", str(tree))
    policy = tree / "seed" / "ml-training-policy.yaml"
    assert policy.read_text(encoding="utf-8") == (FIXTURES / "seed" / "ml-training-policy.yaml").read_text(encoding="utf-8")
    assert code == 1  # the empty CIDR is still an error
    after = analyse([str(tree)], Config())
    errors = sorted((f.code, f.line) for f in after.findings if f.severity.label == "error")
    assert errors == [("PL201", 30), ("PL202", 32)], errors
    # What the hand-corrected example allows for the training job, the fixed seed allows too —
    # except the object store behind the empty ipBlock.
    fixed = analyse([str(ROOT / "fixtures" / "examples-fixed")], Config())
    for cluster_pair in _pairs(fixed.cluster):
        src, dst = cluster_pair
        for protocol, port in (("TCP", 5000), ("TCP", 8080), ("UDP", 53), ("TCP", 53), ("TCP", 23456), ("TCP", 40000)):
            if ref.allowed(fixed.cluster, src, dst, protocol, port):
                mine_src = next(w for w in after.cluster.workloads if w.id == src.id)
                mine_dst = next(w for w in after.cluster.workloads if w.id == dst.id)
                assert ref.allowed(after.cluster, mine_src, mine_dst, protocol, port), (src.id, dst.id, protocol, port)


def _pairs(cluster):
    training = [w for w in cluster.workloads if w.namespace == "ml-workloads"]
    for src in training:
        for dst in cluster.workloads:
            if src is not dst or src.replicas > 1:
                yield src, dst
            if dst not in training:
                yield dst, src


def test_show_fixes_puts_proved_edits_in_json_and_sarif(tmp_path: Path) -> None:
    target = tmp_path / "policy.yaml"
    shutil.copy(FIXTURES / "peer-namespace" / "before.yaml", target)
    code, output = _run("check", "--show-fixes", "-f", "json", str(target))
    document = json.loads(output)
    jsonschema.validate(document, REPORT_SCHEMA)
    fixed = [f for f in document["findings"] if "fix" in f]
    assert [f["code"] for f in fixed] == ["PL110"]
    edits = fixed[0]["fix"]["edits"]
    text = target.read_text(encoding="utf-8")
    lines = text.split("\n")
    (edit,) = edits
    start = sum(len(line) + 1 for line in lines[:edit["start_line"] - 1]) + edit["start_column"] - 1
    end = sum(len(line) + 1 for line in lines[:edit["end_line"] - 1]) + edit["end_column"] - 1
    assert text[:start] + edit["text"] + text[end:] == (FIXTURES / "peer-namespace" / "after.yaml").read_text(encoding="utf-8")
    code, output = _run("check", "--show-fixes", "-f", "sarif", str(target))
    results = json.loads(output)["runs"][0]["results"]
    (with_fix,) = [r for r in results if "fixes" in r]
    change = with_fix["fixes"][0]["artifactChanges"][0]
    assert change["replacements"][0]["insertedContent"]["text"] == edit["text"]
    assert change["replacements"][0]["deletedRegion"]["startLine"] == edit["start_line"]
    code, output = _run("check", "--show-fixes", "-f", "markdown", str(target))
    assert "~~~diff" in output and "+    - namespaceSelector:" in output
    # Without the flag the report is what it always was.
    code, output = _run("check", "-f", "json", str(target))
    assert all("fix" not in f for f in json.loads(output)["findings"])


def test_a_fix_that_widens_more_than_its_need_is_refused(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "policy.yaml"
    shutil.copy(FIXTURES / "peer-namespace" / "before.yaml", target)
    original = target.read_text(encoding="utf-8")

    def too_wide(ctx, finding):  # admits a whole namespace while claiming to need nothing
        start = original.index("    - podSelector:")
        end = original.index("    ports:")
        peer = "    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: monitoring\n"
        return Fix(finding, "allow everything", SAFE, (TextEdit(finding.path, start, end, peer),),
                   (Need(frozenset(), frozenset()),))

    monkeypatch.setitem(fixer_module.FIXERS, "PL110", too_wide)
    code, output = _run("fix", str(target))
    assert "not fixed: allow everything: the edit would allow" in output, output
    assert target.read_text(encoding="utf-8") == original


def test_unsafe_fixes_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "policy.yaml"
    target.write_text((FIXTURES / "replica-type-case" / "before.yaml").read_text(encoding="utf-8").replace(
        "  podSelector:\n    matchLabels:\n      training.kubeflow.org/job-name: llama-ft\n  policyTypes",
        "  podSelector:\n    matchLabels:\n      training.kubeflow.org/replica-type: Master\n  policyTypes"), encoding="utf-8")
    # Lower-casing the policy's own selector isolates the master: it changes which pods the
    # policy holds, which no finding can prove it needs. (PL405 would point out the worker that
    # the policy then leaves unselected; it is not what this test is about.)
    code, output = _run("fix", "--select", "PL116", "--ignore", "PL405", str(target))
    assert "unsafe fix (--unsafe-fixes): lower-case the value: `master`" in output, output
    assert "replica-type: Master" in target.read_text(encoding="utf-8")
    code, output = _run("fix", "--select", "PL116", "--ignore", "PL405", "--unsafe-fixes", str(target))
    assert "replica-type: master" in target.read_text(encoding="utf-8"), output


def test_findings_without_a_fix_say_why(tmp_path: Path) -> None:
    code, output = _run("fix", "--diff", str(ROOT / "fixtures" / "examples" / "seed"))
    assert "PL201 no automatic fix: which addresses the pods should reach is a decision only a person can make" in output


# -- property: safe fixes never widen beyond their need, never remove, never add a finding -------

ADDRESSES = [ipaddress.ip_address(a) for a in ("10.0.0.3", "10.0.0.5", "10.0.1.9", "192.168.5.5", "203.0.113.7",
                                               "fd00::7", "2001:db8::1")]
PORTS = [("TCP", 53), ("UDP", 53), ("TCP", 80), ("TCP", 443), ("UDP", 8080), ("SCTP", 81)]


def _probes(*versions) -> tuple[list, list[tuple[str, int]]]:
    """The fixed addresses and ports, plus the first and last address of every cidr and except and
    every port the manifests of either version mention (a widening can only show there)."""
    addresses, ports = set(ADDRESSES), set(PORTS)
    for generated in versions:
        for network in generated.mentioned_networks():
            addresses.update({network.network_address, network.broadcast_address})
        ports.update((protocol, port) for port in generated.mentioned_ports() if 1 <= port <= 65535
                     for protocol in ("TCP", "UDP", "SCTP"))
    return sorted(addresses, key=lambda a: (a.version, int(a))), sorted(ports)


def _connections(cluster, addresses: list, ports: list[tuple[str, int]]) -> dict[tuple, bool]:
    found = {}
    endpoints = list(cluster.workloads)
    pod_ips = {ip for w in endpoints for ip in w.pod_ips}
    addresses = [a for a in addresses if a not in pod_ips]  # a pod's IP is that pod, not an address
    for src in endpoints + addresses:
        for dst in endpoints + addresses:
            if not (hasattr(src, "id") or hasattr(dst, "id")):
                continue
            for protocol, port in ports:
                found[(_id(src), _id(dst), protocol, port)] = ref.allowed(cluster, src, dst, protocol, port)
    return found


def _id(endpoint) -> str:
    # Each address keeps its own key: one key for all of them would keep only the last one's answer.
    return endpoint.id if hasattr(endpoint, "id") else f"<external> {endpoint}"


@settings(max_examples=40)
@given(clusters(max_pods=4, max_policies=3))
def test_safe_fixes_add_only_what_their_findings_need(generated) -> None:
    text = generated.text()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "cluster.yaml")
        Path(path).write_text(text, encoding="utf-8")
        config = Config()
        before = analyse([path], config)
        outcome = run_fixes(before, config, FixRequest(), lambda files: analyse(files, config))
        new_text = outcome.texts[path][1]
        Path(path).write_text(new_text, encoding="utf-8")
        after = analyse([path], config)
    assert _keys(after.findings) <= _keys(before.findings)
    for fix in outcome.applied:
        assert fix.safety == SAFE
        assert finding_key(fix.finding) not in _keys(after.findings)
    addresses, ports = _probes(generated)
    old = _connections(cluster_from_text(text), addresses, ports)
    new = _connections(cluster_from_text(new_text), addresses, ports)
    needs = [need for fix in outcome.applied for need in fix.needs]
    for key, was in old.items():
        src, dst, protocol, port = key
        assert new[key] or not was, f"lost {key}"
        if new[key] and not was:
            outside = (src.startswith("<external>"), dst.startswith("<external>"))
            assert any(need.allowed(src, dst, *outside).contains(protocol, port) for need in needs), \
                f"gained {key} beyond every need"


# -- generate ---------------------------------------------------------------------------------------

def test_generate_for_a_namespace_allows_exactly_what_the_job_needs(tmp_path: Path) -> None:
    examples = ROOT / "fixtures" / "examples"
    code, output = _run("generate", str(examples / "seed"), str(examples / "ml-platform"),
                        "--for-namespace", "ml-workloads", "-o", str(tmp_path / "generated.yaml"))
    assert code == 1, output  # the object store is not known (below)
    generated = (tmp_path / "generated.yaml").read_text(encoding="utf-8")
    assert generated == (FIXTURES / "generate" / "ml-workloads.yaml").read_text(encoding="utf-8")
    assert "replaces: NetworkPolicy ml-workloads/ml-training-communication" in output
    assert "not met by the generated policies: PL506" in output
    # Judged by hand, with the reference evaluator: the platform with the seed policy replaced.
    shutil.copytree(examples / "ml-platform", tmp_path / "platform")
    seed = (examples / "seed" / "ml-training-policy.yaml").read_text(encoding="utf-8")
    (tmp_path / "platform" / "namespace.yaml").write_text(seed.split("---")[0], encoding="utf-8")
    analysis = analyse([str(tmp_path / "platform"), str(tmp_path / "generated.yaml")], Config())
    # Only the object store is left: which one the job uses needs the config (PL506 storage-cidrs).
    assert [f.code for f in analysis.findings if f.code.startswith("PL5") or f.code == "PL305"] == ["PL506"]
    cluster = analysis.cluster
    w = {x.id: x for x in cluster.workloads}
    master, worker = w["ml-workloads/bert-pretrain[PyTorchJob/Master]"], w["ml-workloads/bert-pretrain[PyTorchJob/Worker]"]
    dns, store = w["kube-system/coredns[Deployment]"], w["data-services/feature-store[Deployment]"]
    for a, b in ((master, worker), (worker, master), (worker, worker)):
        for protocol, port in (("TCP", 23456), ("TCP", 40000), ("UDP", 9999)):
            assert ref.allowed(cluster, a, b, protocol, port)
    for pod in (master, worker):
        assert ref.allowed(cluster, pod, dns, "UDP", 53) and ref.allowed(cluster, pod, dns, "TCP", 53)
        assert not ref.allowed(cluster, pod, dns, "TCP", 80)
        assert ref.allowed(cluster, pod, store, "TCP", 8080)
        assert not ref.allowed(cluster, pod, store, "TCP", 5000)
        assert not ref.allowed(cluster, store, pod, "TCP", 5000)
        assert not ref.allowed(cluster, dns, pod, "UDP", 53)
        assert not ref.allowed(cluster, pod, ipaddress.ip_address("52.216.1.1"), "TCP", 443)


def test_generate_for_a_job_names_what_it_cannot_meet(tmp_path: Path) -> None:
    code, output = _run("generate", str(ROOT / "fixtures" / "examples"), "--job", "ml-workloads/bert-pretrain")
    assert code == 1
    assert "name: bert-pretrain-default-deny" in output
    assert "training.kubeflow.org/job-name: bert-pretrain" in output
    # The existing policy's ingress peer (no namespaceSelector) still keeps the data service out:
    # that is a change to that policy (PL110's fix), not something a new policy can undo.
    assert "not met by the generated policies: PL501 the data service" in output
    code, output = _run("generate", str(ROOT / "fixtures" / "examples"), "--job", "ml-workloads/nope")
    assert code == 2 and "is not in the input" in output


def test_generate_adds_the_object_store_the_config_names(tmp_path: Path) -> None:
    config = tmp_path / "policylint.yaml"
    config.write_text("rules:\n  PL506: {storage-cidrs: [52.216.0.0/15]}\n", encoding="utf-8")
    code, output = _run("generate", str(ROOT / "fixtures" / "examples"), "--for-namespace", "ml-workloads",
                        "--config", str(config))
    assert code == 0, output
    assert ("    - to:\n        - ipBlock:\n            cidr: 52.216.0.0/15\n      ports:\n"
            "        - protocol: TCP\n          port: 443\n") in output
    # The seed's empty CIDR is not fixed, but its message points at the configured range.
    code, output = _run("fix", "--diff", "--config", str(config), str(ROOT / "fixtures" / "examples" / "seed"))
    assert "the config names the object storage range 52.216.0.0/15 (PL506 storage-cidrs)" in output


def test_pulumi_findings_get_the_change_as_text_and_no_edit() -> None:
    program = ROOT / "fixtures" / "examples" / "pulumi-seed"
    before = (program / "__main__.py").read_text(encoding="utf-8")
    code, output = _run("fix", "--pulumi", str(program), str(ROOT / "fixtures" / "examples" / "ml-platform"))
    assert code == 0
    assert ("PL110 no automatic fix: add a namespaceSelector for `data-services` to the peer, in the same entry "
            "as its podSelector; not edited automatically in a Pulumi program: add "
            '`{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "data-services"}}}`') in output
    assert (program / "__main__.py").read_text(encoding="utf-8") == before


def test_generate_meets_the_configs_expectations() -> None:
    examples = ROOT / "fixtures" / "examples"
    code, output = _run("generate", str(examples), "--for-namespace", "ml-workloads",
                        "--config", str(examples / ".policylint.yaml"))
    assert code == 0, output
    expected = (FIXTURES / "generate" / "ml-workloads-expectations.yaml").read_text(encoding="utf-8")
    assert output.startswith(expected), output
    assert "allows: add policies that open what the expectation `data service feeds training` needs (for PL500)" in output
    assert "not met" not in output and "beyond the needs" not in output


def test_sarif_with_fixes_is_valid_sarif(tmp_path: Path) -> None:
    from tests.test_report_sarif import SARIF_SCHEMA

    if not SARIF_SCHEMA.is_file():
        pytest.skip("the official SARIF 2.1.0 schema is not next to the repository (shared/schemas/)")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    tree = tmp_path / "examples"
    shutil.copytree(ROOT / "fixtures" / "examples", tree, ignore=shutil.ignore_patterns("pulumi-seed"))
    code, output = _run("check", "--show-fixes", "-f", "sarif", str(tree))
    document = json.loads(output)
    jsonschema.Draft4Validator(schema).validate(document)
    fixed = [r for r in document["runs"][0]["results"] if "fixes" in r]
    assert {r["ruleId"] for r in fixed} == {"PL110", "PL305", "PL501", "PL502"}


def test_the_diff_cannot_act_on_a_terminal_or_a_ci_log(tmp_path: Path) -> None:
    target = tmp_path / "policy.yaml"
    # YAML admits no C0 control character, but a comment may hold format characters (a bidi
    # override) and text that a CI runner reads as a command.
    hostile = (FIXTURES / "cidr-host-bits" / "before.yaml").read_text(encoding="utf-8").replace(
        "        - ipBlock:\n            cidr: \"10", "        - ipBlock:\n::add-mask::secret \u202e\n            cidr: \"10")
    hostile = hostile.replace("::add-mask", "# ::add-mask").replace("\n# ::add-mask", "\n            # ::add-mask")
    target.write_text(hostile, encoding="utf-8")
    code, output = _run("fix", "--diff", str(target))
    assert code == 1, output
    assert "\u202e" not in output and "\\u202e" in output
    assert not any(line.lstrip(" +-").startswith("::") for line in output.splitlines())
    assert '+            cidr: "10.20.0.0/16"' in output  # ordinary lines stay as they are
