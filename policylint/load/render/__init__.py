"""Rendering of Helm charts and kustomizations before the manifests are read.

A repository often holds manifests only as sources: a Helm chart's templates, kustomize bases
and overlays. They are rendered with the user's own tools (`helm`, `kustomize` or `kubectl
kustomize`) when these are on PATH, offline and with a time limit; without them each chart and
kustomization is reported once as not rendered, and its sources are not read as manifests.
"""
from __future__ import annotations

from policylint.load.render.settings import RenderSettings

__all__ = ["RenderSettings"]
