"""The reminder policy file at its edges: the defaults where no file sets a value, each setting at both ends of
its allowed range, several problems in one file each named, and a ladder's lead times put in order.

A user's file (file1.toml) is read after the shipped one (file0.toml), as the service does; a problem names
the file and the setting, and a policy with any problem is not built.
"""

import datetime as dt

import pytest

from policies.contracts.key_dates import KeyDateKind
from policies.reminders.ladders import Lead, LeadUnit, ReminderPolicy, Role
from policies.reminders.policy_file import build_reminder_policy
from tests.unit.reminders.test_reminder_policy import load, shipped

SECTIONS = "use delivery, ladders, recipients, send"
ROLES = "use owner, commissioning, finance, escalation"
TAG = "must be one apprise tag (text, at most 60 characters, no spaces, commas, semicolons or brackets)"


def refused(text: str) -> list[str]:
    policy, problems = load(text)
    assert policy is None
    return problems


# --------------------------------------------------------------------------- defaults


def test_a_file_that_sets_nothing_gets_the_defaults_which_are_the_shipped_files_values() -> None:
    # Sent at 08:00 on working days, as a digest; 5 attempts, retried after 5, 15, 60 and 240 minutes; late
    # after an hour; key dates up to 30 days past caught up. Every role's tag is the role's own name.
    policy, problems = build_reminder_policy([("mine.toml", {})])
    expected = ReminderPolicy(
        ladders={},
        tags={
            Role.OWNER: "owner",
            Role.COMMISSIONING: "commissioning",
            Role.FINANCE: "finance",
            Role.ESCALATION: "escalation",
        },
        send_time=dt.time(8, 0),
        working_days_only=True,
        digest=True,
        max_attempts=5,
        retry_minutes=(5, 15, 60, 240),
        late_after_minutes=60,
        catch_up_days=30,
        sources=("mine.toml",),
    )
    assert (policy, problems) == (expected, [])
    assert shipped(ladders={}, sources=("mine.toml",)) == expected


# --------------------------------------------------------------------------- whole numbers at both ends


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_attempts", 1),  # one attempt, no retry
        ("max_attempts", 50),
        ("late_after_minutes", 1),
        ("late_after_minutes", 1440),  # a day
        ("catch_up_days", 0),  # no catching up: only key dates from today on
        ("catch_up_days", 366),  # a leap year back
    ],
)
def test_a_delivery_setting_at_either_end_of_its_range_is_taken(key: str, value: int) -> None:
    policy, problems = load(f"[delivery]\n{key} = {value}")
    assert policy is not None, problems
    assert getattr(policy, key) == value


@pytest.mark.parametrize(
    ("key", "value", "sentence"),
    [
        ("max_attempts", "0", "must be a whole number from 1 to 50"),
        ("max_attempts", "51", "must be a whole number from 1 to 50"),
        ("max_attempts", "true", "must be a whole number from 1 to 50"),
        ("late_after_minutes", "0", "must be a whole number from 1 to 1440"),
        ("late_after_minutes", "1441", "must be a whole number from 1 to 1440"),
        ("late_after_minutes", "60.0", "must be a whole number from 1 to 1440"),
        ("catch_up_days", "-1", "must be a whole number from 0 to 366"),
        ("catch_up_days", "367", "must be a whole number from 0 to 366"),
    ],
)
def test_a_delivery_setting_just_outside_its_range_is_refused(key: str, value: str, sentence: str) -> None:
    assert refused(f"[delivery]\n{key} = {value}") == [f"file1.toml: delivery.{key}: {sentence}"]


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        ("[1]", (1,)),  # a minute
        ("[10080]", (10080,)),  # a week
        ("[2, 10, 1440]", (2, 10, 1440)),
    ],
)
def test_retry_minutes_from_one_minute_to_a_week_are_taken(minutes: str, expected: tuple[int, ...]) -> None:
    policy, problems = load(f"[delivery]\nretry_minutes = {minutes}")
    assert policy is not None, problems
    assert policy.retry_minutes == expected


@pytest.mark.parametrize("minutes", ["[0]", "[10081]", "[5, 0]", "[5, 10081]", '["5"]', "[true]", "[5.5]", "5", "[]"])
def test_retry_minutes_outside_a_week_or_not_whole_are_refused(minutes: str) -> None:
    assert refused(f"[delivery]\nretry_minutes = {minutes}") == [
        "file1.toml: delivery.retry_minutes: must be a list of whole minutes from 1 to 10080, e.g. [5, 15, 60]"
    ]


