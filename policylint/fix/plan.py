"""Find fixes, prove each with the engine, and produce the fixed texts.

The proof, run before anything is written, for every batch of fixes:
1. each fixed finding is gone after the edit;
2. no finding appears that was not there before (compared by code, object and field);
3. connectivity: a safe fix adds only the connections its finding needs (its `Need`s) and
   removes none; a fix without needs changes no connection at all. An unsafe fix (applied only
   with --unsafe-fixes) changes connectivity by design: it is proved alone, on 1 and 2, and the
   user reviews its diff.
A batch that fails is retried one fix at a time; a fix that fails alone is refused with the
reason. Like ruff, fixes run in rounds until nothing more applies, since one fix can make room
for another (two findings that want the same lines are fixed one round after the other).
"""
from __future__ import annotations

import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from policylint import lazy_log
from policylint.findings import Finding
from policylint.fix.fixers import FIXERS, FixContext
from policylint.fix.locate import read_sources
from policylint.fix.model import SAFE, Fix, FixOutcome, NoFix
from policylint.fix.text import TextEdit, apply_edits, overlapping

LOG = lazy_log.get_logger(__name__)
MAX_ROUNDS = 8
# When two fixes want the same place, these go first: DNS before anything that isolates more
# pods for egress (a new policy that isolates is itself reported by PL305 until DNS is allowed);
# the config's expectations last, so that they add only what the rules did not already open.
FIRST = ("PL305", "PL307")
LAST = ("PL500",)


def _order(fix: Fix) -> tuple:
    """The order fixes are tried in: by code, then by what they are about — never by file path,
    which differs from one checkout to the next (and would change what `generate` writes)."""
    code = fix.finding.code
    rank = FIRST.index(code) if code in FIRST else len(FIRST) + 1 + LAST.index(code) if code in LAST else len(FIRST)
    return (rank, code, fix.finding.object, fix.finding.field_path, fix.finding.message)


@dataclass(frozen=True, slots=True)
class FixRequest:
    select: tuple[str, ...] = ()  # codes/prefixes/names of the findings to fix; all when empty
    unsafe: bool = False
    only_paths: tuple[str, ...] = ()  # when set, fixes that edit other files are left out
    target: str | None = None  # see FixContext
    home: str | None = None



def run_fixes(analysis: Any, config: Any, request: FixRequest, analyse_files: Any) -> FixOutcome:
    """`analyse_files(paths)` re-runs the same analysis (same config and rules) on other files."""
    from policylint.analysis import token_matches

    outcome = FixOutcome()
    outcome.first_seen = {finding_key(f): f for f in reversed(analysis.findings)}
    paths = [f.path for f in analysis.load.files]
    sources = read_sources(paths)
    original = dict(sources.texts)
    current = analysis
    seen_unfixable: set[tuple] = set()
    history: list[list[TextEdit]] = []  # the edits of each round, in that round's coordinates
    for rounds in range(MAX_ROUNDS):
        ctx = FixContext(current, sources, config, request.target, request.home)
        candidates: list[Fix] = []
        for finding in current.findings:
            fixer = FIXERS.get(finding.code)
            if fixer is None or (request.select and not any(token_matches(t, finding.code, finding.name)
                                                            for t in request.select)):
                continue
            if finding.path in getattr(current.load, "rendered_files", ()):
                continue  # the object was rendered: its source positions may be approximate, and a base is shared
            try:
                result = fixer(ctx, finding)
            except Exception as error:  # a bug in one fixer must not cost the other fixes
                LOG.debug("fixer for %s crashed\n%s", finding.code, lazy_log.traceback_text())
                result = NoFix(finding, f"internal error while preparing the fix ({type(error).__name__}); "
                                        "please report it (--debug shows the traceback)")
            if isinstance(result, NoFix):
                key = finding_key(finding)
                if key not in seen_unfixable:
                    seen_unfixable.add(key)
                    outcome.unfixable.append(result)
            elif isinstance(result, Fix) and not all(e.path.endswith(EDITABLE) for e in result.edits):
                # A Pulumi program or a JSON file: show the change, edit nothing.
                result = NoFix(finding, f"{result.title}; not edited automatically in {_kind_of(result)}: "
                                        f"add {_suggestion(result)}")
                if finding_key(finding) not in seen_unfixable:
                    seen_unfixable.add(finding_key(finding))
                    outcome.unfixable.append(result)
            elif isinstance(result, Fix):
                if request.only_paths and any(e.path not in request.only_paths for e in result.edits):
                    continue
                if result.safety != SAFE and not request.unsafe:
                    if finding_key(finding) not in {finding_key(f.finding) for f in outcome.skipped_unsafe}:
                        outcome.skipped_unsafe.append(result)
                        outcome.original_edits[id(result)] = _to_original(result.edits, history)
                    continue
                candidates.append(result)
        candidates.sort(key=_order)
        batch, twins = _non_overlapping(candidates)
        if not batch:
            break
        accepted, after = _prove_batch(current, sources.texts, batch, analyse_files, outcome)
        if not accepted:
            break
        # A fix whose edits are those of an accepted fix (two findings of one cause) is applied too.
        accepted += [twin for twin, of in twins if any(of is a for a in accepted)]
        outcome.applied.extend(accepted)
        for fix in accepted:
            outcome.original_edits[id(fix)] = _to_original(fix.edits, history)
        history.append([e for fix in batch if fix in accepted for e in fix.edits])
        sources.texts.update(after.texts)
        sources.aliases.update(after.aliases)
        current = after.analysis
    outcome.texts = {p: (original[p], sources.texts[p]) for p in original}
    outcome.unfixable = [n for n in outcome.unfixable if finding_key(n.finding) not in {finding_key(f.finding) for f in outcome.applied}]
    return outcome


