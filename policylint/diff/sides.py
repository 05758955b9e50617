"""One side of a diff: an analysis of some manifests, and how to name its files on output.

Both sides run the same pipeline as `check` (same config, same rules), so that a finding on one
side can be compared with the other. The base side of `--base` is read from a temporary export
of the revision; `display` turns its temporary paths back into `REV:path`.
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterable

from policylint.analysis import Analysis, analyse
from policylint.config import Config
from policylint.findings import Finding, Related
from policylint.load.nodes import Span


def _same(path: str) -> str:
    return path


@dataclass(slots=True)
class Side:
    label: str  # what the user named: "k8s/old", "main:k8s"
    analysis: Analysis
    display: Callable[[str], str] = _same
    revision: str | None = None  # the git revision of a `--base` side
    absent: tuple[str, ...] = ()  # paths that did not exist at that revision
    findings: list[Finding] = field(default_factory=list)  # with display paths

    @property
    def engine(self) -> Any:
        return self.analysis.engine

    @property
    def cluster(self) -> Any:
        return self.analysis.cluster

    def where(self, span: Span) -> tuple[str, int]:
        return self.display(span.path), span.line


def analyse_side(label: str, paths: Iterable[str], config: Config, *, select: Iterable[str] = (),
                 ignore: Iterable[str] = (), stdin: BinaryIO | None = None, debug: bool = False,
                 display: Callable[[str], str] = _same, revision: str | None = None,
                 absent: Iterable[str] = (), root: str | None = None, parsed: Any = None,
                 keep_raw: bool = False, carry: Any = None) -> Side:
    """`root`: the folder a revision was exported to; in messages (which may name other files,
    as the duplicate rules do) its paths are written relative to it, as the working tree's are,
    so that one finding on both sides reads the same and is not taken for a change. `parsed`
    (load/reuse.py): shared by the two sides, so that the files they have in common are parsed once.
    `keep_raw` (the first side) and `carry` (the second, diff/carry.py): the rules whose findings
    cannot differ are taken over from the first side instead of run again."""
    analysis = analyse(list(paths), config, select=select, ignore=ignore, stdin=stdin, debug=debug, parsed=parsed,
                       keep_raw=keep_raw, carry=carry)
    side = Side(label, analysis, display, revision, tuple(absent))
    side.findings = [_displayed(f, display, root) for f in analysis.findings] if display is not _same \
        else list(analysis.findings)
    return side


def _displayed(finding: Finding, display: Callable[[str], str], root: str | None = None) -> Finding:
    def span(s: Span) -> Span:
        return dataclasses.replace(s, path=display(s.path))

    related = tuple(Related(span(r.span), r.message) for r in finding.related)
    message = finding.message
    if root:
        # a path under the export becomes relative; the export folder itself (a kustomization at
        # the top of the repository: "render it with `kubectl kustomize ROOT`") becomes "."
        message = re.sub(re.escape(root) + r"(?![^\s`'\"),;:])", ".", message.replace(root + os.sep, ""))
    return dataclasses.replace(finding, span=span(finding.span), related=related, message=message)
