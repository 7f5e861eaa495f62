"""Reminders: who is told about each key date, how far ahead, and when.

Rule: each kind of key date has a ladder of lead times (a break-notice
deadline: 90, 60, 30, 14, 7 and 1 days before). At each step every role on
the ladder is told, through the apprise tag that role maps to, at the send
time (08:00 by default) in the organisation's zone, so a reminder goes out at
08:00 local time on both sides of a clock change. With ``working_days_only``
a step that falls on a weekend or bank holiday moves back to the working day
before it (earlier, never later). If the last step of a ladder that
escalates is not acknowledged by the next day, the escalation role is told.

Planning is incremental. A sweep covers the send days since the previous
sweep (its *window*), so a server that was down over a long weekend sends
every step it missed, marked late. A key date the sweep has never reminded
anyone of (a new contract, a moved date) gets its latest step that is already
due, sent that day, not the whole ladder at once. An acknowledged key date gets no more
steps; a snoozed one gets none before the snooze ends. Key dates further in
the past than ``catch_up_days`` are history, not reminders.

Worked example: a break-notice deadline on Friday 5 March 2027 (England and
Wales). The 7-day step is due on Friday 26 February at 08:00 GMT (08:00 UTC);
the 30-day step on 3 February. If the server was down from 24 to 27 February,
the sweep on 27 February sends the 7-day step, marked late. The 1-day step on
Thursday 4 March is the last and also goes to the escalation tag.
"""

import datetime as dt
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from policies.calendars import WorkingDayCalendar
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
        if len(text) < 2 or text[-1] not in ("d", "m") or not text[:-1].isdigit():
            return None
        amount = int(text[:-1])
        if amount < 0 or amount > (3660 if text[-1] == "d" else 120):
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
    escalate: bool = True  # the last step also goes to the escalation role unless acknowledged


@dataclass(frozen=True)
class ReminderPolicy:
    ladders: Mapping[KeyDateKind, Ladder]
    tags: Mapping[Role, str]
    send_time: dt.time = dt.time(8, 0)
    working_days_only: bool = False
    digest: bool = True
    max_attempts: int = 5
    retry_minutes: tuple[int, ...] = (5, 15, 60, 240)
    late_after_minutes: int = 60
    catch_up_days: int = 30
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


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class PolicyProblem:
    source: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.where}: {self.reason}"


_SECTIONS = {"send", "delivery", "recipients", "ladders"}
_SEND_KEYS = {"time", "working_days_only", "digest"}
_DELIVERY_KEYS = {"max_attempts", "retry_minutes", "late_after_minutes", "catch_up_days"}
_LADDER_KEYS = {"kinds", "leads", "notify", "escalate"}


def parse_policy_text(text: str, source: str) -> tuple[dict[str, Any] | None, list[PolicyProblem]]:
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return None, [PolicyProblem(source, "file", f"is not valid TOML: {exc}")]


