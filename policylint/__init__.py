"""policylint: an offline static analyzer and linter for Kubernetes NetworkPolicy."""
import os as _os

__version__ = "0.1.0"

# The rule modules live in the repository's top-level `rules/` folder and are installed as
# `policylint.rules` (pyproject's package-dir). Run from a source checkout without that install
# (or beside a stale one), `policylint.rules` is found there too: the checkout's root is searched
# after this package's own folder, only when it is this project's checkout.
_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if (_os.path.isfile(_os.path.join(_root, "rules", "__init__.py"))
        and _os.path.isfile(_os.path.join(_root, "pyproject.toml"))
        and not _os.path.isdir(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "rules"))):
    __path__.append(_root)  # type: ignore[name-defined]
del _os, _root
