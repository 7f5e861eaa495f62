"""The audit log, filtered by project, contract, actor and date, newest first, and as CSV.

A CSV cell that a spreadsheet would take for a formula (starting with = + - @) is written with a leading
apostrophe, so an export opened in Excel runs nothing a user typed.
"""

import csv
import datetime as dt
import io
import json
from typing import Any

from sqlmodel import col, func, select

from flows.common.runtime import database
from flows.common.settings import Settings
from models.db import unit_of_work
from models.events import Event

COLUMNS = ("at", "recorded_at", "actor", "entity", "entity_ref", "action", "reason", "before", "after")


def audit_log(
    settings: Settings,
    *,
    project: str = "",
    contract: str = "",
    actor: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Events that match every filter given, newest first, with the total that match."""
    conditions: list[Any] = []
    if project.strip():
        conditions += [Event.entity == "project", Event.entity_ref == project.strip().upper()]
    if contract.strip():
        conditions += [Event.entity == "contract", Event.entity_ref == contract.strip().upper()]
    if actor.strip():
        conditions.append(Event.actor == actor.strip())
    if since is not None:
        conditions.append(col(Event.effective_at) >= since)
    if until is not None:
        conditions.append(col(Event.effective_at) < until)
    with unit_of_work(database(settings)) as session:
        total = session.exec(select(func.count()).select_from(Event).where(*conditions)).one()
        rows = session.exec(
            select(Event)
            .where(*conditions)
            .order_by(col(Event.effective_at).desc(), col(Event.id).desc())
            .offset(max(0, offset))
            .limit(min(max(1, limit), 100_000))
        )
        events = [{**e.public(), "entity": e.entity, "entity_ref": e.entity_ref} for e in rows]
    return {"total": int(total), "events": events}


def _cell(value: Any) -> str:
    text = "" if value is None else json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv(events: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in events:
        writer.writerow([_cell(e.get(name)) for name in COLUMNS])
    return out.getvalue()
