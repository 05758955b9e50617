"""The rules that compare policies with workloads and with each other (PL110-PL113, PL115, PL305,
PL306, PL401-PL405): what the fixture harness (lines and codes) cannot see — examples as complete
manifests, severities and options, messages — and property tests that check the redundancy and
DNS answers against the literal reference evaluator.
"""
from __future__ import annotations

import ipaddress
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given

from policylint.analysis import analyse, registry
from policylint.config import Config, load_config
from policylint.engine import Engine
from policylint.findings import Severity
from policylint.model.types import EGRESS, INGRESS, LabelSelector, NetworkPolicy, Requirement, Source, Workload
from policylint.rule_api import ClusterFacts, RuleContext
from policylint.rules import _subsumption as sub
from policylint.rules._dns import view
from tests import reference_evaluator as ref
from tests.strategies import LABEL_KEYS, LABEL_VALUES, NAME_LABEL, cluster_from_text, clusters, selector

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "rules"
CODES = ("PL110", "PL111", "PL112", "PL113", "PL115", "PL305", "PL306", "PL401", "PL402", "PL403", "PL404", "PL405")
WORKLOAD_KINDS = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "PyTorchJob"}
CLUSTER_SCOPED = {"Namespace"}


def _yaml_block(doc: str, after: str) -> str:
    tail = doc[doc.index(after):]
    match = re.search(r"```yaml\n(.*?)```", tail, re.S)
    assert match, f"no yaml block after {after!r}"
    return match.group(1)


def _run(path: Path, code: str, config: Config | None = None) -> list:
    return analyse([str(path)], config or Config(), select=[code, "PL005"]).findings


# -- documentation -------------------------------------------------------------------------------

@pytest.mark.parametrize("code", CODES)
def test_examples_are_complete_multi_document_manifests(code: str) -> None:
    doc = registry()[code].doc
    for heading in ("## Example", "Use instead:"):
        documents = [d for d in yaml.safe_load_all(_yaml_block(doc, heading)) if d is not None]
        kinds = [d["kind"] for d in documents]
        assert "Namespace" in kinds and "NetworkPolicy" in kinds, (code, heading, kinds)
        assert WORKLOAD_KINDS & set(kinds), f"{code} {heading}: no workload in {kinds}"
        for document in documents:
            assert document["apiVersion"] and document["metadata"]["name"], (code, document)
            if document["kind"] not in CLUSTER_SCOPED:
                assert document["metadata"]["namespace"], (code, document)


@pytest.mark.parametrize("code", CODES)
def test_example_findings_are_the_rules_own(code: str, tmp_path: Path) -> None:
    doc = registry()[code].doc
    path = tmp_path / "example.yaml"
    path.write_text(_yaml_block(doc, "## Example"), encoding="utf-8")
    found = _run(path, code)
    assert found and {f.code for f in found} == {code}, [f.message for f in found]
    path.write_text(_yaml_block(doc, "Use instead:"), encoding="utf-8")
    assert _run(path, code) == []


@pytest.mark.parametrize("code", CODES)
def test_options_are_documented(code: str) -> None:
    spec = registry()[code]
    assert set(spec.options) == set(spec.defaults)
    options = spec.doc.split("## Options", 1)[-1] if spec.options else ""
    for option in spec.defaults:
        assert f"`{option}`" in options, f"{code}: option {option!r} is not documented"


@pytest.mark.parametrize("code", CODES)
def test_messages_are_short_lower_case_and_unpunctuated(code: str) -> None:
    messages = []
    for case in sorted((FIXTURES / code).iterdir()):
        if case.name.startswith("."):
            continue
        config_file = case / ".policylint.yaml" if case.is_dir() else None
        config = load_config(config_file if config_file and config_file.exists() else None)
        messages += [f.message for f in analyse([str(case)], config, select=[code]).findings]
    assert messages, "the fixtures produce no finding"
    for message in messages:
        assert message[0] == message[0].lower() and not message.endswith(".") and "\n" not in message, message
        assert "`" in message, f"the offending value is not quoted: {message}"


def test_seed_example_gets_egress_without_dns() -> None:
    findings = analyse([str(ROOT / "fixtures" / "examples" / "seed")], Config(), select=["PL305"]).findings
    assert [(f.code, f.line) for f in findings] == [("PL305", 18)]
    assert "role=ml-training-pod" in findings[0].message and "(none in the input)" in findings[0].message


