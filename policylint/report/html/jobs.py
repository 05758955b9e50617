"""The training-jobs part of the HTML page: each job's replicas and roles, the PL5xx checks that
pass or fail for it, and what its pods may reach: the data service, DNS, object storage."""
from __future__ import annotations

import re
from typing import Any, Callable

from policylint.engine.bits import positions
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


class _IntentFindings:
    """The PL5xx findings, each with its texts joined once, for attributing them to jobs."""

    def __init__(self, report: Report) -> None:
        self.ran = {r.code: r.name for r in report.rules}
        self.by_code: dict[str, list[tuple[int, str]]] = {}
        self.unclear: set[str] = set()
        for i, f in enumerate(report.findings):
            if f.code not in INTENT_CODES:
                continue
            text = "\n".join([f.message, f.object or ""] + [r.message for r in f.related])
            self.by_code.setdefault(f.code, []).append((i, text))
            if _MORE.search(f.message):
                self.unclear.add(f.code)

    def status(self, job: Any) -> list[list[Any]]:
        """[[code, name, status, finding indexes]]: fail, pass, or unclear (a grouped finding names
        only some of its jobs), for every PL5xx rule that ran."""
        names = [job.label] + [r.workload.id for r in job.replicas]
        out = []
        for code in INTENT_CODES:
            if code not in self.ran:
                continue
            hits = [i for i, text in self.by_code.get(code, ()) if any(name in text for name in names)]
            status = "fail" if hits else ("unclear" if code in self.unclear else "pass")
            out.append([code, self.ran[code], status, hits])
        return out


class _Reach:
    """What a source may reach, read off its matrix row (computed once per source and kept: the
    members of the data-service and DNS roles are sources for every job)."""

    def __init__(self, engine: Any, rows: dict[int, Any] | None = None) -> None:
        self.engine = engine
        self._rows: dict[int, list[tuple[Any, int]]] = rows if rows is not None else {}
        # id(list) -> (the list, its mask and slots): the role lists are the same objects for
        # every job, and keeping the list keeps its id from being reused
        self._masks: dict[int, tuple[list[Any], int, dict[int, list[int]]]] = {}

    def ports(self, src: Any, destinations: list[Any]) -> list[Any]:
        """The ports allowed from `src` to each destination (None where nothing is)."""
        cells = self._rows.get(src.index)
        if cells is None:
            cells = self._rows[src.index] = next(self.engine.matrix_cells(sources=[src]))[1]
        mask, slots = self._targets(destinations)
        found: list[Any] = [None] * len(destinations)
        for ports, bits in cells:
            hit = bits & mask
            if hit:
                for atom in positions(hit):
                    for k in slots[atom]:
                        found[k] = ports
        return found

    def _targets(self, destinations: list[Any]) -> tuple[int, dict[int, list[int]]]:
        """The destinations' atoms as one mask, and atom -> positions in the list (kept per list
        object: the same list is asked for again and again)."""
        known = self._masks.get(id(destinations))
        if known is None or known[0] is not destinations:
            mask, slots = 0, {}
            for k, d in enumerate(destinations):
                mask |= 1 << d.atom
                slots.setdefault(d.atom, []).append(k)
            known = self._masks[id(destinations)] = (destinations, mask, slots)
        return known[1], known[2]


def _text(ports: Any) -> str:
    return "" if ports is None or ports.is_empty else ports.describe()


def _summed(sets: list[Any]) -> str:
    reached = [p for p in sets if p is not None and not p.is_empty]
    union = None
    for p in {id(p): p for p in reached}.values():  # port sets are interned: few distinct ones
        union = p if union is None else union | p
    return f"{len(reached)} of {len(sets)}" + (f": {union.describe()}" if union is not None else "")


def _links(reach: _Reach, job_endpoints: list[Any], others: list[Any], what: str,
           back_of: Callable[[Any], list[Any]] | None = None) -> list[list[str]]:
    """[[replica, other, ports out, ports in]] for every replica and member of a role (ports in
    when `back_of` gives, for a replica, the ports from each member); with many members, one
    line per replica saying how many it reaches and the union of the ports."""
    out = []
    both_ways = back_of is not None
    for e in job_endpoints:
        forth = reach.ports(e, others)
        back = back_of(e) if back_of is not None else []
        if len(others) <= LIST_MEMBERS:
            out.extend([e.id, o.id, _text(forth[k]), _text(back[k]) if both_ways else ""] for k, o in enumerate(others))
        else:
            out.append([e.id, f"{len(others)} {what} workloads", _summed(forth), _summed(back) if both_ways else ""])
    return out


def _storage(reach: _Reach, public: list[Any], job_endpoints: list[Any], storage: list[Any]) -> list[list[str]]:
    out = _links(reach, job_endpoints, storage, "storage")
    for e in job_endpoints:
        reached = sum(1 for p in reach.ports(e, public) if p is not None and p.contains("TCP", STORAGE_PORT))
        out.append([e.id, f"external ranges on TCP/{STORAGE_PORT}", f"{reached} of {len(public)} ranges", ""])
    return out


def jobs_data(analysis: Any, engine: Any, report: Report, config: Any = None,
              rows: dict[int, Any] | None = None) -> list[dict[str, Any]]:
    intent = _intent(analysis, config)
    roles = intent.roles

    def members(*names: str) -> list[Any]:
        found = [engine.endpoint_of(w) for name in names if name in roles.roles for w in roles.members(name)]
        return sorted(set(found))

    data_service, dns, storage = members("data-service"), members("dns"), members(*STORAGE_ROLES)
    findings = _IntentFindings(report)
    reach = _Reach(engine, rows)
    # what each data-service member may send to each job's pods: one row read per member
    job_endpoints = sorted({engine.endpoint_of(r.workload) for job in intent.jobs for r in job.replicas})
    slot = {e.index: k for k, e in enumerate(job_endpoints)}
    sent = [reach.ports(o, job_endpoints) for o in data_service]
    received = list(zip(*sent))  # per job endpoint: the ports from each data-service member
    public = [x for x in engine.endpoints if x.is_external]

    def from_data_service(e: Any) -> list[Any]:
        return list(received[slot[e.index]]) if received else []

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
            "checks": findings.status(job),
            "peers": _links(reach, endpoints, endpoints, "job"),
            "data": _links(reach, endpoints, data_service, "data-service", from_data_service),
            "dns": _links(reach, endpoints, dns, "DNS"),
            "storage": _storage(reach, public, endpoints, storage),
        }
        jobs.append(entry)
    return jobs
