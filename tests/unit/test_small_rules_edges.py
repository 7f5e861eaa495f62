"""Edges of the small rules that mutation testing showed nothing pinned: notice periods, contract statuses,
working-day calendars, stage records and stage moves. Each answer is worked by hand in its comment."""

import datetime as dt

import pytest

from policies.calendars import calendar_from
from policies.contracts.notice import NoticePeriod, NoticeUnit, parse_notice
from policies.contracts.status import ContractAction, ContractStatus, next_status
from policies.cycle.records import MAX_VALUE_LENGTH, RecordKind, normalise_value
from policies.cycle.stages import Move, Stage, transitions_from

# England and Wales, 2026 only: New Year's Day, Good Friday, Easter Monday (enough for these examples).
ENGLAND_2026 = calendar_from(
    "england-and-wales", [dt.date(2026, 1, 1), dt.date(2026, 4, 3), dt.date(2026, 4, 6)], range(2026, 2027)
)


@pytest.mark.parametrize(
    ("period", "words"),
    [
        (NoticePeriod(1, NoticeUnit.MONTHS), "1 month"),
        (NoticePeriod(3, NoticeUnit.MONTHS), "3 months"),
        (NoticePeriod(1, NoticeUnit.WEEKS), "1 week"),
        (NoticePeriod(12, NoticeUnit.WEEKS), "12 weeks"),
        (NoticePeriod(1, NoticeUnit.WORKING_DAYS), "1 working day"),
        (NoticePeriod(10, NoticeUnit.WORKING_DAYS), "10 working days"),
    ],
)
def test_a_notice_period_reads_as_a_commissioner_writes_it(period: NoticePeriod, words: str) -> None:
    assert str(period) == words


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0 days", "'0 days': a notice period is at least 1 day"),
        ("0 working days", "'0 working days': a notice period is at least 1 working day"),
        ("0 months", "'0 months': a notice period is at least 1 month"),
    ],
)
def test_a_notice_period_of_nothing_is_refused_in_the_periods_own_unit(text: str, why: str) -> None:
    assert parse_notice(text) == (None, why)


def test_a_refused_status_change_lists_only_what_that_status_can_do() -> None:
    # A pending contract can only start or be cancelled (terminated before it began), so extending it says so.
    assert next_status(ContractStatus.PENDING, ContractAction.EXTEND) == (
        None,
        "A pending contract cannot be extended; it can: start, terminate.",
    )


def test_the_years_a_calendar_covers_are_named_inclusively_when_a_day_falls_outside() -> None:
    # the last day known, inclusively, and the day needed (a DaysUnknown, still a ValueError)
    with pytest.raises(ValueError, match=r"^working days are known up to 2026-12-31; .* needs 2027-01-04$"):
        ENGLAND_2026.is_working_day(dt.date(2027, 1, 4))


def test_a_period_of_one_working_day_beginning_on_a_working_day_ends_that_day() -> None:
    # Thursday 2 April 2026 is a working day (Good Friday is the 3rd): one working day from it is itself.
    assert ENGLAND_2026.last_of_working_days(dt.date(2026, 4, 2), 1) == dt.date(2026, 4, 2)
    # Beginning on Good Friday, the first working day is Tuesday 7 April (Easter Monday is a holiday).
    assert ENGLAND_2026.last_of_working_days(dt.date(2026, 4, 3), 1) == dt.date(2026, 4, 7)
    with pytest.raises(ValueError, match="at least one working day"):
        ENGLAND_2026.last_of_working_days(dt.date(2026, 4, 2), 0)


def test_an_award_names_its_provider_in_up_to_200_characters() -> None:
    exactly = "N" * MAX_VALUE_LENGTH
    assert normalise_value(RecordKind.AWARD, f"  {exactly}  ") == (exactly, None)
    value, why = normalise_value(RecordKind.AWARD, exactly + "N")
    assert value is None
    assert why == f"a {RecordKind.AWARD.label} value is at most 200 characters; this is 201"


def test_a_record_without_a_value_is_refused() -> None:
    for empty in ("", "   ", None):
        assert normalise_value(RecordKind.AWARD, empty) == (None, f"a {RecordKind.AWARD.label} record needs a value")  # type: ignore[arg-type]


def test_a_listed_value_is_read_whatever_its_case_spaces_or_hyphens() -> None:
    assert normalise_value(RecordKind.BUSINESS_CASE, " Approved ") == ("approved", None)
    value, why = normalise_value(RecordKind.SPECIFICATION, "finished")
    assert value is None
    assert why == f"'finished' is not a {RecordKind.SPECIFICATION.label} value; use one of draft, final"
    # Free text is kept as written: an award to "Open-Door Housing" is not turned into a key.
    assert normalise_value(RecordKind.AWARD, "Open-Door Housing") == ("Open-Door Housing", None)


def test_the_moves_out_of_a_stage_list_the_forward_move_first() -> None:
    # Out of Do: start the review (gated, forward), or go back to planning when the procurement failed.
    assert [t.move for t in transitions_from(Stage.DO)] == [Move.START_REVIEW, Move.RETURN_TO_PLANNING]
