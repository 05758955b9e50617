"""One fixer per finding code that has a mechanical fix; the others say why they have none.

A fixer reads the finding, finds the model value and the characters it came from, and returns a
`Fix` (edits, safety, the connections it may add) or a `NoFix` with the reason. It never writes:
`plan.py` proves each fix with the engine before anything is written.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Callable

from policylint.engine.ports import PortSet
from policylint.findings import Finding
from policylint.fix.locate import (Sources, is_block, peer_at, policy_of, port_at, sequences_indented, step_of)
from policylint.fix.model import EXTERNAL, SAFE, UNSAFE, Fix, Need, NoFix
from policylint.fix.text import Lines, TextEdit, after_line, block_end_line, indent_of, render_block
from policylint.load.nodes import YMap, YSeq
from policylint.model.types import EGRESS, INGRESS, NAMESPACE_NAME_LABEL, NetworkPolicy

Result = Fix | NoFix | None


@dataclass(slots=True)
class FixContext:
    analysis: Any
    sources: Sources
    config: Any
    # `generate`: new policies go to this file, and rules are added to this policy (by id)
    # rather than to whichever policy the finding names.
    target: str | None = None
    home: str | None = None

    def policy_for(self, finding: Finding) -> NetworkPolicy | None:
        if self.home is not None:
            home = next((p for p in self.cluster.policies if p.id == self.home), None)
            if home is not None:
                return home
        return policy_of(self.cluster, finding)

    @property
    def facts(self) -> Any:
        return self.config.facts

    @property
    def cluster(self) -> Any:
        return self.analysis.cluster

    @property
    def engine(self) -> Any:
        return self.analysis.engine


# -- helpers ----------------------------------------------------------------------------------------

def _matches(selector: Any, labels: Any) -> bool:
    from policylint.engine.label_index import matches

    return matches(selector, labels)


def _selected_ids(ctx: FixContext, policy: NetworkPolicy) -> frozenset[str]:
    return frozenset(w.id for w in ctx.engine.selected_by(policy))


def _insert_keys_before(lines: Lines, node: YMap, block: dict, path: str) -> TextEdit | None:
    """Insert `block`'s keys in front of the mapping's first key, at that key's column."""
    if not node or not is_block(node, lines):
        return None
    first = next(iter(node))
    key_span = node.span_of_key(first)
    column = key_span.column - 1
    rendered = render_block(block, column, step_of(lines), sequences_indented(lines))
    text = rendered[0].lstrip(" ") + "\n" + "\n".join(rendered[1:]) + ("\n" if rendered[1:] else "") + " " * column
    offset = lines.start_of(key_span)
    return TextEdit(path, offset, offset, text)


def _replace_scalar(lines: Lines, finding: Finding, new: str) -> TextEdit:
    start, end = lines.start_of(finding.span), lines.end_of(finding.span)
    written = lines.text[start:end]
    if written[:1] in ("'", '"') and written[-1:] == written[:1]:
        start, end = start + 1, end - 1  # keep the quotes as written
    return TextEdit(finding.path, start, end, new)


def _append_items(lines: Lines, owner: YMap, key: str, items: list, path: str) -> TextEdit | None:
    """Append items to the block sequence `owner[key]`, or add `key` with them to `owner`.

    `key: []` on one line is replaced by the block; anything else (a flow sequence with items,
    a flow mapping) is left to a person."""
    if not owner or not is_block(owner, lines):
        return None
    step, indented = step_of(lines), sequences_indented(lines)
    first_key = owner.span_of_key(next(iter(owner)))
    column = first_key.column - 1
    value = owner.get(key)
    if isinstance(value, YSeq) and value and is_block(value, lines):
        first = value.span_of_item(0)
        dash = indent_of(lines.line_text(first.line))
        end = block_end_line(lines, first.line, dash, sequence=True)
        rendered = render_block(items, dash, step, indented)
        return TextEdit(path, after_line(lines, end), after_line(lines, end), _lines(lines, end, rendered))
    if isinstance(value, YSeq) and not value:
        key_span, value_span = owner.span_of_key(key), owner.span_of_value(key)
        if key_span.line != value_span.line:
            return None
        rendered = render_block(items, column + (step if indented else 0), step, indented)
        return TextEdit(path, lines.end_of(key_span), lines.end_of(value_span), ":\n" + "\n".join(rendered))
    if key in owner:
        return None
    end = block_end_line(lines, first_key.line, column)
    rendered = render_block({key: items}, column, step, indented)
    return TextEdit(path, after_line(lines, end), after_line(lines, end), _lines(lines, end, rendered))


def _lines(lines: Lines, after: int, rendered: list[str]) -> str:
    newline = "" if after < len(lines.starts) else "\n"  # the file's last line had no newline
    return newline + "\n".join(rendered) + "\n"


