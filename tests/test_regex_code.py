"""policylint.regex_code: patterns made through the cache are the patterns `re` compiles, the file
round-trips, and a damaged or foreign file, or an interpreter whose `re` works otherwise, only
costs a compile."""
from __future__ import annotations

import marshal
import re
import sys
from pathlib import Path

import pytest

from policylint import regex_code

# What a compile can carry: named groups, flags given and inline, bytes, Unicode classes that span
# all planes (PyYAML's reader has one), look-behind, repeats, alternation, back-references.
PATTERNS: list[tuple[str | bytes, int]] = [
    (r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", 0),
    (r"^(?:(?P<p1>[A-Za-z]+)/)?(?P<lo>\d+)(?:-(?P<hi>\d+))?(?:/(?P<p2>[A-Za-z]+))?$", 0),
    ("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]", 0),
    (r"(?i)kind:\s*(\w+)", 0),
    (r"kind: (?P<kind>\w+) # a comment", re.VERBOSE | re.IGNORECASE),
    (r"^\s*#\s*policylint:\s*(?P<what>disable|enable)", re.MULTILINE),
    (rb"\x00[\x01-\x7f]+(?<=a)b", 0),
    (r"(?P<q>['\"]).*?(?P=q)|\d{2,}", re.DOTALL),
    (r"[\w.-]+", re.ASCII),
]
SAMPLES = ["a-b", "TCP/80-90/udp", "tab\there\x01", "Kind: Pod", "kind: Pod", "  # policylint: disable",
           "'x' 123", "naïve.name-1", "\U0001F600", ""]


def _fresh(pattern: str | bytes, flags: int) -> re.Pattern:
    re.purge()  # past re's own in-process cache, to the compiler (or the cache standing in for it)
    return re.compile(pattern, flags)


def _same(a: re.Pattern, b: re.Pattern) -> None:
    assert a == b  # flags, pattern and compiled program
    assert (a.pattern, a.flags, a.groups, dict(a.groupindex)) == (b.pattern, b.flags, b.groups, dict(b.groupindex))
    samples = [s.encode("utf-8", "surrogatepass") for s in SAMPLES] if isinstance(a.pattern, bytes) else SAMPLES
    for sample in samples:
        for method in ("match", "search", "findall"):
            left, right = getattr(a, method)(sample), getattr(b, method)(sample)
            if method == "findall":
                assert left == right
            else:
                assert (left and (left.span(), left.groups(), left.groupdict())) == \
                    (right and (right.span(), right.groups(), right.groupdict()))


@pytest.fixture()
def cache_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    yield tmp_path / "__pycache__" / "regex.marshal"
    regex_code.uninstall(save=False)  # a failing test must not leave re patched
    re.purge()


def test_patterns_made_through_the_cache_are_those_re_compiles(cache_path: Path) -> None:
    plain = [_fresh(p, f) for p, f in PATTERNS]
    for attempt in ("first run, compiling", "second run, from the file"):
        cache = regex_code.install(str(cache_path))
        assert cache is not None, attempt
        cached = [_fresh(p, f) for p, f in PATTERNS]
        if attempt.startswith("second"):
            assert not cache.new and len(cache.used) == len(PATTERNS)  # every one came from the file
        else:
            assert len(cache.new) == len(PATTERNS)
        regex_code.uninstall()
        for a, b in zip(plain, cached):
            _same(a, b)


def test_uninstall_gives_re_its_compiler_back(cache_path: Path) -> None:
    from re import _compiler

    original = _compiler.compile
    assert regex_code.install(str(cache_path)) is not None
    assert _compiler.compile != original
    assert regex_code.install(str(cache_path)) is None  # once
    regex_code.uninstall(save=False)
    assert _compiler.compile == original
    assert not cache_path.exists()


def test_debug_compiles_and_parsed_patterns_are_left_to_re(cache_path: Path, capsys: pytest.CaptureFixture) -> None:
    cache = regex_code.install(str(cache_path))
    assert cache is not None
    _fresh(r"a+b", re.DEBUG)
    assert "LITERAL" in capsys.readouterr().out  # re printed its program, as without the cache
    scanner = re.Scanner([(r"\d+", lambda s, t: int(t)), (r"\s+", None)])  # compiles a parsed pattern
    assert scanner.scan("1 22")[0] == [1, 22]
    assert cache.new == {}


def test_an_interpreter_whose_re_differs_caches_nothing(cache_path: Path) -> None:
    cache = regex_code.install(str(cache_path))
    assert cache is not None

    class OtherCompiler:  # the internals give another program than `re` itself compiled
        compile = cache._compiler.compile

        @staticmethod
        def _code(parsed: object, flags: int) -> list[int]:
            return re._compiler._code(parsed, flags | re.IGNORECASE)  # type: ignore[attr-defined]  # a valid program

    real = cache._compiler
    cache._compiler = OtherCompiler  # type: ignore[assignment]
    try:
        pattern = _fresh(r"x(?P<y>\d)", 0)
    finally:
        cache._compiler = real
    assert pattern.match("x1").group("y") == "1"
    assert cache.new == {} and cache.entries == {}


@pytest.mark.parametrize("content", [b"", b"garbage", b"policylint regex code\n", None, "wrong values"])
def test_a_damaged_or_foreign_file_is_ignored(content: bytes | str | None, cache_path: Path) -> None:
    cache_path.parent.mkdir(parents=True)
    first = regex_code.install(str(cache_path))
    assert first is not None
    header = first.header
    regex_code.uninstall(save=False)
    if content is None:  # the right header, then a truncated marshal stream
        content = header + marshal.dumps({(r"a", 0): (0, [1, 2, 3], 0, {}, (None,))})[:-3]
    elif content == "wrong values":  # well formed, but not entries
        content = header + marshal.dumps({(r"a", 0): "not an entry", "b": (0, [], 0, {}, ())})
    cache_path.write_bytes(content)
    cache = regex_code.install(str(cache_path))
    assert cache is not None and cache.entries == {}
    _same(_fresh(r"a(?P<b>c)?", re.I), re.compile(r"a(?P<b>c)?", re.I))
    regex_code.uninstall()
    assert cache_path.read_bytes().startswith(header)  # replaced by a good one


def test_an_entry_the_engine_refuses_is_compiled_as_usual(cache_path: Path) -> None:
    cache = regex_code.install(str(cache_path))
    assert cache is not None
    cache.entries[(r"ab+", 0)] = (0, [999_999], 0, {}, (None,))  # not a program _sre accepts
    _same(_fresh(r"ab+", 0), re.compile(r"ab+"))


def test_nothing_is_recorded_or_written_when_bytecode_is_not(cache_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    cache = regex_code.install(str(cache_path))
    assert cache is not None and not cache.recording
    _fresh(r"q+", 0)
    regex_code.uninstall()
    assert cache.new == {} and not cache_path.exists()


def test_the_default_place_is_beside_the_package_bytecode() -> None:
    path = Path(regex_code.default_path())
    assert path.name == f"regex_code.{sys.implementation.cache_tag}.marshal"
    if sys.pycache_prefix is None:
        assert path.parent == Path(regex_code.__file__).resolve().parent / "__pycache__"


def test_a_huge_pattern_is_compiled_but_not_kept(cache_path: Path) -> None:
    cache = regex_code.install(str(cache_path))
    assert cache is not None
    huge = "|".join(f"name-{i}" for i in range(2000))  # a glob list from a config, say
    assert _fresh(huge, 0).fullmatch("name-1999")
    assert _fresh(r"small", 0).fullmatch("small")
    assert list(cache.new) == [(r"small", 0)]


def test_a_pattern_re_warns_about_warns_in_every_run(cache_path: Path) -> None:
    for attempt in ("first run", "second run"):
        cache = regex_code.install(str(cache_path))
        assert cache is not None
        with pytest.warns(FutureWarning, match="nested set") as warned:
            assert _fresh(r"[[a]", 0).match("[")
        assert len(warned) == 1, attempt  # once, as without the cache
        regex_code.uninstall()
        assert (r"[[a]", 0) not in cache.entries, attempt
