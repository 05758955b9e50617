"""`--format sarif`: SARIF 2.1.0, checked against the official OASIS schema."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import jsonschema
import pytest

from policylint.findings import Finding, Severity
from policylint.load.nodes import Span
from policylint.report import sarif
from tests.test_report_samples import (DOC, EXAMPLES, ERROR, INFO, MIXED_ARGS, ROOT, WARNING, run, sample_report,
                                       spec)

# The shared folder next to the repository holds the schema as test data (see its README).
SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
# RFC 3986: a URI reference uses only unreserved and reserved characters and percent-escapes.
URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    if not SARIF_SCHEMA.is_file():
        pytest.skip("the official SARIF 2.1.0 schema is not next to the repository (shared/schemas/)")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def assert_uri_reference(uri: str) -> None:
    assert URI_CHARS.match(uri), uri
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", uri):  # a relative reference: no ':' in its first segment
        assert ":" not in uri.split("/", 1)[0], uri


def fingerprint(code: str, path: str, obj: str, field: str, message: str, occurrence: int = 1) -> str:
    return hashlib.sha256("\0".join((code, path, obj, field, message)).encode()).hexdigest()[:32] + f":{occurrence}"


def test_hand_built_report_validates(validator: jsonschema.Draft4Validator) -> None:
    document = sarif.document(sample_report())
    validator.validate(document)
    # and the schema check has teeth: a level SARIF does not define is rejected
    document["runs"][0]["results"][0]["level"] = "fatal"
    assert not validator.is_valid(document)


def test_driver_and_rule_metadata() -> None:
    run_ = sarif.document(sample_report())["runs"][0]
    driver = run_["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("policylint", "0.1.0")
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == ["PL004", "PL009", "PL201"]
    help_markdown = DOC.strip() + "\n\n## Remediation\nSet `cidr` to a CIDR."
    assert driver["rules"][2] == {
        "id": "PL201",
        "name": "invalid-cidr",
        "shortDescription": {"text": "Example rule title"},
        "fullDescription": {"text": "Reports the thing on two lines."},
        "help": {
            "text": "Example rule title.\n\nWhat it does\nReports the thing\non two lines.\n\nWhy is this bad?\n"
                    "Because.\n\nExample\ncidr: \"\"\n\nRemediation\nSet `cidr` to a CIDR.",
            "markdown": help_markdown,
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["networkpolicy", "ipblock"]},
    }
    # the default level is the rule's; the result carries the level the finding has (PL004 lowered to info)
    assert driver["rules"][0]["defaultConfiguration"] == {"level": "warning"}
    assert [r["level"] for r in run_["results"]] == ["error", "warning", "note"]


def test_result_with_related_location_is_exact() -> None:
    result = sarif.document(sample_report())["runs"][0]["results"][0]
    assert result == {
        "ruleId": "PL201",
        "ruleIndex": 2,
        "level": "error",
        "message": {"text": 'ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required'},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": "k8s/train.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 27, "startColumn": 19, "endLine": 27, "endColumn": 21},
            },
            "logicalLocations": [{"fullyQualifiedName": "NetworkPolicy ml-workloads/ml-training-communication",
                                  "kind": "resource"}],
        }],
        "relatedLocations": [{
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "k8s/namespaces.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 3, "startColumn": 9, "endLine": 3, "endColumn": 21},
            },
            "message": {"text": "namespace ml-workloads is declared here"},
        }],
        "partialFingerprints": {"policylintFingerprint/v1": fingerprint(
            "PL201", "k8s/train.yaml", "NetworkPolicy ml-workloads/ml-training-communication",
            "spec.egress[0].to[0].ipBlock.cidr", 'ipBlock.cidr is "": a CIDR such as 10.0.0.0/16 is required')},
        "properties": {"fieldPath": "spec.egress[0].to[0].ipBlock.cidr"},
    }


def test_multi_line_region_and_file_level_finding() -> None:
    results = sarif.document(sample_report())["runs"][0]["results"]
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 30, "startColumn": 11, "endLine": 31, "endColumn": 5}
    assert "logicalLocations" not in results[2]["locations"][0]  # PL004 belongs to no object
    assert "properties" not in results[2]


def _fingerprint_of(finding: Finding) -> str:
    [result] = sarif.document(sample_report([finding]))["runs"][0]["results"]
    return result["partialFingerprints"]["policylintFingerprint/v1"]


def test_fingerprint_survives_moving_lines_but_not_a_new_message() -> None:
    moved = dataclasses.replace(ERROR, span=Span("k8s/train.yaml", 40, 3, 40, 5))
    assert _fingerprint_of(moved) == _fingerprint_of(ERROR)
    assert _fingerprint_of(dataclasses.replace(ERROR, message="other")) != _fingerprint_of(ERROR)
    assert _fingerprint_of(dataclasses.replace(ERROR, span=Span("k8s/b.yaml", 27, 19, 27, 21))) != _fingerprint_of(ERROR)
    assert _fingerprint_of(dataclasses.replace(ERROR, span=Span("./k8s/train.yaml", 27, 19, 27, 21))) == \
        _fingerprint_of(ERROR)


def test_equal_findings_on_two_lines_get_distinct_fingerprints() -> None:
    second = dataclasses.replace(INFO, span=Span("k8s/z.yaml", 9, 15, 9, 44))
    results = sarif.document(sample_report([INFO, second]))["runs"][0]["results"]
    base = fingerprint("PL004", "k8s/z.yaml", "", "", "suppression of 'PL202' silences nothing", 1)[:-2]
    assert [r["partialFingerprints"]["policylintFingerprint/v1"] for r in results] == [f"{base}:1", f"{base}:2"]


def test_stdin_and_odd_paths_become_valid_uris(validator: jsonschema.Draft4Validator, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    repo, elsewhere = tmp_path / "repo", tmp_path / "other"
    repo.mkdir()
    monkeypatch.chdir(repo)
    paths = ["<stdin>", "./k8s/../k8s/a b.yaml", str(repo / "k8s" / "c,d.yaml"), str(elsewhere / "x.yaml")]
    findings = [dataclasses.replace(WARNING, span=Span(p, 1, 1, 1, 2)) for p in paths]
    document = sarif.document(sample_report(findings))
    validator.validate(document)
    locations = {}
    for result in document["runs"][0]["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert_uri_reference(artifact["uri"])
        locations[artifact["uri"]] = artifact.get("uriBaseId")
    assert locations == {
        "%3Cstdin%3E": None,
        "k8s/a%20b.yaml": "%SRCROOT%",
        "k8s/c%2Cd.yaml": "%SRCROOT%",
        (elsewhere / "x.yaml").as_uri(): None,
    }


def test_finding_of_an_unlisted_rule_still_has_a_descriptor(validator: jsonschema.Draft4Validator) -> None:
    crashed = Finding("PL005", "rule-crashed", Severity.ERROR, "internal error", Span("k8s/a.yaml", 1, 1, 1, 1))
    document = sarif.document(sample_report([crashed], rules=(spec("PL201", "invalid-cidr", Severity.ERROR),)))
    validator.validate(document)
    run_ = document["runs"][0]
    assert run_["tool"]["driver"]["rules"][0] == {"id": "PL005", "name": "rule-crashed"}
    assert run_["results"][0]["ruleIndex"] == 0


@pytest.mark.parametrize("args", [["check", EXAMPLES, "-f", "sarif"], [*MIXED_ARGS, "-f", "sarif"]],
                         ids=["examples", "mixed"])
def test_real_output_validates_and_is_byte_identical(validator: jsonschema.Draft4Validator, args: list[str]) -> None:
    first, second = run(args), run(args)
    assert first.exit_code == 1
    assert first.stdout_bytes == second.stdout_bytes
    validator.validate(json.loads(first.stdout))


def test_real_mixed_results() -> None:
    run_ = json.loads(run([*MIXED_ARGS, "-f", "sarif"]).stdout)["runs"][0]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert rules == ["PL001", "PL004", "PL009", "PL201", "PL202"]
    summary = []
    for r in run_["results"]:
        location = r["locations"][0]["physicalLocation"]
        region = location["region"]
        summary.append((location["artifactLocation"]["uri"], region["startLine"], region["startColumn"], r["ruleId"],
                        rules[r["ruleIndex"]], r["level"]))
    assert summary == [
        ("fixtures/report/mixed/broken.yaml", 5, 10, "PL001", "PL001", "error"),
        ("fixtures/report/mixed/net%2Cpol.yaml", 14, 11, "PL009", "PL009", "warning"),
        ("fixtures/report/mixed/net%2Cpol.yaml", 18, 19, "PL201", "PL201", "error"),
        ("fixtures/report/mixed/net%2Cpol.yaml", 19, 15, "PL004", "PL004", "note"),
    ]


def test_real_stdin_input(validator: jsonschema.Draft4Validator) -> None:
    manifest = (ROOT / "fixtures/examples/seed/ml-training-policy.yaml").read_bytes()
    result = run(["check", "-", "-f", "sarif", "--select", "PL201"], input=manifest)
    document = json.loads(result.stdout)
    validator.validate(document)
    [finding] = document["runs"][0]["results"]
    assert finding["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "%3Cstdin%3E"}
    assert finding["locations"][0]["physicalLocation"]["region"]["startLine"] == 27