# -- fixes that change no connection ------------------------------------------------------------------

def fix_protocol_default(ctx: FixContext, finding: Finding) -> Result:
    """`{}` keeps its meaning, written out (`protocol: TCP`); a DNS entry gets what DNS needs:
    UDP on this entry and a TCP twin, which adds exactly DNS over UDP to the rule's peers."""
    policy = policy_of(ctx.cluster, finding)
    entry = port_at(policy, finding.field_path) if policy else None
    lines = ctx.sources.lines(finding.path)
    if entry is None or lines is None or not isinstance(entry.source.node, YMap):
        return None
    node = entry.source.node
    if not node:
        start, end = lines.start_of(node.span), lines.end_of(node.span)
        if lines.text[start:end].strip() != "{}":
            return None
        return Fix(finding, "write out what the entry means today: `{protocol: TCP}` (add UDP and SCTP entries "
                            "yourself if every protocol was meant)", SAFE,
                   (TextEdit(finding.path, start, end, "{protocol: TCP}"),))
    located = next(((r, i) for r in (*policy.ingress, *policy.egress) for i, p in enumerate(r.ports) if p is entry), None)
    if located is None or not is_block(node, lines):
        return NoFix(finding, "the port entry is written in flow style; set its protocol by hand")
    rule, _ = located
    first = _insert_keys_before(lines, node, {"protocol": "UDP"}, finding.path)
    rule_node = rule.source.node
    twin = _append_items(lines, rule_node, "ports", [{"protocol": "TCP", "port": entry.port}], finding.path) \
        if isinstance(rule_node, YMap) else None
    if first is None or twin is None:
        return NoFix(finding, "the rule is written in flow style; add UDP and TCP entries for DNS by hand")
    peers = _rule_peer_ids(ctx, policy, rule)
    selected = _selected_ids(ctx, policy)
    udp = PortSet.single("UDP", entry.port) if isinstance(entry.port, int) else None
    need = Need(selected, peers, udp) if rule.direction == EGRESS else Need(peers, selected, udp)
    return Fix(finding, "allow DNS on both protocols: `protocol: UDP` on this entry and a TCP entry beside it",
               SAFE, (first, twin), (need,))


def _rule_peer_ids(ctx: FixContext, policy: NetworkPolicy, rule: Any) -> frozenset[str]:
    """The workloads a rule's peers match, and EXTERNAL when an ipBlock (or no peer) lets addresses in."""
    if not rule.peers:
        return frozenset({*(w.id for w in ctx.cluster.workloads), EXTERNAL})
    ids: set[str] = set()
    for peer in rule.peers:
        if peer.ip_block is not None:
            ids.add(EXTERNAL)
        ids.update(w.id for w in ctx.engine.peer_workloads(policy, peer))
    return frozenset(ids)


def fix_service_port(ctx: FixContext, finding: Finding) -> Result:
    """A policy port that is a Service's port: write the pod port the Service forwards it to,
    when every Service behind the entry forwards it to the same pod port."""
    policy = policy_of(ctx.cluster, finding)
    entry_path = finding.field_path.rsplit(".", 1)[0] if finding.field_path.endswith(".port") else finding.field_path
    entry = port_at(policy, entry_path) if policy else None
    lines = ctx.sources.lines(finding.path)
    if entry is None or lines is None or not isinstance(entry.port, int):
        return None
    if entry.end_port is not None:
        return NoFix(finding, "the entry is a port range; change it by hand")
    located = next((r for r in (*policy.ingress, *policy.egress) if any(p is entry for p in r.ports)), None)
    if located is None:
        return None
    targets: set[int] = set()
    receivers: set[str] = set()
    for workload in ctx.cluster.workloads:
        for service in ctx.cluster.services_of(workload):
            for sp in service.ports:
                if sp.port == entry.port and sp.protocol == entry.protocol:
                    target = sp.target_on(workload.ports)
                    if target is not None and target != sp.port:
                        targets.add(target)
                        receivers.add(workload.id)
    if len(targets) != 1:
        return NoFix(finding, "the Services behind this port forward it to different pod ports; list them by hand")
    (target,) = targets
    peers = _rule_peer_ids(ctx, policy, located)
    selected = _selected_ids(ctx, policy)
    ports = PortSet.single(entry.protocol, target)
    listening = {w.id for w in ctx.cluster.workloads if any(p.port == entry.port and p.protocol == entry.protocol
                                                             for p in w.ports)}
    dropped = PortSet.single(entry.protocol, entry.port)
    if located.direction == INGRESS:
        need = Need(peers, selected & frozenset(receivers), ports)
        drop = Need(peers, selected - frozenset(listening), dropped)
    else:
        need = Need(selected, peers & frozenset(receivers), ports)
        drop = Need(selected, peers - frozenset(listening), dropped)
    start, end = lines.start_of(finding.span), lines.end_of(finding.span)
    if lines.text[start:end].strip("'\"") != str(entry.port):
        return None
    return Fix(finding, f"allow the pod port the Service forwards to: {target} instead of {entry.port}", SAFE,
               (_replace_scalar(lines, finding, str(target)),), (need,), (drop,))


