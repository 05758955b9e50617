"""Find the kustomizations and Helm charts of an input, and the files each one owns.

What is rendered:
- a **Helm chart** is a folder with `Chart.yaml`; a chart inside another chart's folder (a
  vendored subchart under `charts/`) is part of that chart. The chart's files — `Chart.yaml`,
  values files, `templates/`, `crds/`, `charts/`, `ci/` — belong to it: none is read as a
  manifest. Other files at the chart's top are not part of what helm renders: read as they are.
- a **kustomization** is a folder with `kustomization.yaml`, `kustomization.yml` or
  `Kustomization`. Only the top-most kustomizations of the input are rendered: those that no
  other kustomization of the input refers to (through `resources`, `bases` or `components`). A
  base shared by two overlays is rendered as part of each overlay, never on its own. A
  kustomization owns the files it refers to — resources, patches, generator inputs,
  replacements, configurations — and, through the kustomizations it refers to, theirs.
  A file in a kustomization's folder that no kustomization refers to is not part of any build:
  it is read as an ordinary file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from policylint.load.inputs import STDIN, display_name
from policylint.load.nodes import YMap, YSeq
from policylint.load.render.settings import CHART_FILE, KUSTOMIZATION_NAMES
from policylint.load.yaml_reader import parse_text

# Fields whose string values (or `path` entries) name local files or folders.
_FOLDER_FIELDS = ("resources", "bases", "components")
_FILE_FIELDS = ("crds", "configurations", "generators", "transformers", "validators", "patchesStrategicMerge")
_PATH_ENTRY_FIELDS = ("patches", "patchesJson6902", "replacements")
_GENERATORS = ("configMapGenerator", "secretGenerator")
_CHART_FOLDERS = ("templates", "charts", "crds", "ci")
_CHART_TOP_FILES = ("Chart.yaml", "Chart.lock", "requirements.yaml", "requirements.lock")


@dataclass(slots=True)
class Kustomization:
    folder: str  # real path
    file: str  # real path of its kustomization file
    display: str  # the kustomization file as the user names it (relative to the input)
    folders: list[str] = field(default_factory=list)  # real paths of the folders it refers to
    files: list[str] = field(default_factory=list)  # real paths of the files it refers to
    remote: list[str] = field(default_factory=list)  # remote resources (URLs, git repositories)
    uses_helm: bool = False  # `helmCharts`: needs helm and --enable-helm
    # `kind: Component`: built only inside the kustomizations that list it under `components`,
    # never on its own (kustomize refuses), so never a unit to render
    component: bool = False


@dataclass(slots=True)
class Chart:
    folder: str  # real path
    display: str  # Chart.yaml as the user names it


@dataclass(slots=True)
class Sources:
    """The kustomizations to render (top-most), the charts, and the files they own (real paths)."""

    kustomizations: list[Kustomization] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    # Components no kustomization of the input includes: their files are not read (they are not
    # manifests until an overlay composes them), and each is listed as skipped, with why.
    lone_components: list[Kustomization] = field(default_factory=list)
    owner: dict[str, str] = field(default_factory=dict)  # real path of an owned file -> owner's display path
    all_kustomizations: dict[str, Kustomization] = field(default_factory=dict)  # by folder

    def unlisted_beside(self, files: Iterable[str]) -> dict[str, str]:
        """Of the files read as they are, those in a kustomization's folder (none refers to them,
        or they would be its sources): path as loaded -> that kustomization file as the user names it."""
        found: dict[str, str] = {}
        if not self.all_kustomizations:
            return found
        for path in files:
            if path == STDIN:
                continue
            k = self.all_kustomizations.get(os.path.realpath(os.path.dirname(path) or "."))
            if k is not None and os.path.basename(path) != os.path.basename(k.display):
                found[display_name(path)] = k.display
        return found


def is_remote(reference: str) -> bool:
    """A resource that kustomize would fetch: a URL, a git repository, a `?ref=` pinned path."""
    text = reference.strip()
    return ("://" in text or text.startswith(("github.com/", "gitlab.com/", "bitbucket.org/", "git@", "git::"))
            or "?ref=" in text or "?version=" in text or text.startswith("ssh:"))


def find_sources(paths: Iterable[str], files: list[str]) -> Sources:
    """Kustomizations and charts among `files`, the files discovered under the input's folders.

    They are found from the files already listed (no second walk of the tree): a folder is a
    kustomization when one of its files is `kustomization.yaml`/`.yml`, or when it holds a
    `Kustomization` file next to a `.yaml`/`.yml`/`.json` file; a chart when it has `Chart.yaml`.
    """
    sources = Sources()
    if not any(p != "-" and os.path.isdir(p) for p in paths):
        return sources  # files named one by one are read as they are
    kustomization_files: dict[str, str] = {}  # real folder -> display path of its kustomization file
    chart_folders: dict[str, str] = {}
    grouped: dict[str, set[str]] = {}  # folder -> the names of its files
    for path in files:
        grouped.setdefault(os.path.dirname(path), set()).add(os.path.basename(path))
    for folder, names in sorted(grouped.items()):
        for name in KUSTOMIZATION_NAMES:
            display = os.path.normpath(os.path.join(folder, name))
            if (name in names or name == "Kustomization") and os.path.isfile(display):
                kustomization_files.setdefault(os.path.realpath(folder or "."), display)
                break
        chart = os.path.normpath(os.path.join(folder, CHART_FILE))
        if CHART_FILE in names:
            chart_folders.setdefault(os.path.realpath(folder or "."), chart)
    charts = _top_most_charts(chart_folders)
    sources.charts = [Chart(folder, chart_folders[folder]) for folder in charts]
    for folder, display in sorted(kustomization_files.items()):
        if _inside_any(folder, charts):
            continue
        sources.all_kustomizations[folder] = _read_kustomization(folder, display)
    referred = {f for k in sources.all_kustomizations.values() for f in k.folders}
    top = [k for folder, k in sorted(sources.all_kustomizations.items()) if folder not in referred]
    sources.kustomizations = [k for k in top if not k.component]
    sources.lone_components = [k for k in top if k.component]
    _assign_owners(sources, files, charts)
    return sources


def _top_most_charts(chart_folders: dict[str, str]) -> list[str]:
    ordered = sorted(chart_folders)
    return [f for f in ordered if not _inside_any(f, [o for o in ordered if o != f])]


def _inside_any(path: str, folders: Iterable[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def _read_kustomization(folder: str, display: str) -> Kustomization:
    file = os.path.realpath(display)
    found = Kustomization(folder, file, display)
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return found  # kustomize reports it when rendering; unrendered, it is still one finding
    parsed = parse_text(text, display)
    root = parsed.documents[0].root if parsed.documents else None
    if not isinstance(root, YMap):
        return found
    for reference in _references(root):
        if is_remote(reference):
            found.remote.append(reference)
            continue
        target = os.path.realpath(os.path.join(folder, reference))
        if os.path.isdir(target):
            found.folders.append(target)
        else:
            found.files.append(target)
    found.uses_helm = "helmCharts" in root
    found.component = root.get("kind") == "Component"
    return found


def _references(root: YMap) -> Iterator[str]:
    for key in _FOLDER_FIELDS + _FILE_FIELDS:
        yield from (v for v in _strings(root.get(key)) if "\n" not in v)  # an inline patch is no path
    for key in _PATH_ENTRY_FIELDS:
        for entry in _items(root.get(key)):
            if isinstance(entry, YMap) and isinstance(entry.get("path"), str):
                yield entry["path"]
    for key in _GENERATORS:
        for generator in _items(root.get(key)):
            if not isinstance(generator, YMap):
                continue
            for value in _strings(generator.get("files")):
                yield value.split("=", 1)[-1]  # `key=path` or `path`
            yield from _strings(generator.get("envs"))
            if isinstance(generator.get("env"), str):
                yield generator["env"]
    openapi = root.get("openapi")
    if isinstance(openapi, YMap) and isinstance(openapi.get("path"), str):
        yield openapi["path"]


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, YSeq) else []


def _strings(value: Any) -> list[str]:
    return [v for v in _items(value) if isinstance(v, str) and v.strip()]


def _assign_owners(sources: Sources, files: list[str], charts: list[str]) -> None:
    """Map every discovered file that a chart or a top-most kustomization uses to its owner."""
    if not sources.charts and not sources.kustomizations and not sources.lone_components:
        return  # nothing to map: spare a realpath per file on large trees
    by_real = {os.path.realpath(f): f for f in files}
    for chart in sources.charts:
        for real in by_real:
            if _chart_file(real, chart.folder):
                sources.owner.setdefault(real, chart.display)
    for top in sources.kustomizations + sources.lone_components:
        for real in closure(top, sources.all_kustomizations):
            if real in by_real:  # a base outside the input is read through the render, not listed
                sources.owner.setdefault(real, top.display)


def _chart_file(real: str, folder: str) -> bool:
    """Whether `real` is part of the chart in `folder`: its metadata, values, templates, CRDs,
    subcharts and chart-testing values (`ci/`). Other files at the chart's top are not rendered
    by helm, and are read as they are."""
    if not _inside_any(real, [folder]):
        return False
    relative = os.path.relpath(real, folder)
    top, _, rest = relative.partition(os.sep)
    if rest:
        return top in _CHART_FOLDERS
    return top in _CHART_TOP_FILES or (top.startswith("values") and top.endswith((".yaml", ".yml", ".json")))


def closure(top: Kustomization, every: dict[str, Kustomization]) -> set[str]:
    """The files of `top` and of every kustomization it reaches (cycles are kustomize's to report)."""
    owned: set[str] = set()
    pending, seen = [top], set()
    while pending:
        current = pending.pop()
        if current.folder in seen:
            continue
        seen.add(current.folder)
        owned.add(current.file)
        owned.update(current.files)
        for folder in current.folders:
            child = every.get(folder)
            if child is None and any(os.path.isfile(os.path.join(folder, n)) for n in KUSTOMIZATION_NAMES):
                # A base outside the input: read for its remote resources, never rendered alone.
                child = every[folder] = _read_kustomization(folder, _kustomization_file(folder))
            if child is not None:
                pending.append(child)
    return owned


def _kustomization_file(folder: str) -> str:
    return next(os.path.join(folder, n) for n in KUSTOMIZATION_NAMES if os.path.isfile(os.path.join(folder, n)))


def remote_references(top: Kustomization, every: dict[str, Kustomization]) -> list[str]:
    """The remote resources of `top` and of the kustomizations it reaches, in order."""
    found: list[str] = []
    pending, seen = [top], set()
    while pending:
        current = pending.pop()
        if current.folder in seen:
            continue
        seen.add(current.folder)
        found.extend(current.remote)
        pending.extend(every[f] for f in reversed(current.folders) if f in every)
    return found


def owner_of_named_file(path: str, cache: dict[str, Any]) -> str | None:
    """For a file named on the command line (a pre-commit hook passes the staged files one by
    one): the chart or kustomization of a folder above it that it belongs to, if any.

    A chart file belongs to the nearest folder above it with `Chart.yaml`; any other file
    belongs to a kustomization above it that lists it directly (a resource, a patch, a generator
    input). Such a file is not read on its own: it is only meaningful rendered, from its folder.
    """
    real = os.path.realpath(path)
    folder = os.path.dirname(real)
    while True:
        if folder not in cache:
            cache[folder] = _folder_kind(folder)
        kind = cache[folder]
        if isinstance(kind, Chart):
            return kind.display if _chart_file(real, folder) else None
        if isinstance(kind, Kustomization) and (real == kind.file or real in kind.files):
            return kind.display
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _folder_kind(folder: str) -> Chart | Kustomization | None:
    if os.path.isfile(os.path.join(folder, CHART_FILE)):
        return Chart(folder, os.path.relpath(os.path.join(folder, CHART_FILE)))
    for name in KUSTOMIZATION_NAMES:
        if os.path.isfile(os.path.join(folder, name)):
            return _read_kustomization(folder, os.path.relpath(os.path.join(folder, name)))
    return None