@dataclass(slots=True)
class _After:
    texts: dict[str, str]
    analysis: Any
    aliases: dict[str, str]


def _to_original(edits: tuple[TextEdit, ...], history: list[list[TextEdit]]) -> tuple[TextEdit, ...] | None:
    """A later round's edits in the coordinates of the text as read, or None when an edit lands
    inside text that an earlier round inserted (then only the final diff can show it)."""
    mapped = []
    for edit in edits:
        start, end = edit.start, edit.end
        for round_edits in reversed(history):
            same_file = sorted((e for e in round_edits if e.path == edit.path), key=lambda e: (e.start, e.end))
            start, end = _back(start, same_file), _back(end, same_file)
            if start is None or end is None:
                return None
        mapped.append(TextEdit(edit.path, start, end, edit.replacement))
    return tuple(mapped)


def _back(offset: int | None, edits: list[TextEdit]) -> int | None:
    """An offset in the text after `edits` -> the offset in the text before them."""
    if offset is None:
        return None
    shift = 0
    for e in edits:
        new_start = e.start + shift
        new_end = new_start + len(e.replacement)
        if offset < new_start:
            return offset - shift
        if offset == new_start and e.start == e.end:
            return e.start
        if offset == new_end:
            return e.end
        if offset < new_end:
            return None
        shift += len(e.replacement) - (e.end - e.start)
    return offset - shift


def finding_key(finding: Finding) -> tuple:
    return finding.stable_key


EDITABLE = (".yaml", ".yml")


def _kind_of(fix: Fix) -> str:
    return "a Pulumi program" if any(e.path.endswith(".py") for e in fix.edits) else "a JSON file"


def _suggestion(fix: Fix) -> str:
    """What a fix inserts, as a Python/JSON literal a person can carry over into a program."""
    import json
    import textwrap

    import yaml

    parts = []
    for edit in fix.edits:
        text = textwrap.dedent(edit.replacement.rstrip() + "\n")
        try:
            values = [v for v in yaml.safe_load_all(text) if v is not None]
        except yaml.YAMLError:
            values = []
        parts.extend(json.dumps(v, sort_keys=False) for v in values)
    return "; ".join(f"`{p}`" for p in parts) if parts else "the edit shown by --diff on the YAML form"


def _owner(finding: Finding) -> tuple:
    return (finding.code, finding.object)


def _non_overlapping(fixes: list[Fix]) -> tuple[list[Fix], list[tuple[Fix, Fix]]]:
    """The fixes to try together (no two touch the same characters), and the twins: fixes whose
    edits equal a chosen one's, with the fix they repeat."""
    chosen: list[Fix] = []
    twins: list[tuple[Fix, Fix]] = []
    for fix in fixes:
        same = next((other for other in chosen if other.edits == fix.edits), None)
        if same is not None:
            twins.append((fix, same))
            continue
        if any(overlapping(a, b) for other in chosen for a in fix.edits for b in other.edits):
            continue
        chosen.append(fix)
    return chosen, twins