def fix_duplicate_policy_type(ctx: FixContext, finding: Finding) -> Result:
    lines = ctx.sources.lines(finding.path)
    if lines is None:
        return None
    span = finding.span
    text = lines.line_text(span.line)
    before = text[:span.column - 1]
    if before.strip() == "-" and text[span.end_column - 1:].strip() in ("", ) or \
            (before.strip() == "-" and text[span.end_column - 1:].lstrip().startswith("#")):
        start = lines.line_start(span.line)
        return Fix(finding, "remove the repeated entry", SAFE,
                   (TextEdit(finding.path, start, after_line(lines, span.line), ""),))
    start, end = lines.start_of(span), lines.end_of(span)
    head = lines.text[:start].rstrip(" ")
    if head.endswith(","):  # flow sequence: drop ", Egress"
        return Fix(finding, "remove the repeated entry", SAFE,
                   (TextEdit(finding.path, len(head) - 1, end, ""),))
    return NoFix(finding, "the list is written in an unusual layout; remove the repeated entry by hand")


def fix_cidr_host_bits(ctx: FixContext, finding: Finding) -> Result:
    lines = ctx.sources.lines(finding.path)
    if lines is None:
        return None
    written = lines.text[lines.start_of(finding.span):lines.end_of(finding.span)].strip("'\"")
    try:
        network = ipaddress.ip_network(written, strict=False)
    except ValueError:
        return None
    return Fix(finding, f"write the network the API server keeps: `{network}`", SAFE,
               (_replace_scalar(lines, finding, str(network)),))


# -- fixes that add exactly the missing connections ----------------------------------------------------

def fix_replica_type_case(ctx: FixContext, finding: Finding) -> Result:
    lines = ctx.sources.lines(finding.path)
    policy = policy_of(ctx.cluster, finding)
    if lines is None or policy is None:
        return None
    written = lines.text[lines.start_of(finding.span):lines.end_of(finding.span)].strip("'\"")
    lowered = written.lower()
    edit = _replace_scalar(lines, finding, lowered)
    if ".podSelector" in finding.field_path and ".from[" not in finding.field_path and ".to[" not in finding.field_path:
        # The policy's own selector: lower-casing it changes which pods the policy isolates.
        return Fix(finding, f"lower-case the value: `{lowered}`", UNSAFE, (edit,))
    carriers = frozenset(w.id for w in ctx.cluster.workloads if lowered in w.labels.values())
    selected = _selected_ids(ctx, policy)
    direction = INGRESS if ".ingress[" in finding.field_path else EGRESS
    need = Need(carriers, selected) if direction == INGRESS else Need(selected, carriers)
    return Fix(finding, f"lower-case the value: `{lowered}`", SAFE, (edit,), (need,))


def fix_peer_namespace(ctx: FixContext, finding: Finding) -> Result:
    policy = policy_of(ctx.cluster, finding)
    located = peer_at(policy, finding.field_path) if policy else None
    lines = ctx.sources.lines(finding.path)
    if located is None or lines is None:
        return None
    rule, peer = located
    if peer.pod_selector is None or peer.namespace_selector is not None or not isinstance(peer.source.node, YMap):
        return None
    elsewhere = sorted({w.namespace for w in ctx.cluster.workloads
                        if w.namespace != policy.namespace and _matches(peer.pod_selector, w.labels)})
    if not elsewhere:
        return NoFix(finding, "no workload of the input carries these labels in another namespace")
    if len(elsewhere) == 1:
        selector = {"matchLabels": {NAMESPACE_NAME_LABEL: elsewhere[0]}}
    else:
        selector = {"matchExpressions": [{"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": elsewhere}]}
    edit = _insert_keys_before(lines, peer.source.node, {"namespaceSelector": selector}, finding.path)
    if edit is None:
        return NoFix(finding, "the peer is written in flow style; add the namespaceSelector by hand")
    others = frozenset(w.id for w in ctx.cluster.workloads
                       if w.namespace in elsewhere and _matches(peer.pod_selector, w.labels))
    selected = _selected_ids(ctx, policy)
    need = Need(others, selected) if rule.direction == INGRESS else Need(selected, others)
    where = ", ".join(f"`{n}`" for n in elsewhere)
    return Fix(finding, f"add a namespaceSelector for {where} to the peer, in the same entry as its podSelector",
               SAFE, (edit,), (need,))


