"""The pre-commit hooks (.pre-commit-hooks.yaml) and the project config snippets that use them.

Each hook is run as pre-commit runs it: in the repository root, the command line built from the
definition (`entry` split like a shell, then `args`, then the file names that pass the hook's
`files`/`exclude`/`types_or` filters when `pass_filenames` is true), with the `policylint`
console script from PATH. pre-commit itself is not needed.
"""
from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from policylint import __version__
from policylint.analysis import analyse, registry, token_matches
from policylint.config import discover_config, load_config
from tests.integration_helpers import (REPO, ROOT, SEED_POLICY, SNIPPETS, cli_env, copy_repo, load_yaml,
                                       text_findings)

HOOKS = {hook["id"]: hook for hook in load_yaml(ROOT / ".pre-commit-hooks.yaml")}
# pre-commit's file type tags (from the `identify` library) for the extensions that matter here
TYPE_TAGS = {".yaml": {"yaml"}, ".yml": {"yaml"}, ".json": {"json"}, ".md": {"markdown"}, ".py": {"python"},
             ".toml": {"toml"}}
# Everything a commit might stage in the example repository.
ALL_FILES = sorted(p.relative_to(REPO).as_posix() for p in REPO.rglob("*") if p.is_file())


def selected_files(hook: dict[str, Any], filenames: list[str]) -> list[str]:
    """The file names pre-commit would pass: `files` and `exclude` are regexes searched in the
    path; `types`/`types_or`/`exclude_types` compare the file's tags."""
    chosen = []
    for name in filenames:
        tags = TYPE_TAGS.get(Path(name).suffix, set()) | {"file", "text"}
        if not re.search(hook.get("files", ""), name) or re.search(hook.get("exclude", "^$"), name):
            continue
        if hook.get("types_or") and not tags & set(hook["types_or"]):
            continue
        if not set(hook.get("types", ["file"])) <= tags or tags & set(hook.get("exclude_types", [])):
            continue
        chosen.append(name)
    return chosen


def hook_argv(hook: dict[str, Any], staged: list[str], args: list[str] | None = None) -> list[str]:
    argv = shlex.split(hook["entry"]) + list(hook.get("args", []) if args is None else args)
    if hook.get("pass_filenames", True):
        argv += selected_files(hook, staged)
    return argv


