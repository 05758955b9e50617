"""`policylint diff` end to end: formats, the JSON schema, determinism, gates and exit codes."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from policylint.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
SEED_OLD, SEED_NEW = "fixtures/diff/seed-fix/old", "fixtures/diff/seed-fix/new"
ADDED_OLD, ADDED_NEW = "fixtures/diff/policy-added/old", "fixtures/diff/policy-added/new"
EXCEPT_OLD, EXCEPT_NEW = "fixtures/diff/except-added/old", "fixtures/diff/except-added/new"
# The rules whose findings these fixtures are known to produce (derived in test_diff_cases.py).
SELECT = ["--select", "PL2"]


def run(args: list[str], cwd: Path = ROOT):
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, ["diff", *args], env={"NO_COLOR": None, "GITHUB_ACTIONS": None},
                                  catch_exceptions=False)
    finally:
        os.chdir(previous)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((resources.files("policylint") / "schemas" / "diff-v1.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# -- JSON -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(p.name for p in (ROOT / "fixtures" / "diff").iterdir() if p.is_dir()))
def test_json_validates_against_the_published_schema(case: str, validator) -> None:
    for old, new in (("old", "new"), ("new", "old")):
        result = run([f"fixtures/diff/{case}/{old}", f"fixtures/diff/{case}/{new}", "-f", "json"])
        assert result.exit_code == 0, result.output
        validator.validate(json.loads(result.stdout))


def test_json_of_the_seed_fix(validator) -> None:
    document = json.loads(run([SEED_OLD, SEED_NEW, "-f", "json", *SELECT]).stdout)
    assert document["schema"] == "policylint.diff/v1"
    assert document["summary"]["connections"] == {"added": 10, "removed": 0, "widened": 0, "narrowed": 0, "changed": 0}
    assert document["summary"]["findings"] == {"introduced": {"error": 0, "warning": 0, "info": 0},
                                               "fixed": {"error": 2, "warning": 0, "info": 0}}
    dns = [c for c in document["connections"] if c["to"] == "kube-system/coredns[Deployment]"]
    assert [c["from"] for c in dns] == ["ml-workloads/bert-pretrain[PyTorchJob/Master]",
                                         "ml-workloads/bert-pretrain[PyTorchJob/Worker]"]
    assert dns[0]["gained_ports"] == {"TCP": [[53, 53]], "UDP": [[53, 53]], "SCTP": []}
    assert dns[0]["because"]["rules"] == [{
        "policy": "ml-workloads/ml-training-communication", "rule": "egress[0]", "edited": True,
        "version": "new", "file": "fixtures/diff/seed-fix/new/policy.yaml", "line": 30}]
    assert [f["code"] for f in document["findings"]["fixed"]] == ["PL201", "PL202"]
    assert document["findings"]["fixed"][0]["file"] == "fixtures/diff/seed-fix/old/policy.yaml"
    assert document["gates"] == {"fail_on_new": None, "fail_on_widened": False, "failed": False, "reasons": []}


def test_json_lists_external_ranges_with_their_cidrs() -> None:
    document = json.loads(run([EXCEPT_NEW, EXCEPT_OLD, "-f", "json", *SELECT]).stdout)
    assert document["endpoints"] == [
        {"id": "shop/web[Deployment]", "kind": "Deployment", "namespace": "shop", "name": "web", "labels": {"app": "web"}},
        {"id": "10.0.0.0-10.255.255.255", "kind": "External", "cidrs": ["10.0.0.0/8"]},
    ]


def test_json_is_byte_identical_across_runs_and_hash_seeds() -> None:
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR")}
        env["PYTHONHASHSEED"] = seed
        done = subprocess.run([sys.executable, "-m", "policylint", "diff", SEED_OLD, SEED_NEW, "-f", "json"],
                              cwd=ROOT, env=env, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1


# -- text and Markdown ---------------------------------------------------------------------------------

def test_text_groups_pairs_and_says_how_many_a_line_stands_for() -> None:
    out = run([SEED_OLD, SEED_NEW, *SELECT]).stdout
    assert "connections: 10 added, 0 removed, 0 widened, 0 narrowed, 0 changed (pairs of endpoints)" in out
    assert ("  data-services/feature-store[Deployment] → 2 destinations (2 pairs): TCP 5000\n"
            "      to: ml-workloads/bert-pretrain[PyTorchJob/Master],\n"
            "          ml-workloads/bert-pretrain[PyTorchJob/Worker]\n"
            "      allowed by: ml-workloads/ml-training-communication ingress[0] "
            "(fixtures/diff/seed-fix/new/policy.yaml:16, edited)\n") in out
    assert "  2 sources → 2 destinations (4 pairs): all ports\n" in out
    assert "  2 sources → kube-system/coredns[Deployment] (2 pairs): TCP 53; UDP 53\n" in out


def test_text_of_a_policy_added() -> None:
    out = run([ADDED_OLD, ADDED_NEW, *SELECT]).stdout
    assert out.startswith(f"policylint diff: {ADDED_OLD} → {ADDED_NEW}\n")
    assert ("Connections removed: 4 pairs\n"
            "  4 sources → shop/db[Deployment] (4 pairs): all ports (all lost)\n"
            "      from: analytics/reports[Deployment], shop/db[Deployment], 0.0.0.0/0, ::/0\n"
            "      destination now isolated for ingress by shop/db-ingress "
            "(fixtures/diff/policy-added/new/db-ingress.yaml:2)\n") in out
    assert ("  shop/web[Deployment] → shop/db[Deployment]: all ports → TCP 5432 "
            "(lost TCP 1-5431, 5433-65535; UDP all; SCTP all)\n") in out
    assert "Policies\n  + shop/db-ingress  (fixtures/diff/policy-added/new/db-ingress.yaml:2)\n" in out
    assert out.endswith("result: no gate set (--fail-on-new, --fail-on-widened)\n")


def test_markdown_puts_counts_first_then_changes_by_namespace() -> None:
    out = run([SEED_OLD, SEED_NEW, "-f", "markdown", *SELECT]).stdout
    lines = out.splitlines()
    assert lines[0] == "<!-- policylint diff -->"
    assert lines[1] == "### policylint diff: 10 connections added, 2 findings fixed"
    assert "| Connections (pairs) | 10 | 0 | 0 | 0 | 0 |" in lines
    headings = [line for line in lines if line.startswith("#### ")]
    assert headings == ["#### Namespace `data-services`", "#### Namespace `kube-system`", "#### Namespace `ml-workloads`",
                        "#### Exposure to peers the input does not contain", "#### Objects", "#### Findings fixed"]
    assert lines.index("| Connections (pairs) | 10 | 0 | 0 | 0 | 0 |") < lines.index(headings[0])
    assert "<details>" not in out  # short: nothing folded


def test_markdown_folds_long_diffs_into_details(tmp_path: Path) -> None:
    # 15 namespaces, each with one pod; a new default-deny in every one: 15 lines at least.
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    pods = "".join(f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: n{i:02}, labels: {{app: p}}}}\n"
                   f"spec: {{containers: [{{name: c, image: busybox}}]}}\n" for i in range(15))
    denies = "".join(f"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                     f"metadata: {{name: deny, namespace: n{i:02}}}\nspec: {{podSelector: {{}}}}\n" for i in range(15))
    (old / "pods.yaml").write_text(pods, encoding="utf-8")
    (new / "pods.yaml").write_text(pods, encoding="utf-8")
    (new / "deny.yaml").write_text(denies, encoding="utf-8")
    out = run([str(old), str(new), "-f", "markdown", *SELECT]).stdout
    # Every pod loses ingress from the 14 other pods, itself and both address families.
    assert "| Connections (pairs) | 0 | 255 | 0 | 0 | 0 |" in out
    assert out.count("<details><summary><b>n") == 15
    assert "<details><summary><b>n00</b>: 17 removed (17 pairs)</summary>" in out
    assert "<details><summary>Objects: 15 changes</summary>" in out


# -- gates and exit codes ---------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "code"), [
    ([SEED_OLD, SEED_NEW], 0),  # no gate: the diff is information
    ([SEED_OLD, SEED_NEW, "--fail-on-widened"], 1),  # connections added
    ([ADDED_OLD, ADDED_NEW, "--fail-on-widened"], 0),  # only removed and narrowed
    ([ADDED_NEW, ADDED_OLD, "--fail-on-widened"], 1),  # the reverse: added and widened
    ([SEED_OLD, SEED_NEW, "--fail-on-new", "error"], 0),  # errors fixed, none introduced
    ([SEED_NEW, SEED_OLD, "--fail-on-new", "error"], 1),  # the broken seed brings PL201, PL202 back
    ([SEED_NEW, SEED_OLD, "--fail-on-new", "warning"], 1),
    ([EXCEPT_OLD, EXCEPT_NEW, "--fail-on-new", "warning"], 0),  # only an info finding introduced
    ([EXCEPT_OLD, EXCEPT_NEW, "--fail-on-new", "info"], 1),
    ([EXCEPT_OLD, EXCEPT_NEW, "--fail-on-new", "info", "-f", "json"], 1),  # whatever the format
], ids=["no-gate", "widened-added", "widened-only-removed", "widened-reverse", "new-error-none",
        "new-error", "new-warning-by-error", "new-warning-only-info", "new-info", "new-info-json"])
def test_gates(args: list[str], code: int) -> None:
    result = run([*args, *SELECT])
    assert result.exit_code == code, result.output


def test_a_failed_gate_says_why() -> None:
    out = run([SEED_NEW, SEED_OLD, "--fail-on-new", "error", *SELECT]).stdout
    assert out.endswith("result: failed: 2 new findings at or above error (--fail-on-new error)\n")
    document = json.loads(run([SEED_OLD, SEED_NEW, "--fail-on-widened", "-f", "json", *SELECT]).stdout)
    assert document["gates"] == {"fail_on_new": None, "fail_on_widened": True, "failed": True,
                                 "reasons": ["10 connections gained ports (--fail-on-widened)",
                                             "12 exposures to peers outside the input gained ports (--fail-on-widened)"]}


def test_output_file_gets_the_diff_and_stdout_a_summary(tmp_path: Path) -> None:
    target = tmp_path / "diff.md"
    result = run([SEED_OLD, SEED_NEW, "-f", "markdown", "-o", str(target), "--fail-on-widened", *SELECT])
    assert result.exit_code == 1
    assert target.read_text(encoding="utf-8").startswith("<!-- policylint diff -->\n")
    assert result.stdout == (f"diff written to {target}: 10 connections added, 2 findings fixed; "
                             "failed: 10 connections gained ports (--fail-on-widened); "
                             "12 exposures to peers outside the input gained ports (--fail-on-widened)\n")


def test_standard_input_as_one_side() -> None:
    text = (ROOT / ADDED_NEW / "db-ingress.yaml").read_text(encoding="utf-8") + "---\n" + \
        (ROOT / ADDED_NEW / "workloads.yaml").read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["diff", ADDED_OLD, "-", "-f", "json", *SELECT], input=text)
    document = json.loads(result.stdout)
    assert document["new"]["label"] == "-"
    assert document["policies"]["added"][0]["location"] == {"version": "new", "file": "<stdin>", "line": 2}


@pytest.mark.parametrize(("args", "message"), [
    ([], "expected OLD and NEW (two files or folders), got 0 paths; or use --base REV PATH…"),
    ([SEED_OLD], "expected OLD and NEW (two files or folders), got 1 path; or use --base REV PATH…"),
    ([SEED_OLD, SEED_NEW, ADDED_OLD], "expected OLD and NEW (two files or folders), got 3 paths; or use --base REV PATH…"),
    ([SEED_OLD, "no-such-folder"], "no such file or folder: no-such-folder"),
    (["-", "-"], "only one of OLD and NEW can be - (standard input)"),
    (["--base", "HEAD"], "--base needs the paths to compare: policylint diff --base REV PATH…"),
    (["--base", "HEAD", "-"], "--base compares files in the working tree; standard input (-) has no git revision"),
    ([SEED_OLD, SEED_NEW, "--select", "PL999"], "unknown rule code or name 'PL999' (see `policylint rules`)"),
], ids=["none", "one", "three", "missing", "two-stdin", "base-no-path", "base-stdin", "unknown-rule"])
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = run(args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"policylint: error: {message}"]
    assert result.stdout == ""


def test_no_manifest_on_either_side_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    result = run([str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 2
    assert result.stderr == "policylint: error: no input found: no .yaml, .yml or .json files in OLD or NEW\n"


def test_an_empty_side_is_compared_with_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    document = json.loads(run([str(tmp_path / "empty"), ADDED_NEW, "-f", "json", *SELECT]).stdout)
    assert document["summary"]["workloads"] == {"added": 3, "removed": 0, "changed": 0}
    assert document["summary"]["policies"] == {"added": 1, "removed": 0, "changed": 0}
    # web -> db on TCP 5432 is one of the added connections, blamed on the new policy's rule
    web_db = [c for c in document["connections"] if (c["from"], c["to"]) == ("shop/web[Deployment]", "shop/db[Deployment]")]
    assert [(c["change"], c["new_ports"]["TCP"], [r["rule"] for r in c["because"]["rules"]]) for c in web_db] == \
        [("added", [[5432, 5432]], ["ingress[0]"])]


def test_policy_kinds_not_evaluated_are_said_in_every_format(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(ROOT / ADDED_NEW, new)
    (new / "cilium.yaml").write_text(
        "# Layer-7 rules for the database: not evaluated by policylint.\n"
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: db-l7\n  namespace: shop\n"
        "spec:\n  endpointSelector: {}\n", encoding="utf-8")
    document = json.loads(run([ADDED_OLD, str(new), "-f", "json", *SELECT]).stdout)
    assert document["old"]["not_evaluated"] == []
    assert document["new"]["not_evaluated"] == [{"kind": "CiliumNetworkPolicy", "api_version": "cilium.io/v2",
                                                 "namespace": "shop", "name": "db-l7", "version": "new",
                                                 "file": str(new / "cilium.yaml"), "line": 2}]
    markdown = run([ADDED_OLD, str(new), "-f", "markdown", *SELECT]).stdout
    assert ("> **Caveat (new):** the connectivity ignores 1 object of kinds policylint does not evaluate:\n"
            f"> - `{new / 'cilium.yaml'}:2` CiliumNetworkPolicy `shop/db-l7` (`cilium.io/v2`)\n") in markdown
    text = run([ADDED_OLD, str(new), *SELECT])
    assert "caveat (new)" in text.stderr and "caveat (old)" not in text.stderr
