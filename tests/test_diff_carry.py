"""diff's second version takes over the findings of rules that cannot differ (diff/carry.py).

Every case compares the new version's findings with and without the carrying: they must be
equal, position for position. Random versions (the same workloads, the policies rewritten) put a
training job and a data service among random policies, some of which select their pods; a hand
case makes a carried finding's policy move down one line, and others check that the rules are
indeed carried when nothing they read changed, and run again when it did.
"""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from policylint.config import Config
from policylint.diff.carry import CarryOver
from policylint.diff.sides import Side, analyse_side
from policylint.load.reuse import ParsedFiles
from tests.strategies import LABEL_KEYS, LABEL_VALUES, GenCluster, _policy_doc, clusters, dump_all

TRAINING = ("PL501", "PL502", "PL503")
RULES = (*TRAINING, "PL110")

pod_labels = st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=2)


def _job(namespace: str, master: dict, worker: dict) -> dict:
    def replicas(count: int, labels: dict) -> dict:
        return {"replicas": count, "template": {"metadata": {"labels": labels}, "spec": {"containers": [
            {"name": "pytorch", "image": "example/train:1", "ports": [{"containerPort": 23456}]}]}}}

    return {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
            "metadata": {"name": "train", "namespace": namespace, "annotations": {"policylint.io/needs": "data-service"}},
            "spec": {"pytorchReplicaSpecs": {"Master": replicas(1, master), "Worker": replicas(2, worker)}}}


def _data_service(namespace: str, labels: dict) -> dict:
    labels = {**labels, "role": "data-service-pod"}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "store", "namespace": namespace},
            "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
                "containers": [{"name": "s", "image": "example/store:1", "ports": [{"containerPort": 8080}]}]}}}}


def _write(folder: Path, objects: list[dict], policies: list[dict]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "objects.yaml").write_text(dump_all(objects))
    (folder / "policies.yaml").write_text(dump_all(policies) if policies else "")
    return str(folder)


def _sides(old: str, new: str, carry: bool, select=RULES) -> tuple[Side, Side, CarryOver | None]:
    config, parsed = Config(), ParsedFiles()
    a = analyse_side(old, [old], config, select=select, parsed=parsed, keep_raw=True)
    carried = CarryOver(a.analysis, parsed) if carry else None
    b = analyse_side(new, [new], config, select=select, parsed=parsed, carry=carried)
    return a, b, carried


def _compare(old: str, new: str, select=RULES) -> list[str]:
    """The new version's findings with and without carrying (which must be equal); the codes whose
    findings were all carried."""
    config, parsed = Config(), ParsedFiles()
    first = analyse_side(old, [old], config, select=select, parsed=parsed, keep_raw=True)
    carried = CarryOver(first.analysis, parsed)
    with_carry = analyse_side(new, [new], config, select=select, parsed=parsed, carry=carried)
    without = analyse_side(new, [new], config, select=select, parsed=parsed)
    assert with_carry.findings == without.findings
    assert [(f.span, f.related) for f in with_carry.findings] == [(f.span, f.related) for f in without.findings]
    return carried.carried


@st.composite
def versions(draw):
    a, b = draw(clusters(max_pods=3, max_policies=4)), draw(clusters(max_pods=1, max_policies=4))
    namespace = a.namespaces[0]["metadata"]["name"] if a.namespaces else "x"
    extra = [_job(namespace, draw(pod_labels), draw(pod_labels)), _data_service(draw(st.sampled_from(["x", "y"])),
                                                                                  draw(pod_labels))]
    objects = list(a.namespaces) + list(a.workloads) + extra
    new_policies = draw(st.sampled_from([b.policies, a.policies[:-1], a.policies[1:], a.policies + b.policies[:1],
                                         b.policies[:1] + a.policies]))
    docs = [[d for d in (_policy_doc(p, False) for p in policies) if d is not None]
            for policies in (a.policies, new_policies)]
    return objects, docs[0], docs[1]


@settings(max_examples=25, deadline=None)
@given(versions())
def test_random_versions_find_the_same_with_and_without_carrying(tmp_path_factory, case):
    objects, old_policies, new_policies = case
    root = tmp_path_factory.mktemp("carry")
    _compare(_write(root / "old", objects, old_policies), _write(root / "new", objects, new_policies))


# -- hand cases ---------------------------------------------------------------------------------

NAMESPACES = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in ("ml", "data", "kube-system")]
DNS_POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "coredns", "namespace": "kube-system",
                                                           "labels": {"k8s-app": "kube-dns"}},
           "spec": {"containers": [{"name": "c", "image": "coredns:1"}]}}
OBJECTS = NAMESPACES + [DNS_POD, _job("ml", {"app": "a"}, {"app": "a"}), _data_service("data", {})]


