"""Wire the pipeline: load → model → rules (with the engine on demand) → suppressed findings."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, BinaryIO, Iterable, Iterator, Mapping

from policylint import lazy_log
from policylint.config import Config, ConfigError
from policylint.findings import Finding, Severity, sorted_findings
from policylint.load import LoadResult
from policylint.load.nodes import Span
from policylint.model import Cluster
from policylint.pipeline import collector_paused, load_and_model  # noqa: F401  (also this module's API)
from policylint.rule_api import RuleContext, RuleSpec, token_matches

if TYPE_CHECKING:
    from policylint.diff.carry import CarryOver
    from policylint.load.reuse import ParsedFiles
    from policylint.pulumi import PulumiInputs

LOG = lazy_log.get_logger(__name__)
UNUSED_SUPPRESSION = "PL004"
RULE_CRASHED = "PL005"
INVALID_SUPPRESSION = "PL010"
BUDGET_EXCEEDED = "PL025"


def registry() -> Mapping[str, RuleSpec]:
    """Every rule by code. A rule's module is imported when its entry is first read, so a run that
    selects a few rules imports only theirs (policylint.rules)."""
    from policylint.rules import RULES  # the only place that knows the list of rules

    return RULES


def _names(rules: Mapping[str, RuleSpec]) -> dict[str, str]:
    """Code -> name of every rule in `rules`, read without importing them where the mapping can."""
    names = getattr(rules, "names", None)
    return names() if callable(names) else {code: spec.name for code, spec in rules.items()}


@dataclass(frozen=True, slots=True)
class SelectedRule:
    """A rule chosen for the run, with its severity and options."""

    spec: RuleSpec
    severity: Severity
    options: dict[str, Any]


def select_rules(config: Config, select: Iterable[str] = (), ignore: Iterable[str] = (),
                 rules: Mapping[str, RuleSpec] | None = None) -> list[SelectedRule]:
    """The rules to run, after select/ignore from the config and the command line. Tokens are
    checked against the codes and names alone: only the rules chosen are read (imported)."""
    rules = rules if rules is not None else registry()
    names = _names(rules)
    select = tuple(select) or config.select
    ignore = tuple(ignore) + config.ignore
    for token in (*select, *ignore, *config.severity, *config.rule_options):
        if not any(token_matches(token, code, name) for code, name in names.items()):
            raise ConfigError(f"unknown rule code or name {token!r} (see `policylint rules`)")
    chosen = []
    for code, name in sorted(names.items()):
        if select and not any(token_matches(t, code, name) for t in select):
            continue
        if any(token_matches(t, code, name) for t in ignore):
            continue
        spec = rules[code]
        severity = spec.severity
        for token, value in config.severity.items():
            if token_matches(token, code, spec.name):
                severity = value
        chosen.append(SelectedRule(spec, severity, _options(spec, config)))
    return chosen


def _options(spec: RuleSpec, config: Config) -> dict[str, Any]:
    """The rule's defaults, overridden by the config's `rules:` entries that name it: `all` first,
    then code prefixes from the shortest, then its own code or name, so the most precise wins.

    The loader has checked every value (`config._rule_options`); a `Config` built in code is
    checked here, so a bad value is still a configuration error and never a rule crash."""
    options = dict(spec.defaults)
    tokens = [t for t in config.rule_options if token_matches(t, spec.code, spec.name)]
    for token in sorted(tokens, key=lambda t: _precision(t, spec)):
        for key, value in config.rule_options[token].items():
            option = spec.declared.get(key)
            if option is None:
                if token in (spec.code, spec.name):
                    known = ", ".join(sorted(spec.declared)) or "none"
                    raise ConfigError(f"{config.path}: rule {token}: unknown option {key!r} (known: {known})")
                continue  # an option of other rules under the same prefix
            problem = option.problem(value)
            if problem is not None:
                raise ConfigError(f"{config.path}: rule {token}: option {key!r}: {problem}; allowed: {option.kind.allowed}")
            options[key] = value
    return options


def _precision(token: str, spec: RuleSpec) -> int:
    token = token.strip()
    if token in (spec.code, spec.name):
        return 10
    return 0 if token.lower() == "all" else len(token)


@dataclass(slots=True)
class Analysis:
    """One run of the pipeline: the input loaded and modelled, the rules run and their findings."""

    load: LoadResult
    cluster: Cluster
    findings: list[Finding] = field(default_factory=list)
    rules: list[SelectedRule] = field(default_factory=list)
    _engine: Any = None
    run_cache: dict[Any, Any] = field(default_factory=dict)  # shared by the rules' contexts (RuleContext.cached)
    extras: dict[str, Any] = field(default_factory=dict)  # handed to the rules' contexts
    facts: Any = None  # the config's ClusterFacts, as the rules' contexts saw them
    # Each rule's findings before suppression and folding, by code: kept for `diff` (carry.py)
    # when analyse(keep_raw=True), else None.
    raw: dict[str, list[Finding]] | None = None
    # with `raw`, the findings of each policy (by its position) of the rules of scope "policy"
    raw_targets: dict[str, dict[int, list[Finding]]] = field(default_factory=dict)

    def context(self, selected: SelectedRule) -> RuleContext:
        """The context a rule of this run is (or was) given."""
        return RuleContext(selected.spec, selected.severity, self.cluster, self.load.problems, lambda: self.engine,
                           self.facts, self.extras, self.run_cache)

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from policylint.engine.connectivity import Engine  # heavy: only when a rule needs it

            self._engine = Engine(self.cluster)
        return self._engine


def analyse(paths: Iterable[str], config: Config, *, select: Iterable[str] = (), ignore: Iterable[str] = (),
            stdin: BinaryIO | None = None, debug: bool = False, extras: dict[str, Any] | None = None,
            pulumi: PulumiInputs | None = None, parsed: ParsedFiles | None = None,
            keep_raw: bool = False, carry: CarryOver | None = None) -> Analysis:
    """`keep_raw`: keep each rule's findings (`Analysis.raw`); `carry`: what `diff` takes over from
    the other version's analysis instead of running a rule again (policylint/diff/carry.py)."""
    rules = select_rules(config, select, ignore)
    from policylint.intent.context import intent_extras  # roles and expectations for the PL5xx rules

    extras = {**intent_extras(config), **(extras or {})}
    with collector_paused():
        loaded, cluster = load_and_model(paths, config, stdin, pulumi, parsed)
        analysis = Analysis(loaded, cluster, rules=rules, extras=extras, facts=config.facts,
                            raw={} if keep_raw else None)
        raw: list[Finding] = []
        for selected in rules:
            if selected.spec.code in (UNUSED_SUPPRESSION, INVALID_SUPPRESSION, RULE_CRASHED):
                continue  # reported by the runner itself, below
            found = carry.findings(analysis, selected) if carry is not None else None
            if found is None:
                given = carry.policy_findings(analysis, selected) if carry is not None else None
                found = list(_run_rule(analysis, selected, debug, given))
            if analysis.raw is not None:
                analysis.raw[selected.spec.code] = found
            raw.extend(found)
        raw.extend(_internal_errors(analysis, rules))
        raw = _budget_findings(raw, rules, config, ignore)
        if pulumi:
            from policylint.pulumi import without_findings_on_unknowns

            raw = without_findings_on_unknowns(raw, loaded.problems)
        kept = _suppressed(analysis, raw, rules)
        # What `check` alone needs is imported here: `matrix` and `reach` load and model only.
        from policylint.consequences import fold

        known = registry()
        # Folding looks up the codes reported only: the rules of the others need not be read.
        subsumes = {code: known[code].subsumes for code in {f.code for f in kept} if code in known}
        analysis.findings = sorted_findings(fold(kept, subsumes))
    return analysis


