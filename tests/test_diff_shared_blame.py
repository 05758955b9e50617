"""Explanations shared between pairs (`Blame.because_pods`) are each pair's own.

A change to a policy that every pod goes through changes one pair per pod, and `diff` explains
pairs whose explanation cannot differ once. The hand-built case has two pairs that share
everything the engine's row keys compare (the same ports towards the same pod) but are allowed
by two different policies; the property test compares every pair's shared explanation with one
made for that pair alone.
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
