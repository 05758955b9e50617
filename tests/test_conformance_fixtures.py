"""Well-formedness checks for the NetworkPolicy conformance fixtures.

These tests only check that the fixture files are complete and consistent; they do not
evaluate connectivity (that is the engine's job, wired up separately through
``load_cases`` / ``step_manifests``).
"""
from __future__ import annotations

import ipaddress
import pathlib
import re
from collections import Counter
from typing import Any, Iterator

import pytest

if __package__:
    from . import conformance_cases as cc
else:  # tests/ is not a package: pytest puts this directory on sys.path
    import conformance_cases as cc

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
ROOT = REPO_ROOT / "fixtures" / "conformance"
UPSTREAM_FILE = "test/e2e/network/netpol/network_policy.go"
POLICY_TYPES = {"Ingress", "Egress"}


@pytest.fixture(scope="module")
def cases() -> list[cc.Case]:
    return cc.load_cases(ROOT)


@pytest.fixture(scope="module")
def base() -> list[dict[str, Any]]:
    return cc.base_cluster(ROOT)


def _steps(cases: list[cc.Case]) -> Iterator[tuple[cc.Case, int, cc.Step]]:
    for case in cases:
        for i, step in enumerate(case.steps, start=1):
            yield case, i, step


def _base_ports(base: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    ports: dict[str, list[dict[str, Any]]] = {}
    for doc in base:
        if doc["kind"] == "Pod":
            key = f"{doc['metadata']['namespace']}/{doc['metadata']['name']}"
            ports[key] = [p for c in doc["spec"]["containers"] for p in c.get("ports", [])]
    return ports


def _walk_ports(policy: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = policy.get("spec") or {}
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            yield from rule.get("ports") or []


def _walk_peers(policy: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = policy.get("spec") or {}
    for rule in spec.get("ingress") or []:
        yield from rule.get("from") or []
    for rule in spec.get("egress") or []:
        yield from rule.get("to") or []


# --------------------------------------------------------------------------- base cluster


def test_base_cluster_namespaces(base: list[dict[str, Any]]) -> None:
    namespaces = [d for d in base if d["kind"] == "Namespace"]
    assert [d["metadata"]["name"] for d in namespaces] == list(cc.NAMESPACES)
    for ns in namespaces:
        name = ns["metadata"]["name"]
        assert ns["apiVersion"] == "v1"
        assert ns["metadata"]["labels"] == {"ns": name, cc.NAMESPACE_NAME_LABEL: name}


def test_base_cluster_pods(base: list[dict[str, Any]]) -> None:
    pods = [d for d in base if d["kind"] == "Pod"]
    assert [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in pods] == list(cc.PODS)
    expected_ports = sorted(
        (f"serve-{port}-{proto.lower()}", port, proto) for port in (80, 81) for proto in cc.PROTOCOLS
    )
    for pod in pods:
        assert pod["apiVersion"] == "v1"
        assert pod["metadata"]["labels"] == {"pod": pod["metadata"]["name"]}
        containers = pod["spec"]["containers"]
        names = [c["name"] for c in containers]
        assert len(names) == len(set(names))
        ports = sorted((p["name"], p["containerPort"], p["protocol"]) for c in containers for p in c["ports"])
        assert ports == expected_ports


# --------------------------------------------------------------------------- case files


def test_case_inventory(cases: list[cc.Case]) -> None:
    slugs = [c.slug for c in cases]
    assert len(slugs) == len(set(slugs))
    upstream = [c for c in cases if c.upstream is not None]
    endport = [c for c in cases if c.slug.startswith("endport-")]
    assert len(upstream) >= 48
    assert len(endport) >= 4
    assert all(c.upstream is None for c in endport)
    for c in upstream:
        assert c.upstream == UPSTREAM_FILE, c.slug
        assert c.context, c.slug
        assert c.upstream_pods, c.slug
    # The (context, name) pair identifies an upstream test; names repeat across contexts only.
    pairs = Counter((c.context, c.name) for c in upstream)
    assert max(pairs.values()) == 1


def test_every_case_is_loadable_and_grids_are_complete(cases: list[cc.Case]) -> None:
    for case, i, step in _steps(cases):
        assert step.probes, f"{case.slug} step {i}"
        seen = set()
        for probe in step.probes:
            assert (probe.protocol, probe.port) not in seen, f"{case.slug} step {i}: duplicate probe"
            seen.add((probe.protocol, probe.port))
            assert set(probe.expected) == {(s, d) for s in cc.PODS for d in cc.PODS}
            assert len(probe.checked_pairs()) == 72


def test_policies_are_namespaced_network_policies(cases: list[cc.Case]) -> None:
    for case, i, step in _steps(cases):
        where = f"{case.slug} step {i}"
        keys = []
        for policy in step.policies:
            assert policy.get("apiVersion") == "networking.k8s.io/v1", where
            assert policy.get("kind") == "NetworkPolicy", where
            meta = policy.get("metadata") or {}
            assert isinstance(meta.get("name"), str) and meta["name"], where
            assert meta.get("namespace") in cc.NAMESPACES, where
            spec = policy.get("spec")
            assert isinstance(spec, dict) and isinstance(spec.get("podSelector"), dict), where
            assert set(spec.get("policyTypes") or []) <= POLICY_TYPES, where
            assert set(spec) <= {"podSelector", "policyTypes", "ingress", "egress"}, where
            keys.append((meta["namespace"], meta["name"]))
        assert len(keys) == len(set(keys)), f"{where}: duplicate policy name in a namespace"


def test_named_ports_exist_somewhere(cases: list[cc.Case], base: list[dict[str, Any]]) -> None:
    base_names = {p["name"] for ports in _base_ports(base).values() for p in ports}
    for case, i, step in _steps(cases):
        names = set(base_names)
        names |= {p["name"] for ports in step.extra_pod_ports.values() for p in ports if "name" in p}
        for policy in step.policies:
            for port in _walk_ports(policy):
                value = port.get("port")
                if isinstance(value, str):
                    assert value in names, f"{case.slug} step {i}: named port {value!r} is served by no pod"
                    assert "endPort" not in port, f"{case.slug} step {i}: endPort with a named port"
                if "endPort" in port:
                    assert isinstance(value, int) and port["endPort"] >= value, f"{case.slug} step {i}"


def test_label_overrides_name_existing_objects(cases: list[cc.Case]) -> None:
    for case, i, step in _steps(cases):
        where = f"{case.slug} step {i}"
        for ns, labels in step.namespace_labels.items():
            assert ns in cc.NAMESPACES, f"{where}: unknown namespace {ns!r}"
            assert labels.get(cc.NAMESPACE_NAME_LABEL) == ns, f"{where}: {ns} override drops {cc.NAMESPACE_NAME_LABEL}"
        for pod in step.pod_labels:
            assert pod in cc.PODS, f"{where}: unknown pod {pod!r}"


def test_pod_ips_and_ipblocks(cases: list[cc.Case]) -> None:
    for case, i, step in _steps(cases):
        where = f"{case.slug} step {i}"
        assert set(step.pod_ips) <= set(cc.PODS), where
        assert len(set(step.pod_ips.values())) == len(step.pod_ips), f"{where}: duplicate pod IP"
        uses_ipblock = False
        for policy in step.policies:
            for peer in _walk_peers(policy):
                block = peer.get("ipBlock")
                if block is None:
                    continue
                uses_ipblock = True
                cidr = ipaddress.ip_network(block["cidr"])
                for exc in block.get("except") or []:
                    assert ipaddress.ip_network(exc).subnet_of(cidr), where
        if uses_ipblock:
            assert set(step.pod_ips) == set(cc.PODS), f"{where}: ipBlock case must give every pod an IP"


def test_extra_ports_and_probed_ports_are_served(cases: list[cc.Case], base: list[dict[str, Any]]) -> None:
    base_ports = _base_ports(base)
    for case, i, step in _steps(cases):
        where = f"{case.slug} step {i}"
        assert set(step.extra_pod_ports) <= set(cc.PODS), where
        for pod in cc.PODS:
            ports = base_ports[pod] + step.extra_pod_ports.get(pod, [])
            names = [p["name"] for p in ports if "name" in p]
            assert len(names) == len(set(names)), f"{where}: duplicate port name on {pod}"
            numbers = [(p["containerPort"], p.get("protocol", "TCP")) for p in ports]
            assert len(numbers) == len(set(numbers)), f"{where}: duplicate port on {pod}"
            for probe in step.probes:
                assert (probe.port, probe.protocol) in numbers, (
                    f"{where}: {pod} does not serve {probe.protocol}/{probe.port}"
                )


def test_step_manifests_apply_overrides(cases: list[cc.Case]) -> None:
    by_slug = {c.slug: c for c in cases}
    for case, _, step in _steps(cases):
        docs = cc.step_manifests(ROOT, step)
        kinds = Counter(d["kind"] for d in docs)
        assert kinds["Namespace"] == 3 and kinds["Pod"] == 9
        assert kinds["NetworkPolicy"] == len(step.policies)

    step = by_slug["ingress-from-updated-namespace"].steps[1]
    ns_y = next(d for d in cc.step_manifests(ROOT, step) if d["kind"] == "Namespace" and d["metadata"]["name"] == "y")
    assert ns_y["metadata"]["labels"]["ns2"] == "updated"

    step = by_slug["ingress-from-updated-pod"].steps[1]
    pod = next(d for d in cc.step_manifests(ROOT, step) if d["kind"] == "Pod" and cc._pod_key(d) == "x/b")
    assert pod["metadata"]["labels"] == {"pod": "b", "pod2": "updated"}

    step = by_slug["egress-to-cidr"].steps[0]
    pod = next(d for d in cc.step_manifests(ROOT, step) if d["kind"] == "Pod" and cc._pod_key(d) == "y/b")
    assert pod["status"]["podIP"] == step.pod_ips["y/b"]

    step = by_slug["endport-with-named-port"].steps[0]
    pod = next(d for d in cc.step_manifests(ROOT, step) if d["kind"] == "Pod" and cc._pod_key(d) == "x/a")
    assert any(p.get("name") == "metrics" for c in pod["spec"]["containers"] for p in c.get("ports", []))

    # the base manifests are not mutated by a step
    assert all("status" not in d for d in cc.base_cluster(ROOT))


def test_readme_counts_are_current(cases: list[cc.Case]) -> None:
    n_steps = sum(len(c.steps) for c in cases)
    n_probes = sum(len(s.probes) for c in cases for s in c.steps)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = f"{len(cases)} cases, {n_steps} steps, {n_probes} probes"
    assert expected in readme, f"README.md should quote '{expected}'"


# --------------------------------------------------------------------------- loader strictness

GOOD_GRID = "\n".join(
    ["-   " + " ".join(cc.PODS)] + [f"{p} " + " ".join(["."] * 9) for p in cc.PODS]
)


def _write_case(tmp_path: pathlib.Path, grid: str) -> pathlib.Path:
    indented = "\n".join("          " + line for line in grid.splitlines())
    text = (
        'name: "t"\nupstream: null\nsteps:\n'
        "  - description: d\n    policies: []\n    probes:\n"
        "      - protocol: TCP\n        port: 80\n        expect: |\n" + indented + "\n"
    )
    path = tmp_path / "bad-case.yaml"
    path.write_text(text)
    return path


def test_loader_accepts_a_good_grid(tmp_path: pathlib.Path) -> None:
    case = cc.load_case(_write_case(tmp_path, GOOD_GRID))
    assert case.slug == "bad-case"
    assert all(case.steps[0].probes[0].expected.values())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda g: g.replace("y/b .", "y/b ?", 1), r"row 5 \(y/b\), column x/a: cell must be"),
        (lambda g: "\n".join(g.splitlines()[:-1]), r"found 9 non-empty lines"),
        (lambda g: g.replace("z/c " + " ".join(["."] * 9), "z/c " + " ".join(["."] * 8)), r"row 9 \(z/c\) must have 9 cells"),
        (lambda g: g.replace("x/b .", "x/c .", 1), r"row 2 must start with 'x/b'"),
        (lambda g: g.replace("-   x/a x/b", "-   x/b x/a", 1), r"header row must be"),
    ],
)
def test_loader_rejects_bad_grids(tmp_path: pathlib.Path, mutate: Any, message: str) -> None:
    path = _write_case(tmp_path, mutate(GOOD_GRID))
    with pytest.raises(cc.FixtureError, match=message) as info:
        cc.load_case(path)
    assert str(path) in str(info.value)
    assert re.search(r"step 1, probe 1 \(TCP/80\)", str(info.value))


def test_loader_rejects_unknown_keys(tmp_path: pathlib.Path) -> None:
    path = _write_case(tmp_path, GOOD_GRID)
    path.write_text(path.read_text().replace("    policies: []\n", "    policies: []\n    polices: []\n"))
    with pytest.raises(cc.FixtureError, match="unknown key"):
        cc.load_case(path)
