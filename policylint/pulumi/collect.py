"""Resources a program registered → positioned objects, component files and problems for the loader.

- A Kubernetes resource (`kubernetes:<group>/<version>:<Kind>`, or a `CustomResource` of any
  API) becomes a `RawObject` whose spans point into the program.
- `ConfigFile` / `ConfigGroup` (pulumi_kubernetes.yaml, v1 and v2): local files are read by
  policylint's own loader, so positions point into those YAML files; inline YAML text and `objs`
  are read in place. A URL would be fetched at deployment: not analysed.
- Helm charts and releases, kustomizations and server-side-apply patches are reported as not
  analysed (rendering a chart needs `helm`; a patch changes an object that is not in the input).
"""
from __future__ import annotations

import ast
import glob
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from policylint import lazy_log
from policylint.load import LoadResult, load_paths
from policylint.load.inputs import LoadedFile
from policylint.load.nodes import Span, YMap, YSeq
from policylint.load.objects import split_objects
from policylint.load.yaml_reader import Document, Limits, LoadProblem, parse_text
from policylint.pulumi import FAILED, NOT_ANALYSED, UNKNOWN, PulumiInputs
from policylint.pulumi.manifests import UnknownField, build
from policylint.pulumi.positions import FileCache, Located, ParsedFile, child, resource_root
from policylint.pulumi.program import (INSTALL_HINT, Program, ProgramError, RunResult, find_program, run_program,
                                      sdk_available, timeout_from_env)

LOG = lazy_log.get_logger(__name__)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_YAML_MODULES = ("yaml", "yaml/v2")
_CONFIG_FILE_TYPES = ("ConfigFile",)
_CONFIG_GROUP_TYPES = ("ConfigGroup",)


@dataclass(frozen=True, slots=True)
class UnknownValueProblem(LoadProblem):
    """A field whose value only a deployment knows; `field_path` within its object."""

    field_path: str = ""


def collect_programs(inputs: PulumiInputs, loaded: LoadResult, limits: Limits) -> None:
    if not sdk_available():
        raise ProgramError(f"--pulumi needs the Pulumi SDK (pulumi, pulumi-kubernetes): {INSTALL_HINT}")
    timeout = inputs.timeout if inputs.timeout is not None else timeout_from_env()
    programs = [find_program(directory) for directory in inputs.dirs]  # usage errors before any run
    # Each program waits on its own child process: run them side by side.
    with ThreadPoolExecutor(max_workers=min(4, len(programs) or 1)) as pool:
        results = list(pool.map(lambda program: _run_logged(program, timeout), programs))
    for program, result in zip(programs, results):
        _collect(program, result, loaded, limits)


def _run_logged(program: Program, timeout: float) -> RunResult:
    result = run_program(program, timeout)
    LOG.debug("pulumi program %s: %d resources in %.2f s", program.directory, len(result.resources), result.seconds)
    return result


def _collect(program: Program, result: RunResult, loaded: LoadResult, limits: Limits) -> None:
    files = FileCache()
    main = files.get(program.main_file, program.display_path(program.main_file))
    problems: list[LoadProblem] = []
    yaml_paths: list[str] = []
    namespaces = _provider_namespaces(result.resources)
    for index, record in enumerate(result.resources):
        _with_provider_namespace(record, namespaces)
        _resource(program, record, index, files, loaded, problems, yaml_paths, limits)
    for invoke in result.invokes:
        _data_source(program, invoke, files, problems)
    if result.failure is not None:
        failure = result.failure
        parsed = files.get(failure.file, program.display_path(failure.file))
        problems.append(LoadProblem(FAILED, _line_span(parsed, failure.line), failure.message))
    for path in dict.fromkeys(yaml_paths):  # once each, in order
        extra = load_paths([path], limits)
        loaded.files.extend(f for f in extra.files if f.path not in {g.path for g in loaded.files})
        loaded.objects.extend(extra.objects)
        loaded.problems.extend(extra.problems)
    for parsed in [main, *[p for p in files if p is not main]]:
        loaded.files.append(_loaded_file(parsed))
    loaded.problems.extend(problems)


def _provider_namespaces(records: list[dict[str, Any]]) -> dict[str, str]:
    """Kubernetes providers created with `namespace=…`: name → the namespace they default to."""
    found = {}
    for record in records:
        namespace = (record.get("inputs") or {}).get("namespace")
        if record.get("type") == "pulumi:providers:kubernetes" and isinstance(namespace, str) and namespace:
            found[str(record.get("name"))] = namespace
    return found


