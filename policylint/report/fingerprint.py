"""A finding's identity across edits, for code scanning and merge-request widgets.

The hash covers what the finding *is* (rule, file, object, field, message) and not its line, so
that inserting lines above a finding does not turn it into a "new" one. Findings that are equal
in all of these (two unused suppressions of the same rule in one file) are told apart by their
order of occurrence, as GitHub does for its own line hashes.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from typing import Callable, Iterable

from policylint.findings import Finding


def fingerprints(findings: Iterable[Finding], path_of: Callable[[str], str]) -> list[tuple[str, int]]:
    """(hash, occurrence) per finding, in order; occurrence counts from 1 among equal hashes."""
    seen: Counter[str] = Counter()
    result = []
    for f in findings:
        digest = content_hash(f, path_of(f.path))
        seen[digest] += 1
        result.append((digest, seen[digest]))
    return result


def content_hash(finding: Finding, path: str) -> str:
    parts = (finding.code, path, finding.object, finding.field_path, finding.message)
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]
