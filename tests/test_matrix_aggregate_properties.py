"""`matrix --aggregate namespace` equals the plain aggregation of the pair matrix: for each
(source namespace, destination namespace), the union of the ports of its pairs, their count,
and whether any rests on an invalid policy. The aggregation counts cells of destination atoms
per namespace and takes sources with equal rows once, never pairs; this test walks pairs."""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from policylint.engine import Engine
from policylint.engine.blocks import to_blocks
from policylint.matrix.aggregate import aggregate_rows, group_of, group_order
from policylint.matrix.group_counts import GroupCounts
from policylint.matrix.view import MatrixView, port_allows
from tests.strategies import cluster_from_text, clusters


def _plain(engine: Engine, sources=None, destinations=None, namespace=None, port_filter=None) -> list[tuple]:
    groups: dict[tuple[str, str], list] = {}
    for src, dst, ports in engine.matrix(sources=sources, destinations=destinations):
        if port_filter is not None and not port_allows(ports, *port_filter):
            continue
        if namespace is not None and namespace not in (src.namespace, dst.namespace):
            continue
        entry = groups.setdefault((group_of(src), group_of(dst)), [None, 0, False])
        entry[0] = ports if entry[0] is None else entry[0] | ports
        entry[1] += 1
        entry[2] = entry[2] or engine.depends_on_invalid(src, dst)
    return [(key[0], key[1], *groups[key]) for key in sorted(groups, key=group_order)]


def _aggregated(engine: Engine, sources=None, destinations=None, namespace=None, port_filter=None) -> list[tuple]:
    rows = aggregate_rows(MatrixView(engine, sources, destinations, namespace, port_filter))
    return [(r.src, r.dst, r.ports, r.pairs, r.invalid) for r in rows]


@given(clusters(max_pods=5, max_policies=4))
def test_aggregated_rows_equal_the_aggregated_pairs(generated) -> None:
    engine = Engine(cluster_from_text(generated.text()))
    assert _aggregated(engine) == _plain(engine)


@settings(max_examples=40)  # the unfiltered case above takes the full budget; this one stays under 2 s
@given(clusters(max_pods=6, max_policies=4), st.data())
def test_aggregated_rows_under_filters_equal_the_filtered_pairs(generated, data) -> None:
    """--from, --to (pods and external ranges: atoms shared by several workloads are counted by
    their chosen members only), --namespace and --port act as on the pair list."""
    engine = Engine(cluster_from_text(generated.text()))
    endpoints = engine.endpoints
    subset = st.none() | st.lists(st.sampled_from(endpoints), min_size=1, max_size=4, unique=True).map(sorted)
    sources, destinations = data.draw(subset), data.draw(subset)
    namespaces = sorted({e.namespace for e in endpoints if e.namespace})
    namespace = data.draw(st.none() | st.sampled_from(namespaces)) if namespaces else None
    port_filter = data.draw(st.none() | st.tuples(st.sampled_from([None, "TCP", "UDP"]), st.sampled_from([53, 80, 443, 8080])))
    assert (_aggregated(engine, sources, destinations, namespace, port_filter)
            == _plain(engine, sources, destinations, namespace, port_filter))


@dataclass(frozen=True)
class _Member:
    index: int
    namespace: str | None


class _Atoms:
    """An engine reduced to what GroupCounts reads: atom -> its endpoints."""

    def __init__(self, atoms: list[list[_Member]]) -> None:
        self.atoms = atoms

    def atom_endpoints(self) -> list[list[_Member]]:
        return self.atoms


@st.composite
def _atom_layouts(draw):
    """Runs of atoms of a few namespaces (and external ranges) in any order, some of them long
    enough to cross the edges of the engine's blocks (4,096 atoms), with 0 to 3 endpoints each;
    a set over them, sparse or dense or whole runs, and a `--to` set of endpoints."""
    runs = draw(st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]),
                                   st.integers(1, 3) | st.integers(1000, 4500),
                                   st.lists(st.integers(0, 3), min_size=1, max_size=3)),
                         min_size=1, max_size=6))
    atoms, index = [], 0
    for namespace, length, sizes in runs:
        for i in range(length):
            size = sizes[i % len(sizes)]
            atoms.append([_Member(index + j, namespace) for j in range(size)])
            index += size
    bits = draw(st.integers(0, (1 << min(len(atoms), 80)) - 1))
    for first, length in draw(st.lists(st.tuples(st.integers(0, len(atoms) - 1), st.integers(1, 6000)), max_size=3)):
        bits |= ((1 << length) - 1) << first
    bits &= (1 << len(atoms)) - 1
    for atom in draw(st.lists(st.integers(0, len(atoms) - 1), max_size=20)):
        bits ^= 1 << atom
    wanted = draw(st.none() | st.sets(st.integers(0, max(index - 1, 0)), max_size=50))
    return atoms, bits, wanted


