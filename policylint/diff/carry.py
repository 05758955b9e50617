"""Findings the new version's analysis takes over from the old one's instead of running a rule again.

`diff` analyses both versions with every rule. For a change to one policy most rules' answers are
the same on both sides, and a few of them cost most of `check` on a large cluster (the training
rules PL501–PL503 follow rows of the matrix for tens of thousands of pods). A rule may declare
what its findings depend on (`reads(ctx)` in its module, rule_api.RuleSpec.reads): the config,
the objects other than NetworkPolicies, and the connectivity of the workloads it returns, with
the policies that select them. A pair's connectivity is decided by the policies that select its
source (egress) and its destination (ingress), their rules, and what those rules match (labels,
named ports, pod IPs of pods and namespaces); so when

- the objects other than NetworkPolicies are the same, in the same order (files byte for byte, or
  compared object by object as values in a file that changed), as are the namespaces,
- no NetworkPolicy that was added, removed or whose spec changed selects, in either version, a
  workload the rule reads, and the policies that did not change come in the same order,
- the rule ran on the old version with the same severity and options,

the rule would find the same things on the new version: its old findings are taken over. Only
their positions can differ, so each place a finding names (its location and related locations)
must be provably the same in the new version, else the rule runs again:

- in a file whose bytes are the same on both sides (matched by their order of loading), a place
  is the same line and column under the new file's name;
- in a file that changed, the place must lie in a document whose text (its lines), start, end and
  value are the same in both versions, at the same position among the file's documents;
- no message may name an input file (a `path:line` would need the same proof); the places among
  a finding's causes (policylint.consequences) are moved as its location is.

A rule of scope "policy" may declare instead that its findings on a policy depend on that policy
alone (`POLICY_LOCAL = True`; the config and the objects other than NetworkPolicies aside): then
the findings of each policy whose object is the same value in both versions are taken over, under
the same conditions on the rest of the input and on positions, and the rule checks the others.

Anything else — a file of one side only, a rendered chart, standard input, a finding of another
code (a crash) — and the rule simply runs on the new version.
"""
from __future__ import annotations

import bisect
import dataclasses
import hashlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policylint.engine.endpoints import unique_ids
from policylint.findings import Finding, Related
from policylint.load.nodes import Span
from policylint.load.objects import split_objects

if TYPE_CHECKING:
    from policylint.analysis import Analysis, SelectedRule
    from policylint.load.inputs import LoadedFile
    from policylint.load.reuse import ParsedFiles

LOG = logging.getLogger(__name__)
NETWORK_POLICY = ("NetworkPolicy", "networking.k8s.io/v1")


class CarryOver:
    """Hands the new version's analysis (analyse(carry=…)) the old findings of the rules that
    can be carried over; `carried` lists their codes, in the order they were taken."""

    def __init__(self, old: Analysis, parsed: ParsedFiles) -> None:
        self.old = old
        self.parsed = parsed
        self.carried: list[str] = []
        self.carried_policies: dict[str, int] = {}  # code -> policies whose findings were taken over
        self._basis: _Basis | None = None
        self._decided = False

    def findings(self, new: Analysis, selected: SelectedRule) -> list[Finding] | None:
        """The old findings of this rule, placed in the new version; None: run the rule."""
        spec = selected.spec
        if spec.reads is None or self.old.raw is None or spec.code not in self.old.raw:
            return None
        found = self._old_run(new, selected)
        if found is None:
            return None
        before, basis = found
        try:
            engine = self.old.engine
            read = {engine.endpoint_of(w).id for w in spec.reads(self.old.context(before))}
        except Exception:  # whatever went wrong, running the rule reports it as a rule would
            return None
        if not read.isdisjoint(basis.touched):
            return None
        carried = []
        for finding in self.old.raw[spec.code]:
            moved = basis.relocated(finding, spec.code)
            if moved is None:
                return None
            carried.append(moved)
        self.carried.append(spec.code)
        LOG.debug("%s: %d findings taken over from the old version", spec.code, len(carried))
        return carried

    def policy_findings(self, new: Analysis, selected: SelectedRule) -> dict[int, list[Finding]] | None:
        """For a rule whose findings on a policy depend on that policy alone (`POLICY_LOCAL`): the
        old findings of each policy the same in both versions (its whole object, as a value), by
        the policy's position in the new version; the rule checks the others."""
        spec = selected.spec
        if not spec.policy_local or self.old.raw is None or spec.code not in self.old.raw_targets:
            return None
        found = self._old_run(new, selected)
        if found is None:
            return None
        basis = found[1]
        earlier = self.old.raw_targets[spec.code]
        old_policies, new_policies = self.old.cluster.policies, new.cluster.policies
        old_position = {k: position for position, k in enumerate(_uids(old_policies))}
        given: dict[int, list[Finding]] = {}
        for position, uid in enumerate(_uids(new_policies)):
            was = old_position.get(uid)
            if was is None or old_policies[was].source.node != new_policies[position].source.node:
                continue
            moved = [basis.relocated(f, spec.code) for f in earlier.get(was, ())]
            if all(m is not None for m in moved):
                given[position] = moved
        self.carried_policies[spec.code] = len(given)
        LOG.debug("%s: the findings of %d of %d policies taken over from the old version", spec.code, len(given),
                  len(new_policies))
        return given

    def _old_run(self, new: Analysis, selected: SelectedRule) -> tuple[SelectedRule, _Basis] | None:
        """The rule as it ran on the old version, if with the same severity and options, and what
        the versions share; None: run the rule."""
        before = next((r for r in self.old.rules if r.spec.code == selected.spec.code), None)
        if before is None or before.severity != selected.severity or before.options != selected.options:
            return None
        basis = self._basis_of(new)
        return None if basis is None else (before, basis)

    def _basis_of(self, new: Analysis) -> _Basis | None:
        if not self._decided:
            self._decided = True
            self._basis = _basis(self.old, new, self.parsed)
        return self._basis


