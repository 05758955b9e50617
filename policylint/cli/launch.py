"""The console script's entry point: start the caches, then import and run the command line.

What `policylint.cli.main` imports first (click, and through it `inspect`, `uuid`, `platform`,
`datetime`, ...) compiles regular expressions and runs the cyclic collector like everything
imported after it; so the settings of a run are made here, before any of that is imported:
the collector is off (`main` says why) and the regular-expression and dataclass caches are on
(`docs/startup.md`). `policylint.cli.main.main` makes the same settings when it is called
directly; they are made once.
"""
from __future__ import annotations

import gc
from typing import NoReturn


def prepare() -> None:
    """The settings of a run of the command line, made before anything else is imported."""
    gc.disable()
    from policylint import dataclass_code, regex_code

    regex_code.install()
    dataclass_code.install()


def main() -> NoReturn:
    prepare()
    from policylint.cli.main import main as run

    run()