def _with_provider_namespace(record: dict[str, Any], namespaces: dict[str, str]) -> None:
    """An object without `metadata.namespace` goes to its provider's namespace, as pulumi-kubernetes does."""
    reference = str(record.get("provider") or "")
    # A provider reference is "<urn>::<id>"; the URN ends with "pulumi:providers:kubernetes::<name>".
    match = re.search(r"pulumi:providers:kubernetes::([^:]+)::", reference)
    inputs = record.get("inputs")
    if not match or match.group(1) not in namespaces or not isinstance(inputs, dict) or inputs.get("kind") == "Namespace":
        return
    metadata = inputs.get("metadata")
    if isinstance(metadata, dict) and not metadata.get("namespace"):
        metadata["namespace"] = namespaces[match.group(1)]


def _line_span(parsed: ParsedFile, line: int) -> Span:
    """The whole text of a line (without its indentation): what a failure points at."""
    if 1 <= line <= len(parsed.lines):
        text = parsed.lines[line - 1].decode("utf-8", "replace")
        stripped = text.strip()
        if stripped:
            start = len(text) - len(text.lstrip()) + 1
            return Span(parsed.path, line, start, line, start + len(stripped))
    return Span(parsed.path, max(line, 1), 1, max(line, 1), 1)


def _loaded_file(parsed: ParsedFile) -> LoadedFile:
    """The program file as an input: counted, and its `# policylint: disable=…` comments honoured."""
    directives = {}
    for number, raw in enumerate(parsed.lines, start=1):
        if b"policylint:" in raw:
            directives[number] = raw.decode("utf-8", "replace")
    return LoadedFile(parsed.path, directive_lines=directives)


def _resource(program: Program, record: dict[str, Any], index: int, files: FileCache, loaded: LoadResult,
              problems: list[LoadProblem], yaml_paths: list[str], limits: Limits) -> None:
    token = str(record.get("type", ""))
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes":
        return  # the Pulumi stack, providers, other clouds' resources
    _, module, type_name = parts
    parsed, root = _where(program, record, files)
    name = record.get("name", "")
    if module in _YAML_MODULES:
        _config_component(program, record, type_name, parsed, root, problems, yaml_paths, loaded, limits)
    elif module.startswith("helm.sh/"):
        what = "Helm release" if type_name == "Release" else "Helm chart"
        problems.append(LoadProblem(NOT_ANALYSED, root.value_span,
                                    f"{what} {name!r} not analysed: rendering it needs helm; lint its `helm template` output"))
    elif module.startswith("kustomize"):
        problems.append(LoadProblem(NOT_ANALYSED, root.value_span,
                                    f"kustomization {name!r} not analysed: lint its `kubectl kustomize` output"))
    elif type_name.endswith("Patch"):
        problems.append(LoadProblem(NOT_ANALYSED, root.value_span,
                                    f"{type_name} {name!r} not analysed: a patch changes an object that is not in the input"))
    elif record.get("custom"):
        _manifest(record.get("inputs") or {}, parsed, root, index, loaded, problems)


def _data_source(program: Program, invoke: dict[str, Any], files: FileCache, problems: list[LoadProblem]) -> None:
    """A provider function (`aws.ec2.get_vpc(…)`) returns nothing under mocks: say so where it is called."""
    token = str(invoke.get("token", ""))
    if token.startswith("kubernetes:"):
        return  # YAML decoding, chart and kustomize rendering: reported with their components
    _, where = _where(program, invoke, files)
    problems.append(UnknownValueProblem(
        UNKNOWN, where.value_span, f"data source {token!r} is not called offline: values the program takes from it are missing"))


def _where(program: Program, record: dict[str, Any], files: FileCache) -> tuple[ParsedFile, Located]:
    site = record.get("site")
    if site and isinstance(site, list) and len(site) == 5:
        parsed = files.get(site[0], program.display_path(site[0]))
        call = parsed.call_at(*site[1:])
        return parsed, resource_root(parsed, call, parsed.line_span(site[1]))
    # Created outside the program's own files (by a library): its main file, first line.
    parsed = files.get(program.main_file, program.display_path(program.main_file))
    return parsed, Located(None, parsed.line_span(1), parsed.line_span(1))


def _manifest(inputs: Any, parsed: ParsedFile, where: Located, index: int, loaded: LoadResult,
              problems: list[LoadProblem]) -> None:
    unknowns: list[UnknownField] = []
    root = build(inputs, parsed, where, "", unknowns)
    for unknown in unknowns:
        field = unknown.field_path or "the object"
        problems.append(UnknownValueProblem(
            UNKNOWN, unknown.span, f"`{field}` is {unknown.reason}: not analysed", unknown.field_path))
    objects, shape_problems = split_objects([Document(parsed.path, index, root, where.value_span)])
    loaded.objects.extend(objects)
    loaded.problems.extend(shape_problems)


