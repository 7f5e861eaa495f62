"""Commissioning projects themselves: finding one by reference, adding one, and the board of them all.

Each command is one transaction: validate, write the change and its event
together, or write nothing. The stage flows (``flows/cycle/stage_flows.py``) reuse the
loading and saving in this package so that the CLI and the flows agree. This
module imports nothing else of ``flows/cycle/``: evidence, records, procurement
and the gates all find their project here.
"""

import datetime as dt
import difflib
import re
from typing import Any

from sqlmodel import Session

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from models.cycle import Project, get_project, latest_gate_decisions, list_projects, saved_id
from models.db import reading, unit_of_work
from models.events import project_event
from policies.cycle.stages import STAGE_ORDER, Stage

REF_RE = re.compile(r"^[A-Z0-9][A-Z0-9\-_/.]{1,39}$")


# --------------------------------------------------------------------------- loading


def require_project(session: Session, ref: str, *, for_update: bool = False) -> Project:
    """The project with this reference, or a user error that suggests near matches."""
    project = get_project(session=session, ref=ref, for_update=for_update)
    if project is None:
        known = [p.ref for p in list_projects(session=session)]
        close = difflib.get_close_matches(ref.upper(), known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `commission projects` lists them"
        raise UserError(f"no project with reference {ref!r}{hint}")
    return project


def refuse_backdating(project: Project, as_of: dt.datetime) -> None:
    if as_of < project.created_at:
        raise UserError(
            f"--as-of {as_of.isoformat()} is before {project.ref} was created ({project.created_at.isoformat()})"
        )


# --------------------------------------------------------------------------- commands


def create_project(
    settings: Settings,
    *,
    ref: str,
    title: str,
    service_area: str,
    owner: str,
    description: str,
    stage: str,
    as_of: dt.datetime,
    actor: str,
) -> Project:
    """Add a project to the portfolio (in Analyse unless it is being onboarded mid-cycle)."""
    ref = ref.strip().upper()
    if not REF_RE.match(ref):
        raise UserError(f"project reference {ref!r} must be 2-40 letters, digits or - _ / . (e.g. FAM-2026-01)")
    _check_fields(title=title, service_area=service_area, owner=owner)
    start = Stage.parse(stage)
    if start is None or start is Stage.DECOMMISSIONED:
        allowed = ", ".join(s.value for s in STAGE_ORDER if s is not Stage.DECOMMISSIONED)
        raise UserError(f"{stage!r} is not a stage a project can start in; use one of {allowed}")
    with unit_of_work(database(settings)) as session:
        if get_project(session=session, ref=ref) is not None:
            raise UserError(f"project {ref} already exists; `commission show {ref}` shows it")
        project = Project(
            ref=ref,
            title=title.strip(),
            service_area=service_area.strip(),
            owner=owner.strip(),
            description=description.strip(),
            stage=start.value,
            cycle=1,
            stage_entered_at=as_of,
            created_at=as_of,
        )
        session.add(project)
        project_event(
            session,
            ref,
            "ProjectCreated",
            as_of=as_of,
            actor=actor,
            reason=None if start is Stage.ANALYSE else f"onboarded mid-cycle in {start.label}",
            after=project.snapshot(),
        )
    return project


def _check_fields(**fields: str | None) -> None:
    """A title (up to 200 characters), service area and owner (120 each), as given; None is not given."""
    for key, value in fields.items():
        name, limit = key.replace("_", " "), 200 if key == "title" else 120
        if value is None:
            continue
        if not value.strip():
            raise UserError(f"a project needs a {name}")
        if len(value.strip()) > limit:
            raise UserError(f"a project's {name} is at most {limit} characters; this one is {len(value.strip())}")


def correct_project(
    settings: Settings,
    *,
    ref: str,
    title: str | None,
    service_area: str | None,
    owner: str | None,
    reason: str,
    as_of: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    """Correct a project's title, owner or service area: one ``ProjectCorrected`` event with before and after."""
    if not reason.strip():
        raise UserError("--reason: say why (it goes in the history)")
    _check_fields(title=title, service_area=service_area, owner=owner)
    given = {k: v.strip() for k, v in (("title", title), ("service_area", service_area), ("owner", owner)) if v}
    if not given:
        raise UserError("nothing to correct: give --title, --owner or --area")
    with unit_of_work(database(settings)) as session:
        project = require_project(session, ref, for_update=True)
        refuse_backdating(project, as_of)
        before = {k: getattr(project, k) for k in given if getattr(project, k) != given[k]}
        after = {k: given[k] for k in before}
        if after:
            for key, value in after.items():
                setattr(project, key, value)
            session.add(project)
            project_event(session, project.ref, "ProjectCorrected", as_of=as_of, actor=actor, reason=reason.strip(),
                          before=before, after=after)  # fmt: skip
        return {"ref": project.ref, "changed": bool(after), "before": before, "after": after}


# --------------------------------------------------------------------------- queries


def board(settings: Settings) -> list[dict[str, Any]]:
    """Every project with its stage and its latest gate result, in cycle order."""
    with reading(database(settings)) as session:
        latest = latest_gate_decisions(session=session)
        rows = []
        for p in list_projects(session=session):
            last = latest.get(saved_id(p))
            rows.append(
                {
                    **p.snapshot(),
                    "stage_entered_at": p.stage_entered_at.isoformat(),
                    "last_gate": None
                    if last is None
                    else {
                        "outcome": last.outcome,
                        "to_stage": last.to_stage,
                        "unmet": len(last.unmet),
                        "decided_at": last.decided_at.isoformat(),
                    },
                }
            )
    order = {s.value: i for i, s in enumerate(STAGE_ORDER)}
    return sorted(rows, key=lambda r: (order[r["stage"]], r["ref"]))
