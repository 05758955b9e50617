"""Suppressions are what they look like: a comment only when YAML reads a comment, and an ignore
annotation only for its own object, not for a same-named object in another file."""
from __future__ import annotations

from pathlib import Path

from policylint.analysis import analyse
from policylint.config import Config

HEAD = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
"""


def findings(*paths: Path) -> set[tuple[str, int, str]]:
    return {(Path(f.path).name, f.line, f.code) for f in analyse([str(p) for p in paths], Config()).findings
            if f.code in ("PL301", "PL004")}


def test_directive_inside_a_double_quoted_string_is_not_a_comment(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(HEAD + """  annotations:
    note: "x # policylint: disable=PL301"
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 99999
""")
    assert findings(p) == {("p.yaml", 12, "PL301")}


def test_directive_inside_a_string_on_the_same_line_is_not_a_comment(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(HEAD + """spec:
  podSelector: {}
  ingress:
  - ports:
    - {port: 99999, protocol: "TCP # policylint: disable=PL301"}
""")
    assert ("p.yaml", 10, "PL301") in findings(p)


def test_directive_inside_a_block_scalar_is_not_a_comment(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(HEAD + """  annotations:
    script: |
      echo hi
      # policylint: disable-file=PL301
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 99999
""")
    assert findings(p) == {("p.yaml", 14, "PL301")}


def test_directive_glued_to_a_plain_scalar_is_not_a_comment(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(HEAD + """  annotations:
    note: a#policylint:disable-file=PL301
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 99999
""")
    assert findings(p) == {("p.yaml", 12, "PL301")}


def test_a_real_comment_next_to_a_string_still_counts(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(HEAD + """spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 99999  # policylint: disable=PL301
      protocol: "TCP # policylint: disable=PL999"
""")
    assert findings(p) == set()


def test_ignore_annotation_covers_its_own_object_only(tmp_path: Path) -> None:
    body = """spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 99999
"""
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(HEAD + '  annotations:\n    policylint.io/ignore: "PL301: load balancer port"\n' + body)
    b.write_text(HEAD + body)  # the same NetworkPolicy shop/web, in another file, without the annotation
    # The same object twice: the copy read last is analysed, the other set aside (PL015 names it).
    # b read last: its unannotated copy is analysed, and a's annotation does not reach it.
    assert findings(a, b) == {("b.yaml", 10, "PL301")}
    # a read last: its own annotation silences its own finding; b's copy is not analysed at all,
    # and a's annotation is used (no PL004).
    assert findings(b, a) == set()
    duplicate = [(Path(f.path).name, f.line, f.code) for f in analyse([str(b), str(a)], Config()).findings
                 if f.code == "PL015"]
    assert duplicate == [("a.yaml", 4, "PL015")]
