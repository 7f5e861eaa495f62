"""The reminder policy: ladders, send times across clock changes, catch-up, ack, snooze, escalation."""

import datetime as dt
import textwrap
from importlib.resources import files

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.calendars import calendar_from
from policies.contracts.key_dates import KeyDateKind
from policies.reminders.ladders import Lead, LeadUnit, ReminderPolicy, Role
from policies.reminders.planning import (
    KeyDateFact,
    PlannedReminder,
    RecipientState,
    due_on_ranges,
    has_step_between,
    plan_reminders,
    send_day,
    send_instant,
)
from policies.reminders.policy_file import build_reminder_policy, parse_policy_text

D = dt.date
ZONE = "Europe/London"
SHIPPED = files("policies").joinpath("reminders.toml").read_text(encoding="utf-8")
# England and Wales, Christmas 2026: Boxing Day is a Saturday, so Monday 28 December is the substitute.
EW = calendar_from("England and Wales", [D(2026, 12, 25), D(2026, 12, 28), D(2027, 1, 1)], range(2026, 2028))


def load(*user_texts: str) -> tuple[ReminderPolicy | None, list[str]]:
    documents = []
    for i, text in enumerate((SHIPPED, *map(textwrap.dedent, user_texts))):
        doc, problems = parse_policy_text(text, f"file{i}.toml")
        if problems:
            return None, [str(p) for p in problems]
        assert doc is not None
        documents.append((f"file{i}.toml", doc))
    policy, problems = build_reminder_policy(documents)
    return policy, [str(p) for p in problems]


def shipped(**changes: object) -> ReminderPolicy:
    policy, problems = load()
    assert policy is not None, problems
    return ReminderPolicy(**{**policy.__dict__, **changes})


def fact(kind: KeyDateKind, due_on: dt.date, contract_id: int = 1, seq: int = 0) -> KeyDateFact:
    return KeyDateFact(contract_id, f"{kind.value}:{seq}", kind.value, due_on, "england_and_wales")


def plan(
    facts: list[KeyDateFact],
    today: dt.date,
    *,
    window_start: dt.date | None,
    policy: ReminderPolicy | None = None,
    states: dict[tuple[int, str, dt.date, str], RecipientState] | None = None,
) -> list[PlannedReminder]:
    return plan_reminders(
        facts,
        policy or shipped(),
        zone=ZONE,
        today=today,
        window_start=window_start,
        states=states or {},
        calendar_for=lambda _nation: EW,
    )


def steps(planned: list[PlannedReminder], tag: str = "owner") -> list[tuple[str, dt.date]]:
    return sorted((p.lead.code, p.send_day) for p in planned if p.tag == tag and not p.escalation)


# --------------------------------------------------------------------------- the shipped ladders


def test_shipped_ladders_are_the_issue_table() -> None:
    policy = shipped()
    codes = {kind.value: [lead.code for lead in ladder.leads] for kind, ladder in policy.ladders.items()}
    assert codes["break_notice_deadline"] == ["90d", "60d", "30d", "14d", "7d", "1d"]
    assert codes["extension_decision"] == ["120d", "60d", "30d", "7d"]
    assert codes["recommissioning_start"] == codes["expiry"] == ["18m", "12m", "9m", "6m"]
    for review in ("quarterly_monitoring", "annual_review", "mid_term_review", "pre_expiry_decision"):
        assert codes[review] == ["14d", "2d"]
    for statutory in ("contract_details_notice", "performance_notice", "termination_notice"):
        assert codes[statutory] == ["10d", "3d"]
    assert policy.send_time == dt.time(8, 0) and policy.digest and policy.working_days_only
    assert dict(policy.tags) == {r: r.value for r in Role}


def test_break_notice_ladder_for_a_deadline_on_5_march_2027() -> None:
    deadline = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 5))
    # A sweep every day since before the first step: each step on its own day.
    by_calendar = shipped(working_days_only=False)
    planned = plan([deadline], D(2027, 3, 5), window_start=D(2026, 11, 1), policy=by_calendar)
    days = [p.send_day for p in planned if p.tag == "owner"]
    assert sorted(days) == [D(2026, 12, 5), D(2027, 1, 4), D(2027, 2, 3), D(2027, 2, 19), D(2027, 2, 26), D(2027, 3, 4)]
    # The shipped policy sends on working days only: the 90-day step, Saturday 5 December, goes on Friday 4th.
    days = [p.send_day for p in plan([deadline], D(2027, 3, 5), window_start=D(2026, 11, 1)) if p.tag == "owner"]
    assert sorted(days) == [D(2026, 12, 4), D(2027, 1, 4), D(2027, 2, 3), D(2027, 2, 19), D(2027, 2, 26), D(2027, 3, 4)]


