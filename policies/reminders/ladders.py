"""Reminders: who is told about each key date, how far ahead, and when (the policy's values).

Rule: each kind of key date has a ladder of lead times (a break-notice
deadline: 90, 60, 30, 14, 7 and 1 days before). At each step every role on
the ladder is told, through the apprise tag that role maps to, at the send
time (08:00 by default) in the organisation's zone, so a reminder goes out at
08:00 local time on both sides of a clock change. With ``working_days_only``
a step that falls on a weekend or bank holiday moves back to the working day
before it (earlier, never later). If the last step of a ladder that
escalates is not acknowledged by the next day, the escalation role is told.

The policy is read from TOML by policies/reminders/policy_file.py; what a
sweep plans from it is policies/reminders/planning.py.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from policies.contracts.key_dates import KeyDateKind
from policies.dates import add_months


class LeadUnit(StrEnum):
    DAYS = "d"
    MONTHS = "m"


@dataclass(frozen=True)
class Lead:
    amount: int
    unit: LeadUnit

    @property
    def code(self) -> str:
        """Short and stable, part of a reminder's idempotency key: ``90d``, ``18m``."""
        return f"{self.amount}{self.unit.value}"

    def __str__(self) -> str:
        word = "day" if self.unit is LeadUnit.DAYS else "month"
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'}"

    @property
    def approx_days(self) -> int:
        return self.amount if self.unit is LeadUnit.DAYS else self.amount * 31

    def before(self, day: dt.date) -> dt.date:
        """The nominal send day for a key date on ``day`` (months clamp at the month end)."""
        if self.unit is LeadUnit.DAYS:
            return day - dt.timedelta(days=self.amount)
        return add_months(day, -self.amount)

    @classmethod
    def parse(cls, text: str) -> "Lead | None":
        text = text.strip().lower()
        if len(text) < 2 or text[-1] not in ("d", "m") or not (text[:-1].isascii() and text[:-1].isdigit()):
            return None
        amount = int(text[:-1])
        if amount > (3660 if text[-1] == "d" else 120):  # ten years either way; digits only, so never negative
            return None
        return cls(amount, LeadUnit(text[-1]))


class Role(StrEnum):
    OWNER = "owner"
    COMMISSIONING = "commissioning"
    FINANCE = "finance"
    ESCALATION = "escalation"


@dataclass(frozen=True)
class Ladder:
    name: str
    kinds: tuple[KeyDateKind, ...]
    leads: tuple[Lead, ...]  # furthest ahead first
    notify: tuple[Role, ...]
    escalate: bool  # the last step also goes to the escalation role unless acknowledged


@dataclass(frozen=True)
class ReminderPolicy:
    """Every value comes from the policy file; its defaults live in one place, policies/reminders/policy_file.py."""

    ladders: Mapping[KeyDateKind, Ladder]
    tags: Mapping[Role, str]
    send_time: dt.time
    working_days_only: bool
    digest: bool
    max_attempts: int
    retry_minutes: tuple[int, ...]
    late_after_minutes: int
    catch_up_days: int
    sources: tuple[str, ...] = field(default=())

    @property
    def leads(self) -> tuple[Lead, ...]:
        """Every distinct lead time in use, for the sweep's range query."""
        return tuple(sorted({lead for ladder in self.ladders.values() for lead in ladder.leads}, key=str))

    def retry_delay(self, attempts: int) -> dt.timedelta:
        """How long to wait after the ``attempts``-th failed attempt (1-based)."""
        index = min(max(attempts, 1), len(self.retry_minutes)) - 1
        return dt.timedelta(minutes=self.retry_minutes[index])

    def is_late(self, send_at: dt.datetime, delivered_at: dt.datetime) -> bool:
        return delivered_at - send_at > dt.timedelta(minutes=self.late_after_minutes)
