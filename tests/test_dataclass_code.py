"""policylint.dataclass_code: dataclasses made through the method cache are the same as without
it, the cache file round-trips, and a damaged, foreign or unwritable file only costs a compile."""
from __future__ import annotations

import dataclasses
import inspect
import marshal
import sys
import types
from pathlib import Path

import pytest

from policylint import dataclass_code

# Two modules' worth of dataclasses: without `from __future__ import annotations` (annotations are
# objects, so __init__'s annotations must be the objects) and with it (they are strings).
SOURCES = {
    "plain": """
from dataclasses import dataclass, field
from typing import ClassVar

@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    tags: tuple = ()
    note: str = field(default="", compare=False, repr=False)
    KIND: ClassVar[str] = "point"

@dataclass(order=True)
class Box:
    low: Point
    items: list = field(default_factory=list)
""",
    "future": """
from __future__ import annotations
from dataclasses import dataclass, field

@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    note: str = field(default="", compare=False, repr=False)

@dataclass(order=True)
class Box:
    low: Point
    items: list[int] = field(default_factory=list)
""",
}


def _module(source: str, name: str = "policylint_generated_dataclasses") -> dict:
    # A real module while its classes are made: dataclasses looks string annotations up in it.
    module = types.ModuleType(name)
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, "<generated>", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module.__dict__


def _generated_code(cls: type) -> dict[str, object]:
    """The code of each method `dataclasses` generated, reduced to what the compiler decides."""
    found = {}
    for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__", "__lt__"):
        function = cls.__dict__.get(name)
        if function is None or not hasattr(function, "__code__"):
            continue
        code = function.__code__
        found[name] = (code.co_code, code.co_consts, code.co_names, code.co_varnames, code.co_flags,
                       code.co_filename, code.co_argcount, code.co_kwonlyargcount, function.__defaults__)
    return found


@pytest.fixture()
def cache_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    yield tmp_path / "__pycache__" / "methods.marshal"
    dataclass_code.uninstall(save=False)  # a failing test must not leave dataclasses patched


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_classes_made_through_the_cache_are_the_same(kind: str, cache_path: Path) -> None:
    plain = _module(SOURCES[kind])
    for attempt in ("first run, compiling", "second run, from the file"):
        cache = dataclass_code.install(str(cache_path))
        assert cache is not None
        cached = _module(SOURCES[kind])
        dataclass_code.uninstall()
        for name in ("Point", "Box"):
            a, b = plain[name], cached[name]
            assert _generated_code(a) == _generated_code(b), attempt
            assert inspect.signature(a) == inspect.signature(b)
            assert a.__init__.__annotations__ == b.__init__.__annotations__
            assert [f.name for f in dataclasses.fields(a)] == [f.name for f in dataclasses.fields(b)]
            assert a.__doc__ == b.__doc__
        # And they behave alike: equality, hashing, repr, frozenness, ordering, defaults.
        p1, p2 = cached["Point"](1), cached["Point"](1, note="ignored by eq")
        assert p1 == p2 and hash(p1) == hash(p2) and repr(p1) == "Point(x=1, y=0, tags=())"
        with pytest.raises(dataclasses.FrozenInstanceError):
            p1.x = 2  # type: ignore[misc]
        assert cached["Box"](p1, [1]) < cached["Box"](p1, [2])
        assert cached["Box"](p1).items == [] and cached["Box"](p1).items is not cached["Box"](p1).items


def test_the_cache_file_round_trips(cache_path: Path) -> None:
    cache = dataclass_code.install(str(cache_path))
    _module(SOURCES["future"])
    assert cache is not None and cache.new  # compiled on the first run
    dataclass_code.uninstall()
    assert not cache.new  # saved
    assert cache_path.is_file()
    again = dataclass_code.install(str(cache_path))
    _module(SOURCES["future"])
    assert again is not None and not again.new and again.used <= set(again.code)  # nothing compiled
    dataclass_code.uninstall()


def test_a_changed_class_is_compiled_again_never_served_stale(cache_path: Path) -> None:
    dataclass_code.install(str(cache_path))
    _module(SOURCES["plain"])
    dataclass_code.uninstall()
    cache = dataclass_code.install(str(cache_path))
    changed = _module(SOURCES["plain"].replace("    y: int = 0\n", "    y: int = 0\n    z: int = 5\n"))
    assert cache is not None and cache.new  # the new field changes the text of __init__, __eq__, ...
    dataclass_code.uninstall()
    assert changed["Point"](1) == changed["Point"](1, 0, 5) != changed["Point"](1, 0, 6)
    assert repr(changed["Point"](1)) == "Point(x=1, y=0, z=5, tags=())"


def _layout(index: object, *sections: bytes, length: int | None = None) -> bytes:
    """A file of the cache's layout: header, the index's length, the index, the sections."""
    packed = marshal.dumps(index)
    size = len(packed) if length is None else length
    return dataclass_code._HEADER + size.to_bytes(8, "little") + packed + b"".join(sections)


_SECTION = marshal.dumps({"a": compile("1", "<s>", "exec")})
_MODULE = "policylint_generated_dataclasses"


