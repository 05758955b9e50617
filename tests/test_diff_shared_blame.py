"""Explanations shared between pairs (`Blame.because_pods`) are each pair's own.

A change to a policy that every pod goes through changes one pair per pod, and `diff` explains
pairs whose explanation cannot differ once. The hand-built cases have two pairs each that have
equal rows (the same ports towards the same pod) in both versions or in one, and different
explanations; the property test compares every pair's shared explanation with one made for that
pair alone.
"""
from __future__ import annotations

from hypothesis import given, settings

from policylint.diff.causes import Blame
from policylint.diff.compute import _base_id, compute_diff
from policylint.diff.objects import policy_changes
from tests.test_diff_cases import connections, diff_of
from tests.test_diff_properties import side, versions

BACK, FRONT, DNS = "team-c/back[Deployment]", "team-c/front[Deployment]", "kube-system/coredns[Deployment]"


def test_twin_egress_policies_are_each_blamed_for_their_own_pod() -> None:
    # egress-front (egress[0], line 13 of egress.yaml) and egress-back (line 36) have the same
    # rule: UDP to the kube-dns pods. The change moves both from port 53 to 5353. coredns is not
    # isolated for ingress, so only the egress sides changed; front's pair is explained by
    # egress-front alone in each version, back's by egress-back alone (new before old: references
    # sort by version). The two sources have equal rows in each version: only the policies that
    # select them tell their explanations apart.
    result = diff_of("twin-egress")
    assert connections(result) == [
        ("changed", BACK, DNS, "UDP 53", "UDP 5353",
         (("new", "team-c/egress-back", "egress[0]", "egress.yaml", 36),
          ("old", "team-c/egress-back", "egress[0]", "egress.yaml", 36)), ()),
        ("changed", FRONT, DNS, "UDP 53", "UDP 5353",
         (("new", "team-c/egress-front", "egress[0]", "egress.yaml", 13),
          ("old", "team-c/egress-front", "egress[0]", "egress.yaml", 13)), ()),
    ]


def test_a_source_the_old_ingress_admitted_is_not_blamed_on_the_new_ingress() -> None:
    # team-c's pods may send nothing (egress-db isolates them, no rule) until egress[0] (line 11
    # of egress.yaml) lets them reach db on TCP 5432; db-ingress admitted api alone and now
    # admits every pod of team-c (ingress[0], line 11 of ingress.yaml). Both pairs are added.
    # api's gain comes from its egress alone: db's ingress already admitted it. batch's from
    # both sides. In the old version api and batch have equal rows (they can send nothing) and
    # the same egress policy; only what db's ingress admits from each tells them apart.
    api, batch, db = "team-c/api[Deployment]", "team-c/batch[Deployment]", "shop/db[Deployment]"
    result = diff_of("ingress-opened-to-namespace")
    assert connections(result) == [
        ("added", api, db, "nothing", "TCP 5432", (("new", "team-c/egress-db", "egress[0]", "egress.yaml", 11),), ()),
        ("added", batch, db, "nothing", "TCP 5432",
         (("new", "team-c/egress-db", "egress[0]", "egress.yaml", 11),
          ("new", "shop/db-ingress", "ingress[0]", "ingress.yaml", 11)), ()),
    ]


@settings(max_examples=25)
@given(versions())
def test_shared_explanations_equal_each_pairs_own(pair) -> None:
    old, new = side("old", pair[0]), side("new", pair[1])
    result = compute_diff(old, new, exposure=False)
    changes = policy_changes(old, new)
    edited = {_base_id(r.id) for r in changes.added + changes.removed} | {_base_id(e.id) for e in changes.changed}
    alone = Blame(old, new, edited)
    ends = [{e.id: e for e in s.engine.endpoints if not e.is_external} for s in (old, new)]
    for c in result.connections:
        if c.src.is_external or c.dst.is_external:
            continue
        pairs = []
        for by_id in ends:
            a, b = by_id.get(c.src.id), by_id.get(c.dst.id)
            pairs.append((a, b) if a is not None and b is not None else None)
        assert c.because == alone.because([tuple(pairs)], c.gained, c.lost), (c.src.id, c.dst.id)
