"""Label constraints as a small algebra: what a set of labels a hypothetical pod or namespace
could carry must satisfy.

A label selector is a conjunction of per-key requirements, and every requirement of
`matchLabels` and `matchExpressions` (In, NotIn, Exists, DoesNotExist) says, for one key, which
*states* the key may be in: absent, or present with a value from a finite set, or present with
any value outside a finite set. That family of sets is closed under intersection and complement,
so a selector, the conjunction of two selectors, and the complement of one requirement are all
`KeyConstraint`s again. A `Conjunction` maps keys to constraints (an unlisted key may be in any
state); it is satisfiable exactly when each of its keys is, because keys are independent. The
complement of a conjunction is a union of disjoint conjunctions.

This is what lets exposure analysis describe "any pod in a namespace matching {selector}"
exactly: a requirement no real label set can satisfy (`a In [x]` with `a NotIn [x]`, `Exists`
with `DoesNotExist`) becomes an unsatisfiable conjunction and is dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

from policylint.model.types import LabelSelector, Requirement


@dataclass(frozen=True, slots=True)
class KeyConstraint:
    """The states one label key may be in: absent (when `absent`), or present with a value in
    `values` (when `inclusive`) or outside `values` (when not)."""

    absent: bool
    inclusive: bool
    values: frozenset[str]

    @property
    def satisfiable(self) -> bool:
        # Label values are not a finite set: "any value outside a finite set" always has one.
        return self.absent or not self.inclusive or bool(self.values)

    @property
    def is_any(self) -> bool:
        return self.absent and not self.inclusive and not self.values

    def meet(self, other: KeyConstraint) -> KeyConstraint:
        absent = self.absent and other.absent
        if self.inclusive and other.inclusive:
            return KeyConstraint(absent, True, self.values & other.values)
        if self.inclusive:
            return KeyConstraint(absent, True, self.values - other.values)
        if other.inclusive:
            return KeyConstraint(absent, True, other.values - self.values)
        return KeyConstraint(absent, False, self.values | other.values)

    def join(self, other: KeyConstraint) -> KeyConstraint:
        """The union (the family is closed under it, as under intersection)."""
        absent = self.absent or other.absent
        if self.inclusive and other.inclusive:
            return KeyConstraint(absent, True, self.values | other.values)
        if self.inclusive:
            return KeyConstraint(absent, False, other.values - self.values)
        if other.inclusive:
            return KeyConstraint(absent, False, self.values - other.values)
        return KeyConstraint(absent, False, self.values & other.values)

    def complement(self) -> KeyConstraint:
        return KeyConstraint(not self.absent, not self.inclusive, self.values)

    def allows(self, value: str | None) -> bool:
        if value is None:
            return self.absent
        return (value in self.values) == self.inclusive

    def requirements(self, key: str) -> list[Requirement]:
        """The same constraint as selector requirements (the shortest spelling)."""
        values = tuple(sorted(self.values))
        if self.inclusive:
            if self.absent:
                if not values:
                    return [Requirement(key, "DoesNotExist", ())]
                # Absent or one of `values`: no Kubernetes operator says this (it arises only as
                # the complement of `Exists` with `NotIn`), so it has a name of its own.
                return [Requirement(key, DOES_NOT_EXIST_OR_IN, values)]
            return [Requirement(key, "In", values)]
        if self.absent:
            return [Requirement(key, "NotIn", values)] if values else []
        if values:
            return [Requirement(key, "Exists", ()), Requirement(key, "NotIn", values)]
        return [Requirement(key, "Exists", ())]


ANY = KeyConstraint(True, False, frozenset())
DOES_NOT_EXIST_OR_IN = "DoesNotExistOrIn"


def requirement_constraint(req: Requirement) -> KeyConstraint | None:
    values = frozenset(req.values)
    if req.operator == "In":
        return KeyConstraint(False, True, values)
    if req.operator == "NotIn":
        return KeyConstraint(True, False, values)
    if req.operator == "Exists":
        return KeyConstraint(False, False, frozenset())
    if req.operator == "DoesNotExist":
        return KeyConstraint(True, True, frozenset())
    return None


@dataclass(frozen=True, slots=True)
class Conjunction:
    """Per-key constraints, sorted by key; a key not listed may be in any state."""

    keys: tuple[tuple[str, KeyConstraint], ...] = ()

    @staticmethod
    def of(items: Mapping[str, KeyConstraint] | Iterable[tuple[str, KeyConstraint]]) -> Conjunction:
        # A duck test: `isinstance(x, typing.Mapping)` goes through the ABC machinery, a cost that
        # showed at millions of calls (a cluster export's regions).
        pairs = items.items() if hasattr(items, "items") else items
        return Conjunction(tuple(sorted((k, c) for k, c in pairs if not c.is_any)))

    def get(self, key: str) -> KeyConstraint:
        for k, c in self.keys:
            if k == key:
                return c
        return ANY

    @property
    def satisfiable(self) -> bool:
        return all(c.satisfiable for _, c in self.keys)

    @property
    def is_everything(self) -> bool:
        return not self.keys

    def meet(self, other: Conjunction) -> Conjunction | None:
        """The intersection, or None when no label set satisfies both."""
        if not other.keys:
            return self
        if not self.keys:
            return other
        merged = dict(self.keys)
        for key, c in other.keys:
            merged[key] = merged[key].meet(c) if key in merged else c
            if not merged[key].satisfiable:
                return None
        result = Conjunction.of(merged)
        return result if result.satisfiable else None

    def complement(self) -> list[Conjunction]:
        """Disjoint conjunctions whose union is everything this one excludes."""
        pieces = []
        prefix: dict[str, KeyConstraint] = {}
        for key, c in self.keys:
            negated = c.complement()
            if negated.satisfiable:
                pieces.append(Conjunction.of({**prefix, key: negated}))
            prefix[key] = c
        return pieces

    def minus(self, other: Conjunction) -> list[Conjunction]:
        """Disjoint conjunctions covering `self` outside `other`."""
        return [p for p in (self.meet(n) for n in other.complement()) if p is not None]

    def within(self, other: Conjunction) -> bool:
        """Whether every label set satisfying self satisfies other."""
        return not self.minus(other)

    def join_one(self, other: Conjunction) -> Conjunction | None:
        """The union when it is a conjunction too: both agree on every key but one."""
        mine, theirs = dict(self.keys), dict(other.keys)
        differing = [k for k in set(mine) | set(theirs) if mine.get(k, ANY) != theirs.get(k, ANY)]
        if len(differing) != 1:
            return self if not differing else None
        key = differing[0]
        return Conjunction.of({**mine, key: mine.get(key, ANY).join(theirs.get(key, ANY))})

    def without(self, key: str) -> Conjunction:
        return Conjunction(tuple((k, c) for k, c in self.keys if k != key))

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(c.allows(labels.get(k)) for k, c in self.keys)

    def example(self, fresh: Mapping[str, Iterable[str]] | None = None,
                taken: Mapping[str, set[str]] | None = None) -> dict[str, str]:
        """One label set that satisfies the conjunction: the smallest listed value, no label
        where absence is allowed, else a value outside every value the input mentions."""
        labels: dict[str, str] = {}
        for key, c in self.keys:
            if c.inclusive and c.values:
                labels[key] = min(c.values)
            elif c.absent:
                continue
            else:
                avoid = set(c.values) | set((taken or {}).get(key, ()))
                labels[key] = fresh_value(avoid)
        return labels

    def requirements(self) -> list[Requirement]:
        return [r for key, c in self.keys for r in c.requirements(key)]


def fresh_value(avoid: set[str], stem: str = "other") -> str:
    """A label value (and DNS label) that is not in `avoid`."""
    if stem not in avoid:
        return stem
    n = 1
    while f"{stem}-{n}" in avoid:
        n += 1
    return f"{stem}-{n}"


def selector_conjunction(selector: LabelSelector | None) -> Conjunction | None:
    """A selector as a conjunction (None: it matches nothing — the API server rejects it, or it
    contradicts itself). No selector at all is everything."""
    if selector is None:
        return Conjunction()
    if not selector.valid:
        return None
    result = Conjunction()
    parts = [Conjunction.of({k: KeyConstraint(False, True, frozenset({v}))}) for k, v in selector.match_labels]
    for req in selector.expressions:
        c = requirement_constraint(req)
        if c is None:
            return None
        parts.append(Conjunction.of({req.key: c}) if not c.is_any else Conjunction())
    for part in parts:
        met = result.meet(part)
        if met is None:
            return None
        result = met
    return result


def _normal(conjunction: Conjunction) -> bool:
    """Every key constrained, and satisfiably (what `meet` makes of two normal conjunctions)."""
    return all(c.satisfiable and not c.is_any for _, c in conjunction.keys)


def _meet_normal(cell: Conjunction, mapping: dict[str, KeyConstraint], other: Conjunction
                 ) -> tuple[Conjunction, dict[str, KeyConstraint]] | None:
    """`cell.meet(other)` for two normal conjunctions (`_normal`), `mapping` being the cell's
    keys as a dict; the result with its own. Less work than `meet`: only a key both constrain
    can become unsatisfiable, and the meet of two constraints that are not `ANY` is not `ANY`
    (absent, non-inclusive and valueless only if both were), so the result needs neither the
    filter of `Conjunction.of` nor a check of every key; and most meets in a refinement are
    empty, which is told before anything is copied or made."""
    if not other.keys:
        return cell, mapping
    if not cell.keys:
        return other, dict(other.keys)
    met = []
    for key, c in other.keys:
        mine = mapping.get(key)
        if mine is not None:
            # KeyConstraint.meet, written out so that an unsatisfiable meet is told before a
            # constraint is made.
            absent = mine.absent and c.absent
            if mine.inclusive:
                values = mine.values & c.values if c.inclusive else mine.values - c.values
            elif c.inclusive:
                values = c.values - mine.values
            else:
                met.append((key, KeyConstraint(absent, False, mine.values | c.values)))
                continue
            if not absent and not values:
                return None
            c = KeyConstraint(absent, True, values)
        met.append((key, c))
    merged = dict(mapping)
    merged.update(met)
    return Conjunction(tuple(sorted(merged.items()))), merged


def refine(cells: list[Conjunction], splitters: Iterable[Conjunction | None]) -> list[Conjunction]:
    """Split `cells` until every splitter either contains or misses each cell entirely."""
    # Normal cells met with normal splitters give normal cells: the given cells and the splitters
    # of an analysis are normal (a selector nothing satisfies is None, not a conjunction).
    splitters = list(splitters)
    if not all(_normal(cell) for cell in cells):
        return _refine(cells, splitters)
    pairs = [(cell, dict(cell.keys)) for cell in cells]  # each cell with its keys as a dict
    for index, splitter in enumerate(splitters):
        if splitter is None or splitter.is_everything:
            continue
        if not _normal(splitter):
            # Its parts need not be normal (a cell without keys meets it as the splitter itself):
            # from here on, the generic way.
            return _refine([cell for cell, _ in pairs], splitters[index:])
        # `cell.minus(splitter)`, with the splitter's complement made once for all the cells
        # (its pieces are normal when the splitter is: `Conjunction.of` of satisfiable parts).
        negations = splitter.complement()
        out: list[tuple[Conjunction, dict[str, KeyConstraint]]] = []
        for pair in pairs:
            cell, mapping = pair
            inside = _meet_normal(cell, mapping, splitter)
            if inside is None or inside[0] == cell:
                # Missed or contained whole. (Meeting is exact, None only when no label set
                # satisfies both, so a cell equal to its part inside has nothing outside.)
                out.append(pair)
                continue
            outside = [p for p in (_meet_normal(cell, mapping, n) for n in negations) if p is not None]
            if not outside:
                out.append(pair)
                continue
            out.append(inside)
            out.extend(outside)
        pairs = out
    return [cell for cell, _ in pairs]


def _refine(cells: list[Conjunction], splitters: Iterable[Conjunction | None]) -> list[Conjunction]:
    """`refine` for cells that are not all normal, with the generic meet."""
    for splitter in splitters:
        if splitter is None or splitter.is_everything:
            continue
        negations = splitter.complement()
        out: list[Conjunction] = []
        for cell in cells:
            inside = cell.meet(splitter)
            if inside is None or inside == cell:
                out.append(cell)
                continue
            outside = [p for p in (cell.meet(n) for n in negations) if p is not None]
            if not outside:
                out.append(cell)
                continue
            out.append(inside)
            out.extend(outside)
        cells = out
    return cells


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def is_namespace_name(value: str) -> bool:
    return bool(DNS_LABEL.match(value))


def iter_values(conjunctions: Iterable[Conjunction]) -> Iterator[tuple[str, str]]:
    for conj in conjunctions:
        for key, c in conj.keys:
            for value in c.values:
                yield key, value
