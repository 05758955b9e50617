"""`cluster.runtime-namespace-labels`: namespace labels that controllers set after creation,
declared in the config and validated like label keys and values."""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.config import ConfigError, load_config
from policylint.model.runtime_labels import runtime_namespace_labels, set_at_run_time


def _config(tmp_path: Path, text: str):
    path = tmp_path / ".policylint.yaml"
    path.write_text(text)
    return load_config(path)


def test_keys_and_key_values_are_read(tmp_path: Path) -> None:
    config = _config(tmp_path, 'cluster:\n  runtime-namespace-labels: [team, "owner=ml-platform", example.com/tier=gold]\n')
    assert config.facts.runtime_namespace_labels == (("team", None), ("owner", "ml-platform"),
                                                     ("example.com/tier", "gold"))


@pytest.mark.parametrize("value", ['["bad key!"]', '["owner=not valid"]', '["=x"]', "{a: b}"])
def test_bad_values_are_errors_naming_the_key(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="runtime-namespace-labels"):
        _config(tmp_path, f"cluster:\n  runtime-namespace-labels: {value}\n")


def test_built_in_and_declared_values() -> None:
    labels = runtime_namespace_labels((("owner", "ml-platform"), ("app.kubernetes.io/part-of", "platform")))
    assert set_at_run_time(labels, "app.kubernetes.io/part-of", ("kubeflow-profile",))
    assert set_at_run_time(labels, "app.kubernetes.io/part-of", ("platform",))
    assert not set_at_run_time(labels, "app.kubernetes.io/part-of", ("kubeflow",))
    assert set_at_run_time(labels, "app.kubernetes.io/part-of", ())  # Exists
    assert set_at_run_time(labels, "istio.io/rev", ("canary",))  # any value
    assert not set_at_run_time(labels, "owner", ("data",)) and set_at_run_time(labels, "owner", ("ml-platform",))
    assert not set_at_run_time(labels, "team", ())
