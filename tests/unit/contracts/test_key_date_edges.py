"""Key dates at their edges: every reminder key, three extension options, breaks beside the expiry, reviews.

Each case was worked out by hand from the contract as a commissioner would read it; the working is in the
comments. Reminders are keyed on ``KeyDate.key`` (kind and sequence number), so the keys are pinned too:
a key that changed would send every reminder of a contract again.
"""

import datetime as dt
from decimal import Decimal

from flows.common.calendars import working_day_calendar
from policies.calendars import Nation
from policies.contracts.clauses import BreakClause, ContractTerms, ExtensionOption, Party, ReviewSchedule, expiry
from policies.contracts.key_dates import KeyDateKind, derive_key_dates
from policies.contracts.notice import NoticePeriod, NoticeUnit
from policies.money import Money
from tests.unit.contracts.test_key_dates import HOUSING_FIRST, MILLION

d = dt.date
ENG = working_day_calendar(Nation.ENGLAND_AND_WALES)
UK = working_day_calendar(Nation.UNITED_KINGDOM)
THREE_MONTHS = NoticePeriod(3, NoticeUnit.MONTHS)
NO_REVIEWS = ReviewSchedule(quarterly=False, annual=False, mid_term=False, pre_expiry_months=None)


def keyed(terms: ContractTerms, *kinds: KeyDateKind) -> list[tuple[str, dt.date]]:
    """(key, date) of the contract's key dates, soonest first; only the kinds given, if any."""
    return [(k.key, k.on) for k in derive_key_dates(terms, ENG, UK) if not kinds or k.kind in kinds]


def test_every_key_of_housing_first_and_its_date() -> None:
    # 3+1+1 years from 1 April 2026, expiry 31 March 2029. Quarterly meetings every 3 months from the start,
    # numbered by quarter; quarters 4 and 8 fall on the annual reviews (1 April 2027 and 2028), which take
    # their place; quarter 12 (1 April 2029) is after the expiry. Recommissioning: 18 months before
    # 31 March 2029 is 30 September 2027 (no 31 September). Mid-term: 36 // 2 = 18 months from the start.
    # Break: 3 months before 31 March 2028. Pre-expiry: 6 months before 31 March 2029. Extension decisions:
    # 12 weeks = 84 days before each end (31 + 28 + 25 days back from 31 March is 6 January).
    assert keyed(HOUSING_FIRST) == [
        ("quarterly_monitoring:1", d(2026, 7, 1)),
        ("quarterly_monitoring:2", d(2026, 10, 1)),
        ("quarterly_monitoring:3", d(2027, 1, 1)),
        ("annual_review:1", d(2027, 4, 1)),
        ("quarterly_monitoring:5", d(2027, 7, 1)),
        ("recommissioning_start:0", d(2027, 9, 30)),
        ("mid_term_review:0", d(2027, 10, 1)),
        ("quarterly_monitoring:6", d(2027, 10, 1)),
        ("break_notice_deadline:1", d(2027, 12, 31)),
        ("quarterly_monitoring:7", d(2028, 1, 1)),
        ("break_date:1", d(2028, 3, 31)),
        ("annual_review:2", d(2028, 4, 1)),
        ("quarterly_monitoring:9", d(2028, 7, 1)),
        ("pre_expiry_decision:0", d(2028, 9, 30)),
        ("quarterly_monitoring:10", d(2028, 10, 1)),
        ("quarterly_monitoring:11", d(2029, 1, 1)),
        ("extension_decision:1", d(2029, 1, 6)),
        ("expiry:0", d(2029, 3, 31)),
        ("extension_decision:2", d(2030, 1, 6)),
        ("max_extent:0", d(2031, 3, 31)),
    ]


