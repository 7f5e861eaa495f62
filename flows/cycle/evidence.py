"""A project's evidence register: adding an item after checking every field, withdrawing one, and listing it.

An item is unique per (project, kind, source); adding it is one transaction
with its ``EvidenceAdded`` event, and it cannot be dated before the project
was created. An item entered in error is withdrawn with a reason
(``EvidenceWithdrawn``, its before and after): it stays in the register and the
history, marked withdrawn, and the stage gates no longer count it.
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


def withdraw_evidence(
    settings: Settings, *, ref: str, item: int, reason: str, as_of: dt.datetime, actor: str
) -> dict[str, Any]:
    """Withdraw an item of a project's evidence: kept, marked withdrawn, and no longer counted by the gates."""
    if not reason.strip():
        raise UserError("--reason: say why the item is withdrawn (it goes in the history)")
    with unit_of_work(database(settings)) as session:
        project = require_project(session, ref)
        refuse_backdating(project, as_of)
        row = session.get(Evidence, item)
        if row is None or row.project_id != saved_id(project):
            raise UserError(f"{project.ref} has no evidence item {item}; `commission evidence list {project.ref}`")
        if row.withdrawn_at is not None:
            raise UserError(
                f"evidence item {item} of {project.ref} was withdrawn on {row.withdrawn_at.date()} by "
                f"{row.withdrawn_by}: {row.withdrawn_reason}"
            )
        if as_of < row.added_at:
            raise UserError(f"--as-of: evidence item {item} was added at {row.added_at}, after {as_of}")
        before = row.public()
        row.withdrawn_at, row.withdrawn_by, row.withdrawn_reason = as_of, actor, reason.strip()
        session.add(row)
        after = row.public()
        project_event(
            session, project.ref, "EvidenceWithdrawn", as_of=as_of, actor=actor, reason=reason.strip(),
            before=before, after=after,
        )  # fmt: skip
        return {"project": project.ref, **after}


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