# -- PL110 severity --------------------------------------------------------------------------------

PL110_CASE = FIXTURES / "PL110"


def test_pl110_is_an_error_when_the_policy_namespace_is_known() -> None:
    findings = _run(PL110_CASE / "namespace-known.yaml", "PL110")
    assert findings and {f.severity for f in findings} == {Severity.ERROR}


def test_pl110_is_a_warning_when_the_policy_namespace_has_no_workload() -> None:
    findings = _run(PL110_CASE / "seed-data-service-elsewhere", "PL110")
    assert findings and {f.severity for f in findings} == {Severity.WARNING}
    assert "kubernetes.io/metadata.name: data" in findings[0].message
    assert [r.span.line for r in findings[0].related] == [12]  # the Deployment's pod labels


@pytest.mark.parametrize(("config", "expected"), [
    (Config(rule_options={"PL110": {"error-when-namespace-known": False}}), Severity.WARNING),
    (Config(severity={"PL110": Severity.INFO}), Severity.INFO),
])
def test_pl110_escalation_can_be_turned_off(config: Config, expected: Severity) -> None:
    findings = _run(PL110_CASE / "namespace-known.yaml", "PL110", config)
    assert findings and {f.severity for f in findings} == {expected}


# -- selector containment (PL401-PL403) ----------------------------------------------------------

SOURCE = Source(None, "", "")
# Every label set over the strategies' vocabulary (each key absent or one of the values).
UNIVERSE = [dict(pair for pair in combination if pair is not None) for combination in itertools.product(
    *[[(key, value) for value in LABEL_VALUES] + [None] for key in LABEL_KEYS + ["missing"]])]


def _selector(doc: dict[str, Any]) -> LabelSelector:
    labels = tuple((doc.get("matchLabels") or {}).items())
    expressions = tuple(Requirement(e["key"], e["operator"], tuple(e.get("values", ()))) for e in doc.get("matchExpressions", ()))
    return LabelSelector(labels, expressions, True, SOURCE)


def _satisfies(constraints: sub.Constraints, labels: dict[str, str]) -> bool:
    for key, c in constraints.items():
        present = key in labels
        if c.absent and present or c.required and not present:
            return False
        if present and c.allowed is not None and labels[key] not in c.allowed:
            return False
        if present and labels[key] in c.forbidden:
            return False
    return True


valid_selectors = selector(allow_invalid=False).map(lambda pair: _selector(pair[0]))


@given(valid_selectors)
def test_constraints_mean_what_the_selector_means(s: LabelSelector) -> None:
    c = sub.constraints(s)
    for labels in UNIVERSE:
        expected = ref.selector_matches(s, labels)
        assert (c is not None and _satisfies(c, labels)) == expected, (s, labels)


@given(valid_selectors, valid_selectors)
def test_implies_is_sound(a: LabelSelector, b: LabelSelector) -> None:
    ca, cb = sub.constraints(a), sub.constraints(b)
    if ca is None or cb is None or not sub.implies(ca, cb):
        return
    for labels in UNIVERSE:
        assert not ref.selector_matches(a, labels) or ref.selector_matches(b, labels), (a, b, labels)


@given(valid_selectors, valid_selectors)
def test_equal_canonical_forms_match_the_same_labels(a: LabelSelector, b: LabelSelector) -> None:
    ca, cb = sub.constraints(a), sub.constraints(b)
    if ca is None or cb is None or sub.canonical(ca) != sub.canonical(cb):
        return
    assert all(ref.selector_matches(a, labels) == ref.selector_matches(b, labels) for labels in UNIVERSE)


@given(valid_selectors)
def test_split_cases_cover_the_selector_exactly(s: LabelSelector) -> None:
    c = sub.constraints(s)
    if c is None:
        return
    cases = sub.split(c)
    assert cases is not None
    for labels in UNIVERSE:
        assert _satisfies(c, labels) == any(_satisfies(case, labels) for case in cases)


