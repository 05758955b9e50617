"""The intents of one analysis: roles resolved on the cluster, training jobs, expectations.

`analyse` puts the parsed config sections into the rules' extras (`extras["intent"]`); the first
PL5xx rule that asks resolves them on the cluster, in the run's cache (`RuleContext.cached`), and
every later rule of the same run reuses the result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policylint.intent.dependencies import (
    Need, ServiceNames, Text, config_need, job_texts, metadata_need, namespace_labels_of, reference_need,
)
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
    cluster: Cluster | None = None
    _texts: dict[tuple, list[Text]] = field(default_factory=dict)
    _names: dict[str, ServiceNames] = field(default_factory=dict)
    _needs: dict[tuple, Need | None] = field(default_factory=dict)

    def job_of(self, workload: Workload) -> TrainingJob | None:
        return self._job_of.get(id(workload))

    def texts(self, job: TrainingJob) -> list[Text]:
        """The strings of the job's pod templates (env, command, args, ConfigMaps they read)."""
        found = self._texts.get(job.key)
        if found is None:
            config_maps = self.cluster.config_maps if self.cluster is not None else {}
            found = self._texts[job.key] = job_texts(job, config_maps)
        return found

    def service_names(self, role: str) -> ServiceNames:
        found = self._names.get(role)
        if found is None:
            found = self._names[role] = ServiceNames(self.cluster or Cluster(), self.roles.members(role))
        return found

    def need(self, job: TrainingJob, role: str) -> Need | None:
        """Why the job needs pods of `role`, or None when nothing says it does (see
        `intent.dependencies`). A reference by DNS name wins: it says which pods."""
        key = (job.key, role)
        if key not in self._needs:
            labels = namespace_labels_of(self.cluster or Cluster())
            self._needs[key] = (reference_need(job, role, self.texts(job), self.service_names(role))
                                or metadata_need(job, role) or config_need(job, role, self.config, labels))
        return self._needs[key]

    def training(self) -> list[Workload]:
        return self.roles.members(TRAINING)


def resolve(cluster: Cluster, facts: ClusterFacts, config: IntentConfig) -> Intent:
    roles = RoleTable(cluster, defined_roles(facts, config))
    jobs = build_jobs(roles.members(TRAINING), cluster.config_maps)
    job_of = {id(r.workload): job for job in jobs for r in job.replicas}
    return Intent(config, roles, jobs, job_of, cluster)


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