# --------------------------------------------------------------------------- 08:00 local, either side of a clock change


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (D(2026, 3, 28), 8),  # Saturday before the March change: GMT
        (D(2026, 3, 29), 7),  # the change day itself (01:00 GMT -> 02:00 BST): 08:00 BST
        (D(2026, 3, 30), 7),
        (D(2026, 10, 24), 7),  # Saturday before the October change: BST
        (D(2026, 10, 25), 8),  # the change day (02:00 BST -> 01:00 GMT): 08:00 GMT
        (D(2026, 10, 26), 8),
    ],
)
def test_reminders_go_out_at_eight_local_time_across_clock_changes(day: dt.date, utc_hour: int) -> None:
    instant = send_instant(day, shipped(), ZONE)
    assert instant.tzinfo == dt.UTC and (instant.hour, instant.minute) == (utc_hour, 0)
    assert instant.astimezone(dt.timezone(dt.timedelta(hours=8 - utc_hour))).hour == 8


def test_a_review_ladder_straddling_the_march_change() -> None:
    review = fact(KeyDateKind.ANNUAL_REVIEW, D(2026, 4, 10))
    planned = plan([review], D(2026, 4, 10), window_start=D(2026, 3, 1))
    assert {p.lead.code: p.send_at.isoformat() for p in planned} == {
        "14d": "2026-03-27T08:00:00+00:00",  # Friday 27 March, GMT
        "2d": "2026-04-08T07:00:00+00:00",  # Wednesday 8 April, BST
    }


# ------------------------------------------------------------------ month leads clamp, counted from the key date


@pytest.mark.parametrize(
    ("expiry", "lead", "expected"),
    [
        (D(2027, 8, 31), "6m", D(2027, 2, 28)),
        (D(2028, 8, 31), "6m", D(2028, 2, 29)),  # leap year
        (D(2027, 3, 31), "18m", D(2025, 9, 30)),
        (D(2027, 6, 15), "12m", D(2026, 6, 15)),
        (D(2027, 3, 5), "90d", D(2026, 12, 5)),
    ],
)
def test_lead_times_count_back_from_the_key_date(expiry: dt.date, lead: str, expected: dt.date) -> None:
    parsed = Lead.parse(lead)
    assert parsed is not None
    assert send_day(parsed, expiry, shipped(), None) == expected


# --------------------------------------------------------------------------- working days only


@pytest.mark.parametrize(
    ("due_on", "lead", "expected"),
    [
        (D(2026, 12, 12), "14d", D(2026, 11, 27)),  # a Saturday step moves to Friday
        (D(2027, 1, 8), "14d", D(2026, 12, 24)),  # Christmas Day (Friday) moves to Thursday 24th
        (D(2027, 1, 11), "14d", D(2026, 12, 24)),  # Monday 28th, the Boxing Day substitute, back past the weekend
        (D(2027, 1, 15), "14d", D(2027, 1, 1) - dt.timedelta(days=1)),  # New Year's Day to 31 December
        (D(2026, 12, 16), "2d", D(2026, 12, 14)),  # a working day stays put
    ],
)
def test_working_days_only_moves_a_step_back_never_later(due_on: dt.date, lead: str, expected: dt.date) -> None:
    parsed = Lead.parse(lead)
    assert parsed is not None
    assert send_day(parsed, due_on, shipped(working_days_only=True), EW) == expected
    assert send_day(parsed, due_on, shipped(working_days_only=False), EW) == parsed.before(due_on)


# --------------------------------------------------------------------------- catch-up after downtime, and new key dates


def test_a_sweep_after_a_long_weekend_down_plans_every_step_it_missed() -> None:
    deadline = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 5))
    already = {(1, deadline.key, deadline.due_on, "owner"): RecipientState(reminded=True)}
    # Last sweep covered 18 February; the server came back on 5 March: the 14-day, 7-day and 1-day steps.
    planned = plan([deadline], D(2027, 3, 5), window_start=D(2027, 2, 18), states=already)
    assert steps(planned) == [("14d", D(2027, 2, 19)), ("1d", D(2027, 3, 4)), ("7d", D(2027, 2, 26))]


