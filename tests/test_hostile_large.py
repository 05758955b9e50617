"""Large inputs: a generated multi-document manifest is read whole, with exact positions.

The same generator makes the 100 MB file of the measurements (never committed):

    python -m tests.test_hostile_large OUT.yaml 100     # writes ~100 MiB of manifests to OUT.yaml
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

from policylint.analysis import analyse
from policylint.config import Config
from policylint.load import Limits

INPUT_CODES = ("PL001", "PL002", "PL003", "PL005", "PL006", "PL007", "PL009")


def documents() -> Iterator[str]:
    """An endless, deterministic stream of realistic documents: per 40, a Namespace, then
    Deployments, the NetworkPolicies that select them, and ConfigMaps in turn."""
    index = 0
    while True:
        namespace = f"team-{index // 40}"
        kind = "Namespace" if index % 40 == 0 else ("Deployment", "NetworkPolicy", "ConfigMap", "Deployment")[index % 4]
        if kind == "Namespace":
            yield (f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n  labels:\n"
                   f"    team: t{index // 40}\n")
        elif kind == "Deployment":
            yield (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{index}\n  namespace: {namespace}\n"
                   f"spec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: app-{index}\n  template:\n"
                   f"    metadata:\n      labels:\n        app: app-{index}\n        tier: web\n    spec:\n"
                   f"      containers:\n        - name: main\n          image: registry.example/app:{index}\n"
                   "          ports:\n            - {containerPort: 8080, name: http}\n"
                   "            - {containerPort: 9090, name: metrics}\n")
        elif kind == "NetworkPolicy":
            yield (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np-{index}\n"
                   f"  namespace: {namespace}\nspec:\n  podSelector:\n    matchLabels:\n      app: app-{index - 1}\n"
                   "  policyTypes: [Ingress, Egress]\n  ingress:\n    - from:\n"
                   "        - podSelector: {matchLabels: {tier: web}}\n"
                   f"        - namespaceSelector: {{matchLabels: {{team: t{index // 40 + 1}}}}}\n"
                   "      ports:\n        - {port: 8080, protocol: TCP}\n  egress:\n    - to:\n"
                   f"        - ipBlock: {{cidr: 10.{index % 250}.0.0/16, except: [10.{index % 250}.1.0/24]}}\n"
                   "    - ports:\n        - {port: 53, protocol: UDP}\n        - {port: 53, protocol: TCP}\n")
        else:
            yield (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{index}\n  namespace: {namespace}\ndata:\n"
                   + "".join(f"  key{k}: value-{k}-{index}\n" for k in range(20)))
        index += 1


def manifest(target_bytes: int) -> tuple[str, int]:
    """At least `target_bytes` of documents, and how many."""
    parts: list[str] = []
    size = 0
    for document in documents():
        if size >= target_bytes:
            break
        parts.append("---\n" + document)
        size += len(parts[-1])
    return "".join(parts), len(parts)


def test_large_manifest_is_read_whole(tmp_path: Path) -> None:
    text, count = manifest(1024 * 1024)
    broken = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: last, namespace: x}\n" \
             "spec:\n  podSelector: {}\n  ingres: []\n"
    path = tmp_path / "large.yaml"
    path.write_text(text + broken)
    analysis = analyse([str(path)], Config(), select=INPUT_CODES)
    assert len(analysis.load.objects) == count + 1
    assert [(f.line, f.code) for f in analysis.findings] == [(text.count("\n") + 7, "PL009")]
    policies = sum(1 for index in range(count) if index % 40 and index % 4 == 2) + 1  # np-2, np-6, ... and `last`
    assert len(analysis.cluster.policies) == policies


def test_the_same_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    text, _ = manifest(256 * 1024)
    path = tmp_path / "large.yaml"
    path.write_text(text)
    config = Config(limits=Limits(max_file_bytes=128 * 1024))
    analysis = analyse([str(path)], config, select=INPUT_CODES)
    assert [(f.line, f.code) for f in analysis.findings] == [(1, "PL007")]
    assert analysis.load.objects == []


if __name__ == "__main__":  # python -m tests.test_hostile_large OUT.yaml MEBIBYTES
    out, mebibytes = sys.argv[1], float(sys.argv[2])
    body, written = manifest(int(mebibytes * 1024 * 1024))
    Path(out).write_text(body)
    print(f"{out}: {len(body)} bytes, {written} documents")
