"""Planning reminders: which steps of which ladders a sweep puts in the outbox, and when they go out.

Planning is incremental. A sweep covers the send days since the previous
sweep (its *window*), so a server that was down over a long weekend sends
every step it missed, marked late. A key date the sweep has never reminded
anyone of (a new contract, a moved date) gets its latest step that is already
due, sent that day, not the whole ladder at once; so does one whose due steps
all fell before its contract was recorded (``known_since``), even in a window
the sweep covers: a step due before the product knew of the date was not missed
while the system was down, and is never sent as late. An acknowledged key date gets no more
steps; a snoozed one gets none before the snooze ends. Key dates further in
the past than ``catch_up_days`` are history, not reminders.

Worked example: a break-notice deadline on Friday 5 March 2027 (England and
Wales). The 7-day step is due on Friday 26 February at 08:00 GMT (08:00 UTC);
the 30-day step on 3 February. If the server was down from 24 to 27 February,
the sweep on 27 February sends the 7-day step, marked late; had the contract been
recorded only on 27 February, it would send that step then, not late. The 1-day step on
Thursday 4 March is the last and also goes to the escalation tag.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from policies.calendars import DaysUnknown, WorkingDayCalendar
from policies.contracts.key_dates import KeyDateKind
from policies.dates import add_months
from policies.reminders.ladders import Lead, LeadUnit, ReminderPolicy, Role


@dataclass(frozen=True)
class KeyDateFact:
    """One materialised key date, as the planner needs it."""

    contract_id: int
    key: str
    kind: str
    due_on: dt.date
    nation: str
    known_since: dt.datetime | None = None  # when the product first held it (its contract was recorded); None: always


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
        try:
            while not calendar.is_working_day(day):  # ends: a calendar refuses days outside the years it knows
                day -= dt.timedelta(days=1)
        except DaysUnknown as exc:
            raise exc.needed_by(f"the reminder {lead} before the key date on {due_on}") from None
    return day


def _known_by(fact: KeyDateFact, day: dt.date, policy: ReminderPolicy, zone: str) -> bool:
    """Whether the key date was known when the send time of its step on ``day`` came: only then was a step not
    sent missed (the system was down), and so late."""
    return fact.known_since is None or send_instant(day, policy, zone) >= fact.known_since


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
            fresh = [
                s
                for s in due
                if window_start is not None and s[2] > window_start and _known_by(fact, s[2], policy, zone)
            ]
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
                step, lead, _ = escalate_at
                # A day to acknowledge the last step first: counted from this sweep, which sends it (perhaps late).
                day = today + dt.timedelta(days=1)
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
