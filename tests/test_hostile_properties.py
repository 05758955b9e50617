"""Property tests: no input makes policylint raise, hang, or change what it says about other files.

Each hostile input is read from standard input next to a good file on disk, with every rule. The
good file's findings must be those it gets alone: all of them when the hostile input holds no
Kubernetes object, and those of the per-file (input-scope) rules otherwise, since objects in the
hostile input may legitimately change cross-object answers. No finding may be PL005 (a crash),
every finding must point inside its file, and each run must end within a bounded time.
"""
from __future__ import annotations

import io
import time
from functools import lru_cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from policylint.analysis import Analysis, analyse, registry
from policylint.config import Config
from policylint.load import load_paths
from policylint.load.yaml_reader import LoadProblem
from tests.strategies_input import hostile_bytes, mutated_manifest, policy_with_wrong_field, yaml_soup

REPO = Path(__file__).resolve().parent.parent
GOOD = str(REPO / "fixtures" / "rules" / "PL201" / "seed-empty-cidr.yaml")
SECONDS_PER_RUN = 10.0  # a hang detector, not a benchmark: a run takes milliseconds of CPU
PROBLEM_KINDS = {"syntax", "unreadable", "duplicate-key", "limit", "shape", "skipped"}  # skipped: a non-manifest that does not parse


def _key(finding) -> tuple:
    return (finding.path, finding.line, finding.column, finding.code, finding.message)


@lru_cache(maxsize=1)
def _alone() -> tuple[tuple, ...]:
    return tuple(sorted(_key(f) for f in analyse([GOOD], Config()).findings))


@lru_cache(maxsize=1)
def _input_codes() -> frozenset[str]:
    return frozenset(code for code, spec in registry().items() if spec.scope == "input")


def _analyse_next_to_good(data: bytes) -> Analysis:
    # CPU time, not wall time: a busy CI machine must not fail the test, a hang or a blow-up must.
    started = time.process_time()
    analysis = analyse(["-", GOOD], Config(), stdin=io.BytesIO(data))
    elapsed = time.process_time() - started
    assert elapsed < SECONDS_PER_RUN, f"took {elapsed:.1f} s of CPU"
    return analysis


def _check(analysis: Analysis, text_lines: int | None) -> None:
    assert [f.path for f in analysis.load.files] == ["<stdin>", GOOD]  # no file lost
    assert not [f for f in analysis.findings if f.code == "PL005"], [f.message for f in analysis.findings]
    hostile_objects = [o for o in analysis.load.objects if o.path == "<stdin>"]
    good = tuple(sorted(_key(f) for f in analysis.findings if f.path == GOOD))
    if hostile_objects:
        codes = _input_codes()
        assert tuple(k for k in good if k[3] in codes) == tuple(k for k in _alone() if k[3] in codes)
    else:
        assert good == _alone()
    for finding in analysis.findings:
        if finding.path == "<stdin>":
            assert finding.line >= 1 and finding.column >= 1
            if text_lines is not None:
                assert finding.line <= text_lines, finding


@given(hostile_bytes())
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    loaded = load_paths(["-"], stdin=io.BytesIO(data))
    assert [f.path for f in loaded.files] == ["<stdin>"]
    assert all(isinstance(p, LoadProblem) and p.kind in PROBLEM_KINDS and p.span.line >= 1 for p in loaded.problems)


@given(yaml_soup())
def test_arbitrary_yaml_text_next_to_a_good_file(text: str) -> None:
    _check(_analyse_next_to_good(text.encode("utf-8")), text.count("\n") + 1)


@given(st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_arbitrary_text_next_to_a_good_file(text: str) -> None:
    _check(_analyse_next_to_good(text.encode("utf-8", errors="surrogatepass")), None)


@given(policy_with_wrong_field())
def test_any_value_in_any_policy_field(case: tuple) -> None:
    path, value, text = case
    analysis = _analyse_next_to_good(text.encode("utf-8"))
    _check(analysis, text.count("\n") + 1)
    if path[0] == "spec" or path[:2] in (("metadata", "labels"), ("metadata", "annotations")):
        # A wrong type under spec never drops the policy: it is modelled, its invalid parts marked.
        assert "hostile/hostile" in [p.id for p in analysis.cluster.policies]


@given(mutated_manifest())
def test_mutated_manifests_next_to_a_good_file(text: str) -> None:
    _check(_analyse_next_to_good(text.encode("utf-8")), text.count("\n") + 1)
