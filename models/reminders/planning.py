"""What the sweep reads and writes: key dates due in its ranges, the re-plan queue, what the outbox
already holds for each recipient, the planned rows (inserted idempotently), and how far it has swept."""

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from models.reminders.tables import ACKED, CANCELLED, CHUNK, MOVED, PENDING, as_date, as_instant
from policies.reminders.planning import KeyDateFact, PlannedReminder, RecipientKey, RecipientState

_IN_FORCE = """((c.status <> 'terminated' AND c.ends_on >= :today) OR k.kind = 'termination_notice')
AND NOT EXISTS (SELECT 1 FROM contract_notice n
                WHERE n.contract_id = k.contract_id AND n.satisfies_key = k.key AND n.status = 'published')
AND NOT EXISTS (SELECT 1 FROM key_date_handled h
                WHERE h.contract_id = k.contract_id AND h.key = k.key AND h.due_on = k.due_on)"""
# A key date a published notice satisfied (UK9, breach: flows/performance/notices.py), or one marked handled
# (flows/contracts/handling.py), gets no more reminders.


def key_dates_in_ranges(
    *, session: Session, ranges: Sequence[tuple[dt.date, dt.date, Sequence[str]]], today: dt.date
) -> list[KeyDateFact]:
    """Key dates of these kinds, of contracts in force, due within each range (index range scans)."""
    facts: list[KeyDateFact] = []
    stmt = text(
        "SELECT k.contract_id, k.key, k.kind, k.due_on, c.nation, c.created_at FROM contract_key_date k "
        "JOIN contract c ON c.id = k.contract_id "
        f"WHERE k.due_on BETWEEN :low AND :high AND k.kind IN :kinds AND {_IN_FORCE}"
    ).bindparams(bindparam("kinds", expanding=True))
    for low, high, kinds in ranges:
        rows = session.execute(stmt, {"low": low, "high": high, "kinds": list(kinds), "today": today})
        facts += [KeyDateFact(r[0], r[1], r[2], as_date(r[3]), r[4], as_instant(r[5])) for r in rows]
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
                "SELECT k.contract_id, k.key, k.kind, k.due_on, c.nation, c.created_at FROM contract_key_date k "
                "JOIN contract c ON c.id = k.contract_id "
                f"WHERE k.contract_id IN :ids AND k.due_on BETWEEN :oldest AND :latest AND {_IN_FORCE}"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": chunk, "oldest": oldest, "latest": latest, "today": today},
        )
        facts += [KeyDateFact(r[0], r[1], r[2], as_date(r[3]), r[4], as_instant(r[5])) for r in rows]
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
            k = (contract_id, key, as_date(due_on), tag)
            was = found.get(k, RecipientState())
            snooze = as_date(snoozed) if snoozed is not None else None
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
    return as_date(value) if value is not None else None
