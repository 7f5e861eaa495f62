"""Building the demo portfolio through the real services, idempotent and resumable.

Each step of a demo project (``flows.demo.portfolio``) is played on its own
day, at 10:00 in the organisation's zone, as the demo actor. Building is
idempotent and resumable: a finished project is left as it is, and one that
was interrupted carries on from its next step.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlmodel import col, func, select

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.cycle.evidence import add_evidence
from flows.cycle.gates import check_advance
from flows.cycle.projects import create_project
from flows.cycle.records import add_record
from flows.demo.portfolio import PORTFOLIO, DemoProject
from models.cycle import get_project
from models.db import unit_of_work
from models.events import Event
from policies.dates import parse_as_of

ACTOR = "demo"


def demo_instant(day: str) -> dt.datetime:
    """A demo day at 10:00 in the organisation's zone, as a UTC instant."""
    instant, why = parse_as_of(f"{day}T10:00:00")
    if instant is None:
        raise ValueError(why)
    return dt.datetime.fromtimestamp(instant.timestamp(), dt.UTC)


Advance = Callable[..., dict[str, Any]]


def demo_progress(engine: Any) -> dict[str, int]:
    """How many steps of each demo project are done (creation counts as one).

    Every step writes exactly one event as the demo actor, in the same
    transaction as its change, so counting those events says where a project's
    script stopped, even after a crash or Ctrl-C part-way through.
    """
    refs = [p.ref for p in PORTFOLIO]
    with unit_of_work(engine) as session:
        rows = session.exec(
            select(Event.entity_ref, func.count())
            .where(Event.actor == ACTOR, Event.entity == "project", col(Event.entity_ref).in_(refs))
            .group_by(col(Event.entity_ref))
        ).all()
        taken = {p.ref for p in PORTFOLIO if get_project(session=session, ref=p.ref) is not None}
    done = {ref: int(n) for ref, n in rows}
    for ref in sorted(taken - set(done)):  # the first by reference: a set's order changes from run to run
        raise UserError(f"project {ref} exists but was not made by the demo; use another data dir for the demo")
    return done


def refuse_a_database_in_use(settings: Settings) -> None:
    """Refuse a database holding users or data the demo did not make: the demo adds an admin and finance users with
    published passwords and a made-up portfolio, so on a live database it would hand out an admin account and the
    two finance accounts a payment needs. A database the demo itself began (its first event is the demo's, and every
    user is a demo user) carries on, so that an interrupted demo finishes and a second run changes nothing. Asked
    before the demo migrates anything: a database at an earlier schema is one an earlier version made, and is
    refused as it is, not migrated first."""
    from flows.common.runtime import database, database_label
    from flows.demo.users import DEMO_USERS
    from models.accounts import UserAccount
    from models.db import schema_revision
    from models.revision import SCHEMA_REVISION

    engine = database(settings, require_schema=False, create=True)
    revision = schema_revision(engine)
    if revision is None:  # a fresh database: nothing in it yet
        return
    if revision != SCHEMA_REVISION:
        raise UserError(
            f"demo: the database at {database_label(settings)} is at schema {revision}, so an earlier version made "
            "it and it holds data the demo did not make; run the demo only on a fresh data directory "
            "(COMMISSIONING_DATA_DIR) or an empty database (COMMISSIONING_DATABASE_URL)"
        )
    demo_names = [u.username for u in DEMO_USERS]
    with unit_of_work(engine) as session:
        first = session.exec(select(Event).order_by(col(Event.id)).limit(1)).first()
        stranger = session.exec(
            select(UserAccount.username)
            .where(col(UserAccount.username).not_in(demo_names))
            .order_by(col(UserAccount.username))
            .limit(1)
        ).first()
    found = (
        f"user {stranger}"
        if stranger is not None
        else f"{first.entity} {first.entity_ref} by {first.actor}"
        if first is not None and first.actor != ACTOR
        else None
    )
    if found is not None:
        raise UserError(
            f"demo: this database already holds users or data the demo did not make ({found}); the demo adds "
            "users with published passwords, so run it only on a fresh data directory (COMMISSIONING_DATA_DIR) "
            "or an empty database (COMMISSIONING_DATABASE_URL)"
        )


def unfinished(engine: Any) -> list[tuple[DemoProject, int]]:
    """Demo projects not fully built yet, with the number of steps already done."""
    done = demo_progress(engine)
    return [(p, done.get(p.ref, 0)) for p in PORTFOLIO if done.get(p.ref, 0) < len(p.steps) + 1]


def build_portfolio(settings: Settings, run_flow: Advance, engine: Any) -> list[str]:
    """Build, or finish building, every demo project; return the refs touched."""
    touched = []
    for project, done in unfinished(engine):
        _play(settings, project, run_flow, done)
        touched.append(project.ref)
    return touched


def _play(settings: Settings, project: DemoProject, run_flow: Advance, done: int) -> None:
    if done == 0:
        create_project(
            settings,
            ref=project.ref,
            title=project.title,
            service_area=project.area,
            owner=project.owner,
            description=project.description,
            stage=project.start_stage,
            as_of=demo_instant(project.start_day),
            actor=ACTOR,
        )
    for step in project.steps[max(done - 1, 0) :]:
        when = demo_instant(step.day)
        if step.action == "evidence":
            add_evidence(settings, ref=project.ref, fields=step.args, as_of=when, actor=ACTOR)
        elif step.action == "record":
            add_record(
                settings,
                ref=project.ref,
                kind=step.args["kind"],
                value=step.args["value"],
                on=dt.date.fromisoformat(step.day),
                note=step.args["note"],
                link=None,
                as_of=when,
                actor=ACTOR,
            )
        elif step.action == "contract":
            add_contracts(
                settings, [Row(f"demo {project.ref}", {**step.args, "project": project.ref})], as_of=when, actor=ACTOR
            )
        elif step.action == "advance":
            request = check_advance(
                settings, ref=project.ref, to=step.args["to"], reason=step.args["reason"], as_of=when
            )
            result = run_flow(request, as_of=when, actor=ACTOR)
            if result["outcome"] == "conflict":
                raise UserError(result["message"])
        else:
            raise ValueError(f"unknown demo step {step.action}")