def fix_dns_egress(ctx: FixContext, finding: Finding) -> Result:
    policy = ctx.policy_for(finding)
    if policy is None:
        return None
    path = ctx.sources.real(policy.source.span.path)
    lines = ctx.sources.lines(path)
    spec = policy.source.node.get("spec") if isinstance(policy.source.node, YMap) else None
    if lines is None or not isinstance(spec, YMap):
        return None
    namespace_labels, pod_labels = dict(ctx.facts.dns_namespace_labels), dict(ctx.facts.dns_pod_labels)
    peer = {}
    if namespace_labels:
        peer["namespaceSelector"] = {"matchLabels": namespace_labels}
    if pod_labels:
        peer["podSelector"] = {"matchLabels": pod_labels}
    rule = {"to": [peer], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
    edit = _append_items(lines, spec, "egress", [rule], path)
    if edit is None:
        return NoFix(finding, "`egress` is written in flow style; add the DNS rule by hand")
    dns = frozenset(w.id for w in ctx.cluster.workloads
                    if all(w.labels.get(k) == v for k, v in pod_labels.items())
                    and w.namespace in ctx.cluster.namespaces
                    and all(ctx.cluster.namespaces[w.namespace].labels.get(k) == v for k, v in namespace_labels.items()))
    need = Need(_selected_ids(ctx, policy), dns, PortSet.single("UDP", 53) | PortSet.single("TCP", 53))
    return Fix(finding, "add an egress rule to the cluster DNS on 53/UDP and 53/TCP", SAFE, (edit,), (need,))


def fix_job_peers(ctx: FixContext, finding: Finding) -> Result:
    """A new policy that lets the job's pods reach each other on every port, in the directions
    where they are isolated: the isolating policy itself may select other pods, which must not
    gain the job. Also the fix for PL503 (the job's pods reach each other only on some ports)."""
    for job, members in _blocked_jobs(ctx, finding, lambda a, b: not _all_ports(ctx, a, b)):
        return _connect(ctx, finding, job.namespace, members, members, None, f"{job.name}-peers",
                        f"The pods of {job.kind} {job.name} reach each other on every port "
                        "(NCCL, Gloo and MPI use ephemeral ports).",
                        f"add a policy `{job.name}-peers` that lets the pods of {job.label} reach each other")
    return None


def fix_rendezvous(ctx: FixContext, finding: Finding) -> Result:
    for job in _jobs_near(ctx, finding):
        rendezvous = job.rendezvous
        if rendezvous is None:
            continue
        targets = list(rendezvous.targets)
        members = [r.workload for r in job.replicas]
        if all(ctx.engine.allowed_ports(ctx.engine.endpoint_of(s), ctx.engine.endpoint_of(t))
               .contains(rendezvous.protocol, rendezvous.port) for s in members for t in targets if s is not t):
            continue
        ports = PortSet.single(rendezvous.protocol, rendezvous.port)
        return _connect(ctx, finding, job.namespace, members, targets, ports, f"{job.name}-rendezvous",
                        f"The pods of {job.kind} {job.name} reach its rendezvous on "
                        f"{rendezvous.protocol}/{rendezvous.port} ({rendezvous.origin}).",
                        f"add a policy `{job.name}-rendezvous` that opens {rendezvous.protocol}/{rendezvous.port} "
                        f"on the rendezvous pods to the job's pods")
    return None


def fix_launcher_ssh(ctx: FixContext, finding: Finding) -> Result:
    for job in _jobs_near(ctx, finding):
        ssh = job.ssh
        if ssh is None or not ssh.ports:
            continue
        engine = ctx.engine
        if all(any(engine.allowed_ports(engine.endpoint_of(a), engine.endpoint_of(b)).contains("TCP", p) for p in ssh.ports)
               for a in ssh.launchers for b in ssh.workers):
            continue
        ports = PortSet.of({"TCP": [(p, p) for p in ssh.ports]})
        shown = " and ".join(f"TCP/{p}" for p in ssh.ports)
        fix = _connect(ctx, finding, job.namespace, list(ssh.launchers), list(ssh.workers), ports, f"{job.name}-ssh",
                       f"The launcher of {job.kind} {job.name} starts the workers over ssh on {shown} ({ssh.origin}).",
                       f"add a policy `{job.name}-ssh` that opens {shown} on the workers to the launcher")
        if isinstance(fix, Fix) and len(ssh.ports) > 1:
            # Which port sshd listens on is not known: opening every candidate allows more than needed.
            fix = Fix(fix.finding, fix.title + " (the sshd port is not declared: opening every candidate; "
                                               "declare it to get a safe fix)", UNSAFE, fix.edits, fix.needs)
        return fix
    return None


def _all_ports(ctx: FixContext, a: Any, b: Any) -> bool:
    return ctx.engine.allowed_ports(ctx.engine.endpoint_of(a), ctx.engine.endpoint_of(b)).is_all


def _jobs_near(ctx: FixContext, finding: Finding) -> list[Any]:
    """The training jobs whose pods the finding's policy selects (or that the finding names)."""
    from policylint.intent.context import intent_config, resolve

    intent = resolve(ctx.cluster, ctx.facts, intent_config(ctx.config))
    policy = policy_of(ctx.cluster, finding)
    selected = _selected_ids(ctx, policy) if policy is not None else frozenset()
    near = [job for job in intent.jobs
            if any(r.workload.id in selected for r in job.replicas) or job.label in finding.message]
    return sorted(near, key=lambda job: job.label)


def _blocked_jobs(ctx: FixContext, finding: Finding, blocked: Callable[[Any, Any], bool]):
    for job in _jobs_near(ctx, finding):
        members = [r.workload for r in job.replicas]
        if any(blocked(a, b) for a in members for b in members if a is not b or a.replicas > 1):
            yield job, members


def _ports_yaml(ports: PortSet | None) -> list[dict[str, Any]] | None:
    if ports is None:
        return None
    entries: list[dict[str, Any]] = []
    for protocol in ("TCP", "UDP", "SCTP"):
        for lo, hi in ports.intervals(protocol):
            entry: dict[str, Any] = {"protocol": protocol, "port": lo}
            if hi != lo:
                entry["endPort"] = hi
            entries.append(entry)
    return entries


def _connect(ctx: FixContext, finding: Finding, namespace: str, sources: list[Any], destinations: list[Any],
             ports: PortSet | None, name: str, comment: str, title: str) -> Result:
    """New NetworkPolicies, appended to the finding's file, that let `sources` reach
    `destinations` on `ports` (every port when None); see `_connection_documents`."""
    path = ctx.target or ctx.sources.real(finding.path)
    lines = ctx.sources.lines(path)
    if lines is None:
        return None
    built = _connection_documents(ctx, sources, destinations, ports, name, comment, lines)
    if isinstance(built, str):
        return NoFix(finding, built)
    if built is None:
        return None
    text, exact = built
    prefix = "" if lines.text.endswith("\n") or not lines.text else "\n"
    edit = TextEdit(path, len(lines.text), len(lines.text), prefix + text)
    src_ids, dst_ids = frozenset(w.id for w in sources), frozenset(w.id for w in destinations)
    return Fix(finding, title, SAFE if exact else UNSAFE, (edit,), (Need(src_ids, dst_ids, ports),))


def _connection_documents(ctx: FixContext, sources: list[Any], destinations: list[Any], ports: PortSet | None,
                          name: str, comment: str, lines: Lines) -> tuple[str, bool] | str | None:
    """The YAML of the policies that let `sources` (pods of one namespace) reach `destinations`
    (pods of one namespace) on `ports`: an ingress policy on the destinations if they are
    isolated for ingress, an egress policy on the sources if they are isolated for egress, each in
    its pods' namespace, its peer scoped to the other namespace when they differ. Nothing else is
    selected or opened. Returns (text, whether the selectors pick exactly these pods), a reason
    when there is no safe way, or None when neither side is isolated."""
    engine = ctx.engine
    src_ns, dst_ns = {w.namespace for w in sources}, {w.namespace for w in destinations}
    if len(src_ns) != 1 or len(dst_ns) != 1:
        return "the pods span several namespaces; write one policy per namespace by hand"
    (src_namespace,), (dst_namespace,) = src_ns, dst_ns
    src_ids, dst_ids = frozenset(w.id for w in sources), frozenset(w.id for w in destinations)
    src_labels, src_matched = _common_selector(ctx, src_namespace, sources, src_ids)
    dst_labels, dst_matched = _common_selector(ctx, dst_namespace, destinations, dst_ids)
    if not src_labels or not dst_labels:
        return "the pods share no label to select them by; write the policy by hand"
    ingress = [engine.isolated(engine.endpoint_of(w), INGRESS) for w in destinations]
    egress = [engine.isolated(engine.endpoint_of(w), EGRESS) for w in sources]
    if (any(ingress) and not all(ingress)) or (any(egress) and not all(egress)):
        return "some of these pods are isolated and others not; allow the connection in the policies that isolate them"

    def peer(labels: dict[str, str], namespace: str, home: str) -> dict[str, Any]:
        selected: dict[str, Any] = {"podSelector": {"matchLabels": labels}}
        if namespace != home:
            return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}, **selected}
        return selected

    entries = _ports_yaml(ports)
    with_ports = {"ports": entries} if entries else {}
    documents: list[tuple[str, str, dict[str, Any]]] = []
    if src_labels == dst_labels and src_namespace == dst_namespace and (all(ingress) or all(egress)):
        spec: dict[str, Any] = {"podSelector": {"matchLabels": dst_labels},
                                "policyTypes": [d for d, on in ((INGRESS, all(ingress)), (EGRESS, all(egress))) if on]}
        if all(ingress):
            spec["ingress"] = [{"from": [peer(src_labels, src_namespace, dst_namespace)], **with_ports}]
        if all(egress):
            spec["egress"] = [{"to": [peer(dst_labels, dst_namespace, src_namespace)], **with_ports}]
        documents.append((name, dst_namespace, spec))
    else:
        if all(ingress):
            documents.append((name if not all(egress) else f"{name}-ingress", dst_namespace, {
                "podSelector": {"matchLabels": dst_labels}, "policyTypes": [INGRESS],
                "ingress": [{"from": [peer(src_labels, src_namespace, dst_namespace)], **with_ports}]}))
        if all(egress):
            documents.append((name if not all(ingress) else f"{name}-egress", src_namespace, {
                "podSelector": {"matchLabels": src_labels}, "policyTypes": [EGRESS],
                "egress": [{"to": [peer(dst_labels, dst_namespace, src_namespace)], **with_ports}]}))
    if not documents:
        return None
    step, indented = step_of(lines), sequences_indented(lines)
    text = ""
    for doc_name, namespace, spec in documents:
        document = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": doc_name[:253], "namespace": namespace}, "spec": spec}
        text += "---\n# " + comment + "\n" + "\n".join(render_block(document, 0, step, indented)) + "\n"
    return text, src_matched == src_ids and dst_matched == dst_ids


