"""The kinds of NetworkPolicy the generator writes, and the phases that mix them.

Each kind is a function `(gen, ns) -> bool` that adds one policy in (or about) namespace `ns`
and returns False when the namespace offers nothing to build it from, so the caller falls back.
"""
from __future__ import annotations

import copy
from typing import Callable

from gen_policies import (BASELINE_SHARE, INTERNET_EXCEPT, IPV4_BLOCKS, IPV6_BLOCKS, NAME_KEY,
                          QUESTIONABLE_SHARE, PolicyGen)

Kind = Callable[[PolicyGen, str], bool]


def _label(ep_name: str) -> str:
    return ep_name.replace(".", "-")[:30].rstrip("-")


# -- baselines ------------------------------------------------------------------------------------

def default_deny(gen: PolicyGen, ns: str, room: int) -> int:
    """Deny ingress, or both directions with a DNS allowance; returns how many policies it added."""
    mode = gen.rng.choices(["ingress", "all", "split"], weights=[45, 35, 20])[0]
    if mode == "ingress" or room < 2:
        gen.add(ns, "default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
        return 1
    if mode == "all" or room < 3:
        gen.add(ns, "default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
        added = 1
    else:
        gen.add(ns, "default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
        gen.add(ns, "default-deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})
        added = 2
    gen.add(ns, "allow-dns-egress", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [gen.dns_rule()]})
    gen.dns_allowed.add(ns)
    return added + 1


def system_baselines(gen: PolicyGen) -> int:
    """CoreDNS open to every namespace; Prometheus allowed to scrape everywhere."""
    gen.add("kube-system", "allow-dns-from-cluster", {
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {}}],
                     "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"},
                               {"port": "metrics", "protocol": "TCP"}]}]})
    gen.add("monitoring", "prometheus-scrape-egress", {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": {}}],
                    "ports": [{"port": "metrics"}, {"port": 9090}, {"port": 8080, "endPort": 8090}]},
                   gen.dns_rule()]})
    return 2


# -- the allow mix ---------------------------------------------------------------------------------

def same_app(gen: PolicyGen, ns: str) -> bool:
    ep = gen.pick_ep(ns)
    if ep is None:
        return False
    sel = gen.pod_sel(ep)
    gen.add(ns, f"allow-{_label(ep.name)}-peers", {
        "podSelector": sel, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": copy.deepcopy(sel)}], "ports": gen.ports(ep)}]})
    return True


def app_to_app(gen: PolicyGen, ns: str) -> bool:
    dst, src = gen.pick_ep(ns, lambda e: bool(e.ports)), gen.pick_ep(ns)
    if dst is None or src is None or src is dst:
        return False
    gen.add(ns, f"allow-{_label(src.name)}-to-{_label(dst.name)}", {
        "podSelector": gen.pod_sel(dst),
        "ingress": [{"from": [{"podSelector": gen.pod_sel(src)}], "ports": gen.ports(dst)}]})
    return True


def cross_ns_and(gen: PolicyGen, ns: str) -> bool:
    """A peer with namespaceSelector AND podSelector in one item, as ingress or as egress."""
    local = gen.pick_ep(ns)
    remote = gen.other_ns_ep(ns)
    if local is None or remote is None:
        return False
    peer = {"namespaceSelector": gen.ns_sel(remote.namespace), "podSelector": gen.pod_sel(remote)}
    if gen.rng.random() < 0.5 and local.ports:
        gen.add(ns, f"allow-from-{remote.namespace}-{_label(remote.name)}"[:60], {
            "podSelector": gen.pod_sel(local), "policyTypes": ["Ingress"],
            "ingress": [{"from": [peer], "ports": gen.ports(local)}]})
    else:
        rules = [{"to": [peer], "ports": gen.ports(remote)}]
        if ns in gen.dns_allowed or gen.rng.random() < 0.9:
            rules.append(gen.dns_rule())
        gen.add(ns, f"allow-egress-to-{remote.namespace}-{_label(remote.name)}"[:60], {
            "podSelector": gen.pod_sel(local), "policyTypes": ["Egress"], "egress": rules})
    return True


def namespace_only(gen: PolicyGen, ns: str) -> bool:
    """Whole namespaces as peers: the monitoring stack, the ingress controller, a purpose."""
    choice = gen.rng.randrange(3)
    if choice == 0:
        if not gen.first_time(ns, "prometheus"):
            return False
        gen.add(ns, "allow-prometheus-scrape", {
            "podSelector": {}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {NAME_KEY: "monitoring"}}}],
                         "ports": [{"port": "metrics", "protocol": "TCP"}]}]})
        return True
    target = gen.pick_ep(ns, lambda e: any(p[0] in ("http", "grpc", "https") for p in e.ports))
    if target is None:
        return False
    if choice == 1:
        source = {"namespaceSelector": {"matchLabels": {NAME_KEY: "ingress-nginx"}}}
        name = f"allow-ingress-nginx-to-{_label(target.name)}"
    else:
        purpose = gen.rng.choice(["serving", "ml-training", "data"])
        source = {"namespaceSelector": {"matchLabels": {"purpose": purpose}}}
        name = f"allow-{purpose}-namespaces-to-{_label(target.name)}"
    gen.add(ns, name, {"podSelector": gen.pod_sel(target),
                       "ingress": [{"from": [source], "ports": gen.ports(target)}]})
    return True


