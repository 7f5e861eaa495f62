"""Stage records: the documents and decisions a project's cycle is judged on (business case, route, award, review).

``add_record`` checks a record typed at the CLI and writes it; ``record_in``
adds an already-checked record to the caller's transaction, so that other
services (a contract decision) record in the same commit as their own change.
A record is never dated after the as-of date, nor added to a decommissioned project.
"""

import datetime as dt

from sqlmodel import Session

from flows.common.errors import UserError
from flows.common.runtime import database, gate_policy
from flows.common.settings import Settings
from flows.cycle.projects import refuse_backdating, require_project
from models.cycle import Project, StageRecordRow, current_records, saved_id
from models.db import unit_of_work
from models.events import project_event
from policies.cycle.gates import record_refusal
from policies.cycle.records import RecordKind, normalise_value
from policies.cycle.stages import Stage
from policies.dates import local_date


def add_record(
    settings: Settings,
    *,
    ref: str,
    kind: str,
    value: str,
    on: dt.date,
    note: str,
    link: str | None,
    as_of: dt.datetime,
    actor: str,
    supersedes: int | None = None,
    reason: str | None = None,
) -> StageRecordRow:
    """Record a stage document or decision (business case, route, award, review decision...); with
    ``supersedes``, in place of that record of the same kind, entered in error (``reason`` says how)."""
    if supersedes is not None and not (reason or "").strip():
        raise UserError("--reason: say why the record it supersedes was wrong (it goes in the history)")
    record_kind = RecordKind.parse(kind)
    if record_kind is None:
        raise UserError(f"{kind!r} is not a kind of record; use one of {', '.join(k.value for k in RecordKind)}")
    stored, why = normalise_value(record_kind, value)
    if stored is None:
        raise UserError(f"record not added: {why}")
    with unit_of_work(database(settings)) as session:
        project = require_project(session, ref)
        if project.stage != Stage.DECOMMISSIONED.value:
            why = record_refusal(record_kind, Stage(project.stage), gate_policy(settings))
            if why:
                raise UserError(f"project {project.ref} is in {why}")
        if on > local_date(as_of, settings.timezone):
            raise UserError(
                f"--on {on.isoformat()} is after the as-of date {local_date(as_of, settings.timezone).isoformat()}: "
                "a decision is recorded once it has been made"
            )
        wrong = None
        if supersedes is not None:
            wrong = session.get(StageRecordRow, supersedes)
            if wrong is None or wrong.project_id != saved_id(project) or wrong.kind != record_kind.value:
                raise UserError(f"{project.ref} has no {record_kind.value} record {supersedes} to supersede")
            if wrong.superseded_by is not None:
                raise UserError(f"record {supersedes} of {project.ref} was superseded by record {wrong.superseded_by}")
        row = record_in(session, project, record_kind, stored, on=on, note=note, link=link, as_of=as_of, actor=actor)
        if wrong is not None:
            before = wrong.public()
            wrong.superseded_by, wrong.superseded_reason = row.id, (reason or "").strip()
            session.add(wrong)
            project_event(session, project.ref, "RecordSuperseded", as_of=as_of, actor=actor,
                          reason=wrong.superseded_reason, before=before, after=row.public())  # fmt: skip
        return row


def record_in(
    session: Session,
    project: Project,
    kind: RecordKind,
    value: str,
    *,
    on: dt.date,
    note: str,
    link: str | None,
    as_of: dt.datetime,
    actor: str,
) -> StageRecordRow:
    """Add a checked stage record and its event to the caller's transaction."""
    if project.stage == Stage.DECOMMISSIONED.value:
        raise UserError(f"project {project.ref} is decommissioned; nothing more can be recorded")
    refuse_backdating(project, as_of)
    previous = current_records(session=session, project=project).get(kind)
    row = StageRecordRow(
        project_id=saved_id(project),
        cycle=project.cycle,
        kind=kind.value,
        value=value,
        recorded_on=on,
        note=note.strip(),
        link=link,
        recorded_at=as_of,
        recorded_by=actor,
    )
    session.add(row)
    session.flush()
    project_event(
        session,
        project.ref,
        "RecordAdded",
        as_of=as_of,
        actor=actor,
        reason=note.strip() or None,
        before={"kind": kind.value, "value": previous.value} if previous else None,
        after=row.public(),
    )
    return row
