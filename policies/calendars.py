"""Working days in the UK: weekends and bank holidays of a nation, or of the whole UK.

Rule: a working day is a weekday that is not a bank holiday in the chosen
calendar. Bank holidays differ by nation (Easter Monday is not one in
Scotland; St Andrew's Day, 2 January and the first Monday of August are;
Northern Ireland adds St Patrick's Day and 12 July), and include substitute
days when a holiday falls at a weekend. The Procurement Act 2023 counts
working days against bank holidays "in any part of the United Kingdom", plus
Christmas Day and Good Friday: that is the ``united_kingdom`` calendar, the
union of the three. A contract's own notice clauses usually use its nation.
The holiday dates are data passed in (flows/ builds them from the
``holidays`` package), so this module stays pure.

Worked example (Procurement Act standstill, from shared/DOMAIN.md): a contract
award notice published on Thursday 18 December 2025 starts an 8-working-day
standstill *beginning with* that day: 18, 19, 22, 23, 24, 29, 30 and 31
December (25 and 26 December are bank holidays), so
``last_of_working_days(date(2025, 12, 18), 8)`` is 31 December 2025.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Nation(StrEnum):
    ENGLAND_AND_WALES = "england_and_wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"
    UNITED_KINGDOM = "united_kingdom"  # any part of the UK: the statutory definition

    @property
    def label(self) -> str:
        return {
            "england_and_wales": "England and Wales",
            "scotland": "Scotland",
            "northern_ireland": "Northern Ireland",
            "united_kingdom": "any part of the UK",
        }[self.value]

    @classmethod
    def parse(cls, text: str) -> "Nation | None":
        key = (text or "").strip().lower().replace("&", "and").replace("-", "_").replace(" ", "_")
        aliases = {
            "england": "england_and_wales",
            "wales": "england_and_wales",
            "eng": "england_and_wales",
            "sct": "scotland",
            "ni": "northern_ireland",
            "nir": "northern_ireland",
            "uk": "united_kingdom",
        }
        try:
            return cls(aliases.get(key, key))
        except ValueError:
            return None


class DaysUnknown(ValueError):
    """A count of working days that reaches a day outside the years whose bank holidays are known: refused in
    words, naming what needed the day (``field``), e.g. "working days are known up to 2060-12-31; the
    standstill from award_notice_on 2060-12-28 needs 2061-01-01". A ValueError, as before, for old callers."""

    def __init__(self, day: dt.date, covers: range, field: str = "a count of working days") -> None:
        self.day, self.covers, self.field = day, covers, field
        last = dt.date(covers.stop - 1, 12, 31)
        known = f"up to {last.isoformat()}" if day > last else f"from {covers.start}-01-01 to {last.isoformat()}"
        super().__init__(f"working days are known {known}; {field} needs {day.isoformat()}")

    def needed_by(self, field: str) -> "DaysUnknown":
        """The same refusal, naming what needed the day."""
        return DaysUnknown(self.day, self.covers, field)


@dataclass(frozen=True)
class WorkingDayCalendar:
    """Weekdays that are not holidays, for one calendar; years outside ``covers`` are refused."""

    name: str
    holidays: frozenset[dt.date]
    covers: range  # the years whose holidays are known

    def _check(self, day: dt.date) -> None:
        if day.year not in self.covers:
            raise DaysUnknown(day, self.covers)

    def is_working_day(self, day: dt.date) -> bool:
        self._check(day)
        return day.weekday() < 5 and day not in self.holidays

    def last_of_working_days(self, first: dt.date, count: int) -> dt.date:
        """The last day of a period of ``count`` working days *beginning with* ``first``.

        ``first`` counts as day 1 when it is a working day.
        """
        if count < 1:
            raise ValueError("a period has at least one working day")
        day = first
        seen = 1 if self.is_working_day(day) else 0
        while seen < count:
            day += dt.timedelta(days=1)
            seen += self.is_working_day(day)
        return day

    def working_days_before(self, event: dt.date, count: int) -> dt.date:
        """The ``count``-th working day before ``event`` (the event day itself not counted).

        Notice of 5 working days before Monday 5 January 2026 (England and
        Wales) counts back 2 January, 31, 30 and 29 December, then 24 December
        (1 January, 25-28 December are holidays or weekend): the deadline is
        Wednesday 24 December 2025.
        """
        if count < 1:
            raise ValueError("a notice period has at least one working day")
        day = event
        seen = 0
        while seen < count:
            day -= dt.timedelta(days=1)
            seen += self.is_working_day(day)
        return day

    def working_days_after(self, start: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
        if count < 1:
            raise ValueError("count at least one working day")
        day = start
        seen = 0
        while seen < count:
            day += dt.timedelta(days=1)
            seen += self.is_working_day(day)
        return day


def calendar_from(name: str, holidays: Iterable[dt.date], years: range) -> WorkingDayCalendar:
    return WorkingDayCalendar(name=name, holidays=frozenset(holidays), covers=years)
