"""The outbox as people see it: list reminders and their attempts, acknowledge, snooze.

Acknowledging a reminder stops the rest of its ladder for that key date and
recipient; snoozing sends it again on a later day and no earlier step before
then. Both are events on the contract.
"""

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, text

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.reminders.policy import reminder_policy
from models.db import unit_of_work
from models.events import append_event
from models.reminders.ladder_steps import cancel_escalation, cancel_other_steps
from models.reminders.tables import ACKED, CANCELLED, FAILED, PENDING, SENT, STATUSES, Reminder
from policies.dates import local_date
from policies.reminders.planning import send_instant


def _reminder_for_update(session: Any, reminder_id: int) -> Reminder:
    from sqlmodel import select

    row: Reminder | None = session.exec(select(Reminder).where(Reminder.id == reminder_id).with_for_update()).first()
    if row is None:
        raise UserError(f"there is no reminder #{reminder_id}; see `commission reminders list`")
    return row


def _contract_ref(session: Any, contract_id: int) -> str:
    return str(session.execute(text("SELECT ref FROM contract WHERE id = :i"), {"i": contract_id}).scalar_one())


def _refuse_if_date_gone(session: Any, row: Reminder, doing: str) -> None:
    """A reminder whose key date the contract no longer has (a variation or decision moved or removed it) is not
    acknowledged or snoozed: it would come back as pending for a day nothing falls due on."""
    still = session.execute(
        text("SELECT 1 FROM contract_key_date WHERE contract_id = :c AND key = :k AND due_on = :d"),
        {"c": row.contract_id, "k": row.key_date_key, "d": row.due_on},
    ).first()
    if still is None:
        raise UserError(
            f"reminder #{row.id} is for {row.key_date_key.replace('_', ' ')} on {row.due_on}, a key date the "
            f"contract no longer has (it moved or went); there is nothing to {doing}. "
            "See `commission reminders list` for the reminders of its new dates"
        )


def acknowledge(settings: Settings, reminder_id: int, *, as_of: dt.datetime, actor: str) -> dict[str, Any]:
    """Stop the rest of the ladder for this key date and this recipient; a second ack changes nothing."""
    with unit_of_work(database(settings)) as session:
        row = _reminder_for_update(session, reminder_id)
        if row.status == ACKED:
            return {**_public(row, _contract_ref(session, row.contract_id)), "changed": False}
        if row.status == CANCELLED:
            raise UserError(
                f"reminder #{reminder_id} was cancelled ({row.closed_reason}); there is nothing to acknowledge"
            )
        _refuse_if_date_gone(session, row, "acknowledge")
        before = row.status
        row.status, row.acked_at, row.acked_by = ACKED, as_of, actor
        session.add(row)
        session.flush()
        stopped = cancel_other_steps(session=session, reminder=row, reason=f"acknowledged with reminder #{row.id}")
        stopped += cancel_escalation(session=session, reminder=row, reason=f"acknowledged with reminder #{row.id}")
        ref = _contract_ref(session, row.contract_id)
        append_event(
            session=session,
            effective_at=as_of,
            actor=actor,
            entity="contract",
            entity_ref=ref,
            action="ReminderAcknowledged",
            before={"reminder": row.id, "status": before},
            after={
                "reminder": row.id,
                "status": ACKED,
                "key": row.key_date_key,
                "due_on": row.due_on.isoformat(),
                "tag": row.tag,
                "steps_stopped": stopped,
            },
        )
        return {**_public(row, ref), "changed": True, "steps_stopped": stopped}


