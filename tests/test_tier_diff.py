"""`policylint diff` when a cluster-wide policy changes: the pairs it touches are compared, and
the reasons name the tier rules that decided. Expected changes written by hand from the policies.
"""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from policylint.cli.main import cli

BASE = """\
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {tenant: "true"}}
---
apiVersion: v1
kind: Pod
metadata: {name: prom, namespace: monitoring, labels: {app: prom}}
spec: {containers: [{name: c, image: prom}]}
---
apiVersion: v1
kind: Pod
metadata: {name: trainer, namespace: team-a, labels: {app: trainer}}
spec: {containers: [{name: c, image: trainer, ports: [{name: metrics, containerPort: 9090}]}]}
"""
GUARD = """\
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: deny-monitoring}
spec:
  priority: %d
  subject: {namespaces: {matchLabels: {tenant: "true"}}}
  ingress:
  - {name: deny, action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: allow-metrics}
spec:
  tier: Admin
  priority: 20
  subject: {namespaces: {matchLabels: {tenant: "true"}}}
  ingress:
  - {name: scrape, action: Accept, from: [{namespaces: {}}], protocols: [{destinationNamedPort: metrics}]}
"""


def diff_json(tmp_path: Path, old: str, new: str) -> dict:
    for name, text in (("old", old), ("new", new)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "cluster.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["diff", str(tmp_path / "old"), str(tmp_path / "new"), "-f", "json"],
                                catch_exceptions=False)
    data = json.loads(result.output)
    schema = json.loads((resources.files("policylint") / "schemas" / "diff-v1.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    return data


def test_an_admin_policy_added(tmp_path: Path) -> None:
    data = diff_json(tmp_path, BASE, BASE + GUARD % 10)
    changes = {(c["from"], c["to"]): c for c in data["connections"]}
    # prom -> trainer: everything before; the Deny at priority 10 comes before the Accept at 20
    change = changes[("monitoring/prom", "team-a/trainer")]
    assert change["change"] == "removed"
    assert change["because"]["tier_rules"] == [{
        "policy": "AdminNetworkPolicy deny-monitoring", "rule": "ingress[0]", "name": "deny", "tier": "admin",
        "verdict": "deny", "edited": True, "version": "new", "file": str(tmp_path / "new" / "cluster.yaml"), "line": 26}]
    # trainer -> trainer: the Accept of the metrics port decides 9090, the rest goes on (allowed)
    assert ("team-a/trainer", "team-a/trainer") not in changes
    assert {p["id"] for p in data["policies"]["added"]} == {
        "AdminNetworkPolicy deny-monitoring", "ClusterNetworkPolicy allow-metrics"}


def test_only_a_priority_changes(tmp_path: Path) -> None:
    # Priority 30 puts the Deny after the Accept: prom gains the metrics port.
    data = diff_json(tmp_path, BASE + GUARD % 10, BASE + GUARD % 30)
    [change] = data["connections"]
    assert (change["from"], change["to"], change["change"]) == ("monitoring/prom", "team-a/trainer", "added")
    assert change["new_ports"] == {"TCP": [[9090, 9090]], "UDP": [], "SCTP": []}
    rules = {(r["policy"], r["rule"], r["verdict"], r["version"]) for r in change["because"]["tier_rules"]}
    assert rules == {("ClusterNetworkPolicy allow-metrics", "ingress[0]", "allow", "new"),
                     ("AdminNetworkPolicy deny-monitoring", "ingress[0]", "deny", "old")}
    [edit] = data["policies"]["changed"]
    assert edit["id"] == "AdminNetworkPolicy deny-monitoring"


ISOLATED = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-metrics, namespace: team-a}
spec:
  podSelector: {matchLabels: {app: trainer}}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {}}]
    ports: [{port: 9090}]
"""
DENY_ALL = ISOLATED.replace("""  ingress:
  - from: [{namespaceSelector: {}}]
    ports: [{port: 9090}]
""", "  ingress: []\n")
ACCEPT_ALL = """\
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: monitoring-sees-all}
spec:
  tier: Admin
  priority: 5
  subject: {namespaces: {matchLabels: {tenant: "true"}}}
  ingress:
  - {name: monitoring, action: Accept, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}
"""


def test_ports_an_admin_rule_decides_are_not_blamed_on_networkpolicy_rules(tmp_path: Path) -> None:
    # Before: a NetworkPolicy isolates the trainer and allows nothing in. After: it allows TCP 9090
    # from every namespace, and an admin Accept lets monitoring in on every port. For prom the admin
    # tier decides every port, 9090 included: the NetworkPolicy rule is not why prom gained them.
    data = diff_json(tmp_path, BASE + DENY_ALL, BASE + ISOLATED + ACCEPT_ALL)
    changes = {(c["from"], c["to"]): c for c in data["connections"]}
    change = changes[("monitoring/prom", "team-a/trainer")]
    assert change["change"] == "added"
    assert change["because"]["rules"] == []
    assert [(r["policy"], r["verdict"], r["line"]) for r in change["because"]["tier_rules"]] == [
        ("ClusterNetworkPolicy monitoring-sees-all", "allow", 37)]
    # the trainer to itself: no admin rule applies, so the NetworkPolicy rule is the reason
    own = changes[("team-a/trainer", "team-a/trainer")]
    assert own["change"] == "added" and own["gained_ports"] == {"TCP": [[9090, 9090]], "UDP": [], "SCTP": []}
    assert [(r["policy"], r["rule"]) for r in own["because"]["rules"]] == [("team-a/only-metrics", "ingress[0]")]
    assert own["because"].get("tier_rules", []) == []
