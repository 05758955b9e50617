"""Where a finding points, as CI systems want it: a repository-relative path or a URI.

Findings keep the path as the user typed it (`./k8s/a.yaml`, an absolute path, `<stdin>`).
Code scanning, GitLab and GitHub annotations resolve paths against the repository root, which in
CI is the working directory, so the machine-readable formats rewrite them relative to it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path, PurePath
from urllib.parse import quote

SRCROOT = "%SRCROOT%"
_PSEUDO = re.compile(r"^<[^<>/\\]*>$")  # "<stdin>", "<input>": names of inputs that are not files


def is_pseudo(path: str) -> bool:
    return bool(_PSEUDO.match(path))


def relative_path(path: str, root: str | os.PathLike[str] | None = None) -> str:
    """`path` relative to `root` (default: the working directory) with `/` separators.

    A path outside `root` stays absolute; a pseudo path such as `<stdin>` is returned unchanged.
    """
    if is_pseudo(path):
        return path
    base = os.path.abspath(root if root is not None else os.getcwd())
    absolute = os.path.normpath(os.path.join(base, path))
    try:
        relative = os.path.relpath(absolute, base)
    except ValueError:  # another drive on Windows
        return PurePath(absolute).as_posix()
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return PurePath(absolute).as_posix()
    return PurePath(relative).as_posix()


def artifact_uri(path: str, root: str | os.PathLike[str] | None = None) -> tuple[str, str | None]:
    """(URI, uriBaseId) for SARIF: relative to `%SRCROOT%` when inside the root, else absolute.

    A pseudo path becomes a percent-encoded relative reference with no base (`%3Cstdin%3E`).
    """
    if is_pseudo(path):
        return quote(path, safe=""), None
    relative = relative_path(path, root)
    if os.path.isabs(relative):
        return Path(relative).as_uri(), None
    return quote(relative, safe="/"), SRCROOT
