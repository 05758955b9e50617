"""PL404's shortcut against the exposure analysis, on random clusters.

PL404 asks the exposure analysis what a new pod without labels would accept (or reach) in each
namespace without a default deny, unless the answer is known without it: no policy isolates the
new pod in that direction (nor might, through a rejected selector) and the input has no
cluster-wide policy. Then the analysis must find some peer with some port — a pod of a new
namespace, which nothing selects. Checked here for every namespace and both directions.
"""
from __future__ import annotations

from hypothesis import given, settings

from policylint.engine import Engine
from policylint.exposure import INBOUND, OUTBOUND, analyse
from policylint.exposure.described import DescribedPeer, add_described
from policylint.model.types import EGRESS, INGRESS
from policylint.rules.pl404_namespace_without_default_deny import _open_anyway, _surely_open
from tests.strategies import GenCluster, clusters

SIDE = {INGRESS: INBOUND, EGRESS: OUTBOUND}


def check(gen: GenCluster) -> None:
    cluster = gen.cluster()
    plain = Engine(cluster)
    names = sorted(plain.namespace_names())
    # The engine-free test PL404 uses first says the same as `_open_anyway` on the grown engine.
    surely = _surely_open(plain, {name: [INGRESS, EGRESS] for name in names})
    probes = {}
    for name in names:
        cluster, probes[name] = add_described(cluster, DescribedPeer(f"ns:{name}", name))
    engine = Engine(cluster)
    claims = analyse(engine, [engine.endpoint(p) for p in probes.values()])
    for name, probe_id in probes.items():
        probe = engine.endpoint(probe_id)
        for direction in (INGRESS, EGRESS):
            assert ((name, direction) in surely) == _open_anyway(engine, probe, direction), (name, direction, gen.text())
            if not _open_anyway(engine, probe, direction):
                continue
            assert any(c.endpoint == probe_id and c.direction == SIDE[direction] and not c.ports.is_empty
                       for c in claims), (name, direction, gen.text())


@settings(max_examples=settings().max_examples // 3)
@given(clusters(max_pods=4, max_policies=4))
def test_an_unisolated_new_pod_is_open(gen: GenCluster) -> None:
    check(gen)