def fix_expectation(ctx: FixContext, finding: Finding) -> Result:
    """An `allow: true` expectation of the config that the policies do not meet: policies that
    open exactly the missing ports between the failing pairs of workloads."""
    from policylint.intent.context import intent_config, resolve
    from policylint.intent.expectations import verify

    intent = resolve(ctx.cluster, ctx.facts, intent_config(ctx.config))
    engine = ctx.engine
    for expectation in intent.config.expectations:
        if not expectation.allow or (expectation.name and expectation.name not in finding.message):
            continue
        outcome = verify(engine, ctx.cluster, intent.roles, expectation)
        if outcome.met or not outcome.failures:
            continue
        path = ctx.target or ctx.sources.real(finding.path)
        lines = ctx.sources.lines(path) if path.endswith((".yaml", ".yml")) else None
        if lines is None:
            return NoFix(finding, "the finding points into the config; generate the policies with "
                                  "`policylint generate` or write them by hand")
        if expectation.destination.cidr is not None and all(f.src.workload is not None for f in outcome.failures):
            return _expectation_to_range(ctx, finding, expectation, outcome, path, lines)
        if any(f.src.workload is None or f.dst.workload is None for f in outcome.failures):
            return NoFix(finding, "the expectation's source is an address range; admitting it is a person's decision")
        groups: dict[tuple[str, Any], list[Any]] = {}
        for failure in outcome.failures:
            ports = None if expectation.ports is None else failure.ports
            groups.setdefault((failure.dst.workload.namespace, ports), []).append(failure)
        # Without `ports` the expectation asks for "some port": opening every port is more than that.
        text, needs, exact = "", [], expectation.ports is not None
        label = expectation.name or f"expectation-{expectation.index + 1}"
        for (namespace, ports), failures in sorted(groups.items(), key=lambda item: (item[0][0], str(item[0][1]))):
            sources = sorted({f.src.workload.id: f.src.workload for f in failures}.values(), key=lambda w: w.id)
            targets = sorted({f.dst.workload.id: f.dst.workload for f in failures}.values(), key=lambda w: w.id)
            suffix = f"-{_slug(namespace)}" if len(groups) > 1 else ""
            built = _connection_documents(ctx, sources, targets, ports, f"allow-{_slug(label)}{suffix}",
                                          f"The config expects {expectation.source.describe()} to reach "
                                          f"{expectation.destination.describe()} ({label}).", lines)
            if isinstance(built, str):
                return NoFix(finding, built)
            if built is None:
                continue
            text += built[0]
            exact = exact and built[1]
            needs.append(Need(frozenset(w.id for w in sources), frozenset(w.id for w in targets), ports))
        if not text:
            return None
        prefix = "" if lines.text.endswith("\n") or not lines.text else "\n"
        edit = TextEdit(path, len(lines.text), len(lines.text), prefix + text)
        return Fix(finding, f"add policies that open what the expectation `{label}` needs", SAFE if exact else UNSAFE,
                   (edit,), tuple(needs))
    return None


