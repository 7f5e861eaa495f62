"""The key-date calendar feed: an iCalendar file with alarms, for Outlook and Google Calendar.

Each key date is an all-day event whose UID is stable (contract and key), so
importing a newer feed updates events instead of duplicating them. Deadlines
carry two alarms, 14 days and 1 day before; other key dates one, 7 days before.
"""

import datetime as dt
from typing import Any

from icalendar import Alarm, Calendar, Event

from flows.runtime import database
from flows.settings import Settings
from models.contracts import key_dates_between
from models.db import unit_of_work
from policies.contract_status import ContractStatus
from policies.dates import local_date
from policies.key_dates import status_on

PRODID = "-//commissioning//key dates//EN"


def build_feed(settings: Settings, *, as_of: dt.datetime, days_ahead: int) -> tuple[bytes, int]:
    """The feed of key dates from the as-of day for ``days_ahead`` days; returns the bytes and the event count."""
    today = local_date(as_of, settings.timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Contract key dates")
    calendar.add("x-wr-timezone", settings.timezone)
    count = 0
    with unit_of_work(database(settings)) as session:
        for key_date, contract in key_dates_between(
            session=session, first=today, last=today + dt.timedelta(days=days_ahead)
        ):
            status = status_on(contract.to_terms(), ContractStatus(contract.status), today)
            if status in (ContractStatus.TERMINATED, ContractStatus.EXPIRED) and key_date.kind != "termination_notice":
                continue
            calendar.add_component(_event(key_date, contract, as_of))
            count += 1
    return calendar.to_ical(), count


def _event(key_date: Any, contract: Any, stamp: dt.datetime) -> Event:
    event = Event()
    what = key_date.kind.replace("_", " ")
    event.add("uid", f"{contract.ref}-{key_date.key.replace(':', '-')}@commissioning")
    event.add("dtstamp", stamp)
    event.add("dtstart", key_date.due_on)
    event.add("dtend", key_date.due_on + dt.timedelta(days=1))
    event.add("summary", f"{contract.ref}: {what}")
    event.add("description", f"{key_date.action}.\nWho: {key_date.who}.\n{contract.title} ({contract.provider}).")
    event.add("categories", [what])
    event.add("transp", "TRANSPARENT")
    leads = (14, 1) if key_date.guards is not None else (7,)
    for days in leads:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{contract.ref}: {what} in {days} day(s)")
        alarm.add("trigger", dt.timedelta(days=-days))
        event.add_component(alarm)
    return event
