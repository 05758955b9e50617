"""Kustomizations that render the same objects: variants of one base, analysed as one input.

## What it does
Reports, once per kustomization, that it renders objects which another top-most kustomization
of the input renders too (same API group, kind, namespace and name) — the shape of overlays of one
base, such as `overlays/dev` and `overlays/prod`, or `overlays/gke` and `overlays/kind`. Such
copies are alternatives, never applied together, so they are not reported as duplicates
(`PL015`, `PL017`); the analysis keeps the copy read last, as for any duplicate, and this finding
says which kustomization's copies were set aside and how to check that variant on its own.
Likewise, once per file, for a file kept in a kustomization's folder that no kustomization lists
(an alternative kept beside the listed one, such as a `*.cloudflare.yaml` next to the file a
component lists) whose objects a kustomization renders: kustomize never applies that file, so the
rendered copies are used and its copies are set aside, with no duplicate finding.

Complexity: O(D) over the duplicates the model found.

## Why is this bad?
It is not a defect of the repository: it is what the analysis of the whole repository cannot
tell. Its connectivity answers describe a mix of variants (each object as the last kustomization
read writes it); a NetworkPolicy that differs between overlays is checked in one version only.
Checking each overlay folder on its own gives each variant's exact answers.

## Example
```yaml
# overlays/dev/kustomization.yaml and overlays/prod/kustomization.yaml, both:
resources:
  - ../../base
patches:
  - path: replicas.yaml
```

Use instead:
```yaml
# overlays/prod/kustomization.yaml, with a namespace of its own (or check each overlay on its own:
# `policylint check overlays/dev`, `policylint check overlays/prod`)
namespace: shop-prod
resources:
  - ../../base
```

## References
- https://kubectl.docs.kubernetes.io/references/kustomize/glossary/#overlay
"""
from __future__ import annotations

import os
from typing import Iterator

from policylint.findings import Finding, Related, Severity
from policylint.load.nodes import Span
from policylint.rule_api import RuleContext

CODE = "PL026"
NAME = "overlay-variants"
SEVERITY = Severity.INFO
SCOPE = "input"
REMEDIATION = ("Check each overlay on its own (`policylint check path/to/overlay`) for its exact answers, or give "
               "the overlays their own namespaces if they are meant to run side by side.")
MAX_RELATED = 5


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    by_unit: dict[str, list] = {}
    by_file: dict[str, list] = {}
    for duplicate in ctx.cluster.duplicates:
        if duplicate.between_variants and duplicate.replaced_beside:
            by_file.setdefault(duplicate.replaced.path, []).append(duplicate)
        elif duplicate.between_variants:
            by_unit.setdefault(duplicate.replaced_via, []).append(duplicate)
    yield from _overlays(ctx, by_unit)
    yield from _alternatives(ctx, by_file)


def _alternatives(ctx: RuleContext, by_file: dict[str, list]) -> Iterator[Finding]:
    """Files beside a kustomization that none lists, whose objects a kustomization renders."""
    for path, duplicates in sorted(by_file.items()):
        users = sorted({d.used_via for d in duplicates})
        differ = sum(1 for d in duplicates if not d.identical)
        objects = len(duplicates)
        message = (f"{objects} object{'s' if objects != 1 else ''} of this file, which `{duplicates[0].replaced_beside}` "
                   f"beside it does not list, {'are' if objects != 1 else 'is'} also rendered by {_names(users)} "
                   f"({differ} with different content): an alternative kept beside the listed file, not a duplicate; "
                   f"the analysis uses the rendered copies (list this file in the kustomization instead of the other "
                   f"to check that variant)")
        related = tuple(Related(d.used, f"{d.object}, the copy used") for d in duplicates[:MAX_RELATED])
        yield ctx.finding(duplicates[0].replaced, message, related=related)


def _overlays(ctx: RuleContext, by_unit: dict[str, list]) -> Iterator[Finding]:
    for unit, duplicates in sorted(by_unit.items()):
        users = sorted({d.used_via for d in duplicates})
        differ = sum(1 for d in duplicates if not d.identical)
        folder = os.path.dirname(unit) or "."
        objects = len(duplicates)
        message = (f"{objects} object{'s' if objects != 1 else ''} rendered here {'are' if objects != 1 else 'is'} "
                   f"also rendered by {_names(users)} ({differ} with different content): variants of one base, "
                   f"not duplicates; the analysis uses the copies read later, so check this variant on its own "
                   f"for its answers (`policylint check {folder}`)")
        related = tuple(Related(d.replaced, f"{d.object}, set aside{' (differs)' if not d.identical else ''}")
                        for d in duplicates[:MAX_RELATED])
        yield ctx.finding(Span(unit, 1, 1, 1, 1), message, related=related)


def _names(units: list[str]) -> str:
    return ", ".join(f"`{u}`" for u in units)
