"""The append-only event log: who did what, when, why, with before and after.

Nothing updates or deletes an event; the migration adds database triggers
that refuse it, so even a hand-written UPDATE fails. An event keeps both the
instant it speaks of (``effective_at``, the run's as-of) and the real time it
was entered (``recorded_at``); one dated after it was entered is refused
(``FutureDated``): this is where every write passes, so a service called
directly cannot date anything in the future either. Nor can an entry be dated
before the thing it speaks of existed, i.e. before that entity's first event
(``BeforeItExisted``): a variation dated before ContractAdded would make the
trail tell an impossible story. That check is one indexed look-up (the history
index) per event written alone; a bulk write checks only the entities it is
told already exist, once each.
"""

import datetime as dt
import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import JSON, Column, Index, insert
from sqlmodel import Field, Session, SQLModel, col, select

from models.db import UTCDateTime
from models.pbr.bulk import bulk_insert, driver_value
from policies.dates import BeforeItExisted, FutureDated


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (Index("ix_event_history", "entity", "entity_ref", "effective_at", "id"),)  # history in order

    id: int | None = Field(default=None, primary_key=True)
    effective_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=120)
    entity: str = Field(max_length=40)
    entity_ref: str = Field(max_length=80)
    action: str = Field(max_length=60)
    reason: str | None = Field(default=None)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

    def public(self) -> dict[str, Any]:
        """The entry as a history line shows it: the date it speaks of and when it was entered."""
        return {
            "at": self.effective_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "reason": self.reason,
            "before": self.before,
            "after": self.after,
        }


def append_event(
    *,
    session: Session,
    effective_at: dt.datetime,
    actor: str,
    entity: str,
    entity_ref: str,
    action: str,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Event:
    """Add an event to the caller's transaction (the caller commits)."""
    entered_at = dt.datetime.now(dt.UTC)
    if effective_at > entered_at:
        raise FutureDated(effective_at, entered_at)
    refuse_before_existence(session, entity, entity_ref, effective_at)
    row = Event(
        effective_at=effective_at,
        recorded_at=entered_at,
        actor=actor,
        entity=entity,
        entity_ref=entity_ref,
        action=action,
        reason=reason,
        before=before,
        after=after,
    )
    session.add(row)
    return row


def first_event_at(session: Session, entity: str, entity_ref: str) -> dt.datetime | None:
    """When this thing's history begins (its creation), or None when it has none yet; one look-up in the index."""
    stmt = (
        select(Event.effective_at)
        .where(Event.entity == entity, Event.entity_ref == entity_ref)
        .order_by(col(Event.effective_at), col(Event.id))
        .limit(1)
    )
    return session.exec(stmt).first()


def refuse_before_existence(session: Session, entity: str, entity_ref: str, effective_at: dt.datetime) -> None:
    """Raise ``BeforeItExisted`` when an entry for this thing is dated before its first event."""
    began = first_event_at(session, entity, entity_ref)
    if began is not None and effective_at < began:
        raise BeforeItExisted(effective_at, entity, entity_ref, began)


def project_event(
    session: Session,
    project_ref: str,
    action: str,
    *,
    as_of: dt.datetime,
    actor: str,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Event:
    """An event in a commissioning project's history (in the caller's transaction)."""
    return append_event(
        session=session,
        effective_at=as_of,
        actor=actor,
        entity="project",
        entity_ref=project_ref,
        action=action,
        reason=reason,
        before=before,
        after=after,
    )


def append_events(
    *,
    session: Session,
    rows: list[dict[str, Any]],
    entered_at: dt.datetime | None = None,
    existing: Collection[tuple[str, str]] | None = None,
) -> None:
    """Add many events at once (each a dict of Event's fields, without recorded_at), in the caller's transaction.

    ``entered_at`` (default: now) is when they were entered: one import, written in batches, gives every batch
    the instant it began, so its events read as the one entry they are. It cannot be in the future.
    ``existing`` names the (entity, entity_ref) among the rows that may already have a history, each checked
    once that no row is dated before it began (``BeforeItExisted``); None checks every one the rows name. An
    import of new contracts passes only their projects (a new contract has no earlier event)."""
    now = dt.datetime.now(dt.UTC)
    if entered_at is not None:
        if entered_at > now:
            raise FutureDated(entered_at, now)
        now = entered_at
    latest = max((row["effective_at"] for row in rows), default=None)
    if latest is not None and latest > now:
        raise FutureDated(latest, now)
    earliest: dict[tuple[str, str], dt.datetime] = {}
    for row in rows:
        key = (row["entity"], row["entity_ref"])
        if key not in earliest or row["effective_at"] < earliest[key]:
            earliest[key] = row["effective_at"]
    for key in sorted(earliest if existing is None else set(existing) & earliest.keys()):
        refuse_before_existence(session, *key, earliest[key])
    if session.connection().dialect.name == "sqlite":  # the driver's executemany: SQLAlchemy's per-row work cost more
        names = ("effective_at", "recorded_at", "actor", "entity", "entity_ref", "action", "reason", "before", "after")
        at = {r["effective_at"] for r in rows}
        instants = {when: driver_value(session, when) for when in (*at, now)}  # an import's rows share them
        plain = (
            (
                instants[r["effective_at"]], instants[now], r["actor"],
                r["entity"], r["entity_ref"], r["action"], r.get("reason"),
                None if r.get("before") is None else json.dumps(r["before"]),
                None if r.get("after") is None else json.dumps(r["after"]),
            )
            for r in rows
        )  # fmt: skip
        bulk_insert(session, "event", names, plain, prepared=True)
        return
    for i in range(0, len(rows), 5000):
        chunk = [{"recorded_at": now, **row} for row in rows[i : i + 5000]]
        session.execute(insert(SQLModel.metadata.tables["event"]), chunk)


def events_for(*, session: Session, entity: str, entity_ref: str) -> list[Event]:
    """The history of one thing, oldest first."""
    stmt = (
        select(Event)
        .where(Event.entity == entity, Event.entity_ref == entity_ref)
        .order_by(col(Event.effective_at), col(Event.id))
    )
    return list(session.exec(stmt))
