"""UK bank holidays per nation, from the ``holidays`` package, as pure working-day calendars.

England and Wales share one calendar; the United Kingdom calendar is the
union of all three nations' bank holidays (the Procurement Act's "any part of
the United Kingdom"). Built once per process.
"""

from functools import cache

from policies.calendars import Nation, WorkingDayCalendar, calendar_from

YEARS = range(2000, 2061)
_SUBDIVISIONS = {
    Nation.ENGLAND_AND_WALES: ("ENG",),
    Nation.SCOTLAND: ("SCT",),
    Nation.NORTHERN_IRELAND: ("NIR",),
    Nation.UNITED_KINGDOM: ("ENG", "SCT", "NIR"),
}


@cache
def working_day_calendar(nation: Nation) -> WorkingDayCalendar:
    """The bank-holiday calendar of a nation (or of the whole UK), for 2000-2060."""
    import holidays

    days = set()
    for subdivision in _SUBDIVISIONS[nation]:
        days |= set(holidays.country_holidays("GB", subdiv=subdivision, years=YEARS))
    return calendar_from(nation.label, days, YEARS)
