"""What is due across the portfolio: the fast path behind `commission due`.

It imports no ORM (see models/queries.py), so it answers in well under a
second over a portfolio of 100,000 contracts.
"""

import datetime as dt
from typing import Any

from flows.runtime import database
from flows.settings import Settings
from models.queries import due_rows, iso
from policies.dates import local_date


def due(settings: Settings, *, as_of: dt.datetime, within_days: int) -> list[dict[str, Any]]:
    """Key dates due in the next ``within_days``, soonest first, and deadlines already missed whose event
    (a break, an expiry) is still ahead, flagged ``missed``."""
    today = local_date(as_of, settings.timezone)
    window = dt.timedelta(days=within_days)
    rows = due_rows(database(settings), today=today, last=today + window, missed_since=today - window)
    result = []
    for ref, title, provider, key, kind, due_on, guards, action, who in rows:
        day = iso(due_on) or ""
        days_left = (dt.date.fromisoformat(day) - today).days
        result.append(
            {
                "contract": ref,
                "title": title,
                "provider": provider,
                "missed": days_left < 0,
                "days_left": days_left,
                "key": key,
                "kind": kind,
                "due_on": day,
                "action": action,
                "who": who,
                "guards": iso(guards),
            }
        )
    return result