def ml_training(gen: PolicyGen, ns: str) -> bool:
    """The intent of the project's seed example, written correctly."""
    if gen.ns_info[ns].purpose != "ml-training" or not gen.first_time(ns, "ml-training"):
        return False
    role = {"matchLabels": {"role": "ml-training-pod"}}
    data = gen.other_ns_ep(ns, lambda e: e.labels.get("role") == "data-service-pod")
    egress = [{"to": [{"podSelector": copy.deepcopy(role)}],
               "ports": [{"port": "pytorchjob-port"}, {"port": 29500, "endPort": 29510, "protocol": "TCP"}]}]
    if data is not None:
        egress.append({"to": [{"namespaceSelector": gen.ns_sel(data.namespace),
                               "podSelector": {"matchLabels": {"role": "data-service-pod"}}}],
                       "ports": gen.ports(data, limit=3)})
    egress.append(gen.dns_rule())
    gen.add(ns, "ml-training-communication", {
        "podSelector": copy.deepcopy(role), "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"podSelector": copy.deepcopy(role)}],
                     "ports": [{"port": "pytorchjob-port"}, {"port": 29500, "endPort": 29510}]}],
        "egress": egress})
    return True


def ip_blocks(gen: PolicyGen, ns: str) -> bool:
    ep = gen.pick_ep(ns)
    if ep is None:
        return False
    v6 = gen.rng.random() < 0.25
    cidr, excepts = gen.rng.choice(IPV6_BLOCKS if v6 else IPV4_BLOCKS)
    block = {"ipBlock": {"cidr": cidr, "except": list(excepts)}}
    port = gen.rng.choice([443, 5432, 8443, 9092])
    if gen.rng.random() < 0.5:
        gen.add(ns, f"allow-{_label(ep.name)}-to-{'ipv6' if v6 else 'corp'}-network", {
            "podSelector": gen.pod_sel(ep), "policyTypes": ["Egress"],
            "egress": [{"to": [block], "ports": [{"port": port, "protocol": "TCP"}]}, gen.dns_rule()]})
    else:
        gen.add(ns, f"allow-lb-ranges-to-{_label(ep.name)}", {
            "podSelector": gen.pod_sel(ep), "policyTypes": ["Ingress"],
            "ingress": [{"from": [block], "ports": gen.ports(ep)}]})
    return True


def port_ranges(gen: PolicyGen, ns: str) -> bool:
    ep = gen.pick_ep(ns)
    if ep is None:
        return False
    start, end, protocol = gen.rng.choice([(29500, 29600, "TCP"), (30000, 32767, "TCP"), (60000, 61000, "UDP"),
                                           (8000, 8099, "TCP"), (38412, 38420, "SCTP")])
    gen.add(ns, f"allow-{_label(ep.name)}-port-range", {
        "podSelector": gen.pod_sel(ep), "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {}}],
                     "ports": [{"port": start, "endPort": end, "protocol": protocol}]}]})
    return True


def match_expressions(gen: PolicyGen, ns: str) -> bool:
    ep = gen.pick_ep(ns, lambda e: "tier" in e.labels and bool(e.ports))
    if ep is None:
        return False
    target = {"matchExpressions": [{"key": "tier", "operator": "In", "values": sorted({ep.labels["tier"], "backend"})}]}
    source = {"podSelector": {"matchExpressions": [
        {"key": "role", "operator": "NotIn", "values": ["ml-training-pod"]},
        {"key": gen.rng.choice(["app", "app.kubernetes.io/name"]), "operator": "Exists"}]}}
    if gen.rng.random() < 0.5:
        source["namespaceSelector"] = {"matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "staging"]},
            {"key": "quarantine", "operator": "DoesNotExist"}]}
    gen.add(ns, f"allow-{ep.labels['tier']}-tier-from-labelled", {
        "podSelector": target, "policyTypes": ["Ingress"],
        "ingress": [{"from": [source], "ports": gen.ports(ep)}]})
    return True


def internet_https(gen: PolicyGen, ns: str) -> bool:
    ep = gen.pick_ep(ns)
    if ep is None:
        return False
    block: dict = {"cidr": "0.0.0.0/0"}
    if gen.rng.random() < 0.7:  # the rest forget to carve out metadata and private ranges
        block["except"] = INTERNET_EXCEPT[: gen.rng.randint(1, len(INTERNET_EXCEPT))]
    gen.add(ns, f"allow-{_label(ep.name)}-internet-https", {
        "podSelector": gen.pod_sel(ep), "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": block}], "ports": [{"port": 443, "protocol": "TCP"}]}, gen.dns_rule()]})
    return True


