"""Rendering kustomizations and Helm charts before the analysis, and what happens without it.

Kustomize cases run the real `kustomize` or `kubectl kustomize` when one is on PATH (and are
skipped, saying so, when neither is). `helm` is not assumed: the Helm cases put a small fake
`helm` on PATH that prints a pre-rendered stream with `# Source:` markers, as `helm template`
does, and records the arguments it was given. Expected lines are counted by hand in the texts
below.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from policylint.analysis import analyse
from policylint.cli.main import cli
from policylint.config import Config
from policylint.load.render.settings import RenderSettings

HAS_KUSTOMIZE = bool(shutil.which("kustomize") or shutil.which("kubectl"))
needs_kustomize = pytest.mark.skipif(not HAS_KUSTOMIZE, reason="neither `kustomize` nor `kubectl` is on PATH here")

BASE_KUSTOMIZATION = "resources:\n  - policy.yaml\n"
BASE_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: $(ns)
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: {cidr: 0.0.0.0/0}
"""
OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: prod
namePrefix: prod-
labels:
  - pairs: {team: web}
resources:
  - ../../base
patches:
  - path: patch.yaml
"""
PATCH = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: $(ns)
spec:
  podSelector:
    matchLabels: {app: web, tier: front}
"""
STRAY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: stray, namespace: prod}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _repo(root: Path, overlay: str = OVERLAY) -> Path:
    return _tree(root, {"base/kustomization.yaml": BASE_KUSTOMIZATION, "base/policy.yaml": BASE_POLICY,
                        "overlays/prod/kustomization.yaml": overlay, "overlays/prod/patch.yaml": PATCH,
                        "overlays/prod/stray.yaml": STRAY})


