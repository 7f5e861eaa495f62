"""Dates and instants as the user writes them (ISO only, never guessed), and month arithmetic.

Rule: a date is written ``YYYY-MM-DD``; "01/03/2026" is refused because it
means 1 March in the UK and 3 January in the US. An instant may carry its own
offset (``2026-03-01T09:30:00+00:00``); a bare date means the start of that
day in the organisation's time zone (Europe/London by default).

Worked example: ``--as-of 2026-03-29`` (the day the clocks go forward) is
00:00 on 29 March 2026 in London, which is 2026-03-29T00:00:00Z;
``--as-of 2026-07-01`` is 00:00 BST, i.e. 2026-06-30T23:00:00Z. A local time
the clocks skip (2026-03-29T01:30) or repeat (2026-10-25T01:30) is refused
unless it carries an offset.

Rule: a date a user gives falls in the years 1900 to 2200 (``YEARS``): 0001-01-01
and 9999-12-31 are ISO dates Python holds, but a quarter or a term counted from
them runs past the year 9999 that Python and the databases stop at, and no
commissioning fact is dated there. ``parse_iso_date("9999-12-31")`` is refused
as "9999-12-31 is outside the years 1900-2200".

Rule: months always count from the anchor date and clamp at month ends (31
January + 1 month is 28 or 29 February); adding a month twice is never used
for two months. ``add_months(31 January 2026, 2)`` is 31 March 2026, where
adding one month twice would give 28 March.
"""

import calendar
import datetime as dt
import re
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/London"
YEARS = range(1900, 2201)  # the years a date given may fall in: every date derived from one stays valid
# extended or basic form, digits 0-9 only; never a month, week or ordinal
_ISO_DATE_RE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8})$")
_OFFSET_RE = re.compile(r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$", re.IGNORECASE)


def _wall_clock_problem(text: str, zone: str) -> str | None:
    """Say so if a local time without an offset does not exist, or exists twice, in ``zone``."""
    try:
        naive = dt.datetime.fromisoformat(text)  # the wall clock as written (pendulum moves skipped times)
    except ValueError:
        return None
    first, second = (naive.replace(tzinfo=ZoneInfo(zone), fold=f) for f in (0, 1))
    if first.utcoffset() == second.utcoffset():
        return None
    round_trip = first.astimezone(dt.UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    if round_trip != naive:
        return f"{text!r} does not exist in {zone}: the clocks go forward then; give a time outside the gap"
    return f"{text!r} happens twice in {zone} as the clocks go back; add the offset, e.g. {text}+01:00 or {text}+00:00"


def parse_iso_date(text: str) -> tuple[dt.date | None, str | None]:
    """A calendar date in ISO form, or a sentence saying why not."""
    cleaned = (text or "").strip()
    if not _ISO_DATE_RE.match(cleaned):  # "2026-03" (which day?), "2026-W10-1" and "2026-060" are refused
        return None, f"{text!r} is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)"
    try:
        day = dt.date.fromisoformat(cleaned)
    except ValueError as exc:  # ISO in form, but no such day (2027-02-30): say why
        return None, f"{cleaned!r} is not a date: {exc}"
    if day.year not in YEARS:
        return None, outside_years(cleaned)
    return day, None


def outside_years(text: str) -> str:
    """Why a date (or period) ``text`` outside ``YEARS`` is refused."""
    return f"{text} is outside the years {YEARS.start}-{YEARS.stop - 1}"


def parse_as_of(text: str, zone: str = DEFAULT_ZONE) -> tuple[dt.datetime | None, str | None]:
    """An instant (UTC) from an ISO date (start of day in ``zone``) or ISO date-time."""
    import pendulum  # here, not at the top: every command loads the settings, few parse an instant

    cleaned = (text or "").strip()
    try:
        parsed = pendulum.parse(cleaned, exact=True, strict=True, tz=zone)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        parsed = None
    if isinstance(parsed, pendulum.DateTime):
        if not _OFFSET_RE.search(cleaned):
            problem = _wall_clock_problem(cleaned, zone)
            if problem:
                return None, problem
        return parsed.in_timezone("UTC"), None
    if isinstance(parsed, pendulum.Date):
        start = pendulum.datetime(parsed.year, parsed.month, parsed.day, tz=zone)
        return start.in_timezone("UTC"), None
    return None, (f"{text!r} is not an ISO date or date-time (e.g. 2026-03-31 or 2026-03-31T09:00:00+01:00)")


def _in_zone(instant: dt.datetime, zone: str = DEFAULT_ZONE) -> dt.datetime:
    """The instant on ``zone``'s wall clock; a naive one is read as UTC, as ``pendulum.instance`` reads it.

    The standard library's zoneinfo converts an instant exactly as pendulum does (the same tz database), without
    pendulum's import: a payment run or ``show`` needs a local date, not pendulum's parser.
    """
    aware = instant if instant.utcoffset() is not None else instant.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(zone))


def local_date(instant: dt.datetime, zone: str = DEFAULT_ZONE) -> dt.date:
    """The calendar date of an instant in the organisation's zone."""
    return _in_zone(instant, zone).date()


def add_months(anchor: dt.date, months: int) -> dt.date:
    """``anchor`` plus (or minus) whole months, clamped at the month end; always from the anchor.

    The same answer as pendulum's ``Date.add(months=...)`` (a property test holds
    them equal), computed directly because a portfolio derives millions of them.
    """
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month0 = divmod(index, 12)
    if anchor.day <= 28:
        return dt.date(year, month0 + 1, anchor.day)
    return dt.date(year, month0 + 1, min(anchor.day, calendar.monthrange(year, month0 + 1)[1]))


class FutureDated(ValueError):
    """An entry dated after the moment it is entered: nothing is dated in the future."""

    def __init__(self, effective_at: dt.datetime, entered_at: dt.datetime) -> None:
        super().__init__(
            f"an entry dated {effective_at.isoformat(timespec='minutes')} is after the time it is entered "
            f"({entered_at.isoformat(timespec='minutes')}): nothing is dated in the future"
        )


def shown_instant(instant: dt.datetime, zone: str = DEFAULT_ZONE) -> str:
    """An instant as a sentence shows it: the local date when it is the start of that day, else ISO to the minute."""
    local = _in_zone(instant, zone)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return local.date().isoformat()
    return instant.isoformat(timespec="minutes")


_BEGAN = {"contract": "added", "project": "created"}


class BeforeItExisted(ValueError):
    """An entry dated before the thing it speaks of existed (its first entry): the trail never reads backwards."""

    def __init__(self, effective_at: dt.datetime, entity: str, entity_ref: str, began_at: dt.datetime) -> None:
        self.effective_at, self.entity, self.entity_ref, self.began_at = effective_at, entity, entity_ref, began_at
        verb = _BEGAN.get(entity, "first recorded")
        super().__init__(
            f"an entry dated {shown_instant(effective_at)} is before {entity} {entity_ref} was {verb} "
            f"({shown_instant(began_at)}); date it on or after that"
        )
