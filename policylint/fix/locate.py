"""From a finding back to the model values and source text a fix edits."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from policylint.fix.text import Lines, indent_of
from policylint.findings import Finding
from policylint.load.nodes import YMap, YSeq
from policylint.model.types import NetworkPolicy, Peer, PolicyPort, Rule


@dataclass(slots=True)
class Sources:
    """The current text of each input file, read once (fixes need the exact characters)."""

    texts: dict[str, str]
    # Paths under which a re-analysis read edited copies -> the file they stand for.
    aliases: dict[str, str] = field(default_factory=dict)

    def real(self, path: str) -> str:
        return self.aliases.get(path, path)

    def lines(self, path: str) -> Lines | None:
        text = self.texts.get(self.real(path))
        return Lines(text) if text is not None else None


def read_sources(paths: list[str]) -> Sources:
    texts: dict[str, str] = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # unreadable or not UTF-8: no fix is offered for it
        if text.startswith("\ufeff") or "\r" in text:
            continue  # a BOM or CR line ends shift offsets against the loader's; left alone
        texts[path] = text
    return Sources(texts)


def policy_of(cluster: Any, finding: Finding) -> NetworkPolicy | None:
    for policy in cluster.policies:
        if policy.source.object == finding.object:
            return policy
    return None


def rules_of(policy: NetworkPolicy) -> Iterator[Rule]:
    yield from policy.ingress
    yield from policy.egress


def peer_at(policy: NetworkPolicy, field_path: str) -> tuple[Rule, Peer] | None:
    for rule in rules_of(policy):
        for peer in rule.peers:
            path = peer.source.field_path
            if field_path == path or field_path.startswith(path + "."):
                return rule, peer
    return None


def port_at(policy: NetworkPolicy, field_path: str) -> PolicyPort | None:
    for rule in rules_of(policy):
        for entry in rule.ports:
            if entry.source.field_path == field_path:
                return entry
    return None


def is_block(node: Any, lines: Lines) -> bool:
    """A block-style mapping or sequence (not `{...}` / `[...]`), which is what fixes edit."""
    if not isinstance(node, (YMap, YSeq)):
        return False
    span = node.span
    return lines.text[lines.start_of(span):lines.start_of(span) + 1] not in ("{", "[")


def step_of(lines: Lines) -> int:
    """The file's indentation step: the smallest positive difference between nested lines."""
    steps = set()
    previous = None
    for number in range(1, lines.line_count() + 1):
        text = lines.line_text(number)
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        column = indent_of(text)
        if previous is not None and column > previous:
            steps.add(column - previous)
        previous = column
    return min(steps) if steps else 2


def sequences_indented(lines: Lines) -> bool:
    """Whether the file indents a sequence under its key (`to:\\n  - x`) or not (`to:\\n- x`)."""
    indented = flush = 0
    for number in range(1, lines.line_count()):
        text = lines.line_text(number)
        following = lines.line_text(number + 1)
        if text.rstrip().endswith(":") and following.lstrip().startswith("- "):
            if indent_of(following) > indent_of(text):
                indented += 1
            else:
                flush += 1
    return indented >= flush