def build_reminder_policy(
    documents: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[ReminderPolicy | None, list[PolicyProblem]]:
    """Merge documents in order (later ones override key by key, ladder by ladder) and validate."""
    merged: dict[str, dict[str, Any]] = {"send": {}, "delivery": {}, "recipients": {}, "ladders": {}}
    origin: dict[str, str] = {}
    problems: list[PolicyProblem] = []
    for source, doc in documents:
        for section, body in doc.items():
            if section not in _SECTIONS:
                problems.append(PolicyProblem(source, section, f"is not a section; use {', '.join(sorted(_SECTIONS))}"))
                continue
            if not isinstance(body, Mapping):
                problems.append(PolicyProblem(source, section, "must be a table"))
                continue
            for key, value in body.items():
                merged[section][key] = value
                origin[f"{section}.{key}"] = source
    policy = _build(merged, origin, problems)
    if problems:
        return None, problems
    assert policy is not None
    return ReminderPolicy(**{**policy.__dict__, "sources": tuple(s for s, _ in documents)}), []


def _build(merged: dict[str, dict[str, Any]], origin: dict[str, str], problems: list[PolicyProblem]) -> ReminderPolicy:
    def problem(where: str, reason: str) -> None:
        problems.append(PolicyProblem(origin.get(where, "policy"), where, reason))

    def unknown(section: str, allowed: set[str]) -> None:
        for key in merged[section]:
            if key not in allowed:
                problem(f"{section}.{key}", f"is not a setting; use {', '.join(sorted(allowed))}")

    unknown("send", _SEND_KEYS)
    unknown("delivery", _DELIVERY_KEYS)
    send, delivery = merged["send"], merged["delivery"]

    send_time = dt.time(8, 0)
    raw_time = send.get("time", "08:00")
    try:
        send_time = dt.time.fromisoformat(raw_time) if isinstance(raw_time, str) else raw_time
        if not isinstance(send_time, dt.time):
            raise ValueError
        if send_time.hour == 1:
            problem("send.time", f"{raw_time} falls between 01:00 and 02:00, which the clock changes skip or repeat")
    except ValueError:
        problem("send.time", f'{raw_time!r} is not a time of day such as "08:00"')
        send_time = dt.time(8, 0)

    def flag(section: str, key: str, default: bool) -> bool:
        value = merged[section].get(key, default)
        if not isinstance(value, bool):
            problem(f"{section}.{key}", "must be true or false")
            return default
        return value

    def whole(key: str, default: int, low: int, high: int) -> int:
        value = delivery.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problem(f"delivery.{key}", f"must be a whole number from {low} to {high}")
            return default
        return value

    retry = delivery.get("retry_minutes", [5, 15, 60, 240])
    if (
        not isinstance(retry, list)
        or not retry
        or not all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 10080 for m in retry)
    ):
        problem("delivery.retry_minutes", "must be a list of whole minutes from 1 to 10080, e.g. [5, 15, 60]")
        retry = [5, 15, 60, 240]

    tags: dict[Role, str] = {role: role.value for role in Role}
    for key, value in merged["recipients"].items():
        try:
            role = Role(key)
        except ValueError:
            problem(f"recipients.{key}", f"is not a role; use {', '.join(r.value for r in Role)}")
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > 60 or "," in value:
            problem(f"recipients.{key}", "must be one apprise tag (text, at most 60 characters, no commas)")
            continue
        tags[role] = value.strip()

    ladders: dict[KeyDateKind, Ladder] = {}
    claimed: dict[KeyDateKind, str] = {}
    for name, raw in merged["ladders"].items():
        where = f"ladders.{name}"
        if not isinstance(raw, Mapping):
            problem(where, "must be a table with kinds, leads and notify")
            continue
        ladder = _ladder(name, raw, partial(problem, where))
        if ladder is None:
            continue
        for kind in ladder.kinds:
            if kind in claimed:
                problem(where, f"kind {kind.value} is already in ladder {claimed[kind]}; a kind has one ladder")
            claimed[kind] = name
            ladders[kind] = ladder
    return ReminderPolicy(
        ladders=ladders,
        tags=tags,
        send_time=send_time,
        working_days_only=flag("send", "working_days_only", False),
        digest=flag("send", "digest", True),
        max_attempts=whole("max_attempts", 5, 1, 50),
        retry_minutes=tuple(retry),
        late_after_minutes=whole("late_after_minutes", 60, 1, 1440),
        catch_up_days=whole("catch_up_days", 30, 0, 366),
    )


def _ladder(name: str, raw: Mapping[str, Any], problem: Callable[[str], None]) -> Ladder | None:
    for key in raw:
        if key not in _LADDER_KEYS:
            problem(f"{key} is not a ladder setting; use kinds, leads, notify, escalate")
    kinds: list[KeyDateKind] = []
    for text in _strings(raw.get("kinds"), "kinds", problem):
        try:
            kinds.append(KeyDateKind(text))
        except ValueError:
            problem(f"kinds: {text!r} is not a key-date kind; use {', '.join(k.value for k in KeyDateKind)}")
    leads: list[Lead] = []
    for text in _strings(raw.get("leads"), "leads", problem):
        lead = Lead.parse(text)
        if lead is None:
            problem(f'leads: {text!r} is not a lead time; write days or months, e.g. "30d" or "6m"')
        else:
            leads.append(lead)
    if len(set(leads)) != len(leads):
        problem("leads: a lead time appears twice")
    roles: list[Role] = []
    for text in _strings(raw.get("notify"), "notify", problem):
        try:
            roles.append(Role(text))
        except ValueError:
            problem(f"notify: {text!r} is not a role; use {', '.join(r.value for r in Role)}")
    escalate = raw.get("escalate", True)
    if not isinstance(escalate, bool):
        problem("escalate must be true or false")
    if not kinds or not leads or not roles or not isinstance(escalate, bool):
        return None
    ordered = tuple(sorted(set(leads), key=lambda lead: lead.before(dt.date(2001, 1, 31))))
    return Ladder(name, tuple(kinds), ordered, tuple(dict.fromkeys(roles)), escalate)


