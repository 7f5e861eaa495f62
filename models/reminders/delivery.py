"""Delivering the outbox: claiming a message's worth of ready reminders, and recording how the send went.

Delivery claims pending rows under a lock held until the send is recorded:
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent deliverers take
disjoint rows; an IMMEDIATE transaction on SQLite, so they take turns. A
crash mid-send rolls the claim back and the row is sent again: a duplicate is
possible only for a message that was in flight.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session, SQLModel

from models.db import UTCDateTime
from models.reminders.tables import MOVED, as_date

_NOW = bindparam("now", type_=UTCDateTime())


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
        item["due_on"] = as_date(item["due_on"])
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


def _instant(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    instant: dt.datetime = value
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)
