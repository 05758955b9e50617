"""GraphML for yEd, Gephi and networkx (written by policylint/graph/export.py)."""
from __future__ import annotations

from policylint.graph.export import GraphML, render_rows as _render_rows, write_endpoints, write_groups as _write_groups
from policylint.matrix.aggregate import EXTERNAL_GROUP, Row, group_of
from policylint.matrix.view import MatrixView


def write_pairs(out, view: MatrixView, endpoints: list) -> None:
    write_endpoints(GraphML(), out.write, view, endpoints)


def write_groups(out, view: MatrixView) -> None:
    from policylint.graph.build import build_graph

    _write_groups(GraphML(), out.write, build_graph(view.engine))


def render_rows(rows: list[Row], endpoints: list, aggregate: str, unknown: list[Row] | None = None) -> str:
    groups = dict.fromkeys(sorted({group_of(e) for e in endpoints}, key=lambda g: (g == EXTERNAL_GROUP, g)))
    groups.update(dict.fromkeys(name for r in [*rows, *(unknown or [])] for name in (r.src, r.dst)))
    return _render_rows(GraphML(), rows, list(groups), unknown)