def _strings(value: Any, key: str, problem: Callable[[str], None]) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problem(f"{key} must be a non-empty list of text")
        return []
    return list(value)


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class KeyDateFact:
    """One materialised key date, as the planner needs it."""

    contract_id: int
    key: str
    kind: str
    due_on: dt.date
    nation: str


RecipientKey = tuple[int, str, dt.date, str]  # (contract id, key-date key, due date, tag)


@dataclass(frozen=True)
class RecipientState:
    """What the outbox already holds for one key date and one tag."""

    reminded: bool = False  # any step has been planned for it before
    acked: bool = False
    snoozed_until: dt.date | None = None


@dataclass(frozen=True)
class PlannedReminder:
    contract_id: int
    key: str
    kind: str
    due_on: dt.date
    lead: Lead
    step: int  # 1 for the first step of the ladder
    last_step: bool
    tag: str
    send_day: dt.date
    send_at: dt.datetime  # UTC
    escalation: bool = False

    @property
    def idempotency_key(self) -> str:
        """Unique per (key date, lead, recipient tag); the due date is part of the key date's identity,
        so a moved date gets new reminders and its old ones go stale."""
        return f"{self.contract_id}/{self.key}/{self.due_on.isoformat()}/{self.lead.code}/{self.tag}"


def send_instant(day: dt.date, policy: ReminderPolicy, zone: str) -> dt.datetime:
    """The send time on ``day`` in the organisation's zone, as a UTC instant."""
    local = dt.datetime.combine(day, policy.send_time, tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC)


def send_day(lead: Lead, due_on: dt.date, policy: ReminderPolicy, calendar: WorkingDayCalendar | None) -> dt.date:
    day = lead.before(due_on)
    if policy.working_days_only and calendar is not None:
        for _ in range(31):  # bounded: no run of non-working days is this long
            if calendar.is_working_day(day):
                break
            day -= dt.timedelta(days=1)
    return day


