"""Services in the model: defaulting as the API server does, what a Service selects, and where
each Service port lands on each selected workload.

Expected values are worked out by hand from `fixtures/model/services.yaml` and the Service API
reference: `targetPort` defaults to `port` (also when written as 0), `protocol` to TCP; a numeric
targetPort applies to every selected pod, a named one is looked up on each pod by name *and*
protocol; a Service without selector (or with an empty one) or of type ExternalName selects no
pods; a Service only selects pods of its own namespace.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.load import load_paths
from policylint.model import build_cluster

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "model" / "services.yaml"
LINES = FIXTURE.read_text().splitlines()


def line_of(text: str, after: str | None = None) -> int:
    start = 0 if after is None else next(i for i, line in enumerate(LINES) if after in line)
    return next(i for i, line in enumerate(LINES) if i >= start and text in line) + 1


@pytest.fixture(scope="module")
def cluster():
    loaded = load_paths([str(FIXTURE)])
    assert loaded.problems == []
    return build_cluster(loaded.objects)


def test_ports_are_defaulted_as_the_api_server_does(cluster) -> None:
    service = cluster.service("data", "feature-store")
    assert service.id == "data/feature-store[Service]"
    assert service.type == "ClusterIP" and service.selector == (("app", "feature-store"),)
    assert [(p.name, p.port, p.target_port, p.target_port_given, p.protocol) for p in service.ports] == [
        ("http", 80, 8080, True, "TCP"),
        ("grpc", 9000, "grpc", True, "TCP"),
        ("metrics", 9100, 9100, False, "TCP"),  # no targetPort: the port itself
        ("dns", 53, 53, False, "UDP"),  # targetPort 0 is defaulted like an absent one
    ]
    assert [p.source.span.line for p in service.ports] == [
        line_of("- name: http"), line_of("- name: grpc"), line_of("- name: metrics"), line_of("- name: dns")]
    assert service.source.span.line == line_of("apiVersion: v1")
    assert service.port(80) is service.ports[0] and service.port("grpc") is service.ports[1]
    assert service.port(53, "TCP") is None and service.port(53, "UDP") is service.ports[3]


def test_a_service_selects_pods_of_its_own_namespace_only(cluster) -> None:
    service = cluster.service("data", "feature-store")
    assert [w.id for w in cluster.service_pods(service)] == [
        "data/feature-store[Deployment]", "data/feature-store-canary[Deployment]"]
    other = next(w for w in cluster.workloads if w.id == "ml/other-namespace")
    assert cluster.services_of(other) == []
    canary = next(w for w in cluster.workloads if w.id == "data/feature-store-canary[Deployment]")
    assert [s.name for s in cluster.services_of(canary)] == ["feature-store", "broken"]


def test_target_ports_per_workload(cluster) -> None:
    service = cluster.service("data", "feature-store")
    landed = {(t.workload.name, t.port.name): t.pod_port for t in cluster.service_targets(service)}
    assert landed == {
        ("feature-store", "http"): 8080, ("feature-store", "grpc"): 50051,
        ("feature-store", "metrics"): 9100, ("feature-store", "dns"): 53,
        # A number needs no declared container port; the canary declares `grpc` for UDP only,
        # and the Service port is TCP, so the name does not resolve there.
        ("feature-store-canary", "http"): 8080, ("feature-store-canary", "grpc"): None,
        ("feature-store-canary", "metrics"): 9100, ("feature-store-canary", "dns"): 53,
    }


@pytest.mark.parametrize("name", ["by-hand", "empty-selector", "elsewhere"])
def test_services_that_select_no_pods_by_design(cluster, name: str) -> None:
    service = cluster.service("data", name)
    assert not service.selects_pods and cluster.service_pods(service) == []


def test_values_the_api_server_rejects_are_reported_and_dropped(cluster) -> None:
    broken = cluster.service("data", "broken")
    assert [(p.name, p.port, p.target_port) for p in broken.ports] == [("f", 85, "http")]
    issues = sorted((i.span.line, i.field_path, i.message) for i in cluster.issues)
    after = "name: broken"
    assert issues == [
        (line_of("type: Wrong"), "spec.type",
         "Service type 'Wrong' is not one of ClusterIP, NodePort, LoadBalancer, ExternalName"),
        (line_of("{name: a, port: 0}"), "spec.ports[0].port", "Service port 0 must be between 1 and 65535, inclusive"),
        (line_of("{name: b,"), "spec.ports[1].targetPort",
         "targetPort name '8081' must contain at least one letter (a quoted number is a name: write 8081 without quotes)"),
        (line_of("{name: c,"), "spec.ports[2].protocol", "Service port protocol 'tcp' must be TCP, UDP or SCTP"),
        (line_of("{name: d,"), "spec.ports[3].port", "Service `port` must be an integer, not a string"),
        (line_of("{name: e,"), "spec.ports[4].targetPort", "targetPort 70000 must be between 1 and 65535, inclusive"),
        (line_of("- just-a-string", after), "spec.ports[6]", "a Service port must be a mapping, not a string"),
    ]
    assert {i.kind for i in cluster.issues} == {"shape"}
    assert {i.object for i in cluster.issues} == {"Service data/broken"}
