"""`--format json`: the `policylint.report/v1` document and its JSON Schema."""
from __future__ import annotations

import copy
import json
import tomllib
from importlib import resources

import jsonschema
import pytest

from policylint.report import json_format
from tests.fixture_expectations import case_files, expected_findings
from tests.test_report_samples import (EXAMPLES, MIXED, MIXED_ARGS, ROOT, SEED, WARNING, run,
                                       sample_report)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((resources.files("policylint") / "schemas" / "report-v1.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_ships_in_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "schemas/*.json" in pyproject["tool"]["setuptools"]["package-data"]["policylint"]
    assert (ROOT / "policylint" / "schemas" / "report-v1.schema.json").is_file()


@pytest.mark.parametrize("args", [["check", EXAMPLES, "-f", "json"], [*MIXED_ARGS, "-f", "json"],
                                  ["check", MIXED, "-f", "json"]], ids=["examples", "mixed", "mixed-all-rules"])
def test_real_output_validates_and_is_byte_identical(validator: jsonschema.Draft202012Validator,
                                                     args: list[str]) -> None:
    first, second = run(args), run(args)
    assert first.exit_code == 1, first.output
    assert first.stdout_bytes == second.stdout_bytes
    validator.validate(json.loads(first.stdout))


def test_mixed_findings_are_exact(validator: jsonschema.Draft202012Validator) -> None:
    document = json.loads(run([*MIXED_ARGS, "-f", "json"]).stdout)
    found = [(f["file"], f["line"], f["column"], f["code"], f["severity"]) for f in document["findings"]]
    assert found == [
        ("fixtures/report/mixed/broken.yaml", 5, 10, "PL001", "error"),
        ("fixtures/report/mixed/net,pol.yaml", 14, 11, "PL009", "warning"),
        ("fixtures/report/mixed/net,pol.yaml", 18, 19, "PL201", "error"),
        ("fixtures/report/mixed/net,pol.yaml", 19, 15, "PL004", "info"),  # lowered by the folder's config
    ]
    # the fixture's own `# expect:` markers agree
    markers = expected_findings(case_files(ROOT / MIXED))
    assert {(f[0].rsplit("/", 1)[1], f[1], f[3]) for f in found} == markers
    assert document["summary"] == {
        "files": 3, "objects": 2, "namespaces": 1, "workloads": 0, "policies": 2,
        "findings": {"error": 2, "warning": 1, "info": 1}, "fail_on": "error", "failed": True, "not_analysed": [],
            "unused": [], "skipped": [],
    }


def test_seed_example_points_at_the_empty_cidr() -> None:
    document = json.loads(run(["check", SEED, "-f", "json", "--select", "PL201"]).stdout)
    assert document["schema"] == "policylint.report/v1"
    [finding] = document["findings"]
    assert finding | {"message": None, "remediation": None} == {
        "code": "PL201", "name": "invalid-cidr", "severity": "error", "message": None,
        "file": "fixtures/examples/seed/ml-training-policy.yaml", "line": 27, "column": 19, "end_line": 27,
        "end_column": 21, "object": "NetworkPolicy ml-workloads/ml-training-communication",
        "field_path": "spec.egress[0].to[0].ipBlock.cidr", "remediation": None, "related": [],
    }


def test_hand_built_report_with_related_locations_validates(validator: jsonschema.Draft202012Validator) -> None:
    document = json.loads(json_format.render(sample_report()))
    validator.validate(document)
    assert document["findings"][0]["related"] == [
        {"file": "k8s/namespaces.yaml", "line": 3, "column": 9, "message": "namespace ml-workloads is declared here"}
    ]
    assert document["summary"]["findings"] == {"error": 1, "warning": 1, "info": 1}


def test_clean_report_validates(validator: jsonschema.Draft202012Validator) -> None:
    document = json.loads(json_format.render(sample_report([WARNING])))
    validator.validate(document)
    assert document["summary"]["failed"] is False


@pytest.mark.parametrize("breaks", [
    lambda d: d.pop("schema"),
    lambda d: d.update(schema="policylint.report/v2"),
    lambda d: d["findings"][0].update(severity="fatal"),
    lambda d: d["findings"][0].update(line=0),
    lambda d: d["findings"][0].pop("field_path"),
    lambda d: d["findings"][0]["related"][0].pop("message"),
    lambda d: d["summary"]["findings"].pop("info"),
    lambda d: d.update(extra=1),
], ids=["no-schema", "other-version", "bad-severity", "line-0", "no-field-path", "related-no-message",
        "no-info-count", "unknown-key"])
def test_schema_rejects_what_v1_does_not_allow(validator: jsonschema.Draft202012Validator, breaks) -> None:
    document = json.loads(json_format.render(sample_report()))
    broken = copy.deepcopy(document)
    breaks(broken)
    assert not validator.is_valid(broken)
    assert validator.is_valid(document)
