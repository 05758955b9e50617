"""What the manifests cannot say about the cluster (the config's `cluster:` section). Its own
module: the configuration holds it, and `matrix` reads the configuration without the rules' API
(`policylint.rule_api`, which gives it to the rules)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClusterFacts:
    """What the manifests cannot say about the cluster; set in the config file."""

    pod_cidrs: tuple[str, ...] = ()
    service_cidrs: tuple[str, ...] = ()
    dns_namespace_labels: tuple[tuple[str, str], ...] = (("kubernetes.io/metadata.name", "kube-system"),)
    dns_pod_labels: tuple[tuple[str, str], ...] = (("k8s-app", "kube-dns"),)
    # Namespace labels set at run time besides the built-in ones: (key, value or None for any).
    runtime_namespace_labels: tuple[tuple[str, str | None], ...] = ()
