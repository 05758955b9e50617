"""Pulumi programs as input: the Kubernetes objects a Pulumi Python program would create.

`--pulumi DIR` runs the program in DIR — user code, so only on explicit request — in a child
process under the Pulumi SDK's mock runtime: no cloud account, no Pulumi CLI, no cluster, no
network, bounded time. Every Kubernetes resource it registers becomes a `RawObject` whose
positions point into the program's Python source, and joins the YAML objects in the same
pipeline. Importing this package is cheap; the SDK is needed only when a program runs.

    runner.py     the child process (standard library and Pulumi SDK only)
    program.py    find the program, run the child with a deadline, read its result
    positions.py  map values onto the keyword arguments and literals that wrote them
    manifests.py  inputs → positioned manifests; values known only after deployment
    collect.py    resources → objects, component files (ConfigFile/ConfigGroup), problems
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from policylint.findings import Finding
    from policylint.load import LoadResult
    from policylint.load.yaml_reader import Limits, LoadProblem

# Load-problem kinds, each reported by one rule.
FAILED = "pulumi-failed"  # PL011 pulumi-program-failed
NOT_ANALYSED = "pulumi-not-analysed"  # PL012 pulumi-component-not-analysed
UNKNOWN = "pulumi-unknown"  # PL013 pulumi-value-unknown
UNKNOWN_RULE = "PL013"  # its findings are the ones kept where a value is unknown


@dataclass(frozen=True, slots=True)
class PulumiInputs:
    """The programs named with `--pulumi`, and how long each may run."""

    dirs: tuple[str, ...] = ()
    timeout: float | None = None  # seconds; None: $POLICYLINT_PULUMI_TIMEOUT or 60

    def __bool__(self) -> bool:
        return bool(self.dirs)


def load_programs(inputs: PulumiInputs, loaded: "LoadResult", limits: "Limits") -> None:
    """Run each program and add its files, objects and problems to `loaded`.

    Raises `ProgramError` (a `ConfigError`: exit code 2) when the SDK is missing or a folder
    holds no Python program.
    """
    from policylint.pulumi.collect import collect_programs

    collect_programs(inputs, loaded, limits)


def without_findings_on_unknowns(findings: Iterable["Finding"], problems: Iterable["LoadProblem"]) -> list["Finding"]:
    """Drop other rules' findings about a value that is unknown until deployment (a wrong type,
    a missing name): the unknown-value finding at the same place already says why."""
    unknown = {(p.span, getattr(p, "field_path", "")) for p in problems if p.kind == UNKNOWN and getattr(p, "field_path", "")}
    if not unknown:
        return list(findings)
    return [f for f in findings if f.code == UNKNOWN_RULE or not any(
        f.span == span and (f.field_path == path or f.field_path.startswith((path + ".", path + "[")))
        for span, path in unknown)]