@pytest.mark.parametrize("content", [
    b"", b"garbage", b"policylint dataclass code\n" + b"\x00" * 4 + b"{}",
    b"policylint dataclass code\n" + sys.implementation.cache_tag.encode(),
    dataclass_code._HEADER,  # the header alone
    dataclass_code._HEADER + (10**6).to_bytes(8, "little") + marshal.dumps({}),  # the index cut short
    _layout({_MODULE: (0, len(_SECTION))}, _SECTION[:-3]),  # the section cut short
    _layout({_MODULE: (0, 10**6)}, _SECTION),  # the index points past the end
    _layout({_MODULE: (-1, 3)}, _SECTION), _layout({_MODULE: "somewhere"}, _SECTION), _layout([_MODULE], _SECTION),
    _layout({_MODULE: (0, len(_SECTION))}, b"\x00" * len(_SECTION)),
])
def test_a_damaged_or_foreign_file_is_ignored(content: bytes, cache_path: Path) -> None:
    cache_path.parent.mkdir(parents=True)
    cache_path.write_bytes(content)
    cache = dataclass_code.install(str(cache_path))
    assert cache is not None and cache.code == {}
    made = _module(SOURCES["plain"])
    dataclass_code.uninstall()
    assert made["Point"](3).x == 3
    assert cache_path.read_bytes().startswith(dataclass_code._HEADER)  # replaced by a good one
    again = dataclass_code.install(str(cache_path))
    _module(SOURCES["plain"])
    assert again is not None and not again.new  # and read back
    dataclass_code.uninstall()


def test_wrong_values_in_the_file_are_ignored(cache_path: Path) -> None:
    cache_path.parent.mkdir(parents=True)
    wrong = marshal.dumps({"text": "not code", 1: 2})
    cache_path.write_bytes(_layout({"m": (0, len(wrong)), "n": (len(wrong), len(_SECTION))}, wrong, _SECTION))
    assert dataclass_code.MethodCache(str(cache_path)).code == {"a": marshal.loads(_SECTION)["a"]}


def test_nothing_is_written_when_bytecode_is_not(cache_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    dataclass_code.install(str(cache_path))
    _module(SOURCES["plain"])
    dataclass_code.uninstall()
    assert not cache_path.exists()


def test_an_unwritable_place_costs_only_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    cache = dataclass_code.MethodCache(str(blocker / "__pycache__" / "methods.marshal"))
    namespace: dict = {}
    cache.exec("def f():\n return 1\n", namespace)
    assert namespace["f"]() == 1
    assert cache.save() is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # no temporary file left behind


def test_install_leaves_a_replaced_exec_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def other(*args: object) -> None:
        raise AssertionError("not called here")

    monkeypatch.setattr(dataclasses, "exec", other, raising=False)
    assert dataclass_code.install() is None
    assert dataclasses.exec is other  # type: ignore[attr-defined]
    dataclass_code.uninstall()
    assert dataclasses.exec is other  # type: ignore[attr-defined]


def test_uninstall_restores_the_builtin(cache_path: Path) -> None:
    dataclass_code.install(str(cache_path))
    assert "exec" in vars(dataclasses)
    dataclass_code.uninstall(save=False)
    assert "exec" not in vars(dataclasses)
    assert not cache_path.exists()


def test_the_default_place_is_beside_the_package_bytecode() -> None:
    path = Path(dataclass_code.default_path())
    assert path.name == f"dataclass_methods.{sys.implementation.cache_tag}.marshal"
    if sys.pycache_prefix is None:
        assert path.parent == Path(dataclass_code.__file__).resolve().parent / "__pycache__"


def test_the_file_is_read_only_when_a_class_is_made(cache_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dataclass_code.install(str(cache_path))
    _module(SOURCES["plain"])
    dataclass_code.uninstall()  # the file now holds the methods of Point and Box
    reads: list[str] = []
    real_open = dataclass_code._open
    monkeypatch.setattr(dataclass_code, "_open", lambda path: reads.append(path) or real_open(path))
    cache = dataclass_code.install(str(cache_path))
    assert cache is not None and reads == []  # installing reads nothing: --version makes no dataclass
    made = _module(SOURCES["plain"])
    assert reads == [str(cache_path)] and not cache.new  # opened once, every method found in it
    dataclass_code.uninstall()
    assert made["Point"](2).y == 0


def test_a_module_s_methods_are_read_when_it_makes_a_class(cache_path: Path) -> None:
    dataclass_code.install(str(cache_path))
    _module(SOURCES["plain"], "policylint_generated_a")
    _module(SOURCES["future"], "policylint_generated_b")
    dataclass_code.uninstall()
    cache = dataclass_code.install(str(cache_path))
    assert cache is not None
    _module(SOURCES["future"], "policylint_generated_b")
    assert list(cache.sections) == ["policylint_generated_b"] and not cache.new  # a's section is not read
    plain = _module(SOURCES["plain"], "policylint_generated_c")  # a module the file does not know: compiled
    assert set(cache.sections) == {"policylint_generated_b", "policylint_generated_c"} and cache.new
    dataclass_code.uninstall()  # saved: the file keeps a's section, which this run did not read
    assert set(dataclass_code._read_all(str(cache_path))) == {
        "policylint_generated_a", "policylint_generated_b", "policylint_generated_c"}
    assert plain["Point"](1) == plain["Point"](1, 0)


def test_sections_are_read_where_there_is_no_pread(cache_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dataclass_code.install(str(cache_path))
    _module(SOURCES["plain"])
    dataclass_code.uninstall()
    monkeypatch.delattr(dataclass_code.os, "pread")  # as on Windows: seek and read
    cache = dataclass_code.install(str(cache_path))
    made = _module(SOURCES["plain"])
    assert cache is not None and not cache.new and cache.sections  # every method read from the file
    dataclass_code.uninstall()
    assert made["Point"](1) == made["Point"](1, 0)
