"""The wheel holds every package: `pyproject.toml` lists packages by hand (the rules folder is
mapped into the package), so a new folder of modules must be listed there too."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_module_folder_is_a_listed_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.relative_to(ROOT).parts) for p in (ROOT / "policylint").rglob("*")
             if p.is_dir() and any(p.glob("*.py")) and "__pycache__" not in p.parts}
    assert found <= listed, f"not in pyproject's packages: {sorted(found - listed)}"
    for package in found:
        assert (ROOT / Path(*package.split(".")) / "__init__.py").is_file(), f"{package} has no __init__.py"