def test_implies_examples() -> None:
    def c(doc: dict[str, Any]) -> sub.Constraints:
        result = sub.constraints(_selector(doc))
        assert result is not None
        return result

    app_a = c({"matchLabels": {"app": "a"}})
    assert sub.implies(app_a, c({}))
    assert sub.implies(app_a, c({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]}))
    assert sub.implies(app_a, c({"matchExpressions": [{"key": "app", "operator": "Exists"}]}))
    assert sub.implies(app_a, c({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["b"]}]}))
    assert not sub.implies(app_a, c({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}))
    assert not sub.implies(c({"matchExpressions": [{"key": "app", "operator": "Exists"}]}), app_a)
    assert not sub.implies(c({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}),
                           c({"matchLabels": {"app": "b"}}))
    assert sub.implies(c({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}),
                       c({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["x"]}]}))
    assert sub.constraints(_selector({"matchLabels": {"app": "a"},
                                      "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]})) is None


# -- redundancy against the reference evaluator --------------------------------------------------

PORTS = [1, 53, 54, 80, 81, 100, 443, 444, 8080, 8081, 30000, 65535]
PROTOCOLS = ["TCP", "UDP", "SCTP"]


def _context(cluster, code: str, facts: ClusterFacts = ClusterFacts()) -> RuleContext:
    engine = Engine(cluster)
    spec = registry()[code]
    return RuleContext(spec, spec.severity, cluster, [], lambda: engine, facts)


def _ports(generated) -> list[int]:
    """The fixed probes, and every port and endPort the manifests mention with its neighbours:
    a range such as 85-90 or a named port's number is probed whatever the fixed list holds."""
    found = set(PORTS)
    for port in generated.mentioned_ports():
        found.update({port - 1, port, port + 1})
    return sorted(p for p in found if 1 <= p <= 65535)


def _addresses(generated) -> list:
    found = {ipaddress.ip_address(a) for a in ("10.0.0.1", "10.0.0.5", "10.0.1.7", "192.168.0.1", "8.8.8.8", "fd00::1", "2001:db8::1")}
    for network in generated.mentioned_networks():
        first, last = int(network.network_address), int(network.broadcast_address)
        top = 2 ** network.max_prefixlen - 1
        for value in (first, last, first + 1, last - 1, first - 1, last + 1):
            if 0 <= value <= top:
                found.add(ipaddress.ip_address(value) if network.version == 4 else ipaddress.IPv6Address(value))
    return sorted(found, key=lambda a: (a.version, int(a)))


def _allows(cluster, policy: NetworkPolicy, rule, other, dst, protocol: str, port: int) -> bool:
    return ref.rule_matches_peer(cluster, policy, rule, other) and ref.rule_matches_port(rule, dst, protocol, port)


def _rule_is_covered(cluster, policy: NetworkPolicy, rule, others, peers: list, pods: list[Workload],
                     ports: list[int]) -> bool:
    """Everything `rule` allows (towards any pod of the input as the selected side) is allowed by `others`."""
    for other in peers:
        for pod in pods:
            dst = pod if rule.direction == INGRESS else other
            for protocol, port in itertools.product(PROTOCOLS, ports):
                if _allows(cluster, policy, rule, other, dst, protocol, port) and not any(
                        _allows(cluster, policy, o, other, dst, protocol, port) for o in others):
                    return False
    return True


def _reported_ids(findings) -> set[str]:
    return {f.object.split(" ", 1)[1] for f in findings}


@given(clusters(max_pods=4, max_policies=4))
def test_redundant_rules_are_covered_by_the_rules_left(generated) -> None:
    cluster = cluster_from_text(generated.text())
    ctx = _context(cluster, "PL401")
    from policylint.rules import pl401_redundant_rule as pl401

    peers = list(cluster.workloads) + _addresses(generated)
    ports = _ports(generated)
    for policy in cluster.policies:
        findings = list(pl401.check(ctx, policy, {}))
        reported = {f.field_path for f in findings}
        for direction in policy.policy_types:
            rules = policy.rules(direction)
            left = [r for r in rules if r.source.field_path not in reported]
            for rule in rules:
                if rule.source.field_path in reported:
                    assert _rule_is_covered(cluster, policy, rule, left, peers, list(cluster.workloads), ports), (
                        policy.id, rule.source.field_path, [f.message for f in findings])


@given(clusters(max_pods=4, max_policies=5))
def test_redundant_policies_can_all_be_deleted(generated) -> None:
    cluster = cluster_from_text(generated.text())
    ctx = _context(cluster, "PL402")
    from policylint.rules import pl402_redundant_policy as pl402

    reported = _reported_ids(pl402.check(ctx, cluster, {}))
    engine = ctx.engine
    left = [p for p in cluster.policies if p.id not in reported and not engine.compiled(p).invalid_parts]
    peers = list(cluster.workloads) + _addresses(generated)
    ports = _ports(generated)
    for policy in cluster.policies:
        if policy.id not in reported:
            continue
        for pod in cluster.workloads:
            if not ref.policy_selects(cluster, policy, pod):
                continue
            for direction in policy.policy_types:
                keeping = [p for p in left if ref.policy_selects(cluster, p, pod) and direction in p.policy_types]
                assert keeping, f"{policy.id} isolates {pod.id} for {direction} alone"
                for rule in policy.rules(direction):
                    for other in peers:
                        dst = pod if direction == INGRESS else other
                        for protocol, port in itertools.product(PROTOCOLS, ports):
                            if _allows(cluster, policy, rule, other, dst, protocol, port):
                                assert any(_allows(cluster, p, r, other, dst, protocol, port)
                                           for p in keeping for r in p.rules(direction)), (policy.id, pod.id, other)


# -- DNS reachability against the reference evaluator --------------------------------------------

DNS_FACTS = ClusterFacts(dns_namespace_labels=((NAME_LABEL, "x"),), dns_pod_labels=(("app", "a"),))


def _block_holds_an_address(block) -> bool:
    """Whether any address is left of the block's cidr once its `except` entries are taken out:
    a block whose excepts cover the whole cidr matches nothing, so it cannot carry DNS."""
    if block.network is None:
        return False
    left = [block.network]
    for entry in block.excepts:
        if entry.network is None:
            return False  # an unparseable except makes the whole block invalid
        cut = entry.network
        remaining = []
        for net in left:
            if net.version != cut.version or not net.overlaps(cut):
                remaining.append(net)
            elif cut.subnet_of(net):
                remaining.extend(net.address_exclude(cut))
            # else: `net` lies inside `cut` and is removed whole
        left = remaining
    return bool(left)


@given(clusters(max_pods=5, max_policies=4))
def test_dns_protocols_agree_with_the_reference(generated) -> None:
    cluster = cluster_from_text(generated.text())
    ctx = _context(cluster, "PL305", DNS_FACTS)
    dns = view(ctx)
    engine = ctx.engine
    dns_pods = [w for w in cluster.workloads if w.namespace == "x" and w.labels.get("app") == "a"]
    assert sorted(e.workload.id for e in dns.endpoints) == sorted(w.id for w in dns_pods)
    for pod in cluster.workloads:
        endpoint = engine.endpoint_of(pod)
        if not engine.isolated(endpoint, EGRESS):
            continue
        expected = set()
        for protocol in ("UDP", "TCP"):
            if any(ref.side_allows(cluster, pod, EGRESS, d, d, protocol, 53) for d in dns_pods):
                expected.add(protocol)
            isolating = [p for p in cluster.policies if ref.policy_selects(cluster, p, pod) and p.isolates(EGRESS)]
            for policy in isolating:
                for rule in policy.egress:
                    blocks = [peer for peer in rule.peers if peer.valid and peer.ip_block is not None
                              and peer.pod_selector is None and peer.namespace_selector is None
                              and peer.ip_block.valid and _block_holds_an_address(peer.ip_block)]
                    address = ipaddress.ip_address("203.0.113.1")
                    if blocks and ref.rule_matches_port(rule, address, protocol, 53):
                        expected.add(protocol)
        if dns_pods:  # without DNS pods the stand-in is used: the fixtures cover it
            assert set(dns.atom_protocols(endpoint.atom)) == expected, (pod.id, expected)


# -- the large-input contract: no pairwise work --------------------------------------------------

def test_rules_run_on_a_thousand_workloads_without_pairs(tmp_path: Path) -> None:
    """Not a timing test: a cluster with many identical workloads gives one finding per policy,
    which only holds if findings are computed per policy or per class, never per pair."""
    docs = []
    for i in range(300):
        docs.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": f"w{i}", "namespace": "ml", "labels": {"role": "ml-training-pod"}},
                     "spec": {"containers": [{"name": "c", "image": "c"}]}})
    docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "p", "namespace": "ml"},
                 "spec": {"podSelector": {}, "policyTypes": ["Egress"]}})
    path = tmp_path / "many.yaml"
    from tests.strategies import dump_all

    path.write_text(dump_all(docs), encoding="utf-8")
    findings = analyse([str(path)], Config(), select=["PL305"]).findings
    assert len(findings) == 1 and "and 297 more" in findings[0].message
