"""A key date marked handled: `due` and the calendar say handled, not missed, and its reminder ladder stops.

Housing First, HF-2026-01, as in the reminder tests, moved six years back (HF from 1 April 2020): a break on
31 March 2021 on 3 months' notice, so the break-notice deadline is Thursday 31 December 2020. On 5 January 2021
the deadline has passed while the break is still ahead: `due` flags it MISSED until it is marked handled.
"""

import datetime as dt

import pytest
from icalendar import Calendar

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.contracts.calendar_feed import build_feed
from flows.contracts.due import due
from flows.contracts.handling import handle_key_date
from flows.reminders.outbox import list_reminders
from flows.reminders.sweep import sweep
from tests.integration.reminders.test_reminders import hf_past  # noqa: F401  (the fixture)

REF, KEY = "HF-2026-01", "break_notice_deadline"
PAST = 2020


def at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def break_rows(settings: Settings, as_of: dt.datetime) -> list[dict]:
    return [r for r in due(settings, as_of=as_of, within_days=30) if r["kind"] == KEY]


def handle(settings: Settings, key: str, **given: object) -> dict:
    fields: dict = {"handled_as": "not-breaking", "note": "Cabinet agreed on 17 Dec not to break", "on": None}
    return handle_key_date(settings, REF, key, **{**fields, **given}, as_of=at(PAST, 12, 18), actor="Priya Shah")  # type: ignore[arg-type]


def test_a_missed_deadline_marked_handled_is_shown_handled_and_its_ladder_stops(hf_past: Settings) -> None:  # noqa: F811
    sweep(hf_past, as_of=at(PAST, 12, 17, 7))  # plans the 14-day step
    pending = [r for r in list_reminders(hf_past, status="pending") if r["kind"] == KEY]
    assert pending
    [row] = break_rows(hf_past, at(PAST + 1, 1, 5))
    assert (row["due_on"], row["missed"], row["handled"]) == (f"{PAST}-12-31", True, None)

    done = handle(hf_past, row["key"])
    assert (done["handled_as"], done["handled_on"], done["by"], done["existing"]) == (
        "not-breaking", f"{PAST}-12-18", "Priya Shah", False,
    )  # fmt: skip
    assert done["reminders_stopped"] == len(pending)
    assert not [r for r in list_reminders(hf_past, status="pending") if r["kind"] == KEY]

    [row] = break_rows(hf_past, at(PAST + 1, 1, 5))
    assert (row["missed"], row["handled"]) == (False, "not-breaking")
    # The sweep plans no more steps of its ladder: not the 7-day one, nor the last day's or its escalation.
    for day in (24, 30):
        sweep(hf_past, as_of=at(PAST, 12, day, 7))
    assert not [r for r in list_reminders(hf_past, status="pending") if r["kind"] == KEY]

    # The calendar shows it handled, with no alarm.
    feed, _ = build_feed(hf_past, as_of=at(PAST, 12, 20), days_ahead=30)
    [event] = [e for e in Calendar.from_ical(feed).walk("VEVENT") if KEY.replace("_", " ") in str(e["summary"])]
    assert str(event["summary"]) == f"{REF}: break notice deadline (handled: not breaking)"
    assert not event.walk("VALARM")

    # Marked again the same way: nothing new; another way: refused, it stays as recorded.
    assert handle(hf_past, row["key"])["existing"] is True
    with pytest.raises(UserError, match="was marked decision taken not to break on 2020-12-18 by Priya Shah"):
        handle(hf_past, row["key"], handled_as="notice-served", note="served after all")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"handled_as": "forgotten"}, "--as: 'forgotten' is not one of notice-served, not-breaking"),
        ({"note": "  "}, "--note: say what was done"),
        ({"on": dt.date(PAST, 12, 19)}, "--on: 2020-12-19 is in the future"),
    ],
)
def test_a_bad_handling_is_refused_and_nothing_is_recorded(hf_past: Settings, given: dict, message: str) -> None:  # noqa: F811
    key = break_rows(hf_past, at(PAST + 1, 1, 5))[0]["key"]
    with pytest.raises(UserError, match=message):
        handle(hf_past, key, **given)
    assert break_rows(hf_past, at(PAST + 1, 1, 5))[0]["handled"] is None


def test_an_unknown_key_date_is_refused_naming_the_keys(hf_past: Settings) -> None:  # noqa: F811
    with pytest.raises(UserError, match=f"{REF} has no key date 'break:9'; its keys are: "):
        handle(hf_past, "break:9")
