"""`max-hops` in the config's expectations: what it accepts and how it is rejected (file:line)."""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.config import ConfigError, load_config
from policylint.intent.context import intent_config

BASE = """\
expectations:
  - name: outside stays away
    from: {cidr: 0.0.0.0/0}
    to: training
"""


def _parse(tmp_path: Path, extra: str):
    path = tmp_path / ".policylint.yaml"
    path.write_text(BASE + extra, encoding="utf-8")
    return intent_config(load_config(path)), path


def test_max_hops_is_read(tmp_path: Path) -> None:
    parsed, _ = _parse(tmp_path, "    max-hops: 3\n    allow: false\n    ports: [22, 8888/TCP]\n")
    [expectation] = parsed.expectations
    assert expectation.max_hops == 3 and expectation.allow is False
    assert expectation.ports.static.contains("TCP", 22) and not expectation.ports.static.contains("TCP", 23)


def test_without_max_hops_it_is_a_plain_expectation(tmp_path: Path) -> None:
    parsed, _ = _parse(tmp_path, "    allow: false\n")
    assert parsed.expectations[0].max_hops is None


@pytest.mark.parametrize("extra, line, message", [
    ("    max-hops: 0\n", 5, "`max-hops` of expectation 'outside stays away' must be a whole number of at least 1"),
    ("    max-hops: two\n", 5, "must be a whole number"),
    ("    max-hops: true\n", 5, "must be a whole number"),
    ("    ports: [ssh]\n    max-hops: 2\n", 5, "must be numbers with `max-hops`"),
])
def test_bad_values_name_file_and_line(tmp_path: Path, extra: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        _parse(tmp_path, extra)
    assert f".policylint.yaml:{line}:" in str(error.value) and message in str(error.value)
