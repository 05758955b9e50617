"""Exposure claims against the engine and the reference evaluator, on random clusters.

A random pod that the input does not contain — in one of the input's namespaces, in a namespace
the input mentions but does not have, or in a new namespace with random labels — is added to the
manifests. For every workload of the input, in both directions, on every port boundary: the
ports the engine (and the reference evaluator) allow between the two are exactly the union of
the ports of the claims that the pod fits. So every claim is witnessed by every pod it
describes, and every connection of the added pod is covered by some claim.

The added pod declares no named container ports and has no known IP, as a pod that is not
deployed yet (docs/exposure.md says what a claim means for a destination with named ports).
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policylint.engine import EMPTY_PORTS, Engine
from policylint.exposure import INBOUND, analyse
from tests import reference_evaluator as reference
from tests.strategies import LABEL_KEYS, LABEL_VALUES, NAME_LABEL, NAMESPACES, PROTOCOLS, GenCluster, clusters, dump_all
from tests.test_engine_properties import sample_ports

HYPOTHETICAL = "hypothetical"
VALUES = LABEL_VALUES + ["d"]  # "d": a value no selector mentions


@st.composite
def hypothetical_pod(draw, gen: GenCluster) -> tuple[list[dict], str, dict]:
    """Documents to add (a Namespace, maybe, and the Pod), its namespace and its labels."""
    namespace = draw(st.sampled_from(NAMESPACES + ["w"]))
    docs = []
    present = {w["metadata"]["namespace"] for w in gen.workloads} | {n["metadata"]["name"] for n in gen.namespaces}
    if namespace not in present:
        ns_labels = draw(st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(VALUES), max_size=3))
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": ns_labels}})
    labels = draw(st.dictionaries(st.sampled_from(LABEL_KEYS + ["missing"]), st.sampled_from(VALUES), max_size=3))
    docs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": HYPOTHETICAL, "namespace": namespace, "labels": labels},
                 "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    return docs, namespace, labels


def check(gen: GenCluster, data) -> None:
    cluster = gen.cluster()
    engine = Engine(cluster)
    claims = analyse(engine)
    docs, namespace, labels = data.draw(hypothetical_pod(gen))
    from tests.strategies import cluster_from_text

    text = gen.text()
    grown = cluster_from_text(text + "---\n" + dump_all(docs))
    grown_engine = Engine(grown)
    pod = next(e for e in grown_engine.endpoints if e.id == f"{namespace}/{HYPOTHETICAL}")
    in_input = namespace in engine.namespace_names()
    ns = grown.namespaces.get(namespace)
    ns_labels = dict(ns.labels) if ns is not None else {NAME_LABEL: namespace}
    ports = sample_ports(gen)
    for w in (e for e in engine.endpoints if not e.is_external):
        mine = grown_engine.endpoint(w.id)
        for direction in ("ingress", "egress"):
            fitting = [c for c in claims if c.endpoint == w.id and c.direction == direction
                       and c.peer.fits(namespace, ns_labels, in_input, labels)]
            claimed, claimed_unknown = EMPTY_PORTS, EMPTY_PORTS
            for c in fitting:
                claimed, claimed_unknown = claimed.union(c.ports), claimed_unknown.union(c.unknown)
            src, dst = (pod, mine) if direction == INBOUND else (mine, pod)
            context = (w.id, direction, namespace, labels, [c.peer.describe() for c in fitting], text)
            assert grown_engine.allowed_ports(src, dst) == claimed, context
            assert grown_engine.unknown_ports(src, dst) == claimed_unknown, context
            for protocol in PROTOCOLS:
                for port in ports:
                    want = reference.allowed(grown, src.workload, dst.workload, protocol, port)
                    assert claimed.contains(protocol, port) == want, (protocol, port) + context


# Fewer examples than the profile asks for (two thirds, two fifths through the tiers): each one
# builds three engines and runs the reference evaluator; the thorough profile still runs many.
@settings(max_examples=settings().max_examples * 2 // 3)
@given(clusters(max_pods=4, max_policies=4), st.data())
def test_exposure_claims_are_exact(gen: GenCluster, data) -> None:
    check(gen, data)


@settings(max_examples=settings().max_examples * 2 // 5)
@given(clusters(max_pods=3, max_policies=2, max_tier_policies=3), st.data())
def test_exposure_claims_are_exact_through_the_tiers(gen: GenCluster, data) -> None:
    check(gen, data)
