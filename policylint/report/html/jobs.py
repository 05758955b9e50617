"""The training-jobs part of the HTML page: each job's replicas and roles, the PL5xx checks that
pass or fail for it, and what its pods may reach: the data service, DNS, object storage."""
from __future__ import annotations

import re
from typing import Any

from policylint.report.html.data import INTENT_CODES
from policylint.report.model import Report

STORAGE_ROLES = ("object-storage", "egress-gateway")  # roles PL506 accepts as a route to storage
STORAGE_PORT = 443
LIST_MEMBERS = 6  # members of a role listed one by one; more are summed up per replica
_MORE = re.compile(r" and \d+ more\b")


def _intent(analysis: Any, config: Any) -> Any:
    """Roles and jobs as the PL5xx rules saw them: the config's roles, or the built-in ones."""
    from policylint.intent.context import intent_config, resolve

    if config is None:
        from policylint.config import Config

        config = Config()
    return resolve(analysis.cluster, config.facts, intent_config(config))


def _mentions(finding: Any, job: Any) -> bool:
    texts = [finding.message, finding.object or ""] + [r.message for r in finding.related]
    names = [job.label] + [r.workload.id for r in job.replicas]
    return any(name in text for text in texts for name in names)


def _check_status(report: Report, job: Any) -> list[list[Any]]:
    """[[code, name, status, finding indexes]]: fail, pass, or unclear (a grouped finding names
    only some of its jobs), for every PL5xx rule that ran."""
    ran = {r.code: r.name for r in report.rules}
    out = []
    for code in INTENT_CODES:
        if code not in ran:
            continue
        hits = [i for i, f in enumerate(report.findings) if f.code == code and _mentions(f, job)]
        unclear = any(f.code == code and _MORE.search(f.message) for f in report.findings)
        status = "fail" if hits else ("unclear" if unclear else "pass")
        out.append([code, ran[code], status, hits])
    return out


def _ports(engine: Any, src: Any, dst: Any) -> str:
    ports = engine.allowed_ports(src, dst)
    return "" if ports.is_empty else ports.describe()


def _links(engine: Any, job_endpoints: list[Any], others: list[Any], both_ways: bool, what: str) -> list[list[str]]:
    """[[replica, other, ports out, ports in]] for every replica and member of a role; with many
    members, one line per replica saying how many it reaches and the union of the ports."""
    out = []
    for e in job_endpoints:
        if len(others) <= LIST_MEMBERS:
            for o in others:
                back = _ports(engine, o, e) if both_ways else ""
                out.append([e.id, o.id, _ports(engine, e, o), back])
            continue
        row = [e.id, f"{len(others)} {what} workloads"]
        for pairs in ([(e, o) for o in others], [(o, e) for o in others] if both_ways else None):
            if pairs is None:
                row.append("")
                continue
            sets = [engine.allowed_ports(a, b) for a, b in pairs]
            reached = [p for p in sets if not p.is_empty]
            union = reached[0] if reached else None
            for p in reached[1:]:
                union = union | p
            row.append(f"{len(reached)} of {len(sets)}" + (f": {union.describe()}" if union is not None else ""))
        out.append(row)
    return out


def _storage(engine: Any, job_endpoints: list[Any], storage: list[Any]) -> list[list[str]]:
    out = _links(engine, job_endpoints, storage, False, "storage")
    public = [x for x in engine.endpoints if x.is_external]
    for e in job_endpoints:
        reached = [x.id for x in public if engine.allowed_ports(e, x).contains("TCP", STORAGE_PORT)]
        out.append([e.id, f"external ranges on TCP/{STORAGE_PORT}", f"{len(reached)} of {len(public)} ranges", ""])
    return out


def jobs_data(analysis: Any, engine: Any, report: Report, config: Any = None) -> list[dict[str, Any]]:
    intent = _intent(analysis, config)
    roles = intent.roles

    def members(*names: str) -> list[Any]:
        found = [engine.endpoint_of(w) for name in names if name in roles.roles for w in roles.members(name)]
        return sorted(set(found))

    data_service, dns, storage = members("data-service"), members("dns"), members(*STORAGE_ROLES)
    jobs = []
    for job in intent.jobs:
        endpoints = [engine.endpoint_of(r.workload) for r in job.replicas]
        entry: dict[str, Any] = {
            "job": job.label,
            "replicas": [[r.workload.id, r.role, r.workload.replicas] for r in job.replicas],
            "rendezvous": None if job.rendezvous is None else
            f"{job.rendezvous.protocol}/{job.rendezvous.port} on {', '.join(t.id for t in job.rendezvous.targets)}",
            "ssh": None if job.ssh is None else
            f"{' or '.join(f'TCP/{p}' for p in job.ssh.ports)} from {', '.join(w.id for w in job.ssh.launchers)}",
            "checks": _check_status(report, job),
            "peers": _links(engine, endpoints, endpoints, False, "job"),
            "data": _links(engine, endpoints, data_service, True, "data-service"),
            "dns": _links(engine, endpoints, dns, False, "DNS"),
            "storage": _storage(engine, endpoints, storage),
        }
        jobs.append(entry)
    return jobs