def test_a_key_date_nobody_was_told_of_gets_only_its_latest_due_step() -> None:
    # A contract entered on 20 February 2027 with a break-notice deadline on 5 March: not six messages, one.
    deadline = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 5))
    # It goes out that day, on time: nobody could have been told on the 19th.
    planned = plan([deadline], D(2027, 2, 20), window_start=D(2027, 2, 20))
    assert steps(planned) == [("14d", D(2027, 2, 20))]
    assert steps(plan([deadline], D(2027, 2, 20), window_start=None)) == [("14d", D(2027, 2, 20))]


def test_a_key_date_already_reminded_gets_nothing_again_outside_the_window() -> None:
    deadline = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 5))
    already = {(1, deadline.key, deadline.due_on, "owner"): RecipientState(reminded=True)}
    assert steps(plan([deadline], D(2027, 2, 20), window_start=D(2027, 2, 20), states=already)) == []


def test_key_dates_long_past_are_history() -> None:
    old = fact(KeyDateKind.ANNUAL_REVIEW, D(2026, 9, 1))
    assert plan([old], D(2026, 11, 23), window_start=None) == []
    recent = fact(KeyDateKind.ANNUAL_REVIEW, D(2026, 11, 20))
    assert steps(plan([recent], D(2026, 11, 23), window_start=None)) == [("2d", D(2026, 11, 23))]


def test_kinds_without_a_ladder_get_no_reminders() -> None:
    assert plan([fact(KeyDateKind.BREAK_DATE, D(2027, 1, 1))], D(2026, 12, 31), window_start=None) == []


# --------------------------------------------------------------------------- acknowledge, snooze, escalate


def test_an_acknowledged_key_date_stops_that_recipients_ladder_only() -> None:
    deadline = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 5))
    states = {
        (1, deadline.key, deadline.due_on, "owner"): RecipientState(reminded=True, acked=True),
        (1, deadline.key, deadline.due_on, "commissioning"): RecipientState(reminded=True),
    }
    planned = plan([deadline], D(2027, 2, 26), window_start=D(2027, 2, 25), states=states)
    assert steps(planned, "owner") == []
    assert steps(planned, "commissioning") == [("7d", D(2027, 2, 26))]


def test_a_snooze_holds_back_steps_until_it_ends() -> None:
    deadline = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 5))
    snoozed = {(1, deadline.key, deadline.due_on, "owner"): RecipientState(reminded=True, snoozed_until=D(2027, 3, 1))}
    assert steps(plan([deadline], D(2027, 2, 26), window_start=D(2027, 2, 25), states=snoozed)) == []
    assert steps(plan([deadline], D(2027, 3, 4), window_start=D(2027, 3, 3), states=snoozed)) == [("1d", D(2027, 3, 4))]


def test_the_last_step_escalates_once_unless_acknowledged() -> None:
    deadline = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 5))
    planned = plan([deadline], D(2027, 3, 4), window_start=D(2027, 3, 3))
    escalations = [p for p in planned if p.escalation]
    assert [(p.tag, p.lead.code, p.last_step) for p in escalations] == [("escalation", "1d", True)]
    assert escalations[0].send_day == D(2027, 3, 5)  # the next day: time to acknowledge the last step first
    assert {p.tag for p in planned if p.last_step and not p.escalation} == {"owner", "commissioning"}
    everyone_acked = {
        (1, deadline.key, deadline.due_on, tag): RecipientState(reminded=True, acked=True)
        for tag in ("owner", "commissioning")
    }
    assert plan([deadline], D(2027, 3, 4), window_start=D(2027, 3, 3), states=everyone_acked) == []
    # An earlier step does not escalate, nor does a ladder that says so (routine reviews).
    assert not any(p.escalation for p in plan([deadline], D(2027, 2, 26), window_start=D(2027, 2, 25)))
    review = fact(KeyDateKind.QUARTERLY_MONITORING, D(2027, 1, 1))
    assert [
        (p.tag, p.last_step, p.escalation) for p in plan([review], D(2026, 12, 30), window_start=D(2026, 12, 29))
    ] == [("owner", True, False)]


def test_idempotency_key_is_per_key_date_lead_and_tag() -> None:
    deadline = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 5))
    planned = plan([deadline], D(2027, 3, 4), window_start=D(2027, 3, 3))
    keys = [p.idempotency_key for p in planned]
    assert len(keys) == len(set(keys)) == 3
    assert "1/break_notice_deadline:0/2027-03-05/1d/owner" in keys
    moved = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 12))
    assert not set(keys) & {p.idempotency_key for p in plan([moved], D(2027, 3, 11), window_start=D(2027, 3, 10))}