@settings(max_examples=60)  # layouts of thousands of atoms: the full budget would take seconds
@given(_atom_layouts())
def test_group_counts_equal_counting_the_endpoints(layout) -> None:
    atoms, bits, wanted = layout
    counter = GroupCounts(_Atoms(atoms), wanted)
    expected: dict[str, int] = {}
    for atom, members in enumerate(atoms):
        if bits >> atom & 1:
            for m in members:
                if wanted is None or m.index in wanted:
                    expected[group_of(m)] = expected.get(group_of(m), 0) + 1
    counts = counter.counts(to_blocks(bits))
    assert [g for g, _ in counts] == sorted({g for g, _ in counts})  # by group, each once
    found = {counter.names[g]: n for g, n in counts}
    assert found == expected
    assert {counter.names[g] for g in counter.groups(to_blocks(bits))} == set(expected)
    again = {counter.names[g]: n for g, n in counter.counts(to_blocks(bits))}  # from the memo
    assert again == expected
    # The packed tally: the same counts, each times the multiplicity it was added with.
    tally: dict[int, int] = {}
    counter.add(to_blocks(bits), tally)
    counter.add(to_blocks(bits), tally, 3)
    assert {counter.names[g]: n for g, n in counter.totals(tally)} == {g: 4 * n for g, n in expected.items()}
    assert counter.names == sorted(counter.names, key=lambda g: (g == "(external)", g))


def test_group_counts_across_block_edges() -> None:
    # By hand: a namespace whose atoms cross the edge of the first block (4,096 atoms) is counted
    # once with both halves; external ranges numbered before the namespaces (their ids sort
    # first) make the blocks' groups descend, and are still counted per group.
    crossing = [[_Member(i, "a")] for i in range(5000)] + [[_Member(5000 + i, "b")] for i in range(10)]
    counter = GroupCounts(_Atoms(crossing), None)
    assert [(counter.names[g], n) for g, n in counter.counts(to_blocks((1 << 5010) - 1))] == [("a", 5000), ("b", 10)]
    assert [(counter.names[g], n) for g, n in counter.counts(to_blocks(((1 << 10) - 1) << 4090))] == [("a", 10)]
    external_first = [[_Member(i, None)] for i in range(4100)] + [[_Member(4100 + i, "a")] for i in range(100)]
    counter = GroupCounts(_Atoms(external_first), None)
    assert [(counter.names[g], n) for g, n in counter.counts(to_blocks((1 << 4200) - 1))] == [("a", 100), ("(external)", 4100)]


def test_packed_tallies_across_block_edges() -> None:
    # By hand: GroupCounts.add packs each block's counts from the block's lowest group. Namespace
    # "a" has 4,096 atoms in block 0 and 904 in block 1, whose lowest group is then "a" itself; "b"
    # (10 atoms) is only in block 1; the external group (index 2) starts in block 1 and is alone
    # in block 2 (atom 8,200), which a shift of its own places. Counts wider than 32 bits are kept
    # whole (a field is 64 bits).
    atoms = ([[_Member(i, "a")] for i in range(5000)] + [[_Member(5000 + i, "b")] for i in range(10)]
             + [[_Member(6000 + i, None)] for i in range(4000)])
    counter = GroupCounts(_Atoms(atoms), None)
    tally: dict[int, int] = {}
    counter.add(to_blocks(((1 << 5010) - 1) ^ (1 << 4095)), tally)  # all of a and b but one atom of a
    counter.add(to_blocks(1 << 4096 | 1 << 8200), tally, 5)  # one atom of a, one external range, 5 times
    assert [(counter.names[g], n) for g, n in counter.totals(tally)] == [("a", 4999 + 5), ("b", 10), ("(external)", 5)]
    big: dict[int, int] = {}
    counter.add(to_blocks((1 << 10) - 1), big, 3 << 40)
    assert counter.totals(big) == [(0, 10 * (3 << 40))]
    assert counter.totals({}) == []