def _run_rule(analysis: Analysis, selected: SelectedRule, debug: bool,
              given: Mapping[int, list[Finding]] | None = None) -> Iterator[Finding]:
    """`given`: the findings of some targets (policies, by position) taken over from the other
    version of a diff instead of checked; with `Analysis.raw`, each policy's own findings are
    kept in `Analysis.raw_targets`."""
    spec = selected.spec
    context = analysis.context(selected)
    if spec.scope == "policy":
        targets = [(p, p.source.object, p.source.span) for p in analysis.cluster.policies]
    else:
        first = _first_span(analysis)
        targets = [(analysis.cluster, "the input", first)]
    kept: dict[int, list[Finding]] | None = None
    if analysis.raw is not None and spec.scope == "policy":
        kept = analysis.raw_targets[spec.code] = {}
    for position, (target, label, span) in enumerate(targets):
        if given is not None and position in given:
            found = given[position]
        else:
            found = _check_one(context, selected, target, label, span, debug)
        if kept is not None and found:
            kept[position] = found
        yield from found


def _check_one(context: RuleContext, selected: SelectedRule, target: Any, label: str, span: Span,
               debug: bool) -> list[Finding]:
    spec = selected.spec
    try:
        return list(spec.check(context, target, selected.options))
    except Exception as error:  # a bug in one rule must not hide the other rules' findings
        if debug:
            LOG.error("rule %s crashed on %s\n%s", spec.code, label, lazy_log.traceback_text())
        crashed = registry().get(RULE_CRASHED)
        if crashed is None:
            raise
        return [Finding(RULE_CRASHED, crashed.name, Severity.ERROR,
                        f"internal error in rule {spec.code} ({spec.name}) on {label}: "
                        f"{type(error).__name__}: {error}; please report it (--debug shows the traceback)",
                        span, object=label if label != "the input" else "", remediation=crashed.remediation)]


