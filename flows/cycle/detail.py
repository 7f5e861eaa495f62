"""One project in full: its gate as it stands now, evidence, records, gate decisions, history, and a summary of
its contracts (how many in each status, the first few in force), never a row per contract: a project can
have thousands, and `contracts show REF` and `due` are there for them."""

import datetime as dt
from typing import Any

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.cycle.gates import load_facts
from flows.cycle.projects import require_project
from models.cycle import list_evidence, list_gate_decisions, list_records, saved_id
from models.db import reading
from models.project_contracts import contracts_in_force, project_history, status_counts
from policies.cycle.gates import GatePolicy, assess
from policies.dates import local_date

IN_FORCE_SHOWN = 10  # contracts in force named by `show`; the rest are counted


def project_detail(settings: Settings, policy: GatePolicy, ref: str) -> dict[str, Any]:
    """Everything about one project, with its gate as it stands now."""
    with reading(database(settings)) as session:
        project = require_project(session, ref)
        facts = load_facts(session, project)
        gate = assess(facts, policy)
        pid = saved_id(project)
        day = local_date(dt.datetime.now(dt.UTC))  # the day load_facts judges the gate on
        by_status = status_counts(session=session, project_id=pid, day=day)
        in_force = contracts_in_force(session=session, project_id=pid, day=day, limit=IN_FORCE_SHOWN)
        return {
            **project.snapshot(),
            "description": project.description,
            "stage_entered_at": project.stage_entered_at.isoformat(),
            "created_at": project.created_at.isoformat(),
            "gate": {
                "outcome": gate.outcome,
                "to_stage": gate.transition.target.value if gate.transition else None,
                "unmet": [{"code": u.code, "sentence": u.sentence} for u in gate.unmet],
                "findings": list(gate.findings),
            },
            "evidence": [e.public() for e in list_evidence(session=session, project_id=pid)],
            "records": [r.public() for r in list_records(session=session, project_id=pid)],
            "gate_decisions": [g.public() for g in list_gate_decisions(session=session, project_id=pid)],
            "contracts": {
                "total": sum(by_status.values()),
                "by_status": by_status,
                "in_force": list(in_force.refs),
                "in_force_total": in_force.count,
            },
            "history": project_history(session=session, project_ref=project.ref),
        }
