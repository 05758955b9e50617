"""`policylint roles`: which workloads got which role, and why; the training jobs found."""
from __future__ import annotations

from typing import Any

import click

from policylint.report.escape import json_dumps
from policylint.report.escape import text as esc
from policylint.cli.common import (check_missing, config_options, fail, paths_argument, require_paths, resolve_config,
                                   setup_logging, stdin_binary)

SCHEMA = "policylint.roles/v1"


@click.command()
@paths_argument
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--all", "show_all", is_flag=True, help="Also list the workloads that have no role.")
@config_options
def roles(paths: tuple[str, ...], output_format: str, show_all: bool, config_path: str | None,
          default_namespace: str | None, debug: bool) -> None:
    """List the roles (built-in and from the config), the workloads in each and why, and the
    training jobs with their replica roles, rendezvous and ssh ports. PATH… as for `check`."""
    from policylint.pipeline import load_and_model
    from policylint.config import ConfigError
    from policylint.intent.context import intent_config, resolve

    setup_logging(debug)
    require_paths(paths)
    config = resolve_config(config_path, default_namespace)
    try:
        parsed = intent_config(config)
    except ConfigError as error:
        fail(str(error))
        return
    loaded, cluster = load_and_model(paths, config, stdin_binary())
    check_missing(loaded.missing, len(loaded.files), loaded.excluded)
    intent = resolve(cluster, config.facts, parsed)
    data = _data(cluster, intent, show_all)
    if output_format == "json":
        click.echo(json_dumps(data, indent=2, sort_keys=False))
    else:
        click.echo(_text(data), nl=False)


def _data(cluster: Any, intent: Any, show_all: bool) -> dict[str, Any]:
    table = intent.roles
    roles = []
    for name, role in table.roles.items():
        members = []
        for workload in table.members(name):
            why = next(m.why for m in table.memberships(workload) if m.role == name)
            entry: dict[str, Any] = {"workload": workload.id, "why": why}
            job = intent.job_of(workload) if name == "training" else None
            if job is not None:
                entry["job"] = job.label
                entry["replica"] = job.role_of(workload)
            members.append(entry)
        roles.append({"role": name, "description": role.description, "origin": role.origin, "workloads": members})
    data: dict[str, Any] = {"schema": SCHEMA, "roles": roles, "jobs": [_job(j) for j in intent.jobs]}
    if show_all:
        data["without_role"] = sorted(w.id for w in cluster.workloads if not table.memberships(w))
    return data


def _job(job: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "job": job.label,
        "replicas": [{"workload": r.workload.id, "role": r.role, "pods": r.workload.replicas} for r in job.replicas],
        "rendezvous": None,
        "ssh": None,
    }
    if job.rendezvous is not None:
        r = job.rendezvous
        entry["rendezvous"] = {"targets": [t.id for t in r.targets], "port": f"{r.protocol}/{r.port}", "origin": r.origin}
    if job.ssh is not None:
        s = job.ssh
        entry["ssh"] = {"launchers": [w.id for w in s.launchers], "workers": [w.id for w in s.workers],
                        "ports": [f"TCP/{p}" for p in s.ports], "origin": s.origin}
    return entry


def _text(data: dict[str, Any]) -> str:
    lines = []
    for role in data["roles"]:
        header = f"{role['role']} ({role['origin']})"
        if role["description"]:
            header += f": {role['description']}"
        lines.append(header)
        if not role["workloads"]:
            lines.append("  (no workload)")
        width = max((len(m["workload"]) for m in role["workloads"]), default=0)
        for member in role["workloads"]:
            line = f"  {member['workload']:<{width}}  {member['why']}"
            if "job" in member:
                line += f"; job {member['job']} ({member['replica']})"
            lines.append(line)
    if data["jobs"]:
        lines.append("")
        lines.append("training jobs")
        for job in data["jobs"]:
            replicas = "; ".join(f"{r['workload']} {r['role']}, {r['pods']} pod{'s' if r['pods'] != 1 else ''}"
                                 for r in job["replicas"])
            lines.append(f"  {job['job']}: {replicas}")
            if job["rendezvous"]:
                r = job["rendezvous"]
                lines.append(f"    rendezvous {r['port']} on {', '.join(r['targets'])} ({r['origin']})")
            if job["ssh"]:
                s = job["ssh"]
                lines.append(f"    ssh {' or '.join(s['ports'])} from {', '.join(s['launchers'])} ({s['origin']})")
    if "without_role" in data:
        lines.append("")
        lines.append("without a role")
        lines.extend(f"  {w}" for w in data["without_role"] or ["(none)"])
    return "\n".join(esc(line) for line in lines) + "\n"  # one line each: escaping it escapes its values
