"""A contract's terms read back from the milestones the product publishes (policies.ocds.restoring)."""

import datetime as dt
from decimal import Decimal

import pytest

from policies.contracts.clauses import BreakClause, ContractTerms, ExtensionOption, Party, ReviewSchedule
from policies.contracts.notice import NoticePeriod, NoticeUnit
from policies.money import Money
from policies.ocds.restoring import restored_terms, rough_months, whole_months

D = dt.date
START = D(2026, 4, 1)
VALUE = Money(Decimal("1200000.00"))
# HF-2026-01, a housing-first service: a 3-year term from 1 April 2026 and two 1-year options.
HF_ENDS = {"term_end:0": D(2029, 3, 31), "term_end:1": D(2030, 3, 31), "term_end:2": D(2031, 3, 31)}


def _restore(end: dt.date, milestones: dict[str, dt.date], start: dt.date = START) -> ContractTerms:
    terms = restored_terms(
        "HF-2026-01", start, end, VALUE, milestones.items(), award_on=D(2026, 2, 16), signed_on=D(2026, 3, 2)
    )
    assert terms is not None
    return terms


def _days(n: int) -> NoticePeriod:
    return NoticePeriod(n, NoticeUnit.DAYS)


THREE_MONTHS = NoticePeriod(3, NoticeUnit.MONTHS)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2026, 4, 1), D(2029, 3, 31), 36),  # from the 1st: the month's end, one more than the months between
        (D(2026, 4, 15), D(2027, 4, 14), 12),
        (D(2026, 4, 15), D(2026, 5, 14), 1),  # the shortest term
        (D(2026, 1, 31), D(2026, 2, 28), 1),  # no 31 February: the month's last day
        (D(2026, 4, 1), D(2029, 3, 15), None),  # not a whole number of months
        (D(2026, 4, 15), D(2026, 4, 14), None),  # ends the day before it starts: no term at all
    ],
)
def test_whole_months_are_the_term_that_ends_on_the_day(start: dt.date, end: dt.date, months: int | None) -> None:
    assert whole_months(start, end) == months


def test_rough_months_count_calendar_months_and_at_least_one() -> None:
    assert rough_months(D(2026, 4, 1), D(2029, 3, 15)) == 35  # 3 years less a month
    assert rough_months(D(2026, 4, 15), D(2026, 4, 20)) == 1  # five days: still a month


def test_the_worked_example_three_years_and_two_options() -> None:
    # extension_decision:1 on 2028-12-31, 90 days before the first end (31 Jan + 28 Feb + 31 Mar 2029); the
    # second option has no decision milestone, so the product's usual three months' notice.
    milestones = HF_ENDS | {"extension_decision:1": D(2028, 12, 31)}
    assert _restore(D(2029, 3, 31), milestones) == ContractTerms(
        ref="HF-2026-01",
        start=START,
        initial_term_months=36,
        value=VALUE,
        extensions=(ExtensionOption(12, _days(90)), ExtensionOption(12, THREE_MONTHS)),
        extensions_used=0,
        reviews=ReviewSchedule(quarterly=False, annual=False, mid_term=False, pre_expiry_months=None),
        award_notice_on=D(2026, 2, 16),
        signed_on=D(2026, 3, 2),
        recommissioning_lead_months=18,
    )


def test_no_term_end_milestones_restore_nothing() -> None:
    assert (
        restored_terms(
            "X-1", START, D(2029, 3, 31), VALUE, [("annual_review:1", D(2027, 4, 1))], award_on=None, signed_on=None
        )
        is None
    )


def test_the_term_ends_stop_at_the_first_number_missing() -> None:
    terms = _restore(D(2029, 3, 31), {"term_end:0": D(2029, 3, 31), "term_end:2": D(2031, 3, 31)})
    assert terms.extensions == ()


@pytest.mark.parametrize(
    ("end", "used", "ended_on"),
    [
        (D(2029, 3, 31), 0, None),
        (D(2030, 3, 31), 1, None),  # the first option taken, run to its end
        (D(2031, 3, 31), 2, None),
        (D(2027, 9, 30), 0, D(2027, 9, 30)),  # ended early in the initial term
        (D(2030, 8, 31), 2, D(2030, 8, 31)),  # ended early in the second option's year: both options taken
    ],
)
def test_the_end_says_how_many_options_were_taken_and_whether_it_ended_early(
    end: dt.date, used: int, ended_on: dt.date | None
) -> None:
    terms = _restore(end, HF_ENDS)
    assert (terms.extensions_used, terms.ended_on) == (used, ended_on)