# --------------------------------------------------------------------------- the send time


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('"00:59"', dt.time(0, 59)),
        ('"02:00"', dt.time(2, 0)),  # after the hour the clocks skip or repeat
        ("07:45:00", dt.time(7, 45)),  # a TOML time of day, unquoted
    ],
)
def test_a_send_time_outside_the_clock_change_hour_is_taken(setting: str, expected: dt.time) -> None:
    policy, problems = load(f"[send]\ntime = {setting}")
    assert policy is not None, problems
    assert policy.send_time == expected


@pytest.mark.parametrize(
    ("setting", "sentence"),
    [
        ('"01:00"', "01:00 falls between 01:00 and 02:00, which the clock changes skip or repeat"),
        ("01:59:00", "01:59:00 falls between 01:00 and 02:00, which the clock changes skip or repeat"),
        ("8", '8 is not a time of day such as "08:00"'),
        ('"25:00"', "'25:00' is not a time of day such as \"08:00\""),
    ],
)
def test_a_send_time_in_the_clock_change_hour_or_not_a_time_is_refused(setting: str, sentence: str) -> None:
    assert refused(f"[send]\ntime = {setting}") == [f"file1.toml: send.time: {sentence}"]


# --------------------------------------------------------------------------- several problems in one file


def test_every_wrong_section_of_a_file_is_named_and_the_rest_is_still_read() -> None:
    text = """
        send = "daily"
        [reminders]
        owner = "x"
        [schedule]
        [delivery]
        max_attempts = 0
        """
    assert refused(text) == [
        "file1.toml: send: must be a table",
        f"file1.toml: reminders: is not a section; {SECTIONS}",
        f"file1.toml: schedule: is not a section; {SECTIONS}",
        "file1.toml: delivery.max_attempts: must be a whole number from 1 to 50",
    ]


def test_every_wrong_recipient_is_named() -> None:
    text = """
        [recipients]
        boss = "head-of-service"
        owner = ""
        manager = "x"
        commissioning = "commissioning,finance"
        finance = 5
        """
    # The roles the shipped file sets come first, in its order; then the new names, in this file's order.
    assert refused(text) == [
        f"file1.toml: recipients.owner: {TAG}",
        f"file1.toml: recipients.commissioning: {TAG}",
        f"file1.toml: recipients.finance: {TAG}",
        f"file1.toml: recipients.boss: is not a role; {ROLES}",
        f"file1.toml: recipients.manager: is not a role; {ROLES}",
    ]


@pytest.mark.parametrize("tag", ["   ", "a" * 61, "owners,finance"])
def test_a_recipient_tag_that_is_blank_too_long_or_two_tags_is_refused(tag: str) -> None:
    assert refused(f'[recipients]\nowner = "{tag}"') == [f"file1.toml: recipients.owner: {TAG}"]


@pytest.mark.parametrize("tag", ["contract owners", "owners;finance", "[owners]", "owners\\tfinance"])
def test_a_recipient_tag_apprise_would_read_as_several_tags_is_refused(tag: str) -> None:
    # apprise splits a tag on spaces, commas, semicolons and brackets and sends to a target with any of the
    # parts: "contract owners" would reach every target tagged "contract" and every one tagged "owners".
    assert refused(f'[recipients]\nowner = "{tag}"') == [f"file1.toml: recipients.owner: {TAG}"]


@pytest.mark.parametrize(("tag", "expected"), [("a" * 60, "a" * 60), (" contract-owners ", "contract-owners")])
def test_a_recipient_tag_of_sixty_characters_is_taken_and_spaces_around_it_go(tag: str, expected: str) -> None:
    policy, problems = load(f'[recipients]\nowner = "{tag}"')
    assert policy is not None, problems
    assert policy.tags[Role.OWNER] == expected