def _script(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    # The tests narrow PATH to the fake tools: the script finds `cat` and `sleep` where they were.
    path.write_text(f"#!/bin/sh\nPATH={os.environ.get('PATH', '/usr/bin:/bin')}\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _check(root: Path, config: Config = Config(), select: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    os.chdir(root)
    return analyse(["."], config, select=list(select))


@needs_kustomize
def test_an_overlay_is_rendered_and_findings_point_at_the_base_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    analysis = _check(_repo(tmp_path), select=("PL205", "PL102", "PL015", "PL017"))
    names = sorted(f"{p.namespace}/{p.name}" for p in analysis.cluster.policies)
    # The overlay's transforms and patch applied; the base is not rendered on its own, the patch
    # is not read as an object; the file that no kustomization lists is read as it is.
    assert names == ["prod/prod-web", "prod/stray"]
    [web] = [p for p in analysis.cluster.policies if p.name == "prod-web"]
    assert web.source.span.path == os.path.join("base", "policy.yaml")
    # The cidr value is on line 12 of base/policy.yaml, column 27 (counted by hand).
    assert [(f.path, f.line, f.column, f.code) for f in analysis.findings] == [
        (os.path.join("base", "policy.yaml"), 12, 27, "PL205")]
    assert analysis.load.rendered == [(os.path.join("overlays", "prod", "kustomization.yaml"),
                                       f"rendered with {'kustomize build' if shutil.which('kustomize') else 'kubectl kustomize'}: 1 object")]


@needs_kustomize
def test_a_field_added_by_the_render_points_at_its_enclosing_source_field(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    analysis = _check(_repo(tmp_path))
    [web] = [p for p in analysis.cluster.policies if p.name == "prod-web"]
    node = web.source.node
    labels = node["spec"]["podSelector"]["matchLabels"]
    assert dict(labels) == {"app": "web", "tier": "front"}  # the patch was applied
    # `app` is in the base (line 8); `tier` comes from the patch: approximate, on the base's map.
    assert labels.span_of_value("app").line == 8
    assert labels.span_of_value("tier").line == 8 and labels.span_of_value("tier").path == os.path.join("base", "policy.yaml")
    # `namespace: prod` replaces the base's `$(ns)` (line 5); `labels`, added by the overlay,
    # point at the base's metadata (its first line, 4).
    assert node["metadata"].span_of_value("namespace").line == 5
    assert node["metadata"]["labels"].span.line == 4
    assert "config.kubernetes.io/origin" not in node["metadata"].get("annotations", {})


def test_without_a_renderer_each_top_most_kustomization_is_one_finding(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.chdir(tmp_path)
    repo = _repo(tmp_path / "repo")
    analysis = _check(repo)
    found = [(f.path, f.line, f.code) for f in analysis.findings if f.code in ("PL018", "PL102", "PL015", "PL016", "PL001")]
    # No PL102 on `$(ns)`, no duplicate of the patch, no finding for the base on its own.
    assert found == [(os.path.join("overlays", "prod", "kustomization.yaml"), 1, "PL018")]
    [finding] = [f for f in analysis.findings if f.code == "PL018"]
    assert "neither `kustomize` nor `kubectl` is on PATH" in finding.message
    assert "kubectl kustomize overlays/prod | policylint check -" in finding.message
    assert "its 4 files are not analysed" in finding.message  # two kustomizations, the policy, the patch
    assert [p.name for p in analysis.cluster.policies] == ["stray"]


def test_rendering_switched_off_by_the_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "--no-render", "--format", "json", "."])
    assert result.exit_code == 0, result.output
    findings = [f for f in json.loads(result.stdout)["findings"] if f["code"].startswith("PL01")]
    assert [(f["file"], f["code"]) for f in findings] == [(os.path.join("overlays", "prod", "kustomization.yaml"), "PL018")]
    assert "rendering is switched off (--no-render" in findings[0]["message"]


def test_a_remote_resource_is_refused_without_running_the_renderer(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    tools = tmp_path / "bin"
    marker = tmp_path / "ran"
    _script(tools, "kustomize", f"touch {marker}\nexit 1\n")
    monkeypatch.setenv("PATH", str(tools))
    overlay = OVERLAY.replace("  - ../../base\n", "  - ../../base\n  - https://github.com/example/manifests//web?ref=v1\n")
    repo = _repo(tmp_path / "repo", overlay)
    monkeypatch.chdir(repo)
    analysis = _check(repo, select=("PL018", "PL020"))
    [finding] = analysis.findings
    assert finding.code == "PL018" and "remote resource `https://github.com/example/manifests//web?ref=v1`" in finding.message
    assert not marker.exists()


@needs_kustomize
def test_a_failed_render_names_the_kustomization_and_the_error_without_temporary_paths(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _tree(tmp_path, {"app/kustomization.yaml": "resources:\n  - policy.yaml\n  - missing.yaml\n",
                            "app/policy.yaml": STRAY})
    monkeypatch.chdir(repo)
    analysis = _check(repo, select=("PL020", "PL016"))
    [finding] = analysis.findings
    assert (finding.path, finding.line, finding.code) == (os.path.join("app", "kustomization.yaml"), 1, "PL020")
    assert "missing.yaml" in finding.message and "does not build" in finding.message
    assert "policylint-kustomize" not in finding.message and str(tmp_path) not in finding.message
    assert analysis.cluster.policies == []


def test_a_render_that_does_not_finish_in_time_is_not_rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = tmp_path / "bin"
    _script(tools, "kustomize", "exec sleep 30\n")
    monkeypatch.setenv("PATH", str(tools))
    repo = _repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    config = replace(Config(), render=RenderSettings(timeout=0.3))
    [finding] = _check(repo, config, select=("PL018", "PL020")).findings
    assert finding.code == "PL018" and "did not finish within 0.3 seconds" in finding.message


# -- Helm -------------------------------------------------------------------------------------

CHART = "apiVersion: v2\nname: web\nversion: 0.1.0\n"
TEMPLATE = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .Release.Name }}-web
spec:
  podSelector:
    matchLabels:
      app: {{ .Release.Name }}
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: {cidr: {{ .Values.cidr }}}
"""
# What `helm template release web` prints for TEMPLATE with cidr 0.0.0.0/0.
RENDERED = """\
---
# Source: web/templates/networkpolicy.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: release-web
spec:
  podSelector:
    matchLabels:
      app: release
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: {cidr: 0.0.0.0/0}
"""


def _chart(root: Path) -> Path:
    return _tree(root, {"web/Chart.yaml": CHART, "web/values.yaml": "cidr: 10.0.0.0/8\n",
                        "web/values-prod.yaml": "cidr: 0.0.0.0/0\n",
                        "web/templates/networkpolicy.yaml": TEMPLATE,
                        "web/templates/_helpers.tpl": "{{- define \"web.name\" -}}web{{- end }}\n",
                        "web/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
                        "web/charts/sub/templates/svc.yaml": "kind: Service\nmetadata: {name: {{ .Release.Name }}}\n"})


def _fake_helm(folder: Path, args_file: Path, output: Path) -> None:
    """A stand-in for `helm`: records its arguments, prints a stream rendered beforehand."""
    _script(folder, "helm", f'printf "%s\\n" "$@" > {args_file}\ncat {output}\n')


def test_a_chart_is_rendered_by_helm_and_findings_point_at_the_template(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    tools, args, output = tmp_path / "bin", tmp_path / "args", tmp_path / "rendered.yaml"
    output.write_text(RENDERED, encoding="utf-8")
    _fake_helm(tools, args, output)
    monkeypatch.setenv("PATH", str(tools))
    repo = _chart(tmp_path / "repo")
    monkeypatch.chdir(repo)
    config = replace(Config(), render=RenderSettings(helm_values=("values-prod.yaml", "values-absent.yaml")))
    analysis = _check(repo, config, select=("PL205", "PL001", "PL019", "PL020", "PL016"))
    template = os.path.join("web", "templates", "networkpolicy.yaml")
    # The cidr line differs from its template line (a value filled in): same line (12), column 1.
    assert [(f.path, f.line, f.code) for f in analysis.findings] == [(template, 12, "PL205")]
    [policy] = analysis.cluster.policies
    assert (policy.name, policy.source.span.path, policy.source.node.span_of_key("kind").line) == ("release-web", template, 2)
    recorded = args.read_text(encoding="utf-8").split("\n")
    assert recorded[:3] == ["template", "release", str((repo / "web").resolve())]
    assert recorded[3:5] == ["--values", str((repo / "web" / "values-prod.yaml").resolve())]
    assert "values-absent.yaml" not in args.read_text(encoding="utf-8")  # a file the chart does not have


def test_the_json_report_lists_what_was_rendered_and_only_then(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The JSON report's summary names each rendered chart and how (review tools show it); a report
    of an input with nothing rendered has no `rendered` field (its bytes are unchanged)."""
    import jsonschema

    tools, args, output = tmp_path / "bin", tmp_path / "args", tmp_path / "rendered.yaml"
    output.write_text(RENDERED, encoding="utf-8")
    _fake_helm(tools, args, output)
    monkeypatch.setenv("PATH", str(tools))
    repo = _chart(tmp_path / "repo")
    monkeypatch.chdir(repo)
    schema = json.loads((Path(__file__).resolve().parent.parent / "policylint" / "schemas" / "report-v1.schema.json").read_text())
    report = json.loads(CliRunner().invoke(cli, ["check", ".", "-f", "json", "--select", "PL205"]).stdout)
    jsonschema.validate(report, schema)
    [entry] = report["summary"]["rendered"]
    assert entry["file"] == os.path.join("web", "Chart.yaml") and entry["how"].startswith("rendered with helm template")
    plain = json.loads(CliRunner().invoke(cli, ["check", ".", "-f", "json", "--no-render", "--select", "PL205"]).stdout)
    assert "rendered" not in plain["summary"]


def test_without_helm_a_chart_is_one_finding_and_its_templates_are_not_parsed(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    repo = _chart(tmp_path / "repo")
    monkeypatch.chdir(repo)
    analysis = _check(repo)
    assert [(f.path, f.line, f.code) for f in analysis.findings] == [(os.path.join("web", "Chart.yaml"), 1, "PL019")]
    assert "`helm` is not on PATH" in analysis.findings[0].message
    assert "its 6 files are not analysed" in analysis.findings[0].message  # .tpl is not read at all


def test_a_failed_helm_render_quotes_the_first_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = tmp_path / "bin"
    _script(tools, "helm", 'echo "walk.go:75: found symbolic link" >&2\n'
                           'echo "Error: execution error at (web/templates/networkpolicy.yaml:12:28): cidr is required" >&2\n'
                           "exit 1\n")
    monkeypatch.setenv("PATH", str(tools))
    repo = _chart(tmp_path / "repo")
    monkeypatch.chdir(repo)
    [finding] = _check(repo, select=("PL019", "PL020")).findings
    assert (finding.path, finding.code) == (os.path.join("web", "Chart.yaml"), "PL020")
    assert finding.message == ("Helm chart does not render (helm template): execution error at "
                               "(web/templates/networkpolicy.yaml:12:28): cidr is required")


@needs_kustomize
def test_two_overlays_of_one_base_are_variants_not_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overlay = "namespace: shop\nresources:\n  - ../../base\n"
    repo = _tree(tmp_path, {"base/kustomization.yaml": BASE_KUSTOMIZATION, "base/policy.yaml": BASE_POLICY,
                            "overlays/dev/kustomization.yaml": overlay, "overlays/prod/kustomization.yaml": overlay})
    monkeypatch.chdir(repo)
    [finding] = _check(repo, select=("PL015", "PL017", "PL026")).findings
    dev, prod = (os.path.join("overlays", name, "kustomization.yaml") for name in ("dev", "prod"))
    # Both overlays render the base's policy (line 4 of base/policy.yaml): alternatives, never
    # applied together, so no duplicate finding; one PL026 at the overlay whose copy was set aside
    # (folders in sorted order: prod is read after dev, and its copy is used).
    assert (finding.path, finding.line, finding.code) == (dev, 1, "PL026")
    assert f"1 object rendered here is also rendered by `{prod}` (0 with different content)" in finding.message
    assert f"`policylint check {os.path.join('overlays', 'dev')}`" in finding.message
    assert [(r.span.path, r.span.line) for r in finding.related] == [(os.path.join("base", "policy.yaml"), 4)]


COMPONENT = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - extra.yaml\n"


@needs_kustomize
def test_a_component_is_rendered_by_the_overlay_that_includes_it_and_never_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kubeflow/manifests' shape: components under `components/`, included by overlays. A
    Component cannot be built alone (kustomize refuses it), so it is never a unit of its own."""
    overlay = "namespace: shop\nresources:\n  - ../../base\ncomponents:\n  - ../../components/extra\n"
    repo = _tree(tmp_path, {"base/kustomization.yaml": BASE_KUSTOMIZATION, "base/policy.yaml": BASE_POLICY,
                            "components/extra/kustomization.yaml": COMPONENT, "components/extra/extra.yaml": STRAY,
                            "overlays/prod/kustomization.yaml": overlay})
    monkeypatch.chdir(repo)
    analysis = _check(repo, select=("PL020", "PL015", "PL017", "PL018"))
    assert analysis.findings == []
    assert sorted(p.name for p in analysis.cluster.policies) == ["stray", "web"]
    assert [path for path, _ in analysis.load.rendered] == [os.path.join("overlays", "prod", "kustomization.yaml")]


@needs_kustomize
def test_a_file_no_kustomization_lists_beside_a_listed_one_is_an_alternative_not_a_duplicate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kubeflow/manifests' oauth2-proxy shape: a component lists `policy.yaml`, and beside it
    `policy.cloudflare.yaml` holds the same object for another setup, listed by nothing."""
    overlay = "namespace: shop\nresources:\n  - ../../base\ncomponents:\n  - ../../components/extra\n"
    # the same object as the overlay renders it (its namespace), for another setup
    alternative = STRAY.replace("policyTypes: [Ingress]", "policyTypes: [Egress]").replace("prod", "shop")
    repo = _tree(tmp_path, {"base/kustomization.yaml": BASE_KUSTOMIZATION, "base/policy.yaml": BASE_POLICY,
                            "components/extra/kustomization.yaml": COMPONENT, "components/extra/extra.yaml": STRAY,
                            "components/extra/extra.cloudflare.yaml": alternative,
                            "overlays/prod/kustomization.yaml": overlay})
    monkeypatch.chdir(repo)
    analysis = _check(repo, select=("PL015", "PL017", "PL026"))
    listed, unlisted = (os.path.join("components", "extra", name) for name in ("extra.yaml", "extra.cloudflare.yaml"))
    # No duplicate finding: kustomize never applies the unlisted file. One PL026 at its object's
    # name (line 3 of STRAY), naming the kustomization beside it and the overlay that renders the
    # listed copy; the analysis uses the rendered copy (Ingress), not the alternative (Egress).
    [finding] = analysis.findings
    assert (finding.code, finding.path, finding.line) == ("PL026", unlisted, 3)
    assert (f"1 object of this file, which `{os.path.join('components', 'extra', 'kustomization.yaml')}` beside it "
            f"does not list, is also rendered by `{os.path.join('overlays', 'prod', 'kustomization.yaml')}` "
            "(1 with different content)") in finding.message
    assert [(r.span.path, r.span.line) for r in finding.related] == [(listed, 3)]
    [stray] = [p for p in analysis.cluster.policies if p.name == "stray"]
    assert stray.source.span.path == listed and stray.policy_types == ("Ingress",)


def test_a_component_no_kustomization_includes_is_skipped_with_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _tree(tmp_path, {"components/extra/kustomization.yaml": COMPONENT, "components/extra/extra.yaml": STRAY})
    monkeypatch.chdir(repo)
    analysis = _check(repo, select=("PL020", "PL018", "PL016"))
    component = os.path.join("components", "extra", "kustomization.yaml")
    # Not rendered (no PL020: kustomize would refuse to build it alone), its file not read as a
    # manifest, and the skip says why; nothing else in the input, so PL016 says nothing counted.
    assert [f.code for f in analysis.findings] == ["PL016"]
    assert analysis.cluster.policies == []
    [(path, reason)] = [(s.path, s.reason) for s in analysis.load.skipped]
    assert path == component and "a kustomize Component" in reason


@pytest.mark.parametrize("output", [
    "{not: [yaml\n",  # not YAML at all
    "just a scalar\n",  # a document that is no object
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",  # no origin annotation (an old kustomize)
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations:\n"
    "    config.kubernetes.io/origin: |\n      path: ../../../../etc/passwd\n",  # an origin outside the tree
])
def test_whatever_a_renderer_prints_is_a_finding_or_an_object_never_a_traceback(
        output: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools, printed = tmp_path / "bin", tmp_path / "printed.yaml"
    printed.write_text(output, encoding="utf-8")
    _script(tools, "kustomize", f"cat {printed}\n")
    monkeypatch.setenv("PATH", str(tools))
    repo = _repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    analysis = _check(repo)
    kustomization = os.path.join("overlays", "prod", "kustomization.yaml")
    assert not [f for f in analysis.findings if f.code == "PL005"]
    # Every position is a file of the tree: the kustomization when the origin is unknown.
    for obj in analysis.load.objects:
        assert obj.path in (kustomization, os.path.join("overlays", "prod", "stray.yaml")), obj.path
    for finding in analysis.findings:
        assert (repo / finding.path).is_file(), finding


def test_a_source_marker_outside_the_chart_points_at_the_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools, args, output = tmp_path / "bin", tmp_path / "args", tmp_path / "rendered.yaml"
    output.write_text(RENDERED.replace("# Source: web/templates/", "# Source: web/../../../"), encoding="utf-8")
    _fake_helm(tools, args, output)
    monkeypatch.setenv("PATH", str(tools))
    repo = _chart(tmp_path / "repo")
    monkeypatch.chdir(repo)
    findings = _check(repo, select=("PL205",)).findings
    assert [(f.path, f.line, f.code) for f in findings] == [(os.path.join("web", "Chart.yaml"), 1, "PL205")]


@needs_kustomize
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH here")
def test_diff_against_a_revision_sees_only_the_edit_in_rendered_overlays(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    overlay = "namespace: shop\nresources:\n  - ../../base\n"
    repo = _tree(tmp_path, {"base/kustomization.yaml": BASE_KUSTOMIZATION, "base/policy.yaml": BASE_POLICY,
                            "overlays/dev/kustomization.yaml": overlay, "overlays/prod/kustomization.yaml": overlay})
    monkeypatch.chdir(repo)
    git = ["git", "-c", "user.email=dev@example.com", "-c", "user.name=dev"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(git + command, check=True, capture_output=True)
    (repo / "base" / "policy.yaml").write_text(BASE_POLICY.replace("0.0.0.0/0", "10.0.0.0/8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["diff", "--base", "HEAD", "--format", "json", "."])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # The duplicate notes name files under the exported revision's folder on the old side: written
    # relative to it, they read as on the new side, so only the fixed PL205 is a change.
    assert [f["code"] for f in report["findings"]["introduced"]] == []
    assert [f["code"] for f in report["findings"]["fixed"]] == ["PL205"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH here")
def test_diff_against_a_revision_names_a_top_level_kustomization_as_on_the_working_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    # A kustomization at the top of the repository, not rendered: PL018's message says how to
    # render it (`kubectl kustomize .`); on the old side the folder is the revision's export, and
    # it must read "." there too, or the unchanged finding is reported as fixed and introduced.
    repo = _tree(tmp_path, {"kustomization.yaml": "resources: [policy.yaml]\n", "policy.yaml": BASE_POLICY})
    monkeypatch.chdir(repo)
    git = ["git", "-c", "user.email=dev@example.com", "-c", "user.name=dev"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(git + command, check=True, capture_output=True)
    result = CliRunner().invoke(cli, ["diff", "--base", "HEAD", "--no-render", "--format", "json", "."])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["findings"]["introduced"] == [] and report["findings"]["fixed"] == []
