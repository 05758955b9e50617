"""Render one Helm chart with `helm template` and point its objects back at the templates.

`helm template` prints every rendered template after a `# Source: <chart>/templates/x.yaml`
line (`<chart>/charts/<sub>/templates/...` for a subchart). Each rendered document is mapped
to its template by lines (see respan.py): a line that appears as such in the template points
at it exactly; a line made of values filled in points at the nearest exact line above it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from policylint.load.nodes import Span
from policylint.load.objects import RawObject, split_objects
from policylint.load.render.respan import line_map, rewrite
from policylint.load.render.sources import Chart
from policylint.load.render.tools import Renderer, run
from policylint.load.yaml_reader import Limits, LoadProblem, parse_text

RELEASE = "release"  # the release name `helm template` is given: charts name objects after it
_SOURCE = re.compile(r"^# Source: (?P<path>\S.*?)\s*$")
_MISSING_DEPENDENCIES = ("missing in charts/", "dependencies are missing", "found in Chart.yaml, but missing")


@dataclass(slots=True)
class Rendered:
    objects: list[RawObject] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    error: str = ""
    not_rendered: str = ""  # a reason the chart could not be rendered that is no defect of it


def render(chart: Chart, renderer: Renderer, values: tuple[str, ...], timeout: float, limits: Limits) -> Rendered:
    argv = [*renderer.argv, RELEASE, chart.folder]
    for name in values:
        path = os.path.join(chart.folder, name)
        if os.path.isfile(path):
            argv += ["--values", path]
    outcome = run(argv, timeout, limits.max_file_bytes, cwd=chart.folder)
    result = Rendered()
    if outcome.output is None:
        message = outcome.error.replace(os.path.realpath(os.getcwd()) + os.sep, "")
        if outcome.timed_out:
            result.not_rendered = message
        elif any(marker in message for marker in _MISSING_DEPENDENCIES):
            result.not_rendered = f"its dependencies are not in charts/ (run `helm dependency build`): {message}"
        else:
            result.error = message
        return result
    _read(outcome.output, chart, limits, result)
    return result


def _read(output: str, chart: Chart, limits: Limits, result: Rendered) -> None:
    at_chart = Span(chart.display, 1, 1, 1, 1)
    lines = output.split("\n")
    sources = _source_lines(lines)
    parsed = parse_text(output, f"{chart.display} (rendered)", limits)
    for problem in parsed.problems:
        result.problems.append(LoadProblem(problem.kind, _where(problem.span.line, sources, chart, lines),
                                           f"rendered output: {problem.message}"))
    objects, problems = split_objects(parsed.documents)
    result.problems.extend(LoadProblem(p.kind, at_chart, f"rendered output: {p.message}") for p in problems)
    mappings: dict[int, tuple[str, list[tuple[int, bool]]]] = {}
    for obj in objects:
        start = _block_start(obj.node.span.line, sources)
        if start is None:
            rewrite(obj.node, lambda span: at_chart)
        else:
            if start not in mappings:
                mappings[start] = _mapping(start, sources, chart, lines)
            display, mapped = mappings[start]
            rewrite(obj.node, _mover(display, mapped, start))
        result.objects.append(replace(obj, rendered_by=chart.display))


def _source_lines(lines: list[str]) -> list[tuple[int, str]]:
    """(1-based line, template path as helm prints it) of every `# Source:` marker, in order."""
    return [(number, m.group("path")) for number, line in enumerate(lines, start=1) if (m := _SOURCE.match(line))]


def _block_start(line: int, sources: list[tuple[int, str]]) -> int | None:
    starts = [number for number, _ in sources if number <= line]
    return starts[-1] if starts else None


def template_path(printed: str, chart: Chart) -> str:
    """The template file of a `# Source:` path: its first component is the chart's name."""
    _, _, inside = printed.partition("/")
    display_folder = os.path.dirname(chart.display)
    return os.path.normpath(os.path.join(display_folder, inside)) if inside else chart.display


def _mapping(start: int, sources: list[tuple[int, str]], chart: Chart, lines: list[str]
             ) -> tuple[str, list[tuple[int, bool]]]:
    printed = next(path for number, path in sources if number == start)
    display = template_path(printed, chart)
    end = next((number for number, _ in sources if number > start), len(lines) + 1)
    block = lines[start: end - 1]  # the lines after the marker, up to the next marker
    real = os.path.realpath(display)
    if not real.startswith(chart.folder.rstrip(os.sep) + os.sep):  # a marker naming a file outside the chart
        return chart.display, [(1, False)] * len(block)
    try:
        template = Path(display).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return chart.display, [(1, False)] * len(block)
    return display, line_map(block, template)


def _mover(display: str, mapped: list[tuple[int, bool]], start: int):  # type: ignore[no-untyped-def]
    def change(span: Span) -> Span:
        line, exact = _at(mapped, span.line - start - 1)
        end_line, end_exact = _at(mapped, span.end_line - start - 1)
        return Span(display, line, span.column if exact else 1,
                    max(end_line, line), span.end_column if end_exact and exact else 1)
    return change


def _at(mapped: list[tuple[int, bool]], index: int) -> tuple[int, bool]:
    if not mapped:
        return 1, False
    return mapped[min(max(index, 0), len(mapped) - 1)]


def _where(line: int, sources: list[tuple[int, str]], chart: Chart, lines: list[str]) -> Span:
    start = _block_start(line, sources)
    if start is None:
        return Span(chart.display, 1, 1, 1, 1)
    display, mapped = _mapping(start, sources, chart, lines)
    mapped_line = _at(mapped, line - start - 1)[0]
    return Span(display, mapped_line, 1, mapped_line, 1)
