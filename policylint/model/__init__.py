"""The model stage: typed, immutable cluster objects built from raw manifests."""
from policylint.model.build import DEFAULT_NAMESPACE, build_cluster
from policylint.model.types import Cluster

__all__ = ["Cluster", "DEFAULT_NAMESPACE", "build_cluster"]
