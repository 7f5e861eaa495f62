"""Dates and instants as the user writes them: ISO only, never guessed.

Rule: a date is written ``YYYY-MM-DD``; "01/03/2026" is refused because it
means 1 March in the UK and 3 January in the US. An instant may carry its own
offset (``2026-03-01T09:30:00+00:00``); a bare date means the start of that
day in the organisation's time zone (Europe/London by default).

Worked example: ``--as-of 2026-03-29`` (the day the clocks go forward) is
00:00 on 29 March 2026 in London, which is 2026-03-29T00:00:00Z;
``--as-of 2026-07-01`` is 00:00 BST, i.e. 2026-06-30T23:00:00Z.
"""

import datetime as dt

import pendulum

DEFAULT_ZONE = "Europe/London"


def parse_iso_date(text: str) -> tuple[dt.date | None, str | None]:
    """A calendar date in ISO form, or a sentence saying why not."""
    try:
        parsed = pendulum.parse((text or "").strip(), exact=True, strict=True)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        return None, f"{text!r} is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)"
    if isinstance(parsed, pendulum.DateTime) or not isinstance(parsed, dt.date):
        return None, f"{text!r} is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)"
    return dt.date(parsed.year, parsed.month, parsed.day), None


def parse_as_of(text: str, zone: str = DEFAULT_ZONE) -> tuple[dt.datetime | None, str | None]:
    """An instant (UTC) from an ISO date (start of day in ``zone``) or ISO date-time."""
    cleaned = (text or "").strip()
    try:
        parsed = pendulum.parse(cleaned, exact=True, strict=True, tz=zone)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        parsed = None
    if isinstance(parsed, pendulum.DateTime):
        return parsed.in_timezone("UTC"), None
    if isinstance(parsed, pendulum.Date):
        start = pendulum.datetime(parsed.year, parsed.month, parsed.day, tz=zone)
        return start.in_timezone("UTC"), None
    return None, (f"{text!r} is not an ISO date or date-time (e.g. 2026-03-31 or 2026-03-31T09:00:00+01:00)")


def local_date(instant: dt.datetime, zone: str = DEFAULT_ZONE) -> dt.date:
    """The calendar date of an instant in the organisation's zone."""
    local = pendulum.instance(instant).in_timezone(zone)
    return dt.date(local.year, local.month, local.day)