def _expectation_to_range(ctx: FixContext, finding: Finding, expectation: Any, outcome: Any, path: str,
                          lines: Lines) -> Result:
    """Egress from the failing sources to the expectation's address range, on its ports."""
    if expectation.ports is None:
        return NoFix(finding, "the expectation names no port; add `ports` so that only those are opened")
    engine = ctx.engine
    sources = sorted({f.src.workload.id: f.src.workload for f in outcome.failures}.values(), key=lambda w: w.id)
    if not all(engine.isolated(engine.endpoint_of(w), EGRESS) for w in sources) or len({w.namespace for w in sources}) != 1:
        return None
    namespace = sources[0].namespace
    ids = frozenset(w.id for w in sources)
    labels, matched = _common_selector(ctx, namespace, sources, ids)
    if not labels:
        return NoFix(finding, "the pods share no label to select them by; write the policy by hand")
    ports = PortSet()
    for failure in outcome.failures:
        ports = ports | failure.ports
    label = expectation.name or f"expectation-{expectation.index + 1}"
    document = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": f"allow-{_slug(label)}"[:253], "namespace": namespace},
                "spec": {"podSelector": {"matchLabels": labels}, "policyTypes": [EGRESS],
                         "egress": [{"to": [{"ipBlock": {"cidr": expectation.destination.cidr}}],
                                     "ports": _ports_yaml(ports)}]}}
    prefix = "" if lines.text.endswith("\n") or not lines.text else "\n"
    text = (prefix + f"---\n# The config expects {expectation.source.describe()} to reach {expectation.destination.cidr} "
            f"({label}).\n" + "\n".join(render_block(document, 0, step_of(lines), sequences_indented(lines))) + "\n")
    edit = TextEdit(path, len(lines.text), len(lines.text), text)
    return Fix(finding, f"add a policy that opens what the expectation `{label}` needs", SAFE if matched == ids else UNSAFE,
               (edit,), (Need(ids, frozenset({EXTERNAL}), ports),))