def run_hook(hook_id: str, repo: Path, staged: list[str], args: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    argv = hook_argv(HOOKS[hook_id], staged, args)
    executable = shutil.which(argv[0], path=cli_env()["PATH"])
    assert executable, f"{argv[0]} is not on PATH"
    return subprocess.run([executable, *argv[1:]], cwd=repo, env=cli_env(PRE_COMMIT="1"), capture_output=True,
                          text=True, timeout=120)


def staged_hook_ignores() -> list[str]:
    """The codes, prefixes or names that the `policylint` hook turns off (`--ignore` in its entry)."""
    words = shlex.split(HOOKS["policylint"]["entry"])
    return [code for i, word in enumerate(words) if word == "--ignore" for code in words[i + 1].split(",")]


def kept_by_staged_hook() -> list[str]:
    """The codes of the registered rules that the `policylint` hook runs."""
    ignored = staged_hook_ignores()
    return [code for code, spec in registry().items() if not any(token_matches(t, code, spec.name) for t in ignored)]


# --- the definitions ---------------------------------------------------------------------------

def test_hook_definitions() -> None:
    assert set(HOOKS) == {"policylint", "policylint-all"}
    for hook in HOOKS.values():
        assert hook["language"] == "python"
        assert shlex.split(hook["entry"])[:2] == ["policylint", "check"]
        assert hook["types_or"] == ["yaml", "json"]
        assert hook["require_serial"] is True  # one process sees every file: the semantics are cross-file
        assert hook["name"] and hook["description"]
        assert hook["minimum_pre_commit_version"] == "2.9.0"  # types_or
    assert HOOKS["policylint"]["pass_filenames"] is True
    assert HOOKS["policylint-all"]["pass_filenames"] is False and HOOKS["policylint-all"]["args"] == ["."]
    # `policylint` is the console script that installing this repository (language: python) provides.
    assert 'policylint = "policylint.cli.launch:main"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_filters_pass_yaml_and_json_only() -> None:
    staged = ["README.md", "k8s/a.yaml", "k8s/b.yml", "k8s/c.json", "setup.py", "Chart.lock"]
    assert selected_files(HOOKS["policylint"], staged) == ["k8s/a.yaml", "k8s/b.yml", "k8s/c.json"]
    assert hook_argv(HOOKS["policylint-all"], staged) == ["policylint", "check", "."]


def test_staged_hook_ignores_only_registered_rules() -> None:
    for token in staged_hook_ignores():
        assert any(token_matches(token, code, spec.name) for code, spec in registry().items()), \
            f"the `policylint` hook ignores {token!r}, which names no rule (exit 2 on every commit)"


# --- the staged-files hook ---------------------------------------------------------------------

def test_staged_hook_on_part_of_the_repository_reports_nothing_the_rest_disproves(tmp_path: Path) -> None:
    """A commit that touches the backend policy and the frontend, but not the backend Deployment
    (another file): nothing is wrong, and the hook must say so."""
    repo = copy_repo(tmp_path)
    staged = ["k8s/shop/policies.yaml", "k8s/shop/frontend.yaml", "k8s/namespaces/shop.yaml",
              "k8s/shop/backend-l7.yaml", "README.md"]
    result = run_hook("policylint", repo, staged)
    assert result.returncode == 0, result.stdout + result.stderr
    assert text_findings(result.stdout) == {(2, "PL008")}  # the Cilium object: info, not evaluated
    assert "4 files," in result.stdout  # README.md was not passed


def test_staged_hook_honours_the_repository_config(tmp_path: Path) -> None:
    """`.policylint.yaml` in the repository root excludes the Helm chart; without it the chart's
    files are still not read as manifests (a template is not YAML until helm renders it): staged
    one by one they are set aside, and `policylint-all` renders or reports the chart as a whole."""
    staged = ["charts/web/templates/networkpolicy.yaml", "charts/web/Chart.yaml", "k8s/shop/policies.yaml"]
    result = run_hook("policylint", copy_repo(tmp_path), staged)
    assert result.returncode == 0, result.stdout + result.stderr
    assert text_findings(result.stdout) == set()

    bare = copy_repo(tmp_path, "without-config")
    (bare / ".policylint.yaml").unlink()
    result = run_hook("policylint", bare, staged)
    assert result.returncode == 0, result.stdout + result.stderr
    assert text_findings(result.stdout) == set()
    assert "2 files without Kubernetes objects" in result.stdout  # the template and Chart.yaml, set aside


def test_staged_hook_fails_the_commit_on_an_error(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    shutil.copy(SEED_POLICY, repo / "k8s" / "seed.yaml")
    result = run_hook("policylint", repo, ["k8s/seed.yaml"])
    assert result.returncode == 1
    assert {"PL201", "PL202"} <= {code for _, code in text_findings(result.stdout)}


def _findings(paths: list[str], select: list[str]) -> set[tuple[str, int, str]]:
    config = load_config(discover_config())
    return {(f.path, f.line, f.code) for f in analyse(paths, config, select=select).findings}


def test_rules_the_staged_hook_keeps_never_report_on_part_of_the_input_what_the_whole_disproves(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Lint every file and every pair of files of the example repository on their own: a rule the
    `policylint` hook keeps must not report anything there that it does not report on the whole
    repository. (The rules that fail this need the other files: ignore them in the hook's entry.)"""
    monkeypatch.chdir(REPO)
    kept = kept_by_staged_hook()
    files = [name for name in ALL_FILES if name.startswith("k8s/")]
    whole = _findings(["k8s"], kept)
    extra: dict[str, set[str]] = {}
    for subset in itertools.chain(([f] for f in files), itertools.combinations(files, 2)):
        for path, line, code in _findings(list(subset), kept) - whole:
            extra.setdefault(code, set()).add(f"{path}:{line} when linting {' '.join(subset)}")
    assert not extra, "these rules need the whole input; add them to the `--ignore` in the entry of the " \
                      "`policylint` hook in .pre-commit-hooks.yaml:\n" + \
                      "\n".join(f"{code}: {sorted(where)[0]} (and {len(where) - 1} more)" for code, where in sorted(extra.items()))


def _multi_file_fixtures() -> list[Path]:
    folders = [*sorted((ROOT / "fixtures" / "rules").glob("*/*/")), *sorted((ROOT / "fixtures" / "examples").glob("*/"))]
    return [f for f in folders if len([p for p in f.rglob("*") if p.suffix in (".yaml", ".yml", ".json")
                                       and not p.name.startswith(".")]) >= 2]


@pytest.mark.parametrize("folder", _multi_file_fixtures(), ids=lambda p: p.relative_to(ROOT / "fixtures").as_posix())
def test_rules_the_staged_hook_keeps_say_the_same_on_each_file_of_a_fixture(folder: Path) -> None:
    """The same check on every multi-file fixture folder, one file at a time, with its config."""
    kept = kept_by_staged_hook()
    config_file = folder / ".policylint.yaml"
    config = load_config(config_file if config_file.exists() else None)
    files = sorted(str(p) for p in folder.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and not p.name.startswith("."))

    def findings(paths: list[str]) -> set[tuple[str, int, str]]:
        return {(f.path, f.line, f.code) for f in analyse(paths, config, select=kept).findings}

    whole = findings([str(folder)])
    extra = sorted(f"{path}:{line} {code}" for name in files for path, line, code in findings([name]) - whole)
    assert not extra, "rules that need the other files (add them to the `--ignore` of the `policylint` hook): " + \
                      ", ".join(extra)


def test_the_example_repository_needs_every_file_for_the_ignored_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The converse, so that the tests above can fail: for every entry of the hook's `--ignore`,
    some rule it names reports, on a pair of files alone, what the whole repository disproves."""
    monkeypatch.chdir(REPO)
    specs = registry()
    ignored = [code for code in specs if code not in kept_by_staged_hook()]
    files = [name for name in ALL_FILES if name.startswith("k8s/")]
    whole = _findings(["k8s"], ignored)
    partial = set().union(*(_findings(list(pair), ignored) for pair in itertools.combinations(files, 2)))
    reporting = {code for _, _, code in partial - whole}
    for token in staged_hook_ignores():
        assert any(token_matches(token, code, specs[code].name) for code in reporting), \
            f"the example repository does not show why the `policylint` hook ignores {token!r}"


# --- the all-files hook ------------------------------------------------------------------------

def test_all_hook_lints_the_whole_repository_with_every_rule(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    result = run_hook("policylint-all", repo, ["k8s/shop/policies.yaml"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert text_findings(result.stdout) == {(2, "PL008")}
    assert re.search(r"^k8s/shop/backend-l7\.yaml$", result.stdout, re.M)
    assert "25 files," in result.stdout  # every YAML/JSON file; the chart excluded by the config


def test_all_hook_sees_what_only_the_whole_repository_shows(tmp_path: Path) -> None:
    """A policy whose selector matches no pod: only known with every file in view."""
    repo = copy_repo(tmp_path)
    policies = repo / "k8s" / "shop" / "policies.yaml"
    policies.write_text(policies.read_text().replace("      app: frontend\n  policyTypes: [Egress]",
                                                     "      app: fronted\n  policyTypes: [Egress]"), encoding="utf-8")
    result = run_hook("policylint-all", repo, ["k8s/shop/policies.yaml"], args=["k8s/", "--fail-on", "warning"])
    assert result.returncode == 1
    assert "PL112" in result.stdout and "`app=fronted`" in result.stdout


# --- the snippets for a project's .pre-commit-config.yaml -------------------------------------

@pytest.mark.parametrize("snippet", sorted(SNIPPETS.glob("pre-commit-config*.yaml")), ids=lambda p: p.name)
def test_config_snippet_runs(snippet: Path, tmp_path: Path) -> None:
    [repository] = load_yaml(snippet)["repos"]
    assert repository["rev"] == f"v{__version__}"
    repo = copy_repo(tmp_path)
    for hook in repository["hooks"]:
        assert hook["id"] in HOOKS
        result = run_hook(hook["id"], repo, ALL_FILES, hook.get("args"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert text_findings(result.stdout) == {(2, "PL008")}


def test_hooks_run_from_the_repository_root_find_the_config_there(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    assert discover_config(repo) == repo / ".policylint.yaml"
    assert os.path.samefile(discover_config(repo / "k8s" / "shop"), repo / ".policylint.yaml")