def plan_reminders(
    key_dates: Iterable[KeyDateFact],
    policy: ReminderPolicy,
    *,
    zone: str,
    today: dt.date,
    window_start: dt.date | None,
    states: Mapping[RecipientKey, RecipientState],
    calendar_for: Callable[[str], WorkingDayCalendar] | None = None,
    now: dt.datetime | None = None,
) -> list[PlannedReminder]:
    """The reminders a sweep on ``today`` (at ``now``) should hold for these key dates.

    ``window_start`` is the last day the previous sweep covered (None if there
    was none): steps due after it are all planned; steps due on or before it
    are planned only for a key date nobody has been reminded of, and then
    only the latest, to go out now. A snooze holds back every step before it
    ends except the last. The escalation of a last step is planned for the
    next day at the send time, so acknowledging the last step in time stops
    it. The result may repeat rows the outbox already has; the idempotency key
    makes inserting them again a no-op.
    """
    oldest = today - dt.timedelta(days=policy.catch_up_days)
    escalation_tag = policy.tags[Role.ESCALATION]
    planned: list[PlannedReminder] = []
    for fact in key_dates:
        try:
            ladder = policy.ladders.get(KeyDateKind(fact.kind))
        except ValueError:
            ladder = None
        if ladder is None or fact.due_on < oldest:
            continue
        calendar = calendar_for(fact.nation) if policy.working_days_only and calendar_for else None
        # Numbered in the order they fall for this key date (a month and a day count can cross at month ends).
        dated = sorted(
            ((send_day(lead, fact.due_on, policy, calendar), lead) for lead in ladder.leads),
            key=lambda pair: (pair[0], pair[1].approx_days),
        )
        steps = [(i, lead, day) for i, (day, lead) in enumerate(dated, 1)]
        due = [s for s in steps if s[2] <= today]
        if not due:
            continue
        escalate_at: tuple[int, Lead, dt.date] | None = None
        for role in ladder.notify:
            tag = policy.tags[role]
            state = states.get((fact.contract_id, fact.key, fact.due_on, tag), RecipientState())
            if state.acked:
                continue
            fresh = [s for s in due if window_start is not None and s[2] > window_start]
            first_notice = not fresh and not state.reminded
            if first_notice:  # told now, not "late": nobody could have been told sooner
                fresh = [(step, lead, max(day, today)) for step, lead, day in due[-1:]]
            if state.snoozed_until is not None:
                fresh = [s for s in fresh if s[2] >= state.snoozed_until or s[0] == len(steps)]
            for step, lead, day in fresh:
                last = step == len(steps)
                at = send_instant(day, policy, zone)
                if first_notice and now is not None:
                    at = max(at, now)
                planned.append(
                    PlannedReminder(fact.contract_id, fact.key, fact.kind, fact.due_on, lead, step, last, tag, day, at)
                )
                if last and ladder.escalate and tag != escalation_tag:
                    escalate_at = (step, lead, day)
        if escalate_at is not None:
            state = states.get((fact.contract_id, fact.key, fact.due_on, escalation_tag), RecipientState())
            if not state.acked:
                step, lead, day = escalate_at
                day = max(day, today) + dt.timedelta(days=1)  # a day to acknowledge the last step first
                planned.append(
                    PlannedReminder(
                        fact.contract_id,
                        fact.key,
                        fact.kind,
                        fact.due_on,
                        lead,
                        step,
                        True,
                        escalation_tag,
                        day,
                        send_instant(day, policy, zone),
                        escalation=True,
                    )
                )
    return planned


def due_on_ranges(
    policy: ReminderPolicy, *, after: dt.date, through: dt.date
) -> list[tuple[dt.date, dt.date, tuple[str, ...]]]:
    """For each lead time: the due dates of key dates whose step can fall on a send day in (``after``,
    ``through``], and the kinds that use that lead.

    The sweep reads only these (index range scans), so its cost follows what
    is due; a little slack covers month-end clamping and steps moved back to a
    working day, and ``has_step_between`` then filters exactly.
    """
    if through <= after:
        return []
    shift = dt.timedelta(days=14 if policy.working_days_only else 0)
    first = after + dt.timedelta(days=1)
    kinds_by_lead: dict[Lead, set[str]] = {}
    for kind, ladder in policy.ladders.items():
        for lead in ladder.leads:
            kinds_by_lead.setdefault(lead, set()).add(kind.value)
    ranges = []
    for lead in policy.leads:
        if lead.unit is LeadUnit.DAYS:
            low, high = first + dt.timedelta(days=lead.amount), through + dt.timedelta(days=lead.amount)
        else:
            low, high = add_months(first, lead.amount), add_months(through, lead.amount) + dt.timedelta(days=3)
        ranges.append((low, high + shift, tuple(sorted(kinds_by_lead[lead]))))
    return ranges


def has_step_between(
    fact: KeyDateFact,
    policy: ReminderPolicy,
    *,
    after: dt.date,
    through: dt.date,
    calendar_for: Callable[[str], WorkingDayCalendar] | None = None,
) -> bool:
    """Whether a step of this key date's ladder falls on a send day in (``after``, ``through``]."""
    try:
        ladder = policy.ladders.get(KeyDateKind(fact.kind))
    except ValueError:
        return False
    if ladder is None:
        return False
    calendar = calendar_for(fact.nation) if policy.working_days_only and calendar_for else None
    return any(after < send_day(lead, fact.due_on, policy, calendar) <= through for lead in ladder.leads)
