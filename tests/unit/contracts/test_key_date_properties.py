"""Properties over random contracts: every deadline falls inside the contract's life, before what it guards."""

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.common.calendars import working_day_calendar
from policies.calendars import Nation
from policies.contracts.clauses import (
    BreakClause,
    ContractTerms,
    ExtensionOption,
    Party,
    ReviewSchedule,
    expiry,
    max_extent,
    term_end,
    validate_terms,
)
from policies.contracts.key_dates import KeyDateKind, derive_key_dates
from policies.contracts.notice import NoticePeriod, NoticeUnit
from policies.money import Money

UK = working_day_calendar(Nation.UNITED_KINGDOM)
NATIONS = [working_day_calendar(n) for n in Nation]


def notices_that_fit(days: int) -> st.SearchStrategy[NoticePeriod]:
    """Notice that can be served on or after the start, for an event ``days`` after it, in any UK nation.

    Generous bounds, so the contracts are valid by construction and the properties can insist that the
    validator accepts them: n months go back at most 31n days; n working days at most 1.4n days plus a
    weekend and Christmas (so 2n + 8 is safe).
    """
    choices = [st.builds(NoticePeriod, st.integers(1, min(120, days)), st.just(NoticeUnit.DAYS))]
    if days >= 7:
        choices.append(st.builds(NoticePeriod, st.integers(1, min(16, days // 7)), st.just(NoticeUnit.WEEKS)))
    if days >= 31:
        choices.append(st.builds(NoticePeriod, st.integers(1, min(6, days // 31)), st.just(NoticeUnit.MONTHS)))
    if days >= 10:
        top = min(40, (days - 8) // 2)
        choices.append(st.builds(NoticePeriod, st.integers(1, top), st.just(NoticeUnit.WORKING_DAYS)))
    return st.one_of(choices)


@st.composite
def contracts(draw: st.DrawFn) -> tuple[ContractTerms, int]:
    """A random contract whose terms are valid (each notice fits between the start and its event)."""
    start = draw(st.dates(dt.date(2010, 1, 1), dt.date(2040, 12, 31)))
    term = draw(st.integers(1, 120))
    extensions: list[ExtensionOption] = []
    for _ in range(draw(st.integers(0, 3))):
        # Option i is decided before the end it extends: the initial term plus the options before it.
        current_end = term_end(start, term + sum(o.months for o in extensions))
        extensions.append(ExtensionOption(draw(st.integers(1, 24)), draw(notices_that_fit((current_end - start).days))))
    base = ContractTerms(
        ref="X", start=start, initial_term_months=term, value=Money(Decimal(0)), extensions=tuple(extensions)
    )
    last = max_extent(base)
    breaks = []
    for _ in range(draw(st.integers(0, 2))):
        offset = draw(st.integers(1, (last - start).days))
        on = start + dt.timedelta(days=offset)
        fixed = draw(st.booleans())
        breaks.append(
            BreakClause(
                draw(notices_that_fit(offset)),
                draw(st.sampled_from(Party)),
                on=on if fixed else None,
                rolling_from=None if fixed else on,
            )
        )
    value = Money(Decimal(draw(st.integers(0, 20_000_000_00))) / 100)
    terms = ContractTerms(
        ref="X",
        start=start,
        initial_term_months=term,
        value=value,
        extensions=tuple(extensions),
        extensions_used=draw(st.integers(0, len(extensions))),
        breaks=tuple(breaks),
        reviews=ReviewSchedule(
            draw(st.booleans()),
            draw(st.booleans()),
            draw(st.booleans()),
            draw(st.one_of(st.none(), st.integers(1, 12))),
        ),
        recommissioning_lead_months=draw(st.integers(1, 36)),
    )
    return terms, draw(st.integers(0, len(NATIONS) - 1))


AFTER_THE_END = {KeyDateKind.TERMINATION_NOTICE, KeyDateKind.MAX_EXTENT}
BEFORE_THE_START = {KeyDateKind.STANDSTILL_END, KeyDateKind.CONTRACT_DETAILS_NOTICE}


@settings(max_examples=300, deadline=None)
@given(contracts())
def test_every_deadline_falls_inside_the_contract_and_before_what_it_guards(case: tuple[ContractTerms, int]) -> None:
    terms, nation = case
    calendar = NATIONS[nation]
    assert validate_terms(terms, calendar) == []  # valid by construction: a validator that refuses it is wrong
    end, last = expiry(terms), max_extent(terms)
    for key_date in derive_key_dates(terms, calendar, UK):
        if key_date.kind not in AFTER_THE_END | BEFORE_THE_START:
            assert terms.start <= key_date.on <= last, key_date
        if key_date.guards is not None:
            assert key_date.on <= key_date.guards, key_date
            assert terms.start <= key_date.on, key_date
        if key_date.kind in (KeyDateKind.EXTENSION_DECISION, KeyDateKind.BREAK_NOTICE_DEADLINE):
            assert key_date.guards is not None and key_date.on < key_date.guards, key_date
        if key_date.kind in (
            KeyDateKind.QUARTERLY_MONITORING,
            KeyDateKind.ANNUAL_REVIEW,
            KeyDateKind.MID_TERM_REVIEW,
            KeyDateKind.PRE_EXPIRY_DECISION,
        ):
            assert terms.start <= key_date.on <= end, key_date


@settings(max_examples=200, deadline=None)
@given(contracts())
def test_key_dates_are_sorted_and_uniquely_keyed(case: tuple[ContractTerms, int]) -> None:
    terms, nation = case
    assert validate_terms(terms, NATIONS[nation]) == []
    dates = derive_key_dates(terms, NATIONS[nation], UK)
    assert [k.on for k in dates] == sorted(k.on for k in dates)
    assert len({k.key for k in dates}) == len(dates)


@given(st.dates(dt.date(1950, 1, 1), dt.date(2150, 12, 31)), st.integers(-600, 600))
def test_month_arithmetic_agrees_with_pendulum(anchor: dt.date, months: int) -> None:
    import pendulum

    from policies.dates import add_months

    moved = pendulum.Date(anchor.year, anchor.month, anchor.day).add(months=months)
    assert add_months(anchor, months) == dt.date(moved.year, moved.month, moved.day)
