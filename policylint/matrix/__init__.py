"""`policylint matrix`: who may connect to whom, on which ports.

The JSON output is a contract (docs/architecture.md, "Endpoints and the connectivity
contract"; schema `policylint/schemas/matrix-v1.schema.json`): sorted, byte-for-byte
deterministic. The other formats are for people: a text table, CSV (one row per pair), Markdown
for a review, DOT for Graphviz, GraphML and GEXF for yEd, Gephi and networkx.

- `view` — the engine's matrix with the command's filters applied, one source row at a time
- `aggregate` — one `Row` per pair of namespaces (`--aggregate namespace`); `--aggregate group`
  writes the networkx graph of policylint.graph.build (GraphML and GEXF)
- `output` — buffered writes
- `labels` — port texts and notes shared by the human formats
- `render_*` — one module per format: `write_pairs` streams one line per endpoint pair,
  `render_rows` (or `write_summary` for JSON) writes aggregated rows, and the aggregated ports
  that cannot be judged offline apart from them
"""
from __future__ import annotations

import importlib
from typing import Any

FORMATS: dict[str, str] = {"text": "render_text", "json": "render_json", "csv": "render_csv",
                           "dot": "render_dot", "markdown": "render_markdown", "graphml": "render_graphml",
                           "gexf": "render_gexf"}


def renderer(name: str) -> Any:
    """The module that writes format `name`."""
    return importlib.import_module(f"policylint.matrix.{FORMATS[name]}")


EXPOSURE_FORMATS = ("text", "json", "markdown")
GROUP_FORMATS = ("graphml", "gexf")  # --aggregate group: a graph with hub nodes, for graph tools


def write(out: Any, view: Any, endpoints: list, output_format: str, aggregate: str,
          exposure: list | None = None) -> None:
    """The whole matrix in `output_format`, per endpoint pair, aggregated by namespace, or as the
    graph of groups of interchangeable endpoints (GROUP_FORMATS); with
    `exposure` (claims, policylint.exposure), those after the pairs (text, markdown) or as the
    document's `exposure` field (json)."""
    module = renderer(output_format)
    if aggregate == "group":
        module.write_groups(out, view)
        return
    if aggregate != "namespace":
        if exposure is not None and output_format == "json":
            module.write_pairs(out, view, endpoints, exposure)
            return
        module.write_pairs(out, view, endpoints)
        if exposure is not None:
            from policylint.exposure import render

            out.write(("\n" + render.text_lines(exposure)) if output_format == "text" else render.markdown_lines(exposure))
        return
    from policylint.matrix.aggregate import aggregate_rows, aggregate_unknown_rows

    rows = aggregate_rows(view)
    # None: the input has no cluster-wide rule that cannot be judged offline, and every format
    # stays as it was; a list (maybe empty): such rules exist, and the formats say so.
    unknown = aggregate_unknown_rows(view) if view.may_have_unknown() else None
    if output_format == "json":
        module.write_summary(out, view, rows, unknown)
    else:
        out.write(module.render_rows(rows, endpoints, aggregate, unknown))


__all__ = ["EXPOSURE_FORMATS", "FORMATS", "GROUP_FORMATS", "renderer", "write"]