def snooze(settings: Settings, reminder_id: int, *, until: dt.date, as_of: dt.datetime, actor: str) -> dict[str, Any]:
    """Send this reminder again on ``until`` (at the send time), and no earlier step of its ladder before then."""
    policy = reminder_policy(settings)
    today = local_date(as_of, settings.timezone)
    with unit_of_work(database(settings)) as session:
        row = _reminder_for_update(session, reminder_id)
        if row.status not in (PENDING, SENT, FAILED):
            raise UserError(
                f"reminder #{reminder_id} is {row.status}; only a pending, sent or failed one can be snoozed"
            )
        _refuse_if_date_gone(session, row, "snooze")
        if until <= today:
            raise UserError(f"--until {until} is not after today ({today}); snooze to a later day")
        if until > row.due_on:
            raise UserError(
                f"--until {until} is after the key date itself ({row.due_on}); snooze to {row.due_on} at the latest, "
                "or acknowledge the reminder"
            )
        before = {"reminder": row.id, "status": row.status, "send_at": row.send_at.isoformat()}
        at = send_instant(until, policy, settings.timezone)
        row.status, row.snoozed_until, row.send_at, row.next_attempt_at = PENDING, until, at, at
        row.attempts, row.late, row.closed_reason = 0, False, None
        session.add(row)
        session.flush()
        cancel_other_steps(session=session, reminder=row, reason=f"snoozed with reminder #{row.id}", before=at)
        ref = _contract_ref(session, row.contract_id)
        append_event(
            session=session,
            effective_at=as_of,
            actor=actor,
            entity="contract",
            entity_ref=ref,
            action="ReminderSnoozed",
            before=before,
            after={"reminder": row.id, "status": PENDING, "until": until.isoformat(), "send_at": at.isoformat()},
        )
        return _public(row, ref)


def list_reminders(
    settings: Settings, *, status: str | None = None, limit: int = 1000, reminder_id: int | None = None
) -> list[dict[str, Any]]:
    if status is not None and status not in STATUSES:
        raise UserError(f"--status {status!r} is not a status; use {', '.join(STATUSES)}")
    from sqlmodel import col, select

    with unit_of_work(database(settings)) as session:
        stmt = select(Reminder)
        if status is not None:
            stmt = stmt.where(Reminder.status == status)
        if reminder_id is not None:
            stmt = stmt.where(Reminder.id == reminder_id)
        rows = list(session.exec(stmt.order_by(col(Reminder.send_at), col(Reminder.id)).limit(limit)))
        refs = contract_refs(session, {r.contract_id for r in rows})
        errors: dict[int, str] = {}
        failing = [r.id for r in rows if r.status in (PENDING, FAILED) and r.attempts and r.id is not None]
        for i in range(0, len(failing), 5000):
            for reminder_id, error in session.execute(
                text(
                    "SELECT reminder_id, error FROM reminder_attempt WHERE NOT ok AND reminder_id IN :ids ORDER BY id"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": failing[i : i + 5000]},
            ):
                errors[reminder_id] = error
        return [{**_public(r, refs.get(r.contract_id, "?")), "last_error": errors.get(r.id or 0)} for r in rows]


def attempts_of(settings: Settings, reminder_id: int) -> list[dict[str, Any]]:
    with unit_of_work(database(settings)) as session:
        rows = session.execute(
            text("SELECT attempted_at, target, ok, error FROM reminder_attempt WHERE reminder_id = :i ORDER BY id"),
            {"i": reminder_id},
        )
        return [{"attempted_at": str(a), "target": t, "ok": bool(ok), "error": e} for a, t, ok, e in rows]


def _public(row: Reminder, ref: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "contract": ref,
        "key": row.key_date_key,
        "kind": row.kind,
        "due_on": row.due_on.isoformat(),
        "lead": row.lead,
        "tag": row.tag,
        "escalation": row.escalation,
        "status": row.status,
        "send_at": row.send_at.isoformat(),
        "attempts": row.attempts,
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "late": row.late,
        "snoozed_until": row.snoozed_until.isoformat() if row.snoozed_until else None,
        "acked_by": row.acked_by,
        "reason": row.closed_reason,
    }


def contract_refs(session: Any, contract_ids: set[int]) -> dict[int, str]:
    if not contract_ids:
        return {}
    rows = session.execute(
        text("SELECT id, ref FROM contract WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
        {"ids": sorted(contract_ids)},
    )
    return {int(i): str(r) for i, r in rows}