def test_every_wrong_ladder_is_named() -> None:
    text = """
        [ladders]
        weekly = 7
        monthly = "yes"
        [ladders.a]
        kinds = ["expiry_date"]
        leads = ["1d"]
        notify = ["owner"]
        [ladders.b]
        kinds = ["break_date"]
        leads = ["1w"]
        notify = ["owner"]
        """
    kinds = ", ".join(k.value for k in KeyDateKind)
    assert refused(text) == [
        "file1.toml: ladders.weekly: must be a table with kinds, leads and notify",
        "file1.toml: ladders.monthly: must be a table with kinds, leads and notify",
        f"file1.toml: ladders.a: kinds: 'expiry_date' is not a key-date kind; use {kinds}",
        'file1.toml: ladders.b: leads: \'1w\' is not a lead time; write days or months, e.g. "30d" or "6m"',
    ]


def test_a_ladder_refused_for_its_own_fault_is_not_also_called_a_second_ladder_for_its_kind() -> None:
    # Expiry already has the recommissioning ladder; this one is refused for its lead time alone.
    text = '[ladders.x]\nkinds = ["expiry"]\nleads = ["ten days"]\nnotify = ["owner"]'
    assert refused(text) == [
        'file1.toml: ladders.x: leads: \'ten days\' is not a lead time; write days or months, e.g. "30d" or "6m"'
    ]


def test_a_list_of_kinds_with_something_not_text_in_it_is_refused_as_a_whole() -> None:
    text = '[ladders.x]\nkinds = ["break_date", 5]\nleads = ["1d"]\nnotify = ["owner"]'
    assert refused(text) == ["file1.toml: ladders.x: kinds must be a non-empty list of text"]


# --------------------------------------------------------------------------- lead times in order


def test_a_ladders_lead_times_are_put_furthest_ahead_first() -> None:
    # Written in any order. Twelve months before a key date can be 366 days (back across a 29 February),
    # so 12 months is further ahead than 365 days and comes first.
    policy, problems = load(
        """
        [ladders.break_notice]
        kinds = ["break_notice_deadline"]
        leads = ["7d", "6m", "365d", "12m", "30d"]
        notify = ["owner"]
        """
    )
    assert policy is not None, problems
    assert policy.ladders[KeyDateKind.BREAK_NOTICE_DEADLINE].leads == (
        Lead(12, LeadUnit.MONTHS),
        Lead(365, LeadUnit.DAYS),
        Lead(6, LeadUnit.MONTHS),
        Lead(30, LeadUnit.DAYS),
        Lead(7, LeadUnit.DAYS),
    )


@pytest.mark.parametrize("written", [("1m", "31d"), ("31d", "1m")])
def test_lead_times_falling_on_one_day_keep_the_order_they_were_written_in(written: tuple[str, str]) -> None:
    # Before 31 January, 1 month and 31 days both fall on 31 December. Their order once came from a set, which
    # changes from run to run, and decides which of two steps on one day is numbered last (and escalates).
    policy, problems = load(
        f'[ladders.break_notice]\nkinds = ["break_notice_deadline"]\nleads = ["{written[0]}", "{written[1]}"]\n'
        'notify = ["owner"]'
    )
    assert policy is not None, problems
    assert policy.ladders[KeyDateKind.BREAK_NOTICE_DEADLINE].leads == tuple(map(Lead.parse, written))


@pytest.mark.parametrize("tag", ["all", "ALL", "always", "2:owners"])
def test_a_recipient_tag_apprise_reads_itself_is_refused(tag: str) -> None:
    # apprise sends a notify tagged "all" to every target it has (the finance team's too), treats "always" as the
    # tag of targets told of everything, and reads "2:owners" as "targets tagged owners at priority 2 only".
    assert refused(f'[recipients]\nowner = "{tag}"') == [
        f"file1.toml: recipients.owner: '{tag}' means something to apprise itself (all: every target; always: "
        "targets told of everything; a colon: a priority), so it cannot name one role's recipients"
    ]


def test_a_reserved_tag_does_not_stop_the_recipients_after_it_being_checked() -> None:
    # Two slips in one file: the owner's tag "all" (apprise's every target) and a "ceo" recipient, which is no role.
    # Both are named at once, so the file is put right in one go.
    assert refused('[recipients]\nowner = "all"\nceo = "chief"') == [
        "file1.toml: recipients.owner: 'all' means something to apprise itself (all: every target; always: "
        "targets told of everything; a colon: a priority), so it cannot name one role's recipients",
        "file1.toml: recipients.ceo: is not a role; use owner, commissioning, finance, escalation",
    ]
