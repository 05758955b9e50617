"""The Service rules' messages, word for word where they name the Service, its ports and the
near misses (the fixtures under fixtures/rules/PL118, PL308, PL309 pin file, line and code)."""
from __future__ import annotations

from pathlib import Path

from policylint.analysis import analyse
from policylint.config import Config

RULES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"


def _findings(case: str, code: str) -> dict[int, str]:
    return {f.line: f.message for f in analyse([str(RULES / code / case)], Config(), select=[code]).findings}


def test_service_port_in_policy_names_the_service_and_its_target_port() -> None:
    found = _findings("service-port-allowed.yaml", "PL308")
    assert found[44] == ("port 80 is the port of Service `data-services/feature-store`, which forwards it to "
                         "targetPort `http` (port 8080 of `data-services/feature-store[Deployment]`); policies see "
                         "the pod's port, so TCP/8080 is not allowed here")
    assert found[61] == ("port 53 is the port of Service `data-services/feature-store`, which forwards it to "
                         "targetPort `dns` (port 5353 of `data-services/feature-store[Deployment]`); policies see "
                         "the pod's port, so UDP/5353 is not allowed here")
    finding = next(f for f in analyse([str(RULES / "PL308" / "service-port-allowed.yaml")], Config(),
                                      select=["PL308"]).findings if f.line == 44)
    assert finding.field_path == "spec.ingress[0].ports[0].port"
    assert [(r.span.line, r.message) for r in finding.related] == [
        (22, "Service data-services/feature-store port TCP/80 -> targetPort http (8080 on "
             "data-services/feature-store[Deployment])")]


def test_undeclared_target_port_says_which_protocol_the_pods_use() -> None:
    found = _findings("undeclared.yaml", "PL309")
    assert found == {
        25: "targetPort `web` of Service port TCP/80: no selected pod declares a TCP container port of that name "
            "(`data-services/feature-store[Deployment]`)",
        28: "targetPort `dns` of Service port TCP/53: no selected pod declares a TCP container port of that name "
            "(`data-services/feature-store[Deployment]`); they declare it for UDP: set `protocol: UDP` on the "
            "Service port",
    }


def test_service_selecting_nothing_names_the_near_misses() -> None:
    found = _findings("selects-nothing.yaml", "PL118")
    assert found == {
        16: "selector `app=featurestore, tier=data` matches no workload of namespace `data-services`; "
            "`data-services/feature-store[Deployment]` has app=feature-store",
        35: "selector `app=feature-store` matches no workload of namespace `ml`; `ml/trainer[Deployment]` has "
            "app=trainer; it would match `data-services/feature-store[Deployment]` in namespace `data-services`, "
            "but a Service only selects pods of its own namespace",
    }