@dataclass(slots=True)
class _FilePair:
    old: LoadedFile
    new: LoadedFile
    same: bool  # byte for byte
    old_path: str | None  # where each was read from (None: not from a file)
    new_path: str | None
    old_digest: bytes | None
    new_digest: bytes | None
    _lines: tuple[list[bytes], list[bytes]] | None = None
    _starts: list[int] | None = None
    _checked: dict[int, bool] = field(default_factory=dict)

    def same_place(self, span: Span) -> bool:
        """Whether `span` of the old file is the same place in the new one."""
        if self.same:
            return True
        lines = self._texts()
        if lines is None:
            return False
        documents = self.old.documents
        if self._starts is None:
            self._starts = [d.span.line for d in documents]
        index = bisect.bisect_right(self._starts, span.line) - 1
        if index < 0 or not _within(span, documents[index].span):
            return False
        verdict = self._checked.get(index)
        if verdict is None:
            verdict = self._checked[index] = self._same_document(index, lines)
        return verdict

    def _same_document(self, index: int, lines: tuple[list[bytes], list[bytes]]) -> bool:
        if index >= len(self.new.documents):
            return False
        a, b = self.old.documents[index], self.new.documents[index]
        if a.span != dataclasses.replace(b.span, path=a.span.path):
            return False
        first, last = a.span.line - 1, a.span.end_line
        return lines[0][first:last] == lines[1][first:last] and a.root == b.root

    def _texts(self) -> tuple[list[bytes], list[bytes]] | None:
        if self._lines is None:
            texts = []
            for path, digest in ((self.old_path, self.old_digest), (self.new_path, self.new_digest)):
                data = _read(path, digest)
                if data is None:
                    return None
                texts.append(data.split(b"\n"))  # lines as the loader counts them (LineIndex)
            self._lines = (texts[0], texts[1])
        return self._lines


def _read(path: str | None, digest: bytes | None) -> bytes | None:
    """The file's bytes, if they are still those the load read."""
    if path is None or digest is None:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return data if hashlib.blake2b(data, digest_size=32).digest() == digest else None


def _within(span: Span, outer: Span) -> bool:
    return (outer.line, outer.column) <= (span.line, span.column) \
        and (span.end_line, span.end_column) <= (outer.end_line, outer.end_column)


