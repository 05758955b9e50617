"""What a rule module sees: its context, the finding factory, and its metadata."""
from __future__ import annotations

import re
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from policylint.cluster_facts import ClusterFacts
from policylint.findings import Finding, Related, Severity
from policylint.load.nodes import Span
from policylint.load.yaml_reader import LoadProblem
from policylint.model.types import Cluster, Issue, Source, Workload

if TYPE_CHECKING:
    from policylint.rule_options import Option  # imported where rules are read: `matrix` and `reach` load none

SCOPES = ("input", "policy", "cluster")
_CODE_PREFIX = re.compile(r"^PL\d{0,3}$")


def token_matches(token: str, code: str, name: str) -> bool:
    """Whether a token of select/ignore/severity/rules (a code, a code prefix such as PL2, a rule
    name, or `all`) names the rule `code`/`name`."""
    token = token.strip()
    if token.lower() == "all":
        return True
    if token == name or token == code:
        return True
    return bool(_CODE_PREFIX.match(token)) and code.startswith(token)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule's metadata, read from the module's constants."""

    code: str
    name: str
    severity: Severity
    scope: str
    remediation: str
    summary: str  # first line of the docstring
    doc: str
    options: dict[str, str]  # option name -> description
    defaults: dict[str, Any]
    check: Callable[..., Iterator[Finding]]
    module: types.ModuleType = field(repr=False, compare=False)
    declared: dict[str, Option] = field(default_factory=dict)  # option name -> default, help, allowed values
    subsumes: tuple[str, ...] = ()  # codes whose findings this rule's findings explain (same cause)
    # `reads(ctx)`, declared by a rule whose findings depend only on the config, the objects other
    # than NetworkPolicies, and the connectivity of the workloads it returns (with the policies that
    # select them): `diff` may then carry its findings over from one version to the other
    # (policylint/diff/carry.py). None: the rule runs on both versions.
    reads: Callable[[RuleContext], Iterable[Workload]] | None = field(default=None, compare=False)
    # `POLICY_LOCAL = True`, declared by a rule of scope "policy" whose findings on a policy depend
    # only on that policy, the config and the objects other than NetworkPolicies: `diff` may carry
    # them over for each policy that is the same in both versions.
    policy_local: bool = False

    @classmethod
    def from_module(cls, module: types.ModuleType) -> "RuleSpec":
        doc = (module.__doc__ or "").strip()
        scope = getattr(module, "SCOPE", "policy")
        if scope not in SCOPES:
            raise ValueError(f"{module.__name__}: SCOPE must be one of {SCOPES}")
        from policylint.rule_options import Option

        declared = dict(getattr(module, "OPTIONS", {}))
        if hasattr(module, "DEFAULTS") or not all(isinstance(o, Option) for o in declared.values()):
            raise ValueError(f"{module.__name__}: declare options once, as OPTIONS = {{name: Option(...)}}")
        return cls(
            code=module.CODE,
            name=module.NAME,
            severity=module.SEVERITY,
            scope=scope,
            remediation=module.REMEDIATION,
            summary=doc.splitlines()[0].rstrip(".") if doc else module.NAME,
            doc=doc,
            options={name: option.help for name, option in declared.items()},
            defaults={name: option.default for name, option in declared.items()},
            declared=declared,
            check=module.check,
            module=module,
            subsumes=tuple(getattr(module, "SUBSUMES", ())),
            reads=getattr(module, "reads", None),
            policy_local=bool(getattr(module, "POLICY_LOCAL", False)) and scope == "policy",
        )


class RuleContext:
    """Handed to every `check`: the model, the engine, the options and the finding factory."""

    def __init__(
        self,
        spec: RuleSpec,
        severity: Severity,
        cluster: Cluster,
        load_problems: list[LoadProblem],
        engine_factory: Callable[[], Any],
        facts: ClusterFacts,
        extras: dict[str, Any] | None = None,
        cache: dict[Any, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.severity = severity
        self.cluster = cluster
        self.load_problems = load_problems
        self._engine_factory = engine_factory
        self.facts = facts
        self.extras = extras or {}
        # One per analysis, shared by every rule's context: what several rules derive from the
        # same input (the workload index, the resolved intents) is built once per run and never
        # outlives it, unlike a module-level cache.
        self.cache = cache if cache is not None else {}

    def cached(self, key: Any, build: Callable[[], Any]) -> Any:
        """The run's value for `key` (a module-level object, such as a class or function of the
        module that builds it, so keys of different modules never collide), built on first use."""
        try:
            return self.cache[key]
        except KeyError:
            value = self.cache[key] = build()
            return value

    @property
    def engine(self) -> Any:
        """The connectivity engine, built on first use and shared by all rules."""
        return self._engine_factory()

    def finding(self, where: Source | Span, message: str, key: Any = None,
                related: Iterable[Related] = (), object: str | None = None, field_path: str | None = None,
                causes: Iterable[Any] = ()) -> Finding:
        """A finding of this rule at `where` (a model value's source, optionally one of its fields).
        `causes`: what it is about, when that is not its location (see policylint.consequences)."""
        if isinstance(where, Source):
            span = where.span_of(key) if key is not None else where.span
            path = where.child_path(key) if key is not None else where.field_path
            owner = where.object
        else:
            span, path, owner = where, "", ""
        return Finding(
            code=self.spec.code,
            name=self.spec.name,
            severity=self.severity,
            message=message,
            span=span,
            object=object if object is not None else owner,
            field_path=field_path if field_path is not None else path,
            remediation=self.spec.remediation,
            related=tuple(related),
            causes=frozenset(causes),
        )

    def findings_for_issues(self, *kinds: str) -> Iterator[Finding]:
        """Findings for the model issues of the given kinds (validity rules are thin wrappers)."""
        for issue in self.cluster.issues:
            if issue.kind in kinds:
                yield self.issue_finding(issue)

    def issue_finding(self, issue: Issue) -> Finding:
        return self.finding(issue.span, issue.message, object=issue.object, field_path=issue.field_path)

    def findings_for_load_problems(self, *kinds: str) -> Iterator[Finding]:
        for problem in self.load_problems:
            if problem.kind in kinds:
                yield self.finding(problem.span, problem.message)


def related(source: Source, message: str, key: Any = None) -> Related:
    return Related(source.span_of(key) if key is not None else source.span, message)
