"""The other steps of a reminder's ladder, stopped when the reminder is acknowledged or snoozed."""

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from models.db import UTCDateTime
from models.reminders.tables import Reminder


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
