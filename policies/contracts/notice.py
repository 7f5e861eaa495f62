"""Notice periods: how long before an event notice must be served, and the last day to serve it.

Rule: a notice deadline is the guarded date minus the notice period: in
months (clamped at month ends, counted from the guarded date), weeks, days,
or working days of the contract's nation. A period is written '3 months',
'12 weeks', '30 days' or '10 working days', and is at least 1 of its unit.

Worked example: 3 months' notice for a break on 31 March 2028 must be served
by 31 December 2027; 12 weeks' notice before an expiry on 31 March 2029 must
be served by 6 January 2029 (84 days before).
"""

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from policies.calendars import WorkingDayCalendar
from policies.dates import add_months
from policies.wholes import too_large


class NoticeUnit(StrEnum):
    MONTHS = "months"
    WEEKS = "weeks"
    DAYS = "days"
    WORKING_DAYS = "working_days"


_NOTICE_RE = re.compile(r"^\s*(?P<n>[0-9]+)\s*(?P<unit>months?|weeks?|days?|working[ _-]days?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class NoticePeriod:
    amount: int
    unit: NoticeUnit

    def __str__(self) -> str:
        unit = self.unit.value.replace("_", " ")
        return f"{self.amount} {unit[:-1] if self.amount == 1 else unit}"

    def before(self, event: dt.date, calendar: WorkingDayCalendar) -> dt.date:
        """The last day on which notice can be served for ``event``."""
        if self.unit is NoticeUnit.MONTHS:
            return add_months(event, -self.amount)
        if self.unit is NoticeUnit.WEEKS:
            return event - dt.timedelta(weeks=self.amount)
        if self.unit is NoticeUnit.DAYS:
            return event - dt.timedelta(days=self.amount)
        return calendar.working_days_before(event, self.amount)


def parse_notice(text: str) -> tuple[NoticePeriod | None, str | None]:
    """'3 months', '12 weeks', '30 days' or '10 working days'."""
    match = _NOTICE_RE.match(text or "")
    if not match:
        return None, f"{text!r} is not a notice period; write e.g. 3 months, 12 weeks, 30 days or 10 working days"
    word = match["unit"].lower().replace(" ", "_").replace("-", "_")
    unit = (
        NoticeUnit.WORKING_DAYS
        if word.startswith("working")
        else NoticeUnit(word if word.endswith("s") else word + "s")
    )
    amount = int(match["n"])
    if amount < 1:
        return None, f"{text!r}: a notice period is at least 1 {unit.value.replace('_', ' ')[:-1]}"
    big = too_large(amount, unit.value)
    if big:
        return None, f"{text!r}: {big}"
    return NoticePeriod(amount, unit), None
