"""The key-date calendar feed: an iCalendar file with alarms, for Outlook and Google Calendar.

Each key date is an all-day event whose UID is stable (contract and key), so
importing a newer feed updates events instead of duplicating them. Deadlines
carry two alarms, 14 days and 1 day before; other key dates one, 7 days before.
"""

import datetime as dt

from icalendar import Alarm, Calendar, Event

from flows.common.runtime import database
from flows.common.settings import Settings
from models.contract_queries import due_rows, iso
from policies.dates import local_date

PRODID = "-//commissioning//key dates//EN"


def build_feed(
    settings: Settings, *, as_of: dt.datetime, days_ahead: int, providers: tuple[str, ...] | None = None
) -> tuple[bytes, int]:
    """The feed of key dates from the as-of day for ``days_ahead`` days; returns the bytes and the event count.

    ``providers`` keeps only those providers' contracts (a provider user's personal feed)."""
    today = local_date(as_of, settings.timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Contract key dates")
    calendar.add("x-wr-timezone", settings.timezone)
    rows = due_rows(database(settings), today=today, last=today + dt.timedelta(days=days_ahead), missed_since=today)
    if providers is not None:
        rows = [row for row in rows if row[2] in providers]
    for ref, title, provider, key, kind, due_on, guards, action, who, handled in rows:
        day = dt.date.fromisoformat(iso(due_on) or "")
        event = _event(ref, title, provider, key, kind, day, guards is not None, action, who, as_of, handled)
        calendar.add_component(event)
    return calendar.to_ical(), len(rows)


def _event(
    ref: str,
    title: str,
    provider: str,
    key: str,
    kind: str,
    day: dt.date,
    deadline: bool,
    action: str,
    who: str,
    stamp: dt.datetime,
    handled: str | None = None,
) -> Event:
    event = Event()
    what = kind.replace("_", " ")
    if handled:  # dealt with: said in the title, and no alarm rings for it
        what += f" (handled: {handled.replace('-', ' ')})"
    event.add("uid", f"{ref}-{key.replace(':', '-')}@commissioning")
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", f"{ref}: {what}")
    event.add("description", f"{action}.\nWho: {who}.\n{title} ({provider}).")
    event.add("categories", [what])
    event.add("transp", "TRANSPARENT")
    for days in () if handled else (14, 1) if deadline else (7,):
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{ref}: {what} in {days} day(s)")
        alarm.add("trigger", dt.timedelta(days=-days))
        event.add_component(alarm)
    return event