def test_the_statutory_keys_and_their_dates() -> None:
    # A £6m contract signed 2 March 2026, 2 years from 1 April 2026: the details notice within 30 days of
    # signing (1 April 2026); a performance notice (UK9) every 12 months from the start while it runs
    # (1 April 2027), and for the last year by the contract's end (1 April 2028 is after the expiry, so
    # 31 March 2028); standstill: 8 working days beginning
    # with the award notice on Thursday 18 December 2025 (18, 19, 22, 23, 24, 29, 30, 31 December).
    terms = ContractTerms(
        ref="UK9",
        start=d(2026, 4, 1),
        initial_term_months=24,
        value=Money(Decimal("6000000")),
        reviews=NO_REVIEWS,
        award_notice_on=d(2025, 12, 18),
        signed_on=d(2026, 3, 2),
    )
    assert keyed(terms) == [
        ("standstill_end:0", d(2025, 12, 31)),
        ("contract_details_notice:0", d(2026, 4, 1)),
        ("recommissioning_start:0", d(2026, 9, 30)),  # 18 months before 31 March 2028 (no 31 September)
        ("performance_notice:1", d(2027, 4, 1)),
        ("expiry:0", d(2028, 3, 31)),
        ("max_extent:0", d(2028, 3, 31)),
        ("performance_notice:2", d(2028, 3, 31)),
    ]


def test_a_contract_ended_on_an_anniversary_keeps_that_years_review_and_notice() -> None:
    # A £6m contract from 1 April 2026 that ended early on 1 April 2028 (a break): its last day is an
    # anniversary, so the second annual review and the second performance notice fall on it, and count;
    # quarter 8 (1 April 2028) is that annual review. The termination notice (UK11) is due within 30 days.
    terms = ContractTerms(
        ref="E", start=d(2026, 4, 1), initial_term_months=60, value=Money(Decimal("6000000")), ended_on=d(2028, 4, 1)
    )
    assert keyed(terms, KeyDateKind.ANNUAL_REVIEW, KeyDateKind.PERFORMANCE_NOTICE, KeyDateKind.TERMINATION_NOTICE) == [
        ("annual_review:1", d(2027, 4, 1)),
        ("performance_notice:1", d(2027, 4, 1)),
        ("annual_review:2", d(2028, 4, 1)),
        ("performance_notice:2", d(2028, 4, 1)),
        ("termination_notice:0", d(2028, 5, 1)),
    ]
    # 18 months before 1 April 2028 is 1 October 2026, after the start: no "start now".
    [start] = [k for k in derive_key_dates(terms, ENG, UK) if k.kind is KeyDateKind.RECOMMISSIONING_START]
    assert start.on == d(2026, 10, 1) and "start now" not in start.action


def test_a_lead_time_that_reaches_back_exactly_to_the_start_is_not_longer_than_the_contract() -> None:
    # Ended on 1 October 2027; 18 months before it is 1 April 2026, the start itself: start then, and the
    # lead time fits the contract exactly, so no "longer than the contract".
    terms = ContractTerms(ref="X", start=d(2026, 4, 1), initial_term_months=36, value=MILLION, ended_on=d(2027, 10, 1))
    [start] = [k for k in derive_key_dates(terms, ENG, UK) if k.kind is KeyDateKind.RECOMMISSIONING_START]
    assert start.on == d(2026, 4, 1) and "start now" not in start.action


def test_a_mid_term_review_on_the_last_day_of_a_contract_ended_early_counts_a_day_earlier_it_does_not() -> None:
    # 36 months from 1 April 2026: the middle is 18 months in, 1 October 2027. Ended early on that day, the
    # review is its last day; ended on 30 September 2027, the contract never reached its middle.
    on_the_day = ContractTerms(
        ref="X", start=d(2026, 4, 1), initial_term_months=36, value=MILLION, ended_on=d(2027, 10, 1)
    )
    assert keyed(on_the_day, KeyDateKind.MID_TERM_REVIEW) == [("mid_term_review:0", d(2027, 10, 1))]
    day_before = ContractTerms(**{**on_the_day.__dict__, "ended_on": d(2027, 9, 30)})
    assert keyed(day_before, KeyDateKind.MID_TERM_REVIEW) == []


