"""One project in full: its gate as it stands now, evidence, records, gate decisions and history."""

from typing import Any

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.cycle.gates import load_facts
from flows.cycle.projects import require_project
from models.cycle import list_evidence, list_gate_decisions, list_records, saved_id
from models.db import unit_of_work
from models.events import events_for
from policies.cycle.gates import GatePolicy, assess


def project_detail(settings: Settings, policy: GatePolicy, ref: str) -> dict[str, Any]:
    """Everything about one project, with its gate as it stands now."""
    with unit_of_work(database(settings)) as session:
        project = require_project(session, ref)
        facts = load_facts(session, project)
        gate = assess(facts, policy)
        pid = saved_id(project)
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
            "history": [e.public() for e in events_for(session=session, entity="project", entity_ref=project.ref)],
        }
