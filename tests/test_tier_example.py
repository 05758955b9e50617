"""The ML-platform example with cluster-wide policies (fixtures/tiers/ml-platform): `reach`
explains a denied and an allowed pair through the tiers, naming the tier, policy, rule and line.

Expected lines were written from the fixture by hand: the metadata Deny is egress[0]
`no-cloud-metadata` at cluster-guardrails.yaml:25, the scrape Allow is ingress[0]
`monitoring-scrapes-metrics` at :16, the baseline's tenant Deny is egress[1] at :62; the training
job's NetworkPolicy is training.yaml:40.
"""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from policylint.cli.main import cli

EXAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "tiers" / "ml-platform"
WORKER = "team-nlp/bert-pretrain[PyTorchJob/Worker]"
GUARDRAILS = f"{EXAMPLE}/cluster-guardrails.yaml"


def reach(*args: str):
    return CliRunner().invoke(cli, ["reach", str(EXAMPLE), *args], catch_exceptions=False)


def test_metadata_endpoint_denied_by_the_admin_tier() -> None:
    result = reach("--from", WORKER, "--to", "169.254.169.254", "--port", "80")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{WORKER} -> 169.254.169.254-169.254.169.254 TCP/80: denied"
    assert lines[1] == f"  egress at {WORKER}: denied"
    assert lines[2] == (f"    admin tier: AdminNetworkPolicy tenant-guardrails (admin tier, priority 10) egress[0] "
                        f"'no-cloud-metadata' ({GUARDRAILS}:25) denies all ports via to[0] networks "
                        f"169.254.169.254/32, fd00:ec2::254/128 ({GUARDRAILS}:28)")


def test_monitoring_allowed_by_the_admin_tier_over_the_networkpolicy() -> None:
    result = reach("--from", "monitoring/prometheus", "--to", WORKER, "--port", "9090")
    assert result.exit_code == 0
    assert f"  ingress at {WORKER}: allowed" in result.output
    assert (f"    admin tier: AdminNetworkPolicy tenant-guardrails (admin tier, priority 10) ingress[0] "
            f"'monitoring-scrapes-metrics' ({GUARDRAILS}:16) allows TCP 9090 via from[0] namespaces "
            f"kubernetes.io/metadata.name=monitoring ({GUARDRAILS}:19)") in result.output
    # the named port `metrics` is 9090 on the worker: nothing else is allowed
    assert result.output.splitlines()[-1] == "allowed for this pair: TCP 9090"


def test_tenant_to_tenant_denied_by_the_baseline_and_by_the_networkpolicy() -> None:
    result = reach("--from", "team-vision/notebook", "--to", WORKER, "--port", "9090")
    assert result.exit_code == 1
    text = result.output
    # egress: no NetworkPolicy in team-vision, so the baseline decides
    assert ("    networkpolicy tier: no NetworkPolicy isolates this side: handed on to the baseline tier\n"
            "    baseline tier: BaselineAdminNetworkPolicy default (baseline tier) egress[1] 'default-deny-to-tenants' "
            f"({GUARDRAILS}:62) denies all ports") in text
    # ingress: the job's NetworkPolicy isolates the worker and decides before the baseline
    assert ("    networkpolicy tier: isolated by 1 policy, which decides what was handed down: denied\n"
            f"      policy team-nlp/bert-pretrain-peers ({EXAMPLE}/training.yaml:40)") in text


def test_json_carries_the_verdict() -> None:
    result = reach("--from", "team-vision/notebook", "--to", "data-services/feature-store", "--port", "8080", "-f", "json")
    data = json.loads(result.output)
    items = data if isinstance(data, list) else data.get("results", [data])
    assert items[0]["verdict"] == "allowed"


def test_json_names_the_deciding_rule() -> None:
    result = reach("--from", WORKER, "--to", "169.254.169.254", "--port", "80", "-f", "json")
    data = json.loads(result.stdout)
    items = data if isinstance(data, list) else data.get("results", [data])
    tiers = items[0]["egress"]["tiers"]
    assert tiers["admin"] == [{
        "tier": "admin", "policy": "AdminNetworkPolicy tenant-guardrails", "rule": "egress[0] 'no-cloud-metadata'",
        "verdict": "deny", "ports": {"TCP": [[1, 65535]], "UDP": [[1, 65535]], "SCTP": [[1, 65535]]},
        "location": f"{GUARDRAILS}:25", "peer": "networks 169.254.169.254/32, fd00:ec2::254/128"}]
    assert tiers["handed_down"] == {"TCP": [], "UDP": [], "SCTP": []}
    assert items[0]["verdict"] == "denied"