def _config_component(program: Program, record: dict[str, Any], type_name: str, parsed: ParsedFile, root: Located,
                      problems: list[LoadProblem], yaml_paths: list[str], loaded: LoadResult, limits: Limits) -> None:
    inputs = record.get("inputs") or {}
    arguments = record.get("arguments") or {}
    values = {**inputs, **{k: v for k, v in arguments.items() if v is not None}}
    if type_name in _CONFIG_FILE_TYPES:
        file = values.get("file") or values.get("file_id")
        patterns = [file] if isinstance(file, str) else []
        key = "file"
    elif type_name in _CONFIG_GROUP_TYPES:
        files_value = values.get("files")
        patterns = [f for f in files_value if isinstance(f, str)] if isinstance(files_value, list) else []
        if record.get("arguments") is not None:
            patterns = []  # the v1 ConfigGroup creates one ConfigFile per file: each is seen on its own
        key = "files"
        _inline_yaml(values.get("yaml"), parsed, child(parsed, root, "yaml"), loaded, limits)
        objs = inputs.get("objs")
        if isinstance(objs, list):
            _manifests_in_list(objs, parsed, child(parsed, root, "objs"), loaded, problems)
    else:
        return
    for pattern in patterns:
        where = child(parsed, root, key).value_span
        if _URL.match(pattern):
            problems.append(LoadProblem(NOT_ANALYSED, where, f"{pattern} is fetched at deployment: not analysed"))
            continue
        absolute = os.path.join(program.workdir, pattern)
        matches = sorted(glob.glob(absolute)) if glob.has_magic(pattern) else [absolute]
        matches = [m for m in matches if os.path.isfile(m)]
        if not matches:
            problems.append(LoadProblem(FAILED, where, f"{type_name} file {pattern!r} does not exist: the deployment would fail"))
        yaml_paths.extend(program.display_path(os.path.realpath(m)) for m in matches)


def _manifests_in_list(objs: list[Any], parsed: ParsedFile, where: Located, loaded: LoadResult,
                       problems: list[LoadProblem]) -> None:
    for index, obj in enumerate(objs):
        _manifest(obj, parsed, child(parsed, where, index), index, loaded, problems)


def _inline_yaml(value: Any, parsed: ParsedFile, where: Located, loaded: LoadResult, limits: Limits) -> None:
    """YAML text written in the program: parsed in place, lines mapped into the Python file when
    the text is a string literal written over several lines (a triple-quoted string)."""
    texts: list[tuple[str, Located]] = []
    if isinstance(value, str):
        texts = [(value, where)]
    elif isinstance(value, list):
        texts = [(v, child(parsed, where, i)) for i, v in enumerate(value) if isinstance(v, str)]
    for text, located in texts:
        result = parse_text(text, parsed.path, limits)
        shift = _line_shift(text, located)
        for document in result.documents:
            _rebase(document.root, shift, located.value_span)
        documents = [Document(d.path, d.index, d.root, _moved(d.span, shift, located.value_span)) for d in result.documents]
        objects, problems = split_objects(documents)
        loaded.objects.extend(objects)
        loaded.problems.extend(LoadProblem(p.kind, _moved(p.span, shift, located.value_span), p.message)
                               for p in [*result.problems, *problems])


def _line_shift(text: str, located: Located) -> int | None:
    """Line offset from the text to the file, or None when lines do not correspond."""
    node = located.node
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    written = located.value_span.end_line - located.value_span.line
    return located.value_span.line - 1 if written == text.count("\n") else None


def _moved(span: Span, shift: int | None, fallback: Span) -> Span:
    if shift is None:
        return fallback
    return Span(fallback.path, span.line + shift, span.column, span.end_line + shift, span.end_column)


def _rebase(node: Any, shift: int | None, fallback: Span) -> None:
    if isinstance(node, YMap):
        node.span = _moved(node.span, shift, fallback)
        node.key_spans = {k: _moved(s, shift, fallback) for k, s in node.key_spans.items()}
        node.value_spans = {k: _moved(s, shift, fallback) for k, s in node.value_spans.items()}
        for value in node.values():
            _rebase(value, shift, fallback)
    elif isinstance(node, YSeq):
        node.span = _moved(node.span, shift, fallback)
        node.item_spans = [_moved(s, shift, fallback) for s in node.item_spans]
        for value in node:
            _rebase(value, shift, fallback)