# --------------------------------------------------------------------------- the sweep's range query


@settings(deadline=None)  # its first example builds the calendars; on a loaded machine that took 442 ms
@given(
    due_on=st.dates(D(2026, 1, 1), D(2029, 12, 31)),
    after=st.dates(D(2026, 6, 1), D(2027, 12, 31)),
    span=st.integers(1, 40),
    working_days_only=st.booleans(),
)
def test_due_ranges_cover_every_key_date_with_a_step_in_the_window(
    due_on: dt.date, after: dt.date, span: int, working_days_only: bool
) -> None:
    policy = shipped(working_days_only=working_days_only)
    calendar = calendar_from("none", [], range(2024, 2031))
    through = after + dt.timedelta(days=span)
    ladder = policy.ladders[KeyDateKind.EXPIRY]
    other = policy.ladders[KeyDateKind.BREAK_NOTICE_DEADLINE]
    has_step = any(
        after < send_day(lead, due_on, policy, calendar) <= through for lead in (*ladder.leads, *other.leads)
    )
    ranges = due_on_ranges(policy, after=after, through=through)
    covered = any(low <= due_on <= high and "expiry" in kinds for low, high, kinds in ranges)
    covered_break = any(low <= due_on <= high and "break_notice_deadline" in kinds for low, high, kinds in ranges)
    fact_expiry = KeyDateFact(1, "expiry:0", "expiry", due_on, "england_and_wales")
    fact_break = KeyDateFact(1, "break_notice_deadline:0", "break_notice_deadline", due_on, "england_and_wales")
    exact = {
        kind: has_step_between(f, policy, after=after, through=through, calendar_for=lambda _n: calendar)
        for kind, f in (("expiry", fact_expiry), ("break", fact_break))
    }
    assert exact["expiry"] == any(after < send_day(lead, due_on, policy, calendar) <= through for lead in ladder.leads)
    assert exact["break"] == any(after < send_day(lead, due_on, policy, calendar) <= through for lead in other.leads)
    assert covered or not exact["expiry"]
    assert covered_break or not exact["break"]
    assert has_step == (exact["expiry"] or exact["break"])


def test_due_ranges_are_few_and_narrow() -> None:
    by_calendar = shipped(working_days_only=False)  # working days only widens each range by 14 days
    ranges = due_on_ranges(by_calendar, after=D(2026, 11, 22), through=D(2026, 11, 23))
    assert len(ranges) == len(by_calendar.leads) == 14  # 10 day leads, 4 month leads
    # One day each, and 3 days' slack for each month lead (month-end clamping).
    assert sum((high - low).days + 1 for low, high, _ in ranges) == 14 + 4 * 3
    by_kinds = {kinds: (low, high) for low, high, kinds in ranges}
    assert by_kinds[("break_notice_deadline",)] == (D(2027, 2, 21), D(2027, 2, 21))  # the 90-day lead alone
    assert due_on_ranges(by_calendar, after=D(2026, 11, 23), through=D(2026, 11, 23)) == []


# --------------------------------------------------------------------------- retries and lateness


def test_retry_backoff_and_lateness() -> None:
    policy = shipped()
    assert [policy.retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4, 5, 9)] == [5, 15, 60, 240, 240, 240]
    planned_at = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)
    assert not policy.is_late(planned_at, planned_at + dt.timedelta(minutes=60))
    assert policy.is_late(planned_at, planned_at + dt.timedelta(minutes=61))


# --------------------------------------------------------------------------- the policy file


