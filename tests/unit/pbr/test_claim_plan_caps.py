"""When a file's claims may be decided participant by participant: only while they cannot pass the contract cap
or an outcome cap, even were every one paid in full. Exactly reaching a cap is not passing it.

Fair Chance Fund card: ASSESS_1, ACC_ENTRY and EMP_ENTRY £500.00; VOL_6 £500.00.
"""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from policies.pbr.book import Book
from policies.pbr.claims import Accepted
from policies.pbr.validation import plan_claims
from tests.unit.pbr.test_claim_rules import FCF, P1, P2, P3, claim, with_outcome

d = dt.date
D = Decimal
THREE = [
    claim(2, "K-1", P1, "ASSESS_1", d(2025, 10, 10)),
    claim(3, "K-2", P2, "ACC_ENTRY", d(2025, 11, 15)),
    claim(4, "K-3", P3, "EMP_ENTRY", d(2025, 11, 3)),
]


def test_claims_that_exactly_fill_the_contract_cap_are_decided_apart() -> None:
    # £1,500.00 of claims against a £1,500.00 cap: it is reached, never passed.
    plan = plan_claims([replace(FCF, contract_cap=D("1500.00"))], Book(), THREE)
    assert (plan.independent, plan.reach, plan.by_date) == (True, 3, None)


def test_a_penny_less_of_contract_cap_puts_it_in_reach_from_the_third_claim_by_date() -> None:
    # Cap £1,499.99: by date K-1 (10 October), K-3 (3 November) fit; K-2 (15 November) could pass it.
    plan = plan_claims([replace(FCF, contract_cap=D("1499.99"))], Book(), THREE)
    assert (plan.independent, plan.reach, plan.by_date) == (False, 2, [0, 2, 1])
    assert list(plan.order()) == [0, 2, 1]


def test_what_earlier_imports_accepted_counts_towards_the_cap() -> None:
    def earlier() -> Book:  # an earlier import accepted P-006's £500.00 (a book per plan: plans record refs)
        book = Book()
        book.add(Accepted("C-001", "P-006", "ASSESS_1", d(2025, 12, 5), D("500.00")))
        return book

    assert plan_claims([replace(FCF, contract_cap=D("2000.00"))], earlier(), THREE).independent
    assert not plan_claims([replace(FCF, contract_cap=D("1999.99"))], earlier(), THREE).independent


def test_claims_that_exactly_fill_an_outcome_cap_are_decided_apart() -> None:
    entries = [claim(2, "E-1", P1, "ACC_ENTRY", d(2025, 10, 20)), claim(3, "E-2", P2, "ACC_ENTRY", d(2025, 11, 15))]
    assert plan_claims([with_outcome(FCF, "ACC_ENTRY", cap=D("1000.00"))], Book(), entries).independent
    plan = plan_claims([with_outcome(FCF, "ACC_ENTRY", cap=D("999.99"))], Book(), entries)
    assert (plan.independent, plan.reach) == (False, 1)


def test_a_claim_above_the_price_counts_only_the_price() -> None:
    # Two VOL_6 claims of £600.00 each can be paid at most £500.00 each: £1,000.00 fills a £1,000.00 cap.
    rows = [
        claim(2, "V-1", P1, "VOL_6", d(2025, 10, 20), "600.00"),
        claim(3, "V-2", P2, "VOL_6", d(2025, 11, 20), "600.00"),
    ]
    assert plan_claims([replace(FCF, contract_cap=D("1000.00"))], Book(), rows).independent


def test_a_later_card_with_a_lower_cap_is_the_cap_from_its_date() -> None:
    # Version 2 from 1 November 2025 lowers the contract cap to £1,000.00: K-3 and K-2, achieved under it,
    # with K-1 make £1,500.00, past it.
    v2 = replace(FCF, effective_from=d(2025, 11, 1), contract_cap=D("1000.00"))
    plan = plan_claims([replace(FCF, contract_cap=D("1500.00")), v2], Book(), THREE)
    assert (plan.independent, plan.reach) == (False, 2)
    # An outcome cap lowered the same way: ACC_ENTRY at £1,000.00, then £500.00 from 1 November.
    entries = [claim(2, "E-1", P1, "ACC_ENTRY", d(2025, 10, 20)), claim(3, "E-2", P2, "ACC_ENTRY", d(2025, 11, 15))]
    lowered = replace(with_outcome(FCF, "ACC_ENTRY", cap=D("500.00")), effective_from=d(2025, 11, 1))
    assert not plan_claims([with_outcome(FCF, "ACC_ENTRY", cap=D("1000.00")), lowered], Book(), entries).independent


def test_claims_no_card_prices_count_for_nothing() -> None:
    # An outcome not on the card, and a claim before any card, cannot be paid: they reach no cap.
    rows = [
        *THREE,
        claim(5, "N-1", P1, "HOUSING_FIRST", d(2025, 11, 1), "900.00"),
        claim(6, "N-2", P2, "ASSESS_1", d(2025, 9, 30)),
    ]
    assert plan_claims([replace(FCF, contract_cap=D("1500.00"))], Book(), rows).independent


def test_claims_alike_on_one_day_count_each() -> None:
    # Two £500.00 assessments on 10 October 2025 (for P-001 and P-003): £1,000.00, past a £999.99 cap.
    rows = [claim(2, "A-1", P1, "ASSESS_1", d(2025, 10, 10)), claim(3, "A-2", P2, "ASSESS_1", d(2025, 11, 10))]
    alike = [rows[0], rows[1]._replace(achieved_on=d(2025, 10, 10))]
    assert plan_claims([replace(FCF, contract_cap=D("1000.00"))], Book(), alike).independent
    assert not plan_claims([replace(FCF, contract_cap=D("999.99"))], Book(), alike).independent


def test_a_later_card_without_a_contract_cap_keeps_the_lowest_cap_seen() -> None:
    # Version 2 (from 1 November 2025) has no contract cap; the £1,000.00 of version 1 still bounds the
    # file, so its £1,500.00 of claims are decided together, by date.
    v2 = replace(FCF, effective_from=d(2025, 11, 1), contract_cap=None)
    plan = plan_claims([replace(FCF, contract_cap=D("1000.00")), v2], Book(), THREE)
    assert (plan.independent, plan.reach) == (False, 2)


def test_participants_are_dealt_into_shares_of_about_equal_numbers_of_claims() -> None:
    # 12 claims from six participants (3, 1, 2, 2, 1 and 3 claims, in order of first appearance), in 3 shares
    # of about 4: a new share starts once 4, then 8, claims are dealt. P-001 and P-002 (4 claims) make the
    # first; P-003 and P-004 (4) the second; P-006 and P-007 (4) the third.
    people = [("P-001", 3), ("P-002", 1), ("P-003", 2), ("P-004", 2), ("P-006", 1), ("P-007", 3)]
    rows, line = [], 2
    for who, count in people:
        for n in range(count):
            rows.append(claim(line, f"S-{line}", who, "VOL_6", d(2025, 12, 1 + n)))
            line += 1
    owner = plan_claims([FCF], Book(), rows).share_out(3)
    assert owner == {"P-001": 0, "P-002": 0, "P-003": 1, "P-004": 1, "P-006": 2, "P-007": 2}


def test_one_share_is_the_whole_file() -> None:
    plan = plan_claims([FCF], Book(), THREE)
    assert plan.parts(1) == [[0, 1, 2]]
