"""What to render, and how: the `render:` section of the config and the command-line flags."""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TIMEOUT = 60.0


# The file names that make a folder a kustomization, in kustomize's order of preference.
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
CHART_FILE = "Chart.yaml"  # what makes a folder a Helm chart
# Load-problem kinds, each reported by one rule.
KUSTOMIZE_NOT_RENDERED = "kustomize-not-rendered"  # PL018
HELM_NOT_RENDERED = "helm-not-rendered"  # PL019
RENDER_FAILED = "render-failed"  # PL020
NOT_RENDERED = (KUSTOMIZE_NOT_RENDERED, HELM_NOT_RENDERED)


@dataclass(frozen=True, slots=True)
class RenderSettings:
    """`kustomize`/`helm`: render when the tool is on PATH (False: report the sources unrendered).

    `helm_values` are values files handed to `helm template -f`, relative to each chart's folder
    (a file a chart does not have is not passed to it); `timeout` bounds each render, in seconds.
    """

    kustomize: bool = True
    helm: bool = True
    helm_values: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT

    @property
    def enabled(self) -> bool:
        return self.kustomize or self.helm
