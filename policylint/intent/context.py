"""The intents of one analysis: roles resolved on the cluster, training jobs, expectations.

`analyse` puts the parsed config sections into the rules' extras (`extras["intent"]`); the first
PL5xx rule that asks resolves them on the cluster, in the run's cache (`RuleContext.cached`), and
every later rule of the same run reuses the result.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policylint.intent.frameworks import TrainingJob, build_jobs
from policylint.intent.roles import TRAINING, RoleTable, defined_roles
from policylint.intent.spec import IntentConfig
from policylint.model.types import Cluster, Workload
from policylint.rule_api import ClusterFacts

EXTRAS_KEY = "intent"


@dataclass(slots=True)
class Intent:
    config: IntentConfig
    roles: RoleTable
    jobs: list[TrainingJob]
    _job_of: dict[int, TrainingJob]

    def job_of(self, workload: Workload) -> TrainingJob | None:
        return self._job_of.get(id(workload))

    def training(self) -> list[Workload]:
        return self.roles.members(TRAINING)


def resolve(cluster: Cluster, facts: ClusterFacts, config: IntentConfig) -> Intent:
    roles = RoleTable(cluster, defined_roles(facts, config))
    jobs = build_jobs(roles.members(TRAINING))
    job_of = {id(r.workload): job for job in jobs for r in job.replicas}
    return Intent(config, roles, jobs, job_of)


def intent_of(ctx: Any) -> Intent:
    """The intents for a rule's context (built-in roles only when the runner gave no config)."""
    config = ctx.extras.get(EXTRAS_KEY)
    if not isinstance(config, IntentConfig):
        config = IntentConfig()
        ctx.extras[EXTRAS_KEY] = config
    return ctx.cached(Intent, lambda: resolve(ctx.cluster, ctx.facts, config))


def intent_config(config: Any) -> IntentConfig:
    """A `Config`'s roles and expectations (parsed and validated when the config was loaded)."""
    return config.intent if config.intent is not None else IntentConfig(path=config.path)


def intent_extras(config: Any) -> dict[str, Any]:
    return {EXTRAS_KEY: intent_config(config)}
