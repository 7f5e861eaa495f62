"""The reminder outbox: planned reminders, every delivery attempt, sweeps, and contracts to re-plan.

A reminder row is unique by its idempotency key (key date, lead, recipient
tag), so planning the same reminder twice inserts it once. Delivery claims
pending rows under a lock held until the send is recorded: ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so concurrent deliverers take disjoint rows; an
IMMEDIATE transaction on SQLite, so they take turns. A crash mid-send rolls
the claim back and the row is sent again: a duplicate is possible only for a
message that was in flight.

Statuses: pending -> sent | failed | cancelled; pending or sent -> acked.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

import models.contracts  # noqa: F401  (the contract table, which reminders refer to)
from models.db import UTCDateTime
from policies.reminders.ladders import KeyDateFact, PlannedReminder, RecipientKey, RecipientState

PENDING, SENT, FAILED, CANCELLED, ACKED = "pending", "sent", "failed", "cancelled", "acked"
MOVED = "the key date moved or no longer applies"  # a cancelled row that comes back if its date does
STATUSES = (PENDING, SENT, FAILED, ACKED, CANCELLED)
CHUNK = 5000
_NOW = bindparam("now", type_=UTCDateTime())


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_reminder_idempotency_key"),
        Index("ix_reminder_ready", "status", "next_attempt_at"),
        Index("ix_reminder_key_date", "contract_id", "key_date_key", "due_on", "tag"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200)
    contract_id: int = Field(foreign_key="contract.id")
    key_date_key: str = Field(max_length=40)
    kind: str = Field(max_length=30)
    due_on: dt.date
    lead: str = Field(max_length=8)
    step: int
    last_step: bool
    tag: str = Field(max_length=60)
    escalation: bool = False
    send_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: str = Field(max_length=10)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    late: bool = False
    snoozed_until: dt.date | None = None
    acked_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    acked_by: str | None = Field(default=None, max_length=120)
    closed_reason: str | None = None
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReminderAttempt(SQLModel, table=True):
    """One try at one target: what was tried, when, and what came back (no secrets)."""

    __tablename__ = "reminder_attempt"

    id: int | None = Field(default=None, primary_key=True)
    reminder_id: int = Field(foreign_key="reminder.id", index=True)
    attempted_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    target: str = Field(max_length=300)
    ok: bool
    error: str | None = None


class ReminderSweep(SQLModel, table=True):
    """A finished sweep: the send days it covered, so the next one starts where it stopped."""

    __tablename__ = "reminder_sweep"

    id: int | None = Field(default=None, primary_key=True)
    as_of: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    window_start: dt.date | None = None
    through: dt.date = Field(index=True)
    planned: int
    replanned_contracts: int


class ReminderReplan(SQLModel, table=True):
    """Contracts whose key dates changed since the last sweep (a new contract, a variation)."""

    __tablename__ = "reminder_replan"

    contract_id: int = Field(foreign_key="contract.id", primary_key=True)


# --------------------------------------------------------------------------- changes to key dates


def mark_for_replanning(*, session: Session, contract_ids: Iterable[int]) -> None:
    """Queue contracts for the next sweep to plan afresh (in the caller's transaction)."""
    ids = [{"contract_id": i} for i in dict.fromkeys(contract_ids)]
    if not ids:
        return
    table = SQLModel.metadata.tables["reminder_replan"]
    dialect = postgresql if session.connection().dialect.name == "postgresql" else sqlite
    for i in range(0, len(ids), CHUNK):
        session.execute(dialect.insert(table).on_conflict_do_nothing(), ids[i : i + CHUNK])


CANCEL_STALE = text("""
UPDATE reminder SET status = 'cancelled', closed_reason = :reason
WHERE contract_id = :contract_id AND status = 'pending'
  AND NOT EXISTS (SELECT 1 FROM contract_key_date k
                  WHERE k.contract_id = reminder.contract_id AND k.key = reminder.key_date_key
                    AND k.due_on = reminder.due_on)
""")


def key_dates_changed(*, session: Session, contract_id: int) -> int:
    """After a contract's key dates were rewritten: cancel reminders for dates that moved or went,
    and queue the contract so the next sweep plans its new dates. Returns how many were cancelled."""
    result = session.execute(CANCEL_STALE, {"contract_id": contract_id, "reason": MOVED})
    mark_for_replanning(session=session, contract_ids=[contract_id])
    return int(getattr(result, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- sweep


_IN_FORCE = """((c.status <> 'terminated' AND c.ends_on >= :today) OR k.kind = 'termination_notice')"""


def key_dates_in_ranges(
    *, session: Session, ranges: Sequence[tuple[dt.date, dt.date, Sequence[str]]], today: dt.date
) -> list[KeyDateFact]:
    """Key dates of these kinds, of contracts in force, due within each range (index range scans)."""
    facts: list[KeyDateFact] = []
    stmt = text(
        "SELECT k.contract_id, k.key, k.kind, k.due_on, c.nation FROM contract_key_date k "
        "JOIN contract c ON c.id = k.contract_id "
        f"WHERE k.due_on BETWEEN :low AND :high AND k.kind IN :kinds AND {_IN_FORCE}"
    ).bindparams(bindparam("kinds", expanding=True))
    for low, high, kinds in ranges:
        rows = session.execute(stmt, {"low": low, "high": high, "kinds": list(kinds), "today": today})
        facts += [KeyDateFact(r[0], r[1], r[2], _date(r[3]), r[4]) for r in rows]
    return facts


def key_dates_to_replan(
    *, session: Session, oldest: dt.date, latest: dt.date, today: dt.date
) -> tuple[list[KeyDateFact], list[int]]:
    """Take the queue of contracts to re-plan (deleting it, in the caller's transaction) and return the key
    dates from ``oldest`` to ``latest`` of those contracts, and their ids.

    Taking the queue with DELETE ... RETURNING means a variation that commits
    while the sweep runs queues its contract again, for the next sweep.
    """
    ids = sorted(r[0] for r in session.execute(text("DELETE FROM reminder_replan RETURNING contract_id")))
    facts: list[KeyDateFact] = []
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        rows = session.execute(
            text(
                "SELECT k.contract_id, k.key, k.kind, k.due_on, c.nation FROM contract_key_date k "
                "JOIN contract c ON c.id = k.contract_id "
                f"WHERE k.contract_id IN :ids AND k.due_on BETWEEN :oldest AND :latest AND {_IN_FORCE}"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": chunk, "oldest": oldest, "latest": latest, "today": today},
        )
        facts += [KeyDateFact(r[0], r[1], r[2], _date(r[3]), r[4]) for r in rows]
    return facts, ids


def recipient_states(*, session: Session, contract_ids: Iterable[int]) -> dict[RecipientKey, RecipientState]:
    """What the outbox holds for each (key date, tag) of these contracts."""
    found: dict[RecipientKey, RecipientState] = {}
    ids = sorted(set(contract_ids))
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(
            text(
                "SELECT contract_id, key_date_key, due_on, tag, status, snoozed_until FROM reminder "
                "WHERE contract_id IN :ids AND NOT (status = 'cancelled' AND closed_reason = :moved)"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": ids[i : i + CHUNK], "moved": MOVED},
        )
        for contract_id, key, due_on, tag, status, snoozed in rows:
            k = (contract_id, key, _date(due_on), tag)
            was = found.get(k, RecipientState())
            snooze = _date(snoozed) if snoozed is not None else None
            found[k] = RecipientState(
                reminded=True,
                acked=was.acked or status == ACKED,
                snoozed_until=max((d for d in (was.snoozed_until, snooze) if d is not None), default=None),
            )
    return found


def insert_planned(*, session: Session, planned: Sequence[PlannedReminder], now: dt.datetime) -> int:
    """Insert planned reminders, skipping any whose idempotency key is already there; return how many were new."""
    if not planned:
        return 0
    table = SQLModel.metadata.tables["reminder"]
    dialect = postgresql if session.connection().dialect.name == "postgresql" else sqlite
    rows = [
        {
            "idempotency_key": p.idempotency_key,
            "contract_id": p.contract_id,
            "key_date_key": p.key,
            "kind": p.kind,
            "due_on": p.due_on,
            "lead": p.lead.code,
            "step": p.step,
            "last_step": p.last_step,
            "tag": p.tag,
            "escalation": p.escalation,
            "send_at": p.send_at,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": p.send_at,
            "late": False,
            "created_at": now,
        }
        for p in planned
    ]
    inserted = 0
    # A row cancelled because its date moved comes back if the date moves back (A -> B -> A).
    insert = dialect.insert(table)
    stmt = insert.on_conflict_do_update(
        index_elements=["idempotency_key"],
        set_={
            "status": PENDING,
            "closed_reason": None,
            "attempts": 0,
            "send_at": insert.excluded.send_at,
            "next_attempt_at": insert.excluded.next_attempt_at,
        },
        where=(table.c.status == CANCELLED) & (table.c.closed_reason == MOVED),
    ).returning(table.c.id)
    for i in range(0, len(rows), CHUNK):
        inserted += len(session.execute(stmt, rows[i : i + CHUNK]).all())
    return inserted


def last_swept_through(*, session: Session) -> dt.date | None:
    value = session.execute(text("SELECT MAX(through) FROM reminder_sweep")).scalar()
    return _date(value) if value is not None else None


# --------------------------------------------------------------------------- delivery


def claim_group(
    *, session: Session, now: dt.datetime, today: dt.date, digest: bool, limit: int = 500
) -> list[dict[str, Any]]:
    """Lock the next message's worth of pending reminders that are ready, and return them with the
    contract and key-date details a message needs. Empty when nothing is ready.

    A message is everything ready for one tag (digest), or for one tag and one key date."""
    postgres = session.connection().dialect.name == "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED" if postgres else ""
    ready = "status = 'pending' AND next_attempt_at <= :now"
    seed = session.execute(
        text(
            f"SELECT id, tag, contract_id, key_date_key, due_on, attempts FROM reminder WHERE {ready} "
            f"ORDER BY next_attempt_at, id LIMIT 1{skip_locked}"
        ).bindparams(_NOW),
        {"now": now},
    ).first()
    if seed is None:
        return []
    # Rows with the same history only: a retry never re-sends to targets that had it, nor ages a fresh row.
    same = "tag = :tag AND attempts = :attempts"
    if not digest:
        same += " AND contract_id = :cid AND key_date_key = :key AND due_on = :due"
    ids = [
        r[0]
        for r in session.execute(
            text(
                f"SELECT id FROM reminder WHERE {ready} AND {same} ORDER BY due_on, id LIMIT :n{skip_locked}"
            ).bindparams(_NOW),
            {
                "now": now,
                "tag": seed[1],
                "cid": seed[2],
                "key": seed[3],
                "due": seed[4],
                "attempts": seed[5],
                "n": limit,
            },
        )
    ]
    if seed[0] not in ids:
        ids.append(seed[0])
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
        ids = [i for i in ids if i not in stale]
        if not ids:
            return [{"id": i, "stale": True} for i in sorted(stale)]
    rows = session.execute(
        text(
            "SELECT r.id, r.tag, r.kind, r.due_on, r.lead, r.escalation, r.send_at, r.attempts, "
            "c.ref, c.title, c.provider, k.action, k.who "
            "FROM reminder r JOIN contract c ON c.id = r.contract_id "
            "JOIN contract_key_date k ON k.contract_id = r.contract_id AND k.key = r.key_date_key "
            "AND k.due_on = r.due_on WHERE r.id IN :ids ORDER BY r.due_on, c.ref, r.id"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": ids},
    )
    columns = (
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
    out = []
    for row in rows:
        item = dict(zip(columns, row, strict=True))
        item["due_on"] = _date(item["due_on"])
        item["send_at"] = _instant(item["send_at"])
        item["escalation"] = bool(item["escalation"])
        out.append(item)
    return out


def delivered_targets(*, session: Session, reminder_ids: Sequence[int]) -> set[str]:
    """Targets that every one of these reminders has already reached (so a retry skips them)."""
    if not reminder_ids:
        return set()
    rows = session.execute(
        text(
            "SELECT a.target FROM reminder_attempt a JOIN reminder r ON r.id = a.reminder_id "
            "WHERE a.ok AND a.reminder_id IN :ids AND a.attempted_at >= r.send_at "
            "GROUP BY a.target HAVING COUNT(DISTINCT a.reminder_id) = :n"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": list(reminder_ids), "n": len(set(reminder_ids))},
    )
    return {r[0] for r in rows}


def record_attempts(
    *, session: Session, reminder_ids: Sequence[int], at: dt.datetime, results: Sequence[tuple[str, bool, str | None]]
) -> None:
    table = SQLModel.metadata.tables["reminder_attempt"]
    rows = [
        {"reminder_id": rid, "attempted_at": at, "target": target[:300], "ok": ok, "error": error}
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


def cancel_other_steps(*, session: Session, reminder: Reminder, reason: str, before: dt.datetime | None = None) -> int:
    """Cancel the other pending steps for the same key date and tag (only those due before ``before``,
    if given); return how many."""
    sql = (
        "UPDATE reminder SET status = 'cancelled', closed_reason = :reason WHERE status = 'pending' "
        "AND contract_id = :c AND key_date_key = :k AND due_on = :d AND tag = :t AND id <> :i"
    )
    params: dict[str, Any] = {
        "reason": reason,
        "c": reminder.contract_id,
        "k": reminder.key_date_key,
        "d": reminder.due_on,
        "t": reminder.tag,
        "i": reminder.id,
    }
    stmt = text(sql)
    if before is not None:
        stmt = text(sql + " AND send_at < :before").bindparams(bindparam("before", type_=UTCDateTime()))
        params["before"] = before
    result = session.execute(stmt, params)
    return int(getattr(result, "rowcount", 0) or 0)


def cancel_escalation(*, session: Session, reminder: Reminder, reason: str) -> int:
    """Cancel the pending escalation of this reminder's key date: someone has acknowledged it."""
    result = session.execute(
        text(
            "UPDATE reminder SET status = 'cancelled', closed_reason = :reason WHERE status = 'pending' "
            "AND escalation AND contract_id = :c AND key_date_key = :k AND due_on = :d AND id <> :i"
        ),
        {
            "reason": reason,
            "c": reminder.contract_id,
            "k": reminder.key_date_key,
            "d": reminder.due_on,
            "i": reminder.id,
        },
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- reading


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _instant(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    instant: dt.datetime = value
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)