def _slug(text: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")
    return "-".join(part for part in slug.split("-") if part)[:60] or "x"


# Labels that the operators put on every pod of one job, naming the job: the narrowest selector.
JOB_NAME_LABELS = ("training.kubeflow.org/job-name", "jobset.sigs.k8s.io/jobset-name",
                   "trainer.kubeflow.org/trainjob-name", "ray.io/cluster", "volcano.sh/job-name",
                   "leaderworkerset.sigs.k8s.io/name")


def fix_data_service_egress(ctx: FixContext, finding: Finding) -> Result:
    """Training pods whose own egress isolation keeps them from the data service: an egress rule
    to the data service's pods on the ports they declare. The other side (the data service's
    ingress, or traffic the other way) is another policy's business: no fix here."""
    from policylint.intent.context import intent_config, resolve

    policy = ctx.policy_for(finding)
    if policy is None or not policy.isolates(EGRESS):
        return None
    path = ctx.sources.real(policy.source.span.path)
    lines = ctx.sources.lines(path)
    spec = policy.source.node.get("spec") if isinstance(policy.source.node, YMap) else None
    if lines is None or not isinstance(spec, YMap):
        return None
    intent = resolve(ctx.cluster, ctx.facts, intent_config(ctx.config))
    from policylint.intent.roles import DATA_SERVICE

    engine = ctx.engine
    selected = [engine.endpoint_of(w) for w in engine.selected_by(policy) if intent.roles.has(w, "training")]
    data = [w for w in intent.roles.members(DATA_SERVICE)]
    blocked = [w for w in data if any(engine.egress_ports(s, engine.endpoint_of(w)).is_empty for s in selected)]
    if not selected or not blocked:
        return None
    rules, needs = [], []
    for namespace in sorted({w.namespace for w in blocked}):
        members = [w for w in blocked if w.namespace == namespace]
        ids = frozenset(w.id for w in members)
        labels, matched = _common_selector(ctx, namespace, members, ids)
        ports = sorted({(p.protocol, p.port) for w in members for p in w.ports if p.port})
        if not labels or matched != ids:
            return NoFix(finding, f"no label set selects exactly the data service's pods in `{namespace}`; "
                                  "write the egress rule by hand")
        if not ports:
            return NoFix(finding, "the data service's pods declare no container port; name the port in an egress rule by hand")
        peer: dict[str, Any] = {"podSelector": {"matchLabels": labels}}
        if namespace != policy.namespace:
            peer = {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}, **peer}
        rules.append({"to": [peer], "ports": [{"protocol": proto, "port": number} for proto, number in ports]})
        allowed = PortSet.of({proto: [(n, n) for pr, n in ports if pr == proto] for proto, _ in ports})
        needs.append(Need(frozenset(e.workload.id for e in selected), ids, allowed))
    edit = _append_items(lines, spec, "egress", rules, path)
    if edit is None:
        return NoFix(finding, "`egress` is written in flow style; add the rule to the data service by hand")
    where = ", ".join(sorted({w.namespace for w in blocked}))
    return Fix(finding, f"add an egress rule to the data service in `{where}` on the ports its pods declare",
               SAFE, (edit,), tuple(needs))


