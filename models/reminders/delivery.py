"""Delivering the outbox: claiming a batch of messages' worth of ready reminders, and recording how the sends went.

Delivery claims pending rows under a lock held until the batch's sends are
recorded: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent deliverers
take disjoint rows; an IMMEDIATE transaction on SQLite, so they take turns. A
crash mid-batch rolls the claim back and its rows are sent again: a duplicate
is possible only for the messages of the batch that was in flight.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, bindparam, select, text, tuple_
from sqlmodel import Session, SQLModel

from models.db import UTCDateTime
from models.reminders.tables import MOVED, PENDING, as_date

_NOW = bindparam("now", type_=UTCDateTime())


def claim_batch(
    *, session: Session, now: dt.datetime, today: dt.date, digest: bool, messages: int, limit: int = 500
) -> tuple[list[list[dict[str, Any]]], int]:
    """Lock up to ``messages`` messages' worth of pending reminders that are ready, and return them, one list
    per message, with the contract and key-date details a message needs; and how many stale rows were
    cancelled instead. ``([], 0)`` when nothing is ready.

    A message is everything ready for one tag (digest), or for one tag and one key date, with the same
    number of attempts, up to ``limit`` reminders."""
    table = SQLModel.metadata.tables["reminder"]
    lock: dict[str, Any] = {"skip_locked": True} if session.connection().dialect.name == "postgresql" else {}
    # Rows with the same history only: a retry never re-sends to targets that had it, nor ages a fresh row.
    names = ["tag", "attempts"] if digest else ["tag", "attempts", "contract_id", "key_date_key", "due_on"]
    keys = [table.c[name] for name in names]
    ready = and_(table.c.status == PENDING, table.c.next_attempt_at <= now)
    seeds = select(*keys).where(ready).order_by(table.c.next_attempt_at, table.c.id).limit(messages)
    wanted = list(dict.fromkeys(tuple(row) for row in session.execute(_locked(seeds, lock))))
    if not wanted:
        return [], 0
    members = select(table.c.id, *keys).where(ready, tuple_(*keys).in_(wanted))
    by_message: dict[tuple[Any, ...], list[int]] = {key: [] for key in wanted}
    for row in session.execute(_locked(members.order_by(table.c.due_on, table.c.id), lock)):
        group = by_message.get(tuple(row[1:]))
        if group is not None and len(group) < limit:
            group.append(row[0])
    ids = [i for group in by_message.values() for i in group]
    # A row whose key date has gone, or whose contract has ended, is cancelled here, never sent.
    stale = {
        r[0]
        for r in session.execute(
            text(
                "SELECT r.id FROM reminder r JOIN contract c ON c.id = r.contract_id "
                "LEFT JOIN contract_key_date k ON k.contract_id = r.contract_id AND k.key = r.key_date_key "
                "AND k.due_on = r.due_on WHERE r.id IN :ids AND (k.id IS NULL OR NOT "
                "((c.status <> 'terminated' AND c.ends_on >= :today) OR k.kind = 'termination_notice'))"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": ids, "today": today},
        )
    }
    if stale:
        session.execute(
            text("UPDATE reminder SET status = 'cancelled', closed_reason = :reason WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": sorted(stale), "reason": MOVED},
        )
    details = _details(session, [i for i in ids if i not in stale])
    groups = [sorted((details[i] for i in group if i in details), key=_order) for group in by_message.values()]
    return [g for g in groups if g], len(stale)


def _locked(query: Select[Any], lock: dict[str, Any]) -> Select[Any]:
    """``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent deliverers take disjoint rows; SQLite's
    IMMEDIATE transaction already holds the write lock."""
    return query.with_for_update(**lock) if lock else query


_COLUMNS = (
    "id",
    "tag",
    "kind",
    "due_on",
    "lead",
    "escalation",
    "send_at",
    "attempts",
    "ref",
    "title",
    "provider",
    "action",
    "who",
)


def _order(item: dict[str, Any]) -> tuple[Any, ...]:
    """A message lists its reminders soonest first, then by contract."""
    return item["due_on"], item["ref"], item["id"]


def _details(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """What a message says of each reminder: its contract and key date."""
    if not ids:
        return {}
    rows = session.execute(
        text(
            "SELECT r.id, r.tag, r.kind, r.due_on, r.lead, r.escalation, r.send_at, r.attempts, "
            "c.ref, c.title, c.provider, k.action, k.who "
            "FROM reminder r JOIN contract c ON c.id = r.contract_id "
            "JOIN contract_key_date k ON k.contract_id = r.contract_id AND k.key = r.key_date_key "
            "AND k.due_on = r.due_on WHERE r.id IN :ids"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": ids},
    )
    out = {}
    for row in rows:
        item = dict(zip(_COLUMNS, row, strict=True))
        item["due_on"] = as_date(item["due_on"])
        item["send_at"] = _instant(item["send_at"])
        item["escalation"] = bool(item["escalation"])
        out[item["id"]] = item
    return out


def delivered_targets(*, session: Session, reminder_ids: Sequence[int]) -> dict[int, set[str]]:
    """The targets each of these reminders has already reached since it was last planned (a retry skips them)."""
    reached: dict[int, set[str]] = {}
    if not reminder_ids:
        return reached
    rows = session.execute(
        text(
            "SELECT a.reminder_id, a.target FROM reminder_attempt a JOIN reminder r ON r.id = a.reminder_id "
            "WHERE a.ok AND a.reminder_id IN :ids AND a.attempted_at >= r.send_at"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": list(reminder_ids)},
    )
    for reminder_id, target in rows:
        reached.setdefault(reminder_id, set()).add(target)
    return reached


Results = Sequence[tuple[str, bool, str | None]]  # (target, ok, error), one per target tried


def record_attempts(*, session: Session, at: dt.datetime, messages: Sequence[tuple[Sequence[int], Results]]) -> None:
    """One attempt row per reminder and target, for every message of a batch, in one statement."""
    table = SQLModel.metadata.tables["reminder_attempt"]
    rows = [
        {"reminder_id": rid, "attempted_at": at, "target": target[:300], "ok": ok, "error": error}
        for reminder_ids, results in messages
        for rid in reminder_ids
        for target, ok, error in results
    ]
    if rows:
        session.execute(table.insert(), rows)


def mark_sent(*, session: Session, reminder_ids: Sequence[int], at: dt.datetime, late_ids: set[int]) -> None:
    session.execute(
        text(
            "UPDATE reminder SET status = 'sent', sent_at = :at, attempts = attempts + 1, "
            "late = CASE WHEN id IN :late THEN TRUE ELSE FALSE END WHERE id IN :ids"
        ).bindparams(
            bindparam("ids", expanding=True), bindparam("late", expanding=True), bindparam("at", type_=UTCDateTime())
        ),
        {"at": at, "ids": list(reminder_ids), "late": list(late_ids) or [-1]},
    )


def mark_failed_attempt(
    *, session: Session, reminder_ids: Sequence[int], retry_at: dt.datetime | None, reason: str
) -> None:
    """One more failed attempt: retry at ``retry_at``, or give up (failed) when it is None."""
    if retry_at is None:
        session.execute(
            text(
                "UPDATE reminder SET status = 'failed', attempts = attempts + 1, closed_reason = :reason "
                "WHERE id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": list(reminder_ids), "reason": reason},
        )
    else:
        session.execute(
            text(
                "UPDATE reminder SET attempts = attempts + 1, next_attempt_at = :retry_at, closed_reason = :reason "
                "WHERE id IN :ids"
            ).bindparams(bindparam("ids", expanding=True), bindparam("retry_at", type_=UTCDateTime())),
            {"ids": list(reminder_ids), "retry_at": retry_at, "reason": reason},
        )


def _instant(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    instant: dt.datetime = value
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)
