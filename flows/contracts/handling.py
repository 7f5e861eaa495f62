"""A key date marked handled: a notice served, a decision taken not to break, an option declined.

Marked with who, when (the day it was dealt with, never ahead of the clock)
and a note, in one transaction with its event. From then on `due` and the
calendar show it handled, not missed; its pending reminders are cancelled and
the sweep plans no more for it (models/reminders/planning.py). It holds for
the date it was handled on: if a variation moves the key date, the new date
is due again. Marking it again the same way changes nothing.
"""

import datetime as dt
from typing import Any

from sqlmodel import select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.performance.notices import STOP_REMINDERS
from models.contracts import KeyDateHandled, get_contract, key_dates_of
from models.db import unit_of_work
from models.events import append_event
from policies.dates import local_date

HANDLED_AS = {
    "notice-served": "notice served",
    "not-breaking": "decision taken not to break",
    "option-exercised": "option exercised",
    "option-declined": "option declined",
    "decision-taken": "decision taken",
    "done": "done",
}


def handle_key_date(
    settings: Settings,
    contract_ref: str,
    key: str,
    *,
    handled_as: str,
    note: str,
    on: dt.date | None,
    as_of: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    """Mark a contract's key date handled; its reminders stop. Returns what was recorded (or was already)."""
    if handled_as not in HANDLED_AS:
        raise UserError(f"--as: {handled_as!r} is not one of {', '.join(HANDLED_AS)}")
    note = note.strip()
    if not note:
        raise UserError("--note: say what was done (it goes in the history)")
    today = local_date(as_of, settings.timezone)
    day = on or today
    if day > today:
        raise UserError(f"--on: {day} is in the future; a key date is marked handled once it has been")
    with unit_of_work(database(settings)) as session:
        contract = get_contract(session=session, ref=contract_ref)
        if contract is None or contract.id is None:
            raise UserError(f"no contract {contract_ref!r}")
        dates = {k.key: k for k in key_dates_of(session=session, contract_id=contract.id)}
        found = dates.get(key)
        of_kind = [k for k in dates if k.split(":")[0] == key]
        if found is None and len(of_kind) == 1:  # the kind alone names a key date there is one of
            key, found = of_kind[0], dates[of_kind[0]]
        if found is None:
            keys = of_kind or list(dates)
            more = f" and {len(keys) - 12} more" if len(keys) > 12 else ""
            raise UserError(
                f"{contract_ref} has no key date {key!r}; its keys are: {', '.join(keys[:12]) or 'none'}{more}"
            )
        done = session.exec(
            select(KeyDateHandled).where(
                KeyDateHandled.contract_id == contract.id,
                KeyDateHandled.key == key,
                KeyDateHandled.due_on == found.due_on,
            )
        ).first()
        shown = {"contract": contract.ref, "key": key, "due_on": found.due_on.isoformat()}
        if done is not None:
            if (done.handled_as, done.note) != (handled_as, note):
                raise UserError(
                    f"{contract_ref} {key} was marked {HANDLED_AS.get(done.handled_as, done.handled_as)} on "
                    f"{done.handled_on} by {done.actor}; it stays as recorded"
                )
            return {**shown, "handled_as": done.handled_as, "handled_on": done.handled_on.isoformat(),
                    "by": done.actor, "note": done.note, "reminders_stopped": 0, "existing": True}  # fmt: skip
        session.add(
            KeyDateHandled(
                contract_id=contract.id,
                key=key,
                due_on=found.due_on,
                handled_as=handled_as,
                handled_on=day,
                note=note,
                recorded_at=as_of,
                actor=actor,
            )
        )
        result = session.execute(
            STOP_REMINDERS, {"why": f"key date handled: {HANDLED_AS[handled_as]} on {day}", "c": contract.id, "k": key}
        )
        stopped = int(getattr(result, "rowcount", 0) or 0)
        after = {**shown, "handled_as": handled_as, "handled_on": day.isoformat(), "reminders_stopped": stopped}
        append_event(
            session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=contract.ref,
            action="KeyDateHandled", reason=note, before={"key": key, "handled": None}, after=after,
        )  # fmt: skip
        return {**after, "by": actor, "note": note, "existing": False}