def _prove_batch(before: Any, texts: dict[str, str], batch: list[Fix], analyse_files: Any,
                 outcome: FixOutcome) -> tuple[list[Fix], _After | None]:
    if all(fix.safety == SAFE for fix in batch):
        after = _apply(before, texts, batch, analyse_files)
        if _proof_failure(before, after.analysis, batch) is None:
            return batch, after
    accepted: list[Fix] = []
    after = None
    for fix in batch:  # one at a time, each on top of those accepted so far
        trial = _apply(before, texts, [*accepted, fix], analyse_files)
        reason = _proof_failure(before, trial.analysis, [*accepted, fix])
        if reason is None:
            accepted.append(fix)
            after = trial
        elif finding_key(fix.finding) not in {finding_key(f.finding) for f, _ in outcome.refused}:
            outcome.refused.append((fix, reason))
    return (accepted, after) if accepted else ([], None)


def _apply(before: Any, texts: dict[str, str], fixes: list[Fix], analyse_files: Any) -> _After:
    edits: dict[str, list] = {}
    for fix in fixes:
        for edit in fix.edits:
            edits.setdefault(edit.path, []).append(edit)
    new_texts = {path: apply_edits(texts[path], path_edits) for path, path_edits in edits.items()}
    paths = [f.path for f in before.load.files]
    with tempfile.TemporaryDirectory(prefix="policylint-fix-") as folder:
        staged: dict[str, str] = {}
        for index, path in enumerate(paths):
            if path in new_texts:
                # Same file name in a folder of its own: messages that quote the name stay alike.
                target = os.path.join(folder, str(index), os.path.basename(path))
                os.makedirs(os.path.dirname(target))
                with open(target, "w", encoding="utf-8", newline="") as handle:
                    handle.write(new_texts[path])
                staged[target] = path
        analysis = analyse_files([next((t for t, p in staged.items() if p == path), path) for path in paths])
        _restore_paths(analysis, staged)
    return _After({**texts, **new_texts}, analysis, staged)


def _restore_paths(analysis: Any, staged: dict[str, str]) -> None:
    import dataclasses

    from policylint.findings import Related

    def span(s: Any) -> Any:
        return dataclasses.replace(s, path=staged[s.path]) if s.path in staged else s

    analysis.findings = [dataclasses.replace(f, span=span(f.span),
                                             related=tuple(Related(span(r.span), r.message) for r in f.related))
                         for f in analysis.findings]
    for loaded in analysis.load.files:
        if loaded.path in staged:
            loaded.path = staged[loaded.path]


def _proof_failure(before: Any, after: Any, fixes: list[Fix]) -> str | None:
    # Findings are counted per (code, object): an edit may move where a finding points inside
    # its object (adding `egress:` moves "egress is isolated here" from policyTypes to egress).
    known = Counter(_owner(f) for f in before.findings)
    remaining = Counter(_owner(f) for f in after.findings)
    fixing = Counter(_owner(fix.finding) for fix in fixes)
    for fix in fixes:
        owner = _owner(fix.finding)
        if remaining[owner] > known[owner] - fixing[owner]:
            return f"the finding is still reported after the edit ({fix.finding.code} on {fix.finding.object or fix.finding.path})"
    for owner, count in remaining.items():
        if count > known[owner]:
            code, obj = owner
            return f"the edit would add a finding: {code} on {obj or 'the input'}"
    if any(fix.safety != SAFE for fix in fixes):
        return None  # an unsafe fix changes connectivity by design; the user reviews its diff
    return _connectivity_failure(before, after, fixes)


def _connectivity_failure(before: Any, after: Any, fixes: Iterable[Fix]) -> str | None:
    from policylint.diff.compute import compute_diff
    from policylint.diff.sides import Side
    from policylint.engine.ports import EMPTY_PORTS

    needs = [need for fix in fixes for need in fix.needs]
    drops = [drop for fix in fixes for drop in fix.drops]
    changes = compute_diff(Side("before", before), Side("after", after)).connections
    for change in changes:
        lost, gained = change.lost, change.gained
        for drop in drops:
            lost = lost - drop.allowed(change.src.id, change.dst.id, change.src.is_external, change.dst.is_external)
        if not lost.is_empty:
            return f"the edit would remove {lost.describe()} from {change.src.id} to {change.dst.id}"
        allowed = EMPTY_PORTS
        for need in needs:
            allowed = allowed | need.allowed(change.src.id, change.dst.id, change.src.is_external, change.dst.is_external)
        extra = gained - allowed
        if not extra.is_empty:
            return f"the edit would allow {extra.describe()} from {change.src.id} to {change.dst.id}, more than the finding needs"
    return None