def _common_selector(ctx: FixContext, namespace: str, members: list[Any], ids: frozenset[str]
                     ) -> tuple[dict[str, str], frozenset[str]]:
    """The fewest shared labels (each alone first) that select exactly `members`, and what they select."""
    shared = sorted(set.intersection(*(set(w.labels.items()) for w in members)))
    in_namespace = [w for w in ctx.cluster.workloads if w.namespace == namespace]

    def selected(labels: dict[str, str]) -> frozenset[str]:
        return frozenset(w.id for w in in_namespace if all(w.labels.get(k) == v for k, v in labels.items()))

    # The job-name label an operator sets reads best; then any one label, in name order.
    preferred = sorted(shared, key=lambda item: (item[0] not in JOB_NAME_LABELS,
                                                 JOB_NAME_LABELS.index(item[0]) if item[0] in JOB_NAME_LABELS else 0, item))
    for key, value in preferred:
        if selected({key: value}) == ids:
            return {key: value}, ids
    labels = dict(shared)
    return labels, selected(labels) if labels else frozenset()


# -- findings that need a person ---------------------------------------------------------------------

def _rule_options(ctx: FixContext, code: str) -> dict[str, Any]:
    for selected in getattr(ctx.analysis, "rules", ()):
        if selected.spec.code == code:
            return dict(selected.options)
    from policylint.analysis import registry

    spec = registry().get(code)
    return dict(spec.defaults) if spec else {}


def no_fix_address(ctx: FixContext, finding: Finding) -> Result:
    storage = list(_rule_options(ctx, "PL506").get("storage-cidrs", ()))
    hint = (f"; the config names the object storage range{'s' if len(storage) > 1 else ''} "
            f"{', '.join(storage)} (PL506 storage-cidrs), if that is what these pods reach") if storage else ""
    return NoFix(finding, "which addresses the pods should reach is a decision only a person can make" + hint)


def fix_storage_egress(ctx: FixContext, finding: Finding) -> Result:
    """Egress to the object store the config names (PL506's `storage-cidrs`, on its `ports`);
    without one, which store the job uses is a person's decision."""
    options = _rule_options(ctx, "PL506")
    cidrs, ports = list(options.get("storage-cidrs", ())), list(options.get("ports", (443,)))
    policy = ctx.policy_for(finding)
    if policy is None or not policy.isolates(EGRESS):
        return None
    if not cidrs:
        return NoFix(finding, "which object store the job uses is not in the input: name its range under "
                              "`rules: {PL506: {storage-cidrs: [...]}}` in the config (or give its pods the "
                              "`object-storage` role) and run the fix again")
    path = ctx.sources.real(policy.source.span.path)
    lines = ctx.sources.lines(path)
    spec = policy.source.node.get("spec") if isinstance(policy.source.node, YMap) else None
    if lines is None or not isinstance(spec, YMap):
        return None
    rule = {"to": [{"ipBlock": {"cidr": c}} for c in cidrs], "ports": [{"protocol": "TCP", "port": p} for p in ports]}
    edit = _append_items(lines, spec, "egress", [rule], path)
    if edit is None:
        return NoFix(finding, "`egress` is written in flow style; add the rule to the object store by hand")
    allowed = PortSet.of({"TCP": [(p, p) for p in ports]})
    need = Need(_selected_ids(ctx, policy), frozenset({EXTERNAL}), allowed)
    return Fix(finding, f"add an egress rule to the object store {', '.join(cidrs)} on TCP {', '.join(map(str, ports))}",
               SAFE, (edit,), (need,))


FIXERS: dict[str, Callable[[FixContext, Finding], Result]] = {
    "PL500": fix_expectation,
    "PL108": fix_duplicate_policy_type,
    "PL110": fix_peer_namespace,
    "PL116": fix_replica_type_case,
    "PL201": no_fix_address,
    "PL202": no_fix_address,
    "PL204": fix_cidr_host_bits,
    "PL305": fix_dns_egress,
    "PL307": fix_protocol_default,
    "PL308": fix_service_port,
    "PL501": fix_data_service_egress,
    "PL502": fix_job_peers,
    "PL503": fix_job_peers,
    "PL504": fix_rendezvous,
    "PL505": fix_launcher_ssh,
    "PL506": fix_storage_egress,
}
