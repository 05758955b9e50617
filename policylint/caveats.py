"""What a connectivity answer leaves out, said next to the answer.

`matrix`, `reach` and `diff` compute connectivity from the `networking.k8s.io/v1`
NetworkPolicies alone. When the input also holds policy kinds that change connectivity but that
policylint does not evaluate (CiliumNetworkPolicy, Calico policies, MultiNetworkPolicy, see
`OTHER_POLICY_KINDS`), the answer may be wrong in either direction, so the command must say so
every time, never silently. `check` reports the same objects as PL008 findings.

The commands call one of these with the model they answered from:

    click.echo(caveat_text(cluster), err=True, nl=False)   # text, on stderr: stdout stays parseable
    caveat_markdown(cluster)                               # a block for a Markdown answer
    not_evaluated_json(cluster)                            # a list for a JSON answer

`diff` names the side (`caveat_text(side.cluster, "old", side.display)`).

Each returns an empty value when there is nothing to say.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from policylint.model.types import Cluster, OtherPolicy
from policylint.report.escape import md_code, md_text
from policylint.report.escape import text as esc


def not_evaluated(cluster: Cluster) -> list[OtherPolicy]:
    """The objects an answer ignores, in source order."""
    return sorted(cluster.other_policies, key=lambda p: (p.source.span.path, p.source.span.line, p.source.span.column))


def _same(path: str) -> str:
    return path


def caveat_lines(cluster: Cluster, side: str | None = None, display: Callable[[str], str] = _same) -> list[str]:
    """A headline, then one line per object: `  path:line: Kind namespace/name (apiVersion)`.

    `side` names the input the answer came from when there are several (`diff`: "old", "new");
    `display` turns a path of the model into the name to show (`diff --base`: `REV:path`).
    Then, when cluster-wide policies have peers that cannot be judged offline, one line per rule.
    """
    ignored = not_evaluated(cluster)
    label = f"caveat ({side})" if side else "caveat"
    lines = []
    if ignored:
        lines.append(f"policylint: {label}: {_headline(ignored)}:")
    for p in ignored:
        lines.append(f"  {display(p.source.span.path)}:{p.source.span.line}: {_object(p)} ({p.api_version})")
    lines.extend(operator_policy_lines(cluster, label, display))
    offline = offline_rules(cluster)
    if offline:
        lines.append(f"policylint: {label}: some answers are unknown offline: {len(offline)} rule"
                     f"{'' if len(offline) == 1 else 's'} of cluster-wide policies match peers that manifests "
                     "cannot tell (nodes, domainNames, networks against pods of unknown IP); they are never "
                     "counted as allowed:")
        for policy, rule, why in offline:
            span = rule.source.span
            lines.append(f"  {display(span.path)}:{span.line}: {policy.id} {rule.label}: {why}")
    return [esc(line) for line in lines]  # one line each: escaping the line escapes every value in it


def operator_policy_lines(cluster: Cluster, label: str = "caveat", display: Callable[[str], str] = _same) -> list[str]:
    """NetworkPolicies that operators create from the input's resources: those the answers
    include (they exist only if the operator creates them), and those they cannot include."""
    lines = []
    created = cluster.created_policies
    if created:
        count = "1 NetworkPolicy" if len(created) == 1 else f"{len(created)} NetworkPolicies"
        lines.append(f"policylint: {label}: answers include {count} that operators create from fields of the input's "
                     "resources; they hold only if the operator creates them:")
        for p in created:
            lines.append(f"  {display(p.span.path)}:{p.span.line}: NetworkPolicy {p.namespace}/{p.name} for {p.owner}, "
                         f"created by {p.operator} {p.condition}")
    missing = cluster.unmodelled_operator_policies
    if missing:
        lines.append(f"policylint: {label}: answers ignore NetworkPolicies that operators create and policylint does "
                     f"not model; connections of these pods may be denied where the answer says allowed:")
        for m in missing:
            lines.append(f"  {display(m.span.path)}:{m.span.line}: {m.operator} creates {m.what} ({m.owner})")
    return lines


def offline_rules(cluster: Cluster) -> list[tuple[Any, Any, str]]:
    """(policy, rule, why) of the cluster-wide policy rules whose peers cannot be judged offline."""
    if not cluster.tier_policies:
        return []  # and the tier engine is not imported: most inputs have no cluster-wide policies
    from policylint.engine.tiers import may_hold_pods  # the engine's own criterion

    unknown_ips = any(not w.pod_ips for w in cluster.workloads)
    found = []
    for policy in cluster.tier_policies:
        if not policy.valid:
            continue
        for rule in policy.ingress + policy.egress:
            if not rule.verdict:
                continue
            kinds = []
            for peer in rule.peers:
                if not peer.valid:
                    continue
                if peer.kind in ("nodes", "domainNames"):
                    kinds.append(peer.kind)
                elif peer.kind == "networks" and unknown_ips and any(may_hold_pods(n) for n in peer.networks):
                    kinds.append("networks")
            if kinds:
                found.append((policy, rule, ", ".join(dict.fromkeys(kinds)) + " peer"))
    return found


def caveat_text(cluster: Cluster, side: str | None = None, display: Callable[[str], str] = _same) -> str:
    """`caveat_lines` as one text ending in a newline, or "" when there is nothing to say."""
    lines = caveat_lines(cluster, side, display)
    return "\n".join(lines) + "\n" if lines else ""


def _relative(path: str) -> str:
    # Imported here: report.paths imports pathlib and urllib.parse, and only answers that list
    # ignored objects need it (`matrix` on an input without them does not).
    from policylint.report.paths import relative_path

    return relative_path(path)


def caveat_markdown(cluster: Cluster, side: str | None = None, display: Callable[[str], str] = _same) -> str:
    """A block quote for a Markdown answer (a pull-request summary), or "" when nothing is ignored."""
    ignored = not_evaluated(cluster)
    label = f"Caveat ({side})" if side else "Caveat"
    lines = []
    if ignored:
        lines.append(f"> **{label}:** {_escape(_headline(ignored))}:")
    for p in ignored:
        where = f"{_relative(display(p.source.span.path))}:{p.source.span.line}"
        lines.append(f"> - {_code(where)} {_escape(p.kind)} {_code(_name(p))} ({_code(p.api_version)})")
    if cluster.created_policies:
        lines.append(f"> **{label}:** answers include NetworkPolicies that operators create from fields of the "
                     "input's resources; they hold only if the operator creates them:")
    for c in cluster.created_policies:
        where = f"{_relative(display(c.span.path))}:{c.span.line}"
        lines.append(f"> - {_code(where)} NetworkPolicy {_code(f'{c.namespace}/{c.name}')} for "
                     f"{_escape(c.owner)}, created by {_escape(c.operator)} {_escape(c.condition)}")
    if cluster.unmodelled_operator_policies:
        lines.append(f"> **{label}:** answers ignore NetworkPolicies that operators create and policylint does not "
                     "model; connections of these pods may be denied where the answer says allowed:")
    for m in cluster.unmodelled_operator_policies:
        where = f"{_relative(display(m.span.path))}:{m.span.line}"
        lines.append(f"> - {_code(where)} {_escape(m.operator)} creates {_escape(m.what)} ({_escape(m.owner)})")
    return "\n".join(lines) + "\n" if lines else ""


def not_evaluated_json(cluster: Cluster, display: Callable[[str], str] = _same) -> list[dict[str, Any]]:
    """The ignored objects as JSON values, for answers printed as JSON."""
    return [{"kind": p.kind, "apiVersion": p.api_version, "namespace": p.namespace, "name": p.name,
             "path": _relative(display(p.source.span.path)), "line": p.source.span.line}
            for p in not_evaluated(cluster)]


def _headline(ignored: list[OtherPolicy]) -> str:
    kinds = Counter(_kind(p) for p in ignored)
    listed = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    objects = "1 object" if len(ignored) == 1 else f"{len(ignored)} objects"
    return f"answers ignore {objects} of kinds policylint does not evaluate ({listed})"


def _kind(p: OtherPolicy) -> str:
    # Calico's NetworkPolicy shares its kind with the one that is evaluated: name its API group.
    if p.kind == "NetworkPolicy":
        return f"NetworkPolicy ({p.api_version.split('/', 1)[0]})"
    return p.kind


def _name(p: OtherPolicy) -> str:
    name = p.name or "<unnamed>"
    return f"{p.namespace}/{name}" if p.namespace else name


def _object(p: OtherPolicy) -> str:
    return f"{p.kind} {_name(p)}"


_code, _escape = md_code, md_text
