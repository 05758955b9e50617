"""What `matrix` and `reach` share: the engine built from the command's inputs, and endpoint
arguments (--from, --to) resolved on it, with usage errors that name close matches."""
from __future__ import annotations

from typing import Iterable

import click

from policylint.cli.common import check_missing, fail, require_paths, resolve_config, setup_logging, stdin_binary


def load_engine(paths: tuple[str, ...], config_path: str | None, default_namespace: str | None, debug: bool):
    """Load, model and compile; input problems are reported on stderr and do not stop the answer."""
    from policylint.pipeline import load_and_model
    from policylint.engine import Engine

    setup_logging(debug)
    require_paths(paths)
    config = resolve_config(config_path, default_namespace)
    loaded, cluster = load_and_model(paths, config, stdin_binary())
    check_missing(loaded.missing, len(loaded.files), loaded.excluded)
    problems = len(loaded.problems) + len(cluster.issues)
    if problems:
        click.echo(f"policylint: warning: the input has {problems} problem{'s' if problems != 1 else ''} "
                   "(run `policylint check`); parts the API server would reject match nothing", err=True)
    from policylint.caveats import caveat_text

    click.echo(caveat_text(cluster), err=True, nl=False)  # policy kinds the answers ignore, never silently
    return Engine(cluster)


def with_described(engine, option_texts: dict[str, list[str]]) -> tuple[object, dict[str, list[str]]]:
    """Pods described on the command line (`ns:team=a/pod:app=b`, policylint.exposure.described)
    added to a copy of the input, with the engine rebuilt on it once; each such text is replaced
    by the new pod's endpoint id. Without any, the engine and texts as they were."""
    from policylint.exposure.described import add_described, is_described, parse_described

    if not any(is_described(t) for texts in option_texts.values() for t in texts):
        return engine, option_texts
    cluster = engine.cluster
    replaced: dict[str, list[str]] = {}
    for option, texts in option_texts.items():
        replaced[option] = []
        for text in texts:
            if not is_described(text):
                replaced[option].append(text)
                continue
            try:
                cluster, endpoint_id = add_described(cluster, parse_described(text))
            except ValueError as error:
                fail(f"{option} {text!r}: {error}")
            click.echo(f"policylint: {option} {text}: a pod the input does not contain, added as {endpoint_id}", err=True)
            replaced[option].append(endpoint_id)
    from policylint.engine import Engine

    return Engine(cluster), replaced


def select_endpoints(engine, texts: Iterable[str], option: str) -> list:
    """Resolve --from/--to values (sorted, each once); an unknown one is a usage error."""
    found = []
    for text in texts:
        for match in resolve_endpoint(engine, text, option):
            if match not in found:
                found.append(match)
    return sorted(found)


def resolve_endpoint(engine, text: str, option: str) -> list:
    """The endpoints one --from/--to value names; none is a usage error naming close matches."""
    matches = engine.resolve(text)
    if not matches:
        fail(unknown_endpoint_message(engine, text, option))
    return matches


def unknown_endpoint_message(engine, text: str, option: str) -> str:
    import difflib

    service = engine.service(text)
    if service is not None:
        why = ("it has no selector, so its endpoints are not managed from pods" if not service.selects_pods
               else f"no workload of namespace {service.namespace} has the labels of its selector")
        return f"{option} {text!r}: the Service selects no pods in the input ({why})"
    names = [e.id for e in engine.endpoints]
    names += sorted({f"{e.namespace}/{e.name}" for e in engine.endpoints if not e.is_external})
    names += sorted(s.id for s in engine.cluster.services)
    close = difflib.get_close_matches(text, names, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return (f"{option} {text!r} matches no endpoint (a workload id, namespace/name, namespace/name[Service], "
            f"or an IP address or CIDR){hint}")
