"""`matrix --aggregate namespace` equals the plain aggregation of the pair matrix: for each
(source namespace, destination namespace), the union of the ports of its pairs, their count,
and whether any rests on an invalid policy. The aggregation counts cells of destination atoms
per namespace and takes sources with equal rows once, never pairs; this test walks pairs."""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from policylint.engine import Engine
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
    """Atoms of a few namespaces (and external ranges) in any order, not only in runs, with 0 to
    3 endpoints each; a bitset over them, sparse or dense, and a `--to` set of endpoints."""
    spaces = draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=80))
    sizes = draw(st.lists(st.integers(0, 3), min_size=len(spaces), max_size=len(spaces)))
    atoms, index = [], 0
    for namespace, size in zip(spaces, sizes):
        atoms.append([_Member(index + i, namespace) for i in range(size)])
        index += size
    bits = draw(st.integers(0, (1 << len(atoms)) - 1))
    wanted = draw(st.none() | st.sets(st.integers(0, max(index - 1, 0))))
    return atoms, bits, wanted


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
    found = {counter.names[g]: n for g, n in counter.counts(bits)}
    assert found == expected
    assert {counter.names[g] for g in counter.groups(bits)} == set(expected)
    assert counter.names == sorted(counter.names, key=lambda g: (g == "(external)", g))