def test_ends_that_are_not_whole_months_are_kept_to_the_day() -> None:
    # The initial term ends 2029-03-15, 35 calendar months on; option 1 is 12 whole months from 2029-03-16; the
    # last end, 2031-02-28, is 11 calendar months from 2030-03-16 but not whole: kept as the max extent.
    ends = {"term_end:0": D(2029, 3, 15), "term_end:1": D(2030, 3, 15), "term_end:2": D(2031, 2, 28)}
    terms = _restore(D(2029, 3, 15), ends)
    assert terms.initial_term_months == 35
    assert terms.published_end == D(2029, 3, 15)
    assert [o.months for o in terms.extensions] == [12, 11]
    assert terms.published_max_extent == D(2031, 2, 28)


def test_only_the_last_end_is_kept_as_the_max_extent() -> None:
    # Option 1 ends 2030-02-20, not whole months from 2029-04-01 (10 calendar months); option 2 runs 12 whole
    # months from 2030-02-21 to 2031-02-20. The odd end is the middle one, so no max extent is kept to the day.
    ends = {"term_end:0": D(2029, 3, 31), "term_end:1": D(2030, 2, 20), "term_end:2": D(2031, 2, 20)}
    terms = _restore(D(2029, 3, 31), ends)
    assert terms.published_end is None
    assert [o.months for o in terms.extensions] == [10, 12]
    assert terms.published_max_extent is None


def test_break_clauses_come_back_with_their_notice_in_days() -> None:
    # Break 1 on 2028-03-31 with its notice deadline 2027-09-30: 31+30+31+31+29 (2028 is a leap year)+31 = 183
    # days. Break 2 on 2029-09-30 has no deadline milestone: no notice. Break 4 is read only after a break 3.
    milestones = HF_ENDS | {
        "break_date:1": D(2028, 3, 31),
        "break_notice_deadline:1": D(2027, 9, 30),
        "break_date:2": D(2029, 9, 30),
        "break_date:4": D(2030, 9, 30),
    }
    assert _restore(D(2029, 3, 31), milestones).breaks == (
        BreakClause(_days(183), Party.AUTHORITY, on=D(2028, 3, 31)),
        BreakClause(_days(0), Party.AUTHORITY, on=D(2029, 9, 30)),
    )


def test_each_kind_of_review_is_held_when_a_milestone_of_its_kind_is_published() -> None:
    reviews = _restore(
        D(2029, 3, 31), HF_ENDS | {"quarterly_monitoring:3": D(2026, 12, 31), "annual_review:1": D(2027, 4, 1)}
    ).reviews
    assert (reviews.quarterly, reviews.annual, reviews.mid_term) == (True, True, False)
    reviews = _restore(D(2029, 3, 31), HF_ENDS | {"mid_term_review:0": D(2027, 9, 30)}).reviews
    assert (reviews.quarterly, reviews.annual, reviews.mid_term) == (False, False, True)


@pytest.mark.parametrize(
    ("due", "months"),
    [
        (D(2028, 9, 30), 6),  # the usual six months before 2029-03-31
        (D(2028, 12, 31), 3),  # three months before
        (D(2027, 3, 31), 24),
        (D(2029, 3, 31), 0),  # on the end day itself
        (D(2029, 5, 31), 6),  # after the end: no lead, so the usual
    ],
)
def test_the_pre_expiry_lead_is_the_months_before_the_end_that_give_its_date(due: dt.date, months: int) -> None:
    terms = _restore(D(2029, 3, 31), HF_ENDS | {"pre_expiry_decision:0": due})
    assert terms.reviews.pre_expiry_months == months


def test_a_lead_clamped_to_the_start_is_the_usual_one_where_that_gives_the_date() -> None:
    # A 6-month contract, 2026-04-01 to 2026-09-30: six months before the end is 2026-03-30, before the start,
    # so the decision falls on the start day; so would seven, but the usual six is the one kept.
    terms = _restore(D(2026, 9, 30), {"term_end:0": D(2026, 9, 30), "pre_expiry_decision:0": START})
    assert terms.reviews.pre_expiry_months == 6
    # A 12-month contract: 18 months before 2027-03-31 is before the start too: the usual 18.
    terms = _restore(D(2027, 3, 31), {"term_end:0": D(2027, 3, 31), "recommissioning_start:0": START})
    assert terms.recommissioning_lead_months == 18


def test_a_lead_clamped_to_the_start_is_otherwise_the_fewest_months_that_reach_it() -> None:
    # A 24-month contract, 2026-04-01 to 2028-03-31, recommissioning from its start: 18 months before the end is
    # 2026-09-30, not the start; 23 months is 2026-04-30, still after it; 24 months is 2026-03-31, clamped.
    terms = _restore(D(2028, 3, 31), {"term_end:0": D(2028, 3, 31), "recommissioning_start:0": START})
    assert terms.recommissioning_lead_months == 24


def test_the_recommissioning_lead_is_read_or_the_usual_eighteen_months() -> None:
    assert (
        _restore(D(2029, 3, 31), HF_ENDS | {"recommissioning_start:0": D(2027, 3, 31)}).recommissioning_lead_months
        == 24
    )
    assert _restore(D(2029, 3, 31), HF_ENDS).recommissioning_lead_months == 18