def test_a_user_file_overrides_key_by_key_and_ladder_by_ladder() -> None:
    policy, problems = load(
        """
        [send]
        time = "07:30"
        working_days_only = true
        [recipients]
        owner = "contract-owners"
        [ladders.break_notice]
        kinds = ["break_notice_deadline"]
        leads = ["6m", "30d", "1d"]
        notify = ["owner", "finance"]
        """
    )
    assert policy is not None, problems
    assert policy.send_time == dt.time(7, 30) and policy.working_days_only and policy.digest
    assert policy.tags[Role.OWNER] == "contract-owners" and policy.tags[Role.FINANCE] == "finance"
    ladder = policy.ladders[KeyDateKind.BREAK_NOTICE_DEADLINE]
    assert [lead.code for lead in ladder.leads] == ["6m", "30d", "1d"] and ladder.notify == (Role.OWNER, Role.FINANCE)
    assert [lead.code for lead in policy.ladders[KeyDateKind.EXTENSION_DECISION].leads] == ["120d", "60d", "30d", "7d"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[send]\ntime = "01:30"', "send.time: 01:30 falls between 01:00 and 02:00"),
        ('[send]\ntime = "8am"', "send.time: '8am' is not a time of day"),
        ("[send]\ndigest = 1", "send.digest: must be true or false"),
        ("[delivery]\nmax_attempts = 0", "delivery.max_attempts: must be a whole number from 1 to 50"),
        ("[delivery]\nretry_minutes = []", "delivery.retry_minutes: must be a list"),
        ('[recipients]\nboss = "x"', "recipients.boss: is not a role"),
        (
            '[ladders.x]\nkinds = ["expiry_date"]\nleads = ["1d"]\nnotify = ["owner"]',
            "'expiry_date' is not a key-date kind",
        ),
        (
            '[ladders.x]\nkinds = ["break_date"]\nleads = ["ten days"]\nnotify = ["owner"]',
            "'ten days' is not a lead time",
        ),
        ('[ladders.x]\nkinds = ["break_date"]\nleads = ["1d"]\nnotify = ["boss"]', "'boss' is not a role"),
        ('[ladders.x]\nkinds = ["expiry"]\nleads = ["1d"]\nnotify = ["owner"]', "kind expiry is already in ladder"),
        ("[reminders]\nx = 1", "reminders: is not a section"),
        ('[ladders.review]\nescalate = "yes"', "escalate must be true or false"),
    ],
)
def test_a_wrong_policy_file_is_refused_with_the_reason(text: str, expected: str) -> None:
    policy, problems = load(text)
    assert policy is None
    assert any(expected in p and p.startswith("file1.toml") for p in problems), problems


def test_lead_parsing() -> None:
    assert Lead.parse("90d") == Lead(90, LeadUnit.DAYS) and str(Lead(1, LeadUnit.DAYS)) == "1 day"
    assert Lead.parse("18M") == Lead(18, LeadUnit.MONTHS) and str(Lead(18, LeadUnit.MONTHS)) == "18 months"
    assert [Lead.parse(t) for t in ("", "d", "-1d", "3w", "1.5m", "999m")] == [None] * 6


def test_steps_are_ordered_by_when_they_fall_for_each_key_date() -> None:
    # 1 month before 1 March 2027 is 1 February; 29 days before is 31 January: the 29-day step comes first.
    policy, problems = load(
        '[ladders.break_notice]\nkinds = ["break_notice_deadline"]\nleads = ["1m", "29d"]\nnotify = ["owner"]'
    )
    assert policy is not None, problems
    deadline = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 1))
    planned = plan([deadline], D(2027, 2, 1), window_start=D(2027, 1, 1), policy=policy)
    assert [(p.lead.code, p.step, p.last_step) for p in planned if not p.escalation] == [
        ("29d", 1, False),
        ("1m", 2, True),
    ]


def test_a_snooze_never_holds_back_the_last_step() -> None:
    deadline = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 5))
    snoozed = {(1, deadline.key, deadline.due_on, "owner"): RecipientState(reminded=True, snoozed_until=D(2027, 3, 5))}
    planned = plan([deadline], D(2027, 3, 4), window_start=D(2027, 3, 3), states=snoozed)
    assert steps(planned) == [("1d", D(2027, 3, 4))] and any(p.escalation for p in planned)


@pytest.mark.parametrize(
    ("text", "lead"),
    [
        ("0d", Lead(0, LeadUnit.DAYS)),  # on the day itself
        ("3660d", Lead(3660, LeadUnit.DAYS)),  # ten years ahead, the furthest a ladder reaches
        ("3661d", None),
        ("120m", Lead(120, LeadUnit.MONTHS)),
        ("121m", None),
        ("-1d", None),
        ("d", None),
        ("12w", None),
    ],
)
def test_a_lead_time_is_a_whole_number_of_days_or_months_up_to_ten_years(text: str, lead: Lead | None) -> None:
    assert Lead.parse(text) == lead


def test_a_month_ahead_counts_as_31_days_when_steps_land_on_the_same_day() -> None:
    # The order of steps that fall on one day: 1 month (31 days at most) and 90 days as days.
    assert (Lead(1, LeadUnit.MONTHS).approx_days, Lead(90, LeadUnit.DAYS).approx_days) == (31, 90)
