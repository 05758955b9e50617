"""`policylint matrix`: who may connect to whom, on which ports (the work is in policylint.matrix)."""
from __future__ import annotations

import sys

import click

from policylint.cli.common import EXIT_OK, config_options, fail, paths_argument
from policylint.cli.engine_input import load_engine, select_endpoints
from policylint.matrix import EXPOSURE_FORMATS, FORMATS, GROUP_FORMATS


@click.command()
@paths_argument
@click.option("--format", "-f", "output_format", type=click.Choice((*FORMATS, "html")), default="text", show_default=True,
              help="Output format; json follows the policylint.matrix/v1 schema (with --aggregate namespace, "
                   "the policylint.matrix-summary/v1 schema).")
@click.option("--from", "from_", multiple=True, metavar="ENDPOINT",
              help="Only connections from these endpoints (id, namespace/name, NS/* for a whole namespace, "
                   "IP or CIDR; repeatable).")
@click.option("--to", multiple=True, metavar="ENDPOINT", help="Only connections to these endpoints (repeatable).")
@click.option("--port", metavar="[PROTO/]N", help="Only pairs allowed on this port (TCP/80, udp/53, or 80 for any protocol).")
@click.option("--aggregate", type=click.Choice(["workload", "namespace", "group"]), default="workload", show_default=True,
              help="namespace: one line per pair of namespaces instead of per pair of endpoints; each line says "
                   "how many endpoint pairs it stands for and the union of their ports. group (graphml, gexf; "
                   "the whole cluster): nodes are groups of endpoints no connection tells apart, and a "
                   "connection is group -> sources hub -> destinations hub -> group, the ports on the middle "
                   "edge, so the file stays small where one edge per pair would not.")
@click.option("--exposure", is_flag=True,
              help="Also list what each workload allows to and from peers the input does not contain (pods of "
                   "other or new namespaces, addresses), described by what they would have to be. With --from, "
                   "only what those endpoints may reach; with --to, only who may reach them; --port and "
                   "--namespace filter the claims too (text, json and markdown).")
@config_options
def matrix(paths: tuple[str, ...], output_format: str, from_: tuple[str, ...], to: tuple[str, ...], port: str | None,
           aggregate: str, exposure: bool, config_path: str | None, default_namespace: str | None, debug: bool) -> None:
    """Print the connectivity matrix of PATH… (files, folders, - for stdin).

    With --namespace NS, objects without a namespace go to NS (as for `check`) and only
    connections from or to a workload of NS are shown. A pair that is not listed has nothing
    allowed; a line marked "!" rests on a policy with parts the API server would reject.
    Output is written as it is computed: memory does not grow with the number of pairs.
    """
    from policylint.engine.ports import parse_port_filter
    from policylint.matrix import write
    from policylint.matrix.output import Output
    from policylint.matrix.view import MatrixView, shown_endpoints

    try:
        port_filter = parse_port_filter(port) if port else None
    except ValueError as error:
        fail(str(error))
        return
    if output_format == "html" and (from_ or to or port or aggregate != "workload" or default_namespace):
        fail("--format html shows the whole matrix (it aggregates and filters in the page); "
             "drop --from, --to, --port, --aggregate and --namespace")
    if exposure and (output_format not in EXPOSURE_FORMATS or aggregate != "workload"):
        fail(f"--exposure works with --format {', '.join(EXPOSURE_FORMATS)} and --aggregate workload")
    if aggregate == "group" and output_format not in GROUP_FORMATS:
        fail(f"--aggregate group is written as a graph: use --format {' or '.join(GROUP_FORMATS)}")
    if aggregate == "group" and (from_ or to or port or default_namespace):
        fail("--aggregate group exports the whole cluster: drop --from, --to, --port and --namespace")
    engine = load_engine(paths, config_path, default_namespace, debug)
    if output_format == "html":  # one self-contained page (policylint.report.html), not a streamed table
        from policylint import __version__
        from policylint.report.html import render_matrix

        click.echo(render_matrix(engine, __version__), nl=False)
        sys.exit(EXIT_OK)
    sources = select_endpoints(engine, from_, "--from") if from_ else None
    destinations = select_endpoints(engine, to, "--to") if to else None
    endpoints = shown_endpoints(engine, sources, destinations, default_namespace)
    view = MatrixView(engine, sources, destinations, default_namespace, port_filter)
    if aggregate == "group" and view.may_have_unknown():
        fail("--aggregate group shows what is allowed, and this input has cluster-wide rules whose peers "
             "cannot be judged offline (nodes, domainNames, networks): use --aggregate workload or namespace, "
             "which list those ports apart")
    claims = None
    if exposure:
        from policylint.exposure.focus import focused_claims

        claims = focused_claims(engine, sources, destinations, default_namespace, port_filter)
    out = Output()
    write(out, view, endpoints, output_format, aggregate, claims)
    out.close()
    sys.exit(EXIT_OK)
