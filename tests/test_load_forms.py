"""Every loader input form: files, folders, stdin, multi-document YAML, `kind: List`, JSON."""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

from policylint.load import load_paths
from policylint.model import build_cluster

POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
  namespace: {namespace}
spec:
  podSelector: {{}}
"""


def policy_ids(paths, **kwargs):
    loaded = load_paths([str(p) for p in paths], **kwargs)
    cluster = build_cluster(loaded.objects)
    return [p.id for p in cluster.policies], loaded


def test_files_of_each_suffix_and_sorted_recursive_folders(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a.yaml").write_text(POLICY.format(name="one", namespace="x"))
    (tmp_path / "b" / "c.yml").write_text(POLICY.format(name="two", namespace="x"))
    (tmp_path / "b" / "d.json").write_text(json.dumps(
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "three", "namespace": "y"}, "spec": {"podSelector": {}}}, indent="\t"))
    (tmp_path / "notes.txt").write_text("not a manifest")
    ids, loaded = policy_ids([tmp_path])
    assert ids == ["x/one", "x/two", "y/three"]
    assert [Path(f.path).name for f in loaded.files] == ["a.yaml", "c.yml", "d.json"]


def test_hidden_folders_and_files_are_skipped_but_named_files_are_read(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text(POLICY.format(name="hidden", namespace="x"))
    (tmp_path / ".gitlab-ci.yml").write_text(POLICY.format(name="dotfile", namespace="x"))
    (tmp_path / "p.yaml").write_text(POLICY.format(name="visible", namespace="x"))
    assert policy_ids([tmp_path])[0] == ["x/visible"]
    assert policy_ids([tmp_path / ".gitlab-ci.yml"])[0] == ["x/dotfile"]


def test_symlink_loop_is_survived(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "p.yaml").write_text(POLICY.format(name="p", namespace="x"))
    os.symlink(tmp_path, tmp_path / "sub" / "loop")
    ids, _ = policy_ids([tmp_path])
    assert ids == ["x/p"]


def test_stdin_multi_document_and_list(tmp_path: Path) -> None:
    text = (POLICY.format(name="a", namespace="x") + "---\n" + "apiVersion: v1\nkind: List\nitems:\n"
            + "".join("- " + POLICY.format(name=n, namespace="z").replace("\n", "\n  ").rstrip() + "\n" for n in ("b", "c")))
    ids, loaded = policy_ids(["-"], stdin=io.BytesIO(text.encode()))
    assert ids == ["x/a", "z/b", "z/c"]
    assert loaded.files[0].path == "<stdin>"
    assert [o.field_prefix for o in loaded.objects] == ["", "items[0].", "items[1]."]


def test_positions_are_kept_for_nested_fields(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.format(name="p", namespace="x") + "  ingress:\n    - from:\n        - ipBlock: {cidr: 10.0.0.0/8}\n")
    loaded = load_paths([str(path)])
    cluster = build_cluster(loaded.objects)
    peer = cluster.policies[0].ingress[0].peers[0]
    block_span = peer.ip_block.source.span_of("cidr")
    # 8 spaces, "- ipBlock: {cidr: " is 18 characters: the value starts at column 27
    assert (block_span.line, block_span.column) == (10, 27)
    assert peer.source.field_path == "spec.ingress[0].from[0]"


def test_syntax_error_in_one_file_keeps_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(POLICY.format(name="a", namespace="x"))
    (tmp_path / "b.yaml").write_text("kind: NetworkPolicy\nmetadata: [unclosed\n")
    (tmp_path / "c.yaml").write_text(POLICY.format(name="c", namespace="x"))
    ids, loaded = policy_ids([tmp_path])
    assert ids == ["x/a", "x/c"]
    assert [(Path(p.span.path).name, p.kind, p.span.line) for p in loaded.problems] == [("b.yaml", "syntax", 3)]


def test_missing_path_is_reported_not_raised(tmp_path: Path) -> None:
    _, loaded = policy_ids([tmp_path / "nope.yaml"])
    assert loaded.missing == [str(tmp_path / "nope.yaml")]


def test_undeclared_namespaces_are_synthesised_with_their_name_label(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY.format(name="p", namespace="x") + "---\napiVersion: v1\nkind: Namespace\n"
                                     "metadata: {name: \"y\", labels: {team: a}}\n---\napiVersion: v1\nkind: Pod\n"
                                     "metadata: {name: orphan}\n")
    cluster = build_cluster(load_paths([str(tmp_path)]).objects)
    assert {n: (dict(ns.labels), ns.declared) for n, ns in cluster.namespaces.items()} == {
        "default": ({"kubernetes.io/metadata.name": "default"}, False),
        "x": ({"kubernetes.io/metadata.name": "x"}, False),
        "y": ({"kubernetes.io/metadata.name": "y", "team": "a"}, True),
    }
    other = build_cluster(load_paths([str(tmp_path)]).objects, default_namespace="ops")
    assert [w.id for w in other.workloads] == ["ops/orphan"]