def _internal_errors(analysis: Analysis, rules: list[SelectedRule]) -> Iterator[Finding]:
    """PL005 for the files and objects that the loader or the model could not read (a bug).

    Like a crashing rule, always reported: a bug must not pass for a clean result.
    """
    spec = registry().get(RULE_CRASHED)
    if spec is None:
        return
    severity = next((r.severity for r in rules if r.spec.code == RULE_CRASHED), spec.severity)
    for problem in analysis.load.problems:
        if problem.kind == "internal":
            yield Finding(RULE_CRASHED, spec.name, severity, problem.message, problem.span, remediation=spec.remediation)
    for issue in analysis.cluster.issues:
        if issue.kind == "internal":
            yield Finding(RULE_CRASHED, spec.name, severity, issue.message, issue.span,
                          object=issue.object, field_path=issue.field_path, remediation=spec.remediation)


def _budget_findings(raw: list[Finding], rules: list[SelectedRule], config: Config,
                     ignore: Iterable[str]) -> list[Finding]:
    """PL025 comes from the rules that own a budget, selected or not (an unfinished check must not
    pass for a clean one); it is dropped only when ignored, and takes its configured severity."""
    if not any(f.code == BUDGET_EXCEEDED for f in raw):
        return raw
    spec = registry()[BUDGET_EXCEEDED]
    if any(token_matches(t, spec.code, spec.name) for t in (*ignore, *config.ignore) if t.strip().lower() != "all"):
        return [f for f in raw if f.code != BUDGET_EXCEEDED]
    severity = next((r.severity for r in rules if r.spec.code == BUDGET_EXCEEDED), spec.severity)
    for token, value in config.severity.items():
        if token_matches(token, spec.code, spec.name):
            severity = value
    return [replace(f, severity=severity) if f.code == BUDGET_EXCEEDED else f for f in raw]


def _first_span(analysis: Analysis) -> Span:
    for loaded in analysis.load.files:
        return Span(loaded.path, 1, 1, 1, 1)
    return Span("<input>", 1, 1, 1, 1)


def _suppressed(analysis: Analysis, findings: list[Finding], rules: list[SelectedRule]) -> list[Finding]:
    from policylint import suppress

    suppressions, bad = suppress.collect(analysis.load.files, analysis.cluster.object_annotations)
    names = _names(registry())

    def matches(token: str, finding: Finding) -> bool:
        return token_matches(token, finding.code, finding.name)

    kept, unused = suppress.apply(findings, suppressions, matches)
    selected = {r.spec.code: r for r in rules}
    if INVALID_SUPPRESSION in selected:
        rule = selected[INVALID_SUPPRESSION]
        for item in bad:
            kept.append(_runner_finding(rule, item.span, item.message))
        for suppression in suppressions:
            if not any(token_matches(suppression.token, code, name) for code, name in names.items()):
                kept.append(_runner_finding(rule, suppression.span, f"unknown rule {suppression.token!r} in a suppression"))
    if UNUSED_SUPPRESSION in selected:
        rule = selected[UNUSED_SUPPRESSION]
        for suppression in unused:
            # Only a suppression for a rule that ran can be known to be unused.
            if any(token_matches(suppression.token, code, r.spec.name) for code, r in selected.items()) \
                    and suppression.token.lower() != "all":
                kept.append(_runner_finding(rule, suppression.span, f"suppression of {suppression.token!r} silences nothing"))
    return sorted_findings(kept)


def _runner_finding(rule: SelectedRule, span: Span, message: str) -> Finding:
    return Finding(rule.spec.code, rule.spec.name, rule.severity, message, span, remediation=rule.spec.remediation)
