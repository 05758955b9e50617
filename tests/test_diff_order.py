"""The diff lists its changed connections in `ConnectionChange.sort_key` order: the pairs come
out of the side matrices already in that order (no second sort), which these tests hold it to on
random pairs of versions, pods and external ranges mixed."""
from __future__ import annotations

from hypothesis import given, settings

from policylint.diff.compute import compute_diff
from policylint.diff.model import ConnectionChange
from tests.test_diff_properties import side, versions


@settings(max_examples=100)
@given(versions())
def test_connections_are_in_sort_key_order(pair) -> None:
    old, new = pair
    result = compute_diff(side("old", old), side("new", new))
    keys = [change.sort_key() for change in result.connections]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)  # one entry per pair
    assert all(isinstance(change, ConnectionChange) for change in result.connections)


PODS = "".join(f"""apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: x, labels: {{app: {name}}}}}
spec: {{containers: [{{name: c, image: busybox}}]}}
---
""" for name in ("c", "a", "b"))
POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: within, namespace: x}}
spec:
  podSelector: {{}}
  policyTypes: [Ingress]
  ingress: [{{from: [{{podSelector: {{}}}}], ports: [{{port: {port}}}]}}]
"""


def test_pod_pairs_alone_are_in_order(tmp_path) -> None:
    """By hand: the pods of `x` admit each other on 80, then on 81; nothing outside may reach them
    before or after, and their egress is open both times, so the diff is the nine pod pairs alone
    (no external range to sort in among them), each changed, in (source, destination) order."""
    import json

    from click.testing import CliRunner

    from policylint.cli.main import cli

    for version, port in (("old", 80), ("new", 81)):
        (tmp_path / version).mkdir()
        (tmp_path / version / "all.yaml").write_text(PODS + POLICY.format(port=port))
    result = CliRunner().invoke(cli, ["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--format", "json"])
    assert result.exit_code == 0, result.output
    pairs = [(c["from"], c["to"]) for c in json.loads(result.stdout)["connections"]]
    assert pairs == [(f"x/{s}", f"x/{d}") for s in "abc" for d in "abc"]