def _dns_policy(ports: list[dict]) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "allow-dns", "namespace": "kube-system"},
            "spec": {"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"namespaceSelector": {}}], "ports": ports}]}}


DENY_ML = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": "deny-ingress", "namespace": "ml"},
           "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}


def _line_of(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


def test_a_change_to_a_policy_of_other_pods_is_carried(tmp_path):
    """The DNS policy's port changes (same length of text): the training rules are taken over."""
    old = _write(tmp_path / "old", OBJECTS, [_dns_policy([{"port": 53, "protocol": "UDP"}]), DENY_ML])
    new = _write(tmp_path / "new", OBJECTS, [_dns_policy([{"port": 54, "protocol": "UDP"}]), DENY_ML])
    assert _compare(old, new) == list(TRAINING)
    _, side, _ = _sides(old, new, True)
    blocked = [f for f in side.findings if f.code == "PL502"]
    assert blocked and blocked[0].span.path == str(tmp_path / "new" / "policies.yaml")


def test_a_carried_finding_whose_policy_moved_down_a_line_is_not_carried(tmp_path):
    """One more port in the DNS policy moves the deny policy, which PL502 points at, two lines down:
    the old finding's place is no longer the same, so the rule runs again and points at the new line."""
    old = _write(tmp_path / "old", OBJECTS, [_dns_policy([{"port": 53, "protocol": "UDP"}]), DENY_ML])
    new = _write(tmp_path / "new", OBJECTS, [_dns_policy([{"port": 53, "protocol": "UDP"},
                                                          {"port": 53, "protocol": "TCP"}]), DENY_ML])
    old_side, side, carried = _sides(old, new, True)
    assert carried is not None and "PL502" not in carried.carried
    text = (tmp_path / "new" / "policies.yaml").read_text()
    old_text = (tmp_path / "old" / "policies.yaml").read_text()
    # the deny policy's policyTypes entry, two lines lower than in the old file
    line, old_line = (_line_of(t, "  name: deny-ingress") + 5 for t in (text, old_text))
    assert text.splitlines()[line - 1].strip() == old_text.splitlines()[old_line - 1].strip() == "- Ingress"
    assert line == old_line + 2
    blocked = [f for f in side.findings if f.code == "PL502"]
    assert blocked and blocked[0].span.line == line
    assert [f.span.line for f in old_side.findings if f.code == "PL502"][0] == old_line
    assert "PL502" not in _compare(old, new)


def test_a_change_to_a_policy_selecting_training_pods_runs_the_rules_again(tmp_path):
    old = _write(tmp_path / "old", OBJECTS, [_dns_policy([{"port": 53, "protocol": "UDP"}]), DENY_ML])
    opened = {**DENY_ML, "spec": {**DENY_ML["spec"], "ingress": [{"from": [{"podSelector": {}}]}]}}
    new = _write(tmp_path / "new", OBJECTS, [_dns_policy([{"port": 53, "protocol": "UDP"}]), opened])
    assert _compare(old, new) == []
    _, side, _ = _sides(old, new, True)
    old_side, _, _ = _sides(old, new, False)
    assert [f for f in old_side.findings if f.code == "PL502"]
    assert not [f for f in side.findings if f.code == "PL502"]  # the job's pods now admit each other


def test_a_change_to_another_object_runs_the_rules_again(tmp_path):
    """A workload changed (here an unrelated pod's image): nothing is carried, whatever the policies."""
    policies = [_dns_policy([{"port": 53, "protocol": "UDP"}]), DENY_ML]
    other = {**DNS_POD, "spec": {"containers": [{"name": "c", "image": "coredns:2"}]}}
    old = _write(tmp_path / "old", OBJECTS, policies)
    new = _write(tmp_path / "new", NAMESPACES + [other] + OBJECTS[len(NAMESPACES) + 1:], policies)
    assert _compare(old, new) == []


def test_policies_in_another_order_run_the_rules_again(tmp_path):
    """No policy changed, but an explanation lists policies in the order of the input."""
    dns = _dns_policy([{"port": 53, "protocol": "UDP"}])
    old = _write(tmp_path / "old", OBJECTS, [dns, DENY_ML])
    new = _write(tmp_path / "new", OBJECTS, [DENY_ML, dns])
    assert _compare(old, new) == []


def _mistaken(name: str, namespace: str, port: int, role: str = "data-service-pod") -> dict:
    """A policy whose podSelector-only peer names the data service's pods from another namespace (PL110)."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": namespace},
            "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                     "egress": [{"to": [{"podSelector": {"matchLabels": {"role": role}}}], "ports": [{"port": port}]}]}}


def test_a_policy_local_rule_is_carried_for_the_policies_left_alone(tmp_path):
    """PL110 on three policies; the first changes its port, the second its peer (to a label no pod
    has: no finding any more), both with text of the same length; the third does not change: its
    finding is taken over, the others are checked again; all as without carrying."""
    old = _write(tmp_path / "old", OBJECTS, [_mistaken("a", "ml", 8080), _mistaken("c", "ml", 8080),
                                             _mistaken("b", "kube-system", 8080)])
    new = _write(tmp_path / "new", OBJECTS, [_mistaken("a", "ml", 8081), _mistaken("c", "ml", 8080, "data-service-pox"),
                                             _mistaken("b", "kube-system", 8080)])
    assert "PL110" not in _compare(old, new)
    _, side, carried = _sides(old, new, True)
    assert carried is not None and carried.carried_policies["PL110"] == 1
    assert [f.object for f in side.findings if f.code == "PL110"] == ["NetworkPolicy ml/a", "NetworkPolicy kube-system/b"]
    assert all(f.span.path == str(tmp_path / "new" / "policies.yaml") for f in side.findings)


def test_a_policy_local_rule_is_checked_again_where_its_policy_moved(tmp_path):
    """The first policy grows by two lines: the second, unchanged, is further down, so its finding
    is not taken over; it points at its new line."""
    old = _write(tmp_path / "old", OBJECTS, [_mistaken("a", "ml", 8080), _mistaken("b", "kube-system", 8080)])
    grown = _mistaken("a", "ml", 8080)
    grown["spec"]["egress"][0]["ports"].append({"port": 9090, "protocol": "TCP"})
    new = _write(tmp_path / "new", OBJECTS, [grown, _mistaken("b", "kube-system", 8080)])
    _compare(old, new)
    _, side, carried = _sides(old, new, True)
    assert carried is not None and carried.carried_policies["PL110"] == 0
    text = (tmp_path / "new" / "policies.yaml").read_text()
    line = [f.span.line for f in side.findings if f.object == "NetworkPolicy kube-system/b"][0]
    assert line > _line_of(text, "  name: b") and text.splitlines()[line - 1].strip().startswith("- podSelector")
