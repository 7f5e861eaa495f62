"""A project's evidence register: adding an item after checking every field, and listing the register.

An item is unique per (project, kind, source); adding it is one transaction
with its ``EvidenceAdded`` event, and it cannot be dated before the project
was created.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.cycle.projects import refuse_backdating, require_project
from models.cycle import Evidence, find_evidence, list_evidence, list_projects, saved_id
from models.db import unit_of_work
from models.events import project_event
from policies.cycle.evidence import EvidenceKind, validate_evidence


def add_evidence(
    settings: Settings, *, ref: str, fields: Mapping[str, Any], as_of: dt.datetime, actor: str
) -> Evidence:
    """Add an item to a project's evidence register, after checking every field."""
    item, problems = validate_evidence(fields)
    if item is None:
        raise UserError("evidence not added: " + "; ".join(str(p) for p in problems))
    with unit_of_work(database(settings)) as session:
        project = require_project(session, ref)
        refuse_backdating(project, as_of)
        existing = find_evidence(
            session=session, project_id=saved_id(project), kind=item.kind.value, source=item.source
        )
        if existing is not None:
            raise UserError(
                f"evidence of {item.kind.label} from {item.source!r} is already in {project.ref}'s register "
                f"(item {existing.id})"
            )
        row = Evidence(
            project_id=saved_id(project),
            cycle=project.cycle,
            kind=item.kind.value,
            source=item.source,
            produced_by=item.produced_by,
            independently_reviewed=item.independently_reviewed,
            method=item.method,
            context_fit=item.context_fit.value,
            strength_scale=item.strength.scale.value,
            strength_level=item.strength.level,
            summary=item.summary,
            link=item.link,
            added_at=as_of,
            added_by=actor,
        )
        session.add(row)
        session.flush()
        project_event(
            session,
            project.ref,
            "EvidenceAdded",
            as_of=as_of,
            actor=actor,
            after=row.public(),
        )
    return row


def evidence_register(settings: Settings, *, ref: str | None, kind: str | None) -> list[dict[str, Any]]:
    if kind is not None:
        parsed = EvidenceKind.parse(kind)
        if parsed is None:
            raise UserError(
                f"{kind!r} is not a kind of evidence; use one of {', '.join(k.value for k in EvidenceKind)}"
            )
        kind = parsed.value
    with unit_of_work(database(settings)) as session:
        project_id = saved_id(require_project(session, ref)) if ref else None
        refs = {saved_id(p): p.ref for p in list_projects(session=session)}
        return [
            {"project": refs[e.project_id], **e.public()}
            for e in list_evidence(session=session, project_id=project_id, kind=kind)
        ]
