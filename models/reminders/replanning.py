"""Changes to key dates: contracts queued for the next sweep to plan afresh, and reminders for dates that moved.

A new contract or a variation queues its contract (in the caller's
transaction); the sweep takes the queue (models/reminders/planning.py).
"""

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from models.reminders.tables import CHUNK, MOVED


def mark_for_replanning(*, session: Session, contract_ids: Iterable[int]) -> None:
    """Queue contracts for the next sweep to plan afresh (in the caller's transaction)."""
    ids = [{"contract_id": i} for i in dict.fromkeys(contract_ids)]
    if not ids:
        return
    if session.connection().dialect.name == "sqlite":  # through the driver: an import queues every contract
        sql = "INSERT OR IGNORE INTO reminder_replan (contract_id) VALUES (?)"
        session.connection().exec_driver_sql(sql, [(i["contract_id"],) for i in ids])
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