def same_namespace(gen: PolicyGen, ns: str) -> bool:
    if not gen.first_time(ns, "same-namespace"):
        return False
    gen.add(ns, "allow-same-namespace", {"podSelector": {}, "policyTypes": ["Ingress"],
                                         "ingress": [{"from": [{"podSelector": {}}]}]})
    return True


def allow_all_dev(gen: PolicyGen, ns: str) -> bool:
    if gen.ns_info[ns].labels.get("env") not in ("dev", None) or not gen.first_time(ns, "allow-all"):
        return False
    gen.add(ns, "allow-all-ingress", {"podSelector": {}, "ingress": [{}]})
    return True


def phantom_namespace(gen: PolicyGen, ns: str) -> bool:
    """A policy in a namespace no manifest declares, and one peer that names it."""
    phantom = gen.rng.choice(gen.phantoms)
    if gen.first_time(phantom, "default-deny"):
        gen.add(phantom, "default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
    else:
        ep = gen.pick_ep(ns, lambda e: bool(e.ports))
        if ep is None:
            return False
        gen.add(ns, f"allow-{phantom}-to-{_label(ep.name)}"[:60], {
            "podSelector": gen.pod_sel(ep),
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {NAME_KEY: phantom}}}],
                         "ports": gen.ports(ep)}]})
    return True


MIX: tuple[tuple[Kind, int], ...] = (
    (same_app, 14), (app_to_app, 18), (cross_ns_and, 16), (namespace_only, 9), (ml_training, 5),
    (ip_blocks, 6), (port_ranges, 5), (match_expressions, 8), (internet_https, 4), (same_namespace, 4),
    (allow_all_dev, 1), (phantom_namespace, 2),
)


# -- what a linter should flag ------------------------------------------------------------------------

def foreign_pod_selector(gen: PolicyGen, ns: str) -> bool:
    """A podSelector-only peer naming labels that live only in other namespaces (the seed's bug)."""
    local_roles = {e.labels.get("role") for e in gen.by_ns[ns]}
    remote = gen.other_ns_ep(ns, lambda e: "role" in e.labels and e.labels["role"] not in local_roles)
    target = gen.pick_ep(ns, lambda e: bool(e.ports))
    if remote is None or target is None:
        return False
    gen.add(ns, f"allow-{remote.labels['role']}-to-{_label(target.name)}"[:60], {
        "podSelector": gen.pod_sel(target), "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": remote.labels["role"]}}}],
                     "ports": gen.ports(target)}]})
    return True


def egress_without_dns(gen: PolicyGen, ns: str) -> bool:
    if ns in gen.dns_allowed:  # a namespace-wide DNS allowance would make this policy harmless
        return False
    remote = gen.other_ns_ep(ns, lambda e: bool(e.ports))
    local = gen.pick_ep(ns)
    if remote is None or local is None:
        return False
    gen.add(ns, f"restrict-{_label(local.name)}-egress", {
        "podSelector": gen.pod_sel(local), "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": gen.ns_sel(remote.namespace), "podSelector": gen.pod_sel(remote)}],
                    "ports": gen.ports(remote)}]})
    return True


def empty_egress_without_types(gen: PolicyGen, ns: str) -> bool:
    """`egress: []` without policyTypes looks like egress isolation and is not."""
    ep = gen.pick_ep(ns, lambda e: bool(e.ports))
    if ep is None:
        return False
    gen.add(ns, f"lockdown-{_label(ep.name)}", {
        "podSelector": gen.pod_sel(ep),
        "ingress": [{"from": [{"podSelector": gen.pod_sel(ep)}], "ports": gen.ports(ep)}], "egress": []})
    return True


QUESTIONABLE: tuple[Kind, ...] = (foreign_pod_selector, egress_without_dns, empty_egress_without_types)


# -- phases -------------------------------------------------------------------------------------------

def generate_policies(gen: PolicyGen, count: int) -> None:
    questionable = round(count * QUESTIONABLE_SHARE)
    allow_budget = count - questionable
    if allow_budget >= 20:
        allow_budget -= system_baselines(gen)
    baseline_room = int(count * BASELINE_SHARE)
    namespaces = list(gen.user_ns)
    gen.rng.shuffle(namespaces)
    for ns in namespaces:
        room = min(baseline_room, allow_budget)
        if room < 1:
            break
        added = default_deny(gen, ns, room)
        baseline_room -= added
        allow_budget -= added
    kinds, weights = [k for k, _ in MIX], [w for _, w in MIX]
    while allow_budget > 0:
        _add_one(gen, gen.rng.choices(kinds, weights=weights)[0])
        allow_budget -= 1
    for index in range(questionable):
        _add_one(gen, QUESTIONABLE[index % len(QUESTIONABLE)])


def _add_one(gen: PolicyGen, kind: Kind) -> None:
    """Try `kind` in a few namespaces; fall back to a same-app allow, which always fits."""
    for _ in range(4):
        if kind(gen, gen.pick_ns()):
            return
    ns = gen.pick_ns()
    if not same_app(gen, ns):
        gen.add(ns, "allow-same-namespace", {"podSelector": {}, "policyTypes": ["Ingress"],
                                             "ingress": [{"from": [{"podSelector": {}}]}]})

