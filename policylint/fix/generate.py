"""Least-privilege policies for a namespace or a training job, written by the fix engine.

The method: start from a default deny (ingress and egress) on the pods in scope, then let the
rules say what is missing — DNS (PL305), the job's peers, rendezvous and ssh (PL502–PL505), the
data services the job depends on (PL501) — and apply the proved fixes for those findings, in
rounds, to the generated file only. Every allowance therefore comes from a finding, and the
proof keeps each one to exactly what that finding needs; what the rules do not ask for stays
denied. For `--namespace` the namespace's own NetworkPolicies are replaced (left out of the
analysis); for `--job` they are kept and the generated policies select only the job's pods.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable

from policylint.findings import Finding
from policylint.fix.model import FixOutcome
from policylint.fix.plan import FixRequest, run_fixes
from policylint.fix.text import Lines, render_block

GENERATING_CODES = ("PL305", "PL500", "PL501", "PL502", "PL503", "PL504", "PL505", "PL506")
GENERATED_NAME = "generated-policies.yaml"


class GenerateError(Exception):
    """The scope cannot be generated for (unknown namespace or job, policies inside a List)."""


@dataclass(slots=True)
class Generated:
    text: str
    outcome: FixOutcome
    left: list[Finding] = field(default_factory=list)  # findings in scope that no fix could satisfy
    unjustified: list[str] = field(default_factory=list)  # connections the verification could not justify
    replaced: list[str] = field(default_factory=list)  # the namespace's policies left out


def generate(analysis: Any, config: Any, analyse_files: Callable[[list[str]], Any], *,
             namespace: str | None = None, job: str | None = None) -> Generated:
    cluster = analysis.cluster
    scope_namespace, selector, scope_ids = _scope(analysis, config, namespace, job)
    replaced = [p for p in cluster.policies if namespace is not None and p.namespace == namespace]
    deny = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny" if job is None else f"{job.split('/', 1)[1]}-default-deny",
                         "namespace": scope_namespace},
            "spec": {"podSelector": {"matchLabels": selector} if selector else {}, "policyTypes": ["Ingress", "Egress"]}}
    header = (f"# Least-privilege NetworkPolicies for {'namespace ' + namespace if job is None else 'job ' + job}, "
              "written by policylint generate.\n# Everything is denied unless a rule below says why it is needed.\n")
    text = header + "\n".join(render_block(deny, 0, 2, True)) + "\n"
    with tempfile.TemporaryDirectory(prefix="policylint-generate-") as folder:
        paths = _staged_inputs(analysis, replaced, folder)
        generated = os.path.join(folder, GENERATED_NAME)
        with open(generated, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        start = analyse_files([*paths, generated])
        request = FixRequest(select=GENERATING_CODES, only_paths=(generated,), target=generated,
                             home=f"{scope_namespace}/{deny['metadata']['name']}")
        outcome = run_fixes(start, config, request, analyse_files)
        final_text = outcome.texts.get(generated, (text, text))[1]
        with open(generated, "w", encoding="utf-8", newline="") as handle:
            handle.write(final_text)
        final = analyse_files([*paths, generated])
        shown = {generated: GENERATED_NAME, **{copy: original for copy, original in staged_names(paths, analysis)}}
        left = [_displayed(f, shown) for f in final.findings
                if f.code in (*GENERATING_CODES, "PL500") and _touches(f, scope_ids, final)]
        unjustified = _unjustified(final, scope_ids, outcome)
    return Generated(final_text, outcome, left, unjustified, sorted(p.id for p in replaced))


def _scope(analysis: Any, config: Any, namespace: str | None, job: str | None
           ) -> tuple[str, dict[str, str], frozenset[str]]:
    cluster = analysis.cluster
    if job is None:
        if namespace not in {w.namespace for w in cluster.workloads} | set(cluster.namespaces):
            raise GenerateError(f"namespace {namespace!r} is not in the input")
        return namespace, {}, frozenset(w.id for w in cluster.workloads if w.namespace == namespace)
    from policylint.fix.fixers import JOB_NAME_LABELS
    from policylint.intent.context import intent_config, resolve

    intent = resolve(cluster, config.facts, intent_config(config))
    wanted = job.split("/")
    found = [j for j in intent.jobs if [j.namespace, j.name] == wanted[-2:] and (len(wanted) == 2 or j.kind == wanted[0])]
    if not found:
        known = ", ".join(sorted(f"{j.namespace}/{j.name}" for j in intent.jobs)) or "none"
        raise GenerateError(f"training job {job!r} is not in the input (jobs: {known})")
    members = [r.workload for r in found[0].replicas]
    ids = frozenset(w.id for w in members)
    shared = dict(set.intersection(*(set(w.labels.items()) for w in members)))
    for key in JOB_NAME_LABELS:
        if key in shared:
            labels = {key: shared[key]}
            if frozenset(w.id for w in cluster.workloads if w.namespace == found[0].namespace
                         and all(w.labels.get(k) == v for k, v in labels.items())) == ids:
                return found[0].namespace, labels, ids
    raise GenerateError(f"no operator label selects exactly the pods of {found[0].label}")


def _staged_inputs(analysis: Any, replaced: list[Any], folder: str) -> list[str]:
    """The input files, with the replaced policies blanked out of copies (lines kept, so that
    findings elsewhere keep their positions)."""
    by_path: dict[str, list[Any]] = {}
    for policy in replaced:
        if policy.source.field_path.startswith("items["):
            raise GenerateError(f"{policy.id} is an item of a List; generate replaces whole documents only")
        by_path.setdefault(policy.source.span.path, []).append(policy)
    paths = []
    for index, loaded in enumerate(analysis.load.files):
        policies = by_path.get(loaded.path)
        if not policies:
            paths.append(loaded.path)
            continue
        with open(loaded.path, encoding="utf-8") as handle:
            text = handle.read()
        lines = Lines(text)
        for policy in sorted(policies, key=lambda p: -lines.start_of(p.source.span)):
            span = policy.source.span
            start, end = lines.start_of(span), lines.end_of(span)
            blank = "".join("\n" if ch == "\n" else "" for ch in text[start:end])
            text = text[:start] + blank + text[end:]
        target = os.path.join(folder, f"input-{index}", os.path.basename(loaded.path))
        os.makedirs(os.path.dirname(target))
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        paths.append(target)
    return paths


def staged_names(paths: list[str], analysis: Any) -> list[tuple[str, str]]:
    """(staged copy, original) for the inputs that were copied to leave policies out."""
    return [(copy, loaded.path) for copy, loaded in zip(paths, analysis.load.files) if copy != loaded.path]


def _displayed(finding: Finding, names: dict[str, str]) -> Finding:
    import dataclasses

    message = finding.message
    for path, name in names.items():
        message = message.replace(path, name)
    return dataclasses.replace(finding, message=message)


def _touches(finding: Finding, scope: frozenset[str], analysis: Any) -> bool:
    return any(i in finding.message for i in scope) or any(r.message and any(i in r.message for i in scope)
                                                             for r in finding.related)


def _unjustified(final: Any, scope: frozenset[str], outcome: FixOutcome) -> list[str]:
    """Connections of the pods in scope that no applied fix asked for: each side that the
    generated policies isolate must allow no more than the needs of the fixes."""
    from policylint.engine.ports import EMPTY_PORTS
    from policylint.model.types import EGRESS, INGRESS

    engine = final.engine
    needs = [n for fix in outcome.applied for n in fix.needs]
    problems = []
    workloads = list(final.cluster.workloads)
    for a in workloads:
        for b in workloads:
            if a is b and a.replicas <= 1:
                continue
            src, dst = engine.endpoint_of(a), engine.endpoint_of(b)
            for side, inside, ports in ((EGRESS, a.id in scope, lambda: engine.egress_ports(src, dst)),
                                        (INGRESS, b.id in scope, lambda: engine.ingress_ports(src, dst))):
                if not inside:
                    continue
                allowed = EMPTY_PORTS
                for need in needs:
                    allowed = allowed | need.allowed(a.id, b.id)
                extra = ports() - allowed
                if not extra.is_empty:
                    problems.append(f"{a.id} -> {b.id}: {side.lower()} allows {extra.describe()} that no finding asked for")
    return problems
