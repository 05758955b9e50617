"""`policylint matrix` writes its output row by row from the engine's cells; these tests hold it
to the straightforward rendering of the full pair list (`Engine.matrix()`, one Row per pair),
byte for byte, on random clusters (with invalid parts, shared classes and named ports) and on the
fixtures, for every format, aggregation and filter."""
from __future__ import annotations

import json
import pathlib
import tempfile

import jsonschema
from click.testing import CliRunner
from hypothesis import given, settings

from policylint.cli.main import cli
from policylint.engine import Engine
from policylint.matrix import aggregate as matrix_aggregate, render_csv, render_dot, render_json, render_markdown, render_text
from policylint.matrix import write as write_matrix
from policylint.matrix.view import MatrixView, port_allows, shown_endpoints
from tests.strategies import GenCluster, clusters, cluster_from_text

REPO = pathlib.Path(__file__).resolve().parent.parent
SUMMARY_SCHEMA = json.loads((REPO / "policylint" / "schemas" / "matrix-summary-v1.schema.json").read_text())
FORMATS = ["json", "text", "csv", "markdown", "dot"]


def pair_rows(engine, pairs, aggregate: str) -> list:
    """The pair list grouped the plain way: one Row per pair, or per namespace pair."""
    Row, external = matrix_aggregate.Row, matrix_aggregate.EXTERNAL_GROUP
    if aggregate == "workload":
        return [Row(s.id, d.id, p, engine.depends_on_invalid(s, d), 1) for s, d, p in pairs]
    groups: dict = {}
    for s, d, p in pairs:
        key = (s.namespace or external, d.namespace or external)
        known = groups.get(key)
        invalid = engine.depends_on_invalid(s, d)
        groups[key] = Row(key[0], key[1], p, invalid, 1) if known is None else \
            Row(key[0], key[1], known.ports | p, known.invalid or invalid, known.pairs + 1)
    return [groups[k] for k in sorted(groups, key=lambda k: (k[0] == external, k[0], k[1] == external, k[1]))]


def pair_json(engine, endpoints, pairs) -> str:
    dumps = render_json.dumps
    lines = ["{", f'  "schema": {dumps(render_json.SCHEMA)},', '  "endpoints": [']
    lines += [f"    {dumps(render_json.endpoint_json(e))}," for e in endpoints]
    if endpoints:
        lines[-1] = lines[-1][:-1]
    lines += ["  ],", '  "connections": [']
    for s, d, ports in pairs:
        invalid = ', "depends_on_invalid": true' if engine.depends_on_invalid(s, d) else ""
        lines.append(f'    {{"from": {dumps(s.id)}, "to": {dumps(d.id)}, "ports": {dumps(ports.to_json())}{invalid}}},')
    if pairs:
        lines[-1] = lines[-1][:-1]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def expected(engine, fmt: str, aggregate: str, sources=None, destinations=None, namespace=None, port=None) -> str:
    pairs = [(s, d, p) for s, d, p in engine.matrix(sources=sources, destinations=destinations)
             if (not namespace or namespace in (s.namespace, d.namespace))
             and (port is None or port_allows(p, *port))]
    endpoints = shown_endpoints(engine, sources, destinations, namespace)
    if fmt == "json" and aggregate == "workload":
        return pair_json(engine, endpoints, pairs)
    rows = pair_rows(engine, pairs, aggregate)
    if fmt == "json":
        return None  # checked by schema and totals
    render = {"text": render_text.render_rows, "csv": render_csv.render_rows,
              "markdown": render_markdown.render_rows, "dot": render_dot.render_rows}[fmt]
    return render(rows, endpoints, aggregate)


def run_cli(path: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["matrix", path, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


class _Capture:
    """An Output that keeps what is written."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)


def run_in_process(engine: Engine, fmt: str, aggregate: str, sources=None, destinations=None, namespace=None,
                   port=None) -> str:
    """What `policylint matrix` writes, from an engine already built: the command's own view and
    renderers, without loading the input again for each format and filter."""
    out = _Capture()
    view = MatrixView(engine, sources, destinations, namespace, port)
    write_matrix(out, view, shown_endpoints(engine, sources, destinations, namespace), fmt, aggregate)
    return "".join(out.parts)


def check_all(text: str, engine: Engine, via_cli: bool = True) -> None:
    """Every format, aggregation and filter against the pair-list rendering. Through the command
    line for the fixtures; in process for the random clusters (the same code after loading, and
    a fortieth of the time)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(pathlib.Path(tmp) / "cluster.yaml")
        pathlib.Path(path).write_text(text, encoding="utf-8")
        workloads = [e for e in engine.endpoints if not e.is_external]
        variants: list[tuple[list[str], dict]] = [([], {})]
        if workloads:
            first, last = workloads[0], workloads[-1]
            variants += [
                (["--from", first.id], {"sources": [first]}),
                (["--to", last.id], {"destinations": [last]}),
                (["--port", "TCP/80"], {"port": ("TCP", 80)}),
                (["--port", "53"], {"port": (None, 53)}),
            ]
            namespace = first.namespace
            variants.append((["--namespace", namespace], {"namespace": namespace}))
        for args, kwargs in variants:
            for aggregate in ("workload", "namespace"):
                for fmt in FORMATS:
                    got = run_cli(path, "--format", fmt, "--aggregate", aggregate, *args) if via_cli else \
                        run_in_process(engine, fmt, aggregate, **kwargs)
                    want = expected(engine, fmt, aggregate, **kwargs)
                    if want is not None:
                        assert got == want, (fmt, aggregate, args, text)
                    else:
                        document = json.loads(got)
                        jsonschema.validate(document, SUMMARY_SCHEMA)
                        rows = pair_rows(engine, [
                            (s, d, p) for s, d, p in engine.matrix(sources=kwargs.get("sources"),
                                                                    destinations=kwargs.get("destinations"))
                            if (not kwargs.get("namespace") or kwargs["namespace"] in (s.namespace, d.namespace))
                            and ("port" not in kwargs or port_allows(p, *kwargs["port"]))], "namespace")
                        assert [(c["from"], c["to"], c["pairs"], c["ports"], c.get("depends_on_invalid", False))
                                for c in document["connections"]] == \
                            [(r.src, r.dst, r.pairs, r.ports.to_json(), r.invalid) for r in rows]
                        assert document["pairs"] == sum(r.pairs for r in rows)


@settings(max_examples=25, deadline=None)
@given(clusters())
def test_streamed_output_equals_the_pair_list_rendering(gen: GenCluster) -> None:
    text = gen.text()
    check_all(text, Engine(cluster_from_text(text, "cluster.yaml")), via_cli=False)


def test_fixtures_stream_the_same_as_the_pair_list(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    for name in ("shop", "invalid", "ml"):
        folder = REPO / "fixtures" / "engine" / name
        text = "\n---\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.yaml")))
        check_all(text, Engine(cluster_from_text(text, "cluster.yaml")))


def test_namespace_wildcard_selects_a_whole_namespace(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    out = run_cli("fixtures/engine/shop", "--format", "json", "--from", "shop/*")
    sources = {c["from"] for c in json.loads(out)["connections"]}
    assert sources == {"shop/api", "shop/db", "shop/web"}