def test_quarterly_meetings_count_to_a_last_day_that_is_a_quarter_day() -> None:
    # From 1 April 2026, ended early on 1 July 2027, the fifth quarter day: the meetings are quarters 1, 2,
    # 3 and 5 (quarter 4 is the annual review on 1 April 2027), the last on the contract's last day.
    terms = ContractTerms(ref="Q", start=d(2026, 4, 1), initial_term_months=36, value=MILLION, ended_on=d(2027, 7, 1))
    assert keyed(terms, KeyDateKind.QUARTERLY_MONITORING) == [
        ("quarterly_monitoring:1", d(2026, 7, 1)),
        ("quarterly_monitoring:2", d(2026, 10, 1)),
        ("quarterly_monitoring:3", d(2027, 1, 1)),
        ("quarterly_monitoring:5", d(2027, 7, 1)),
    ]


# --------------------------------------------------------------------------- three extension options

DAY_CENTRES = ContractTerms(
    ref="DC-2026",
    start=d(2026, 4, 1),
    initial_term_months=24,
    value=MILLION,
    extensions=tuple(ExtensionOption(12, THREE_MONTHS) for _ in range(3)),
    reviews=NO_REVIEWS,
)


def test_three_extension_options_each_have_their_decision_date() -> None:
    # 2+1+1+1 years from 1 April 2026: the options would run from 1 April 2028, 2029 and 2030, so each is
    # decided 3 months before the end it extends: 31 December 2027, 2028 and 2029.
    assert keyed(DAY_CENTRES, KeyDateKind.EXTENSION_DECISION, KeyDateKind.EXPIRY, KeyDateKind.MAX_EXTENT) == [
        ("extension_decision:1", d(2027, 12, 31)),
        ("expiry:0", d(2028, 3, 31)),
        ("extension_decision:2", d(2028, 12, 31)),
        ("extension_decision:3", d(2029, 12, 31)),
        ("max_extent:0", d(2031, 3, 31)),
    ]


def test_with_one_of_three_options_used_the_other_two_keep_their_numbers() -> None:
    # The first option is used: the contract now ends 31 March 2029; options 2 and 3 remain, still
    # numbered 2 and 3 (their reminders were keyed so when first planned).
    extended = ContractTerms(**{**DAY_CENTRES.__dict__, "extensions_used": 1})
    assert keyed(extended, KeyDateKind.EXTENSION_DECISION, KeyDateKind.EXPIRY) == [
        ("extension_decision:2", d(2028, 12, 31)),
        ("expiry:0", d(2029, 3, 31)),
        ("extension_decision:3", d(2029, 12, 31)),
    ]


# --------------------------------------------------------------------------- breaks beside the expiry


def with_breaks(*breaks: BreakClause, used: int = 0) -> ContractTerms:
    return ContractTerms(**{**DAY_CENTRES.__dict__, "breaks": breaks, "extensions_used": used})


BREAKS = (KeyDateKind.BREAK_NOTICE_DEADLINE, KeyDateKind.BREAK_DATE)


def test_a_fixed_break_in_an_extension_year_not_yet_taken_has_no_dates_but_the_next_break_keeps_its_number() -> None:
    # Break 1 on 30 September 2028 falls in the first extension year, after the expiry (31 March 2028): it
    # only matters once the contract is extended. Break 2, on 31 December 2027, is inside the term: its
    # notice deadline is 3 months before, 30 September 2027, and it is still break 2.
    terms = with_breaks(
        BreakClause(THREE_MONTHS, Party.AUTHORITY, on=d(2028, 9, 30)),
        BreakClause(THREE_MONTHS, Party.AUTHORITY, on=d(2027, 12, 31)),
    )
    assert keyed(terms, *BREAKS) == [
        ("break_notice_deadline:2", d(2027, 9, 30)),
        ("break_date:2", d(2027, 12, 31)),
    ]
    # Once the first option is used (expiry 31 March 2029) the break in that year counts: 3 months before
    # 30 September 2028 is 30 June 2028.
    assert keyed(with_breaks(*terms.breaks, used=1), *BREAKS) == [
        ("break_notice_deadline:2", d(2027, 9, 30)),
        ("break_date:2", d(2027, 12, 31)),
        ("break_notice_deadline:1", d(2028, 6, 30)),
        ("break_date:1", d(2028, 9, 30)),
    ]


