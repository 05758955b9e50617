"""`policylint diff` on hand-built before/after fixtures (fixtures/diff/<case>/{old,new}/).

Every expected value below was derived by hand from the manifests, following the semantics of
docs/architecture.md; the comments say how. Connections are compared exactly (every changed pair,
its ports, the rules or isolation changes blamed), never by count alone.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from policylint.config import Config
from policylint.diff.compute import compute_diff
from policylint.diff.model import DiffResult
from policylint.diff.sides import analyse_side

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "fixtures" / "diff"
ALL = "all ports"
V4 = "0.0.0.0-255.255.255.255"
V6 = "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
WEB, DB, REPORTS = "shop/web[Deployment]", "shop/db[Deployment]", "analytics/reports[Deployment]"
# Only the ipBlock rules: their findings are derived by hand below; the connectivity does not
# depend on which rules run.
SELECT = ("PL2",)


def diff_of(case: str, *, swap: bool = False, select: tuple[str, ...] = SELECT) -> DiffResult:
    old, new = (CASES / case / "new", CASES / case / "old") if swap else (CASES / case / "old", CASES / case / "new")
    rel = [os.path.relpath(p, ROOT) for p in (old, new)]
    cwd = os.getcwd()
    os.chdir(ROOT)  # paths in the result as a user in the repository root would type them
    try:
        sides = [analyse_side(p, [p], Config(), select=select) for p in rel]
    finally:
        os.chdir(cwd)
    return compute_diff(*sides)


def rules(*refs: tuple[str, str, str, str, int]) -> tuple:
    return tuple(refs)


def connections(result: DiffResult) -> list[tuple]:
    """(change, from, to, old ports, new ports, rules, isolation) per pair, in output order."""
    out = []
    for c in result.connections:
        blamed = tuple((r.location.version, r.policy, r.rule, Path(r.location.path).name, r.location.line)
                       for r in c.because.rules)
        isolation = tuple((i.direction, tuple(p.policy for p in i.old), tuple(p.policy for p in i.new))
                          for i in c.because.isolation)
        out.append((c.change, c.src.id, c.dst.id, c.old.describe(), c.new.describe(), blamed, isolation))
    return out


def objects(changes) -> tuple[list[str], list[str], list[tuple]]:
    return ([r.id for r in changes.added], [r.id for r in changes.removed],
            [(e.id, e.fields) for e in changes.changed])


def findings(found) -> list[tuple[str, str, int, str]]:
    return [(f.code, Path(f.path).parent.name + "/" + Path(f.path).name, f.line, f.message) for f in found]


# -- a policy added, and the same change read backwards: a policy removed ------------------------

# db-ingress selects shop/db and (no policyTypes, ingress rules present) isolates it for ingress;
# only web may reach it, on TCP 5432. Before, nothing selected db: every source reached it on
# every port. Egress is never isolated, so only db's ingress side changes.
POLICY_ADDED = [
    ("removed", REPORTS, DB, ALL, "nothing", (), (("Ingress", (), ("shop/db-ingress",)),)),
    ("removed", DB, DB, ALL, "nothing", (), (("Ingress", (), ("shop/db-ingress",)),)),
    ("narrowed", WEB, DB, ALL, "TCP 5432", (), (("Ingress", (), ("shop/db-ingress",)),)),
    ("removed", V4, DB, ALL, "nothing", (), (("Ingress", (), ("shop/db-ingress",)),)),
    ("removed", V6, DB, ALL, "nothing", (), (("Ingress", (), ("shop/db-ingress",)),)),
]


def test_policy_added() -> None:
    result = diff_of("policy-added")
    assert connections(result) == POLICY_ADDED
    assert objects(result.policies) == (["shop/db-ingress"], [], [])
    (added,) = result.policies.added
    assert (Path(added.location.path).name, added.location.line) == ("db-ingress.yaml", 2)
    assert objects(result.workloads) == ([], [], [])
    assert objects(result.namespaces) == ([], [], [])
    assert result.introduced == result.fixed == ()


def test_policy_removed_is_the_same_change_backwards() -> None:
    result = diff_of("policy-added", swap=True)
    # Removing db-ingress gives back what adding it took away: the isolation now lies on the
    # OLD side (the version that had the policy).
    assert connections(result) == [
        ("added", REPORTS, DB, "nothing", ALL, (), (("Ingress", ("shop/db-ingress",), ()),)),
        ("added", DB, DB, "nothing", ALL, (), (("Ingress", ("shop/db-ingress",), ()),)),
        ("widened", WEB, DB, "TCP 5432", ALL, (), (("Ingress", ("shop/db-ingress",), ()),)),
        ("added", V4, DB, "nothing", ALL, (), (("Ingress", ("shop/db-ingress",), ()),)),
        ("added", V6, DB, "nothing", ALL, (), (("Ingress", ("shop/db-ingress",), ()),)),
    ]
    assert objects(result.policies) == ([], ["shop/db-ingress"], [])
    assert result.policies.removed[0].location.version == "old"


# -- a policy edited ------------------------------------------------------------------------------

def test_ports_widened() -> None:
    # db-ingress ingress[0] (line 11) gains TCP 6432 next to 5432; web's egress is not isolated,
    # so only db's ingress side is blamed, on the NEW rule.
    result = diff_of("ports-widened")
    assert connections(result) == [
        ("widened", WEB, DB, "TCP 5432", "TCP 5432, 6432", (("new", "shop/db-ingress", "ingress[0]", "db-ingress.yaml", 11),), ()),
    ]
    (line,) = result.connections
    assert line.gained.describe() == "TCP 6432" and line.lost.is_empty
    assert line.because.rules[0].edited
    assert objects(result.policies) == ([], [], [("shop/db-ingress", (("spec", "", ""),))])


def test_peer_narrowed() -> None:
    # from `namespaceSelector: {}` (every pod of every namespace) to namespaces labelled
    # team=shop: analytics/reports loses TCP 5432; web and db (in shop) keep it; external
    # addresses never matched a namespaceSelector.
    result = diff_of("peer-narrowed")
    assert connections(result) == [
        ("removed", REPORTS, DB, "TCP 5432", "nothing", (("old", "shop/db-ingress", "ingress[0]", "db-ingress.yaml", 11),), ()),
    ]


def test_except_added() -> None:
    # web may send TCP 443 to 0.0.0.0/0; the edit excepts 10.0.0.0/8. Both versions have other
    # cuts (the old one none at all): the diff still names exactly 10.0.0.0/8.
    result = diff_of("except-added")
    assert connections(result) == [
        ("removed", WEB, "10.0.0.0-10.255.255.255", "TCP 443", "nothing",
         (("old", "shop/web-egress", "egress[0]", "web-egress.yaml", 13),), ()),
    ]
    (change,) = result.connections
    assert change.dst.cidrs == ("10.0.0.0/8",)
    # PL205 reports the any-address peer in both versions, with a message that now counts the
    # except: a different message is a different finding.
    assert findings(result.introduced) == [
        ("PL205", "new/web-egress.yaml", 15, "egress to any address on TCP 443: ipBlock '0.0.0.0/0' (minus 1 except)")]
    assert findings(result.fixed) == [
        ("PL205", "old/web-egress.yaml", 15, "egress to any address on TCP 443: ipBlock '0.0.0.0/0'")]


def test_except_removed_shows_the_range_gained() -> None:
    # "0.0.0.0/0 except 10.0.0.0/8" → "0.0.0.0/0": 10.0.0.0/8 gained, and nothing else.
    result = diff_of("except-added", swap=True)
    assert connections(result) == [
        ("added", WEB, "10.0.0.0-10.255.255.255", "nothing", "TCP 443",
         (("new", "shop/web-egress", "egress[0]", "web-egress.yaml", 13),), ()),
    ]


def test_a_cut_inside_the_except_splits_the_range_lost() -> None:
    # New: 0.0.0.0/0 except 10.0.0.0/8, plus a rule to 10.1.0.0/16 — both on TCP 443. Inside
    # 10.0.0.0/8 web keeps 10.1.0.0/16 and loses the rest: 10.0.0.0/16, and
    # 10.2.0.0-10.255.255.255 = 10.2/15 + 10.4/14 + 10.8/13 + 10.16/12 + 10.32/11 + 10.64/10 + 10.128/9.
    result = diff_of("cidr-cut-inside-except")
    old_rule = (("old", "shop/web-egress", "egress[0]", "web-egress.yaml", 13),)
    assert connections(result) == [
        ("removed", WEB, "10.0.0.0-10.0.255.255", "TCP 443", "nothing", old_rule, ()),
        ("removed", WEB, "10.2.0.0-10.255.255.255", "TCP 443", "nothing", old_rule, ()),
    ]
    assert [c.dst.cidrs for c in result.connections] == [
        ("10.0.0.0/16",),
        ("10.2.0.0/15", "10.4.0.0/14", "10.8.0.0/13", "10.16.0.0/12", "10.32.0.0/11", "10.64.0.0/10", "10.128.0.0/9"),
    ]


# -- workloads and namespaces -----------------------------------------------------------------------

def test_workload_relabelled_out_of_its_policy() -> None:
    # db's pods go from app=db to app=database: db-ingress selects nothing any more, db is no
    # longer isolated for ingress, and every source reaches it on every port.
    isolation = (("Ingress", ("shop/db-ingress",), ()),)
    result = diff_of("workload-relabelled")
    assert connections(result) == [
        ("added", REPORTS, DB, "nothing", ALL, (), isolation),
        ("added", DB, DB, "nothing", ALL, (), isolation),
        ("widened", WEB, DB, "TCP 5432", ALL, (), isolation),
        ("added", V4, DB, "nothing", ALL, (), isolation),
        ("added", V6, DB, "nothing", ALL, (), isolation),
    ]
    assert objects(result.workloads) == ([], [], [(DB, (("labels", "app=db", "app=database"),))])
    assert objects(result.policies) == ([], [], [])


def test_namespace_label_change() -> None:
    # ingress[1] of db-ingress (line 15) admits namespaces labelled team=analytics on TCP 5432;
    # the namespace is relabelled, so reports loses it.
    result = diff_of("namespace-labels")
    assert connections(result) == [
        ("removed", REPORTS, DB, "TCP 5432", "nothing", (("old", "shop/db-ingress", "ingress[1]", "db-ingress.yaml", 15),), ()),
    ]
    assert objects(result.namespaces) == (
        [], [], [("analytics", (("labels", "team=analytics", "team=business-intelligence"),))])
    assert not result.connections[0].because.rules[0].edited  # the policy itself did not change


# -- the seed ---------------------------------------------------------------------------------------

MASTER, WORKER = "ml-workloads/bert-pretrain[PyTorchJob/Master]", "ml-workloads/bert-pretrain[PyTorchJob/Worker]"
DATA, DNS = "data-services/feature-store[Deployment]", "kube-system/coredns[Deployment]"
SEED_POLICY = "ml-workloads/ml-training-communication"


def test_the_seed_policy_replaced_by_the_corrected_one() -> None:
    # Old: training pods isolated both ways; the ingress peer (podSelector only) matches no pod of
    # ml-workloads, the egress ipBlock is invalid and matches nothing: they talk to nobody.
    # New (policy.yaml): ingress[0] (line 16) data service from its namespace on data-feed
    # (TCP 5000 on both replica types), ingress[1] (25) training pods; egress[0] (30) DNS on
    # 53/UDP+TCP, egress[1] (42) the data service on TCP 8080, egress[2] (51) training pods.
    # The data service and DNS are not isolated, so only the training pods' sides are blamed.
    def new(rule: str, line: int) -> tuple:
        return ("new", SEED_POLICY, rule, "policy.yaml", line)

    result = diff_of("seed-fix")
    assert connections(result) == [
        ("added", DATA, MASTER, "nothing", "TCP 5000", (new("ingress[0]", 16),), ()),
        ("added", DATA, WORKER, "nothing", "TCP 5000", (new("ingress[0]", 16),), ()),
        ("added", MASTER, DATA, "nothing", "TCP 8080", (new("egress[1]", 42),), ()),
        ("added", MASTER, DNS, "nothing", "TCP 53; UDP 53", (new("egress[0]", 30),), ()),
        ("added", MASTER, MASTER, "nothing", ALL, (new("ingress[1]", 25), new("egress[2]", 51)), ()),
        ("added", MASTER, WORKER, "nothing", ALL, (new("ingress[1]", 25), new("egress[2]", 51)), ()),
        ("added", WORKER, DATA, "nothing", "TCP 8080", (new("egress[1]", 42),), ()),
        ("added", WORKER, DNS, "nothing", "TCP 53; UDP 53", (new("egress[0]", 30),), ()),
        ("added", WORKER, MASTER, "nothing", ALL, (new("ingress[1]", 25), new("egress[2]", 51)), ()),
        ("added", WORKER, WORKER, "nothing", ALL, (new("ingress[1]", 25), new("egress[2]", 51)), ()),
    ]
    # The old egress side rested on the invalid ipBlock; the ingress side did not.
    invalid = {(c.src.id, c.dst.id): c.because.depends_on_invalid for c in result.connections}
    assert invalid[(DATA, MASTER)] == ()
    assert invalid[(MASTER, DNS)] == ("old",)
    assert findings(result.fixed) == [
        ("PL201", "old/policy.yaml", 22, 'ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required'),
        ("PL202", "old/policy.yaml", 24, 'except entry "" is not a CIDR: it must be a valid CIDR inside cidr'),
    ]
    assert result.introduced == ()
    assert objects(result.policies) == ([], [], [(SEED_POLICY, (("spec", "", ""),))])


def test_moving_and_commenting_a_policy_changes_nothing() -> None:
    # The broken seed policy moves to another file under three comment lines: its findings move
    # to other lines and file, but they are the same findings, and the spec is the same.
    result = diff_of("line-shift", select=())
    assert result.connections == ()
    assert result.introduced == result.fixed == ()
    assert objects(result.policies) == ([], [], [])
    assert result.is_empty


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_swapping_old_and_new_inverts_every_change(case: str) -> None:
    forward, backward = diff_of(case), diff_of(case, swap=True)
    inverse = {"added": "removed", "removed": "added", "widened": "narrowed", "narrowed": "widened", "changed": "changed"}
    assert [(c.src.id, c.dst.id, c.old, c.new, inverse[c.change]) for c in forward.connections] == \
           [(c.src.id, c.dst.id, c.new, c.old, c.change) for c in backward.connections]
    assert [f.message for f in forward.introduced] == [f.message for f in backward.fixed]
    assert [f.message for f in forward.fixed] == [f.message for f in backward.introduced]