@dataclass(slots=True)
class _Basis:
    """What the two versions share: which file is which, and the workloads a change may touch."""

    pairs: dict[str, _FilePair]  # by the old file's name
    new_names: frozenset[str]
    touched: set[str]  # endpoint ids selected, in either version, by a policy that changed

    def relocated(self, finding: Finding, code: str) -> Finding | None:
        if finding.code != code:
            return None
        causes = []
        for cause in finding.causes:
            moved = self._cause(cause)
            if moved is None:
                return None
            causes.append(moved)
        if any(self._names_a_file(text) for text in (finding.message, *(r.message for r in finding.related))):
            return None
        span = self._place(finding.span)
        related = []
        for r in finding.related:
            moved = self._place(r.span)
            if moved is None:
                return None
            related.append(Related(moved, r.message))
        if span is None:
            return None
        return dataclasses.replace(finding, span=span, related=tuple(related), causes=frozenset(causes))

    def _cause(self, cause: Any) -> Any:
        """A cause key (policylint.consequences) in the new version: a place in it, `("at", path,
        line, column)` as cause_at writes it, is moved as a finding's place is; a key naming an
        input file any other way is not carried."""
        parts = cause if isinstance(cause, tuple) else (cause,)
        if "at" in parts:
            i = parts.index("at")
            place = parts[i + 1:i + 4]
            if len(place) == 3 and isinstance(place[0], str) and isinstance(place[1], int) \
                    and isinstance(place[2], int):
                span = self._place(Span(place[0], place[1], place[2], place[1], place[2]))
                if span is None:
                    return None
                return parts[:i + 1] + (span.path, span.line, span.column) + parts[i + 4:]
        if any(isinstance(p, str) and (p in self.pairs or p in self.new_names) for p in parts):
            return None
        return cause

    def _names_a_file(self, text: str) -> bool:
        return any(name in text for name in self.pairs) or any(name in text for name in self.new_names)

    def _place(self, span: Span) -> Span | None:
        pair = self.pairs.get(span.path)
        if pair is None:
            # not in an input file of the old version (the config's roles, say): the same in
            # both, unless it names a file of the new version only
            return None if span.path in self.new_names else span
        if not pair.same_place(span):
            return None
        return dataclasses.replace(span, path=pair.new.path)


def _basis(old: Analysis, new: Analysis, parsed: ParsedFiles) -> _Basis | None:
    """None when the versions differ in more than NetworkPolicies (or cannot be compared)."""
    a, b = old.load, new.load
    if len(a.files) != len(b.files) or a.rendered_files or b.rendered_files:
        return None
    if any(o.rendered_by for o in a.objects) or any(o.rendered_by for o in b.objects):
        return None
    pairs: dict[str, _FilePair] = {}
    for x, y in zip(a.files, b.files):
        old_path, old_digest = parsed.read.get(x.path, (None, None))
        new_path, new_digest = parsed.read.get(y.path, (None, None))
        same = old_digest is not None and old_digest == new_digest
        if x.path in pairs:
            return None
        pairs[x.path] = _FilePair(x, y, same, old_path, new_path, old_digest, new_digest)
        if not same and _others(x) != _others(y):
            return None
    if not _same_namespaces(old.cluster, new.cluster):
        return None
    changed = _changed_policies(old.cluster, new.cluster)
    if changed is None:
        return None
    touched: set[str] = set()
    for analysis, policies in ((old, changed[0]), (new, changed[1])):
        engine = analysis.engine
        for policy in policies:
            touched.update(engine.endpoint_of(w).id for w in engine.selected_by(policy))
    return _Basis(pairs, frozenset(f.path for f in b.files), touched)


def _others(loaded: LoadedFile) -> list[Any]:
    """The objects of a file other than NetworkPolicies, as values (positions are no part of them)."""
    objects, _ = split_objects(loaded.documents)
    return [(o.kind, o.api_version, o.node) for o in objects if (o.kind, o.api_version) != NETWORK_POLICY]


def _same_namespaces(a: Any, b: Any) -> bool:
    if a.namespaces.keys() != b.namespaces.keys():
        return False
    return all(dict(n.labels) == dict(b.namespaces[k].labels) and n.declared == b.namespaces[k].declared
               for k, n in a.namespaces.items())


def _changed_policies(a: Any, b: Any) -> tuple[list[Any], list[Any]] | None:
    """(old versions, new versions) of the policies added, removed or edited; None when those that
    did not change come in another order (an explanation lists policies in the order of the input)."""
    before, after = _by_id(a.policies), _by_id(b.policies)
    changed = {k for k in before.keys() | after.keys()
               if k not in before or k not in after or _spec(before[k]) != _spec(after[k])}
    if _order(a.policies, before, changed) != _order(b.policies, after, changed):
        return None
    return [before[k] for k in sorted(changed) if k in before], [after[k] for k in sorted(changed) if k in after]


def _uids(policies: list[Any]) -> list[str]:
    """Each policy's id as `_by_id` gives it, in the policies' order."""
    uid = {id(p): k for k, p in _by_id(policies).items()}
    return [uid[id(p)] for p in policies]


def _by_id(policies: list[Any]) -> dict[str, Any]:
    ordered = sorted(policies, key=lambda p: p.id)
    return dict(zip(unique_ids(ordered), ordered))


def _order(policies: list[Any], by_id: dict[str, Any], changed: set[str]) -> list[str]:
    uid = {id(p): k for k, p in by_id.items()}
    return [uid[id(p)] for p in policies if uid[id(p)] not in changed]


def _spec(policy: Any) -> Any:
    node = policy.source.node
    return node.get("spec") if isinstance(node, dict) else None