def test_a_fixed_break_exactly_on_the_expiry_counts() -> None:
    # A break on 31 March 2028, the expiry itself: notice by 31 December 2027, for the provider.
    terms = with_breaks(BreakClause(THREE_MONTHS, Party.PROVIDER, on=d(2028, 3, 31)))
    assert keyed(terms, *BREAKS) == [("break_notice_deadline:1", d(2027, 12, 31)), ("break_date:1", d(2028, 3, 31))]
    assert {k.who for k in derive_key_dates(terms, ENG, UK) if k.kind in BREAKS} == {"provider"}


def test_a_rolling_break_first_available_after_the_expiry_is_still_shown() -> None:
    # A rolling break from 1 October 2028, in the first extension year: unlike a fixed date it is not
    # dropped, because it runs on into any extension; notice by 1 July 2028, 3 months before.
    terms = with_breaks(BreakClause(THREE_MONTHS, Party.EITHER, rolling_from=d(2028, 10, 1)))
    assert expiry(terms) == d(2028, 3, 31)
    assert keyed(terms, *BREAKS) == [("break_notice_deadline:1", d(2028, 7, 1)), ("break_date:1", d(2028, 10, 1))]


# --------------------------------------------------------------------------- reviews


def test_annual_reviews_are_every_12_months_from_the_first_anniversary() -> None:
    # 5 years from 1 April 2026 (expiry 31 March 2031): reviews on 1 April 2027, 2028, 2029 and 2030.
    terms = ContractTerms(
        ref="A",
        start=d(2026, 4, 1),
        initial_term_months=60,
        value=MILLION,
        reviews=ReviewSchedule(quarterly=False, annual=True, mid_term=False, pre_expiry_months=None),
    )
    assert keyed(terms, KeyDateKind.ANNUAL_REVIEW) == [
        ("annual_review:1", d(2027, 4, 1)),
        ("annual_review:2", d(2028, 4, 1)),
        ("annual_review:3", d(2029, 4, 1)),
        ("annual_review:4", d(2030, 4, 1)),
    ]


def test_no_mid_term_review_unless_asked_for_or_in_a_one_month_contract() -> None:
    asked = ReviewSchedule(quarterly=False, annual=False, mid_term=True, pre_expiry_months=None)
    not_asked = ReviewSchedule(quarterly=False, annual=False, mid_term=False, pre_expiry_months=None)
    two_months = ContractTerms(ref="M", start=d(2026, 4, 1), initial_term_months=2, value=MILLION, reviews=asked)
    # 2 months from 1 April 2026: the middle is 1 month in, 1 May 2026.
    assert keyed(two_months, KeyDateKind.MID_TERM_REVIEW) == [("mid_term_review:0", d(2026, 5, 1))]
    # 1 month has no middle worth a meeting; and a schedule without one has none however long the term.
    one_month = ContractTerms(**{**two_months.__dict__, "initial_term_months": 1})
    assert keyed(one_month, KeyDateKind.MID_TERM_REVIEW) == []
    long_unasked = ContractTerms(**{**two_months.__dict__, "initial_term_months": 36, "reviews": not_asked})
    assert keyed(long_unasked, KeyDateKind.MID_TERM_REVIEW) == []


def test_a_pre_expiry_decision_longer_than_the_contract_falls_on_the_start() -> None:
    # A 3-month contract from 1 April 2026 (ends 30 June 2026) with a 6-month pre-expiry decision:
    # 6 months before 30 June is 30 December 2025, before the start, so the decision is due on the start.
    terms = ContractTerms(
        ref="S",
        start=d(2026, 4, 1),
        initial_term_months=3,
        value=MILLION,
        reviews=ReviewSchedule(quarterly=False, annual=False, mid_term=False, pre_expiry_months=6),
    )
    assert keyed(terms, KeyDateKind.PRE_EXPIRY_DECISION) == [("pre_expiry_decision:0", d(2026, 4, 1))]
