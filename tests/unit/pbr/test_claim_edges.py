"""Claims at the edges of the rules: exactly at a cap's headroom, a penny either side, the window's last day,
several prerequisites, a prerequisite accepted twice, and a later card that lowers a cap.

Fair Chance Fund card (examples/fair-chance-fund.yaml): ASSESS_1, ACC_ENTRY and EMP_ENTRY £500.00 each;
ACC_S3 £1,500.00 at least 3 months after ACC_ENTRY; ACC_S6 £1,500.00 needs ACC_S3 and 6 months since
ACC_ENTRY. Referral window 1 October 2025 to 30 September 2026, ages 18-24 at referral.
P-001 referred 6 October 2025, P-003 1 November 2025, P-004 27 October 2025.
"""

import datetime as dt
import hashlib
from dataclasses import replace
from decimal import Decimal

import pytest

from policies.pbr.book import Book
from policies.pbr.claims import Claim, Decision, Finding, Reason, Verdict, gbp, pence, pounds
from policies.pbr.participants import Participant
from policies.pbr.validation import validate_claims
from tests.unit.pbr.test_claim_rules import FCF, P1, P2, P3, PARTICIPANTS, claim, with_outcome

d = dt.date
D = Decimal
A, P, R = Verdict.ACCEPTED, Verdict.PARTLY_ACCEPTED, Verdict.REJECTED


def decide(card: object, *rows: object, book: Book | None = None) -> tuple[Decision, ...]:
    return validate_claims([card], PARTICIPANTS, book or Book(), list(rows)).decisions  # type: ignore[list-item]


# --------------------------------------------------------------------------- exactly at the headroom


def test_a_claim_exactly_equal_to_the_participant_caps_headroom_is_accepted_in_full() -> None:
    # Participant cap £1,000.00: ASSESS_1 takes £500.00, leaving £500.00; ACC_ENTRY's £500.00 fits exactly.
    card = replace(FCF, participant_cap=D("1000.00"))
    *_, second = decide(
        card, claim(2, "H-1", P1, "ASSESS_1", d(2025, 10, 10)), claim(3, "H-2", P1, "ACC_ENTRY", d(2025, 10, 20))
    )
    assert (second.verdict, second.payable, second.capped, second.findings) == (A, D("500.00"), D(0), ())


def test_a_claim_exactly_equal_to_the_outcome_caps_headroom_is_accepted_in_full() -> None:
    # ACC_ENTRY capped at £1,000.00 across the contract: two entries of £500.00 fill it exactly.
    card = with_outcome(FCF, "ACC_ENTRY", cap=D("1000.00"))
    *_, second = decide(
        card, claim(2, "H-3", P1, "ACC_ENTRY", d(2025, 10, 20)), claim(3, "H-4", P2, "ACC_ENTRY", d(2025, 11, 15))
    )
    assert (second.verdict, second.payable, second.capped, second.findings) == (A, D("500.00"), D(0), ())


def test_a_claim_exactly_equal_to_the_contract_caps_headroom_is_accepted_in_full() -> None:
    card = replace(FCF, contract_cap=D("1000.00"))
    *_, second = decide(
        card, claim(2, "H-5", P1, "ASSESS_1", d(2025, 10, 10)), claim(3, "H-6", P2, "ACC_ENTRY", d(2025, 11, 15))
    )
    assert (second.verdict, second.payable, second.capped, second.findings) == (A, D("500.00"), D(0), ())


# --------------------------------------------------------------------------- a penny either side


def test_a_one_penny_claim_is_accepted_and_a_zero_claim_has_nothing_to_pay() -> None:
    penny, nothing = decide(
        FCF,
        claim(2, "M-1", P1, "ASSESS_1", d(2025, 10, 10), "0.01"),
        claim(3, "M-2", P2, "ASSESS_1", d(2025, 11, 10), "0.00"),
    )
    assert (penny.verdict, penny.payable, penny.capped, penny.findings) == (A, D("0.01"), D(0), ())
    assert (nothing.verdict, nothing.payable, nothing.capped) == (R, D(0), D(0))
    assert nothing.findings == (Finding(Reason.MALFORMED, "the claim is for £0.00; there is nothing to pay"),)


def test_a_cap_leaving_exactly_one_penny_pays_the_penny() -> None:
    # Contract cap £1,000.01: two claims of £500.00 leave £0.01; the third pays £0.01 and £499.99 is capped.
    card = replace(FCF, contract_cap=D("1000.01"))
    *_, third = decide(
        card,
        claim(2, "N-1", P1, "ASSESS_1", d(2025, 10, 10)),
        claim(3, "N-2", P2, "ACC_ENTRY", d(2025, 11, 15)),
        claim(4, "N-3", P3, "EMP_ENTRY", d(2025, 11, 20)),
    )
    assert (third.verdict, third.payable, third.capped) == (P, D("0.01"), D("499.99"))
    assert [f.sentence for f in third.findings] == [
        "the contract FCF-2025-01 cap of £1,000.01 leaves £0.01 of the £500.00 due; £499.99 is capped"
    ]


def test_a_penny_claim_against_a_full_cap_is_rejected() -> None:
    card = replace(FCF, contract_cap=D("500.00"))
    *_, penny = decide(
        card,
        claim(2, "N-4", P1, "ASSESS_1", d(2025, 10, 10)),
        claim(3, "N-5", P2, "ACC_ENTRY", d(2025, 11, 15), "0.01"),
    )
    assert (penny.verdict, penny.payable, penny.capped, penny.codes) == (
        R,
        D(0),
        D("0.01"),
        (Reason.OVER_CONTRACT_CAP,),
    )


# --------------------------------------------------------------------------- the referral window


def test_a_participant_referred_on_the_windows_last_day_may_claim() -> None:
    # Referred on 30 September 2026, the last day of the window, aged 22: in; a day later would be out.
    people = {
        **PARTICIPANTS,
        "P-020": Participant("P-020", d(2026, 9, 30), d(2004, 6, 1)),
        "P-021": Participant("P-021", d(2026, 10, 1), d(2004, 6, 1)),
    }
    rows = [claim(2, "W-1", "P-020", "ASSESS_1", d(2026, 10, 5)), claim(3, "W-2", "P-021", "ASSESS_1", d(2026, 10, 5))]
    last_day, day_after = validate_claims([FCF], people, Book(), rows).decisions
    assert (last_day.verdict, last_day.payable) == (A, D("500.00"))
    assert day_after.codes == (Reason.REFERRAL_OUTSIDE_WINDOW,)


# --------------------------------------------------------------------------- several of a kind


def test_a_claim_missing_two_prerequisites_names_both() -> None:
    # P-003 claims ACC_S6 with neither ACC_S3 nor ACC_ENTRY accepted: both are named, in the card's order.
    (decision,) = decide(FCF, claim(2, "Q-1", P2, "ACC_S6", d(2026, 5, 16)))
    assert decision.verdict is R
    assert decision.findings == (
        Finding(Reason.PREREQUISITE_MISSING, "ACC_S6 needs ACC_S3 accepted first; P-003 has none"),
        Finding(Reason.PREREQUISITE_MISSING, "ACC_S6 needs ACC_ENTRY accepted first; P-003 has none"),
    )


def test_a_prerequisite_accepted_twice_counts_from_the_earlier_acceptance() -> None:
    # ACC_ENTRY payable twice. P-003's entry of 10 January 2026 is imported first, the one of 15 November
    # 2025 in a later file. ACC_S3 needs 3 months since the entry: from 15 November that is 15 February
    # 2026, from 10 January it would be 10 April. Claimed on 16 February: in time, counted from the earlier.
    card = with_outcome(FCF, "ACC_ENTRY", times_payable=2)
    book = Book()
    decide(card, claim(2, "T-1", P2, "ACC_ENTRY", d(2026, 1, 10)), book=book)
    decide(card, claim(2, "T-2", P2, "ACC_ENTRY", d(2025, 11, 15)), book=book)
    in_time, too_soon = decide(
        card,
        claim(2, "T-3", P2, "ACC_S3", d(2026, 2, 16)),
        claim(3, "T-4", P3, "ACC_S3", d(2026, 2, 16)),  # P-004 has no entry at all
        book=book,
    )
    assert (in_time.verdict, in_time.payable) == (A, D("1500.00"))
    assert too_soon.codes == (Reason.PREREQUISITE_MISSING,)


def test_a_prerequisite_accepted_twice_names_the_earlier_date_when_too_soon() -> None:
    card = with_outcome(FCF, "ACC_ENTRY", times_payable=2)
    book = Book()
    decide(card, claim(2, "T-5", P2, "ACC_ENTRY", d(2026, 1, 10)), book=book)
    decide(card, claim(2, "T-6", P2, "ACC_ENTRY", d(2025, 11, 15)), book=book)
    (early,) = decide(card, claim(2, "T-7", P2, "ACC_S3", d(2026, 2, 14)), book=book)
    assert early.findings == (
        Finding(
            Reason.INTERVAL_TOO_SHORT,
            "ACC_S3 on 2026-02-14 is too soon: it needs 3 months after ACC_ENTRY on 2025-11-15, "
            "so not before 2026-02-15",
        ),
    )


def test_a_later_card_lowering_an_outcome_cap_below_what_was_accepted_pays_nothing_more() -> None:
    # Version 1 caps ACC_ENTRY at £1,500.00; two entries take £1,000.00. Version 2, from 1 January 2026,
    # lowers the cap to £800.00, already passed: a third entry on 5 January finds £0.00 left (never less).
    v1 = with_outcome(FCF, "ACC_ENTRY", cap=D("1500.00"))
    v2 = replace(with_outcome(FCF, "ACC_ENTRY", cap=D("800.00")), effective_from=d(2026, 1, 1))
    rows = [
        claim(2, "L-1", P1, "ACC_ENTRY", d(2025, 10, 20)),
        claim(3, "L-2", P2, "ACC_ENTRY", d(2025, 11, 15)),
        claim(4, "L-3", P3, "ACC_ENTRY", d(2026, 1, 5)),
    ]
    *_, third = validate_claims([v1, v2], PARTICIPANTS, Book(), rows).decisions
    assert (third.verdict, third.payable, third.capped) == (R, D(0), D("500.00"))
    assert [f.sentence for f in third.findings] == [
        "the outcome ACC_ENTRY cap of £800.00 leaves £0.00 of the £500.00 due; £500.00 is capped"
    ]


def test_two_claims_for_one_outcome_in_one_file_that_together_pass_its_cap() -> None:
    # ACC_ENTRY capped at £700.00: the first entry takes £500.00, the second is cut to the £200.00 left.
    card = with_outcome(FCF, "ACC_ENTRY", cap=D("700.00"))
    first, second = decide(
        card, claim(2, "J-1", P1, "ACC_ENTRY", d(2025, 10, 20)), claim(3, "J-2", P2, "ACC_ENTRY", d(2025, 11, 15))
    )
    assert [(x.verdict, x.payable, x.capped) for x in (first, second)] == [
        (A, D("500.00"), D(0)),
        (P, D("200.00"), D("300.00")),
    ]


# --------------------------------------------------------------------------- the fingerprint


def test_a_claims_fingerprint_is_pinned_because_stored_claims_are_matched_on_it() -> None:
    # C-006 of the worked scenario: BLAKE2b (8 bytes) of its reference, participant, outcome, ISO date,
    # amount and evidence joined by the unit separator (0x1f), in hex. A change here would make every
    # stored claim look changed when its file is imported again.
    row = Claim(7, "C-006", "P-001", "ACC_S3", d(2026, 1, 20), D("1500.00"), "tenancy_check")
    text = "\x1f".join(("C-006", "P-001", "ACC_S3", "2026-01-20", "1500.00", "tenancy_check"))
    assert row.fingerprint() == hashlib.blake2b(text.encode(), digest_size=8).hexdigest() == "7efc2a60e67cab87"
    assert row._replace(line=99).fingerprint() == "7efc2a60e67cab87"  # the line is not the claim
    assert row._replace(amount=None).fingerprint() == "6daad341ad103ef6"  # "None": the card price


def test_money_in_reasons_and_in_pence() -> None:
    # Nothing is written £0.00, never -£0.00; pence are whole: £1,500.50 is 150,050p and back.
    assert (gbp(D("0")), gbp(D("0.00")), gbp(D("-0.01"))) == ("£0.00", "£0.00", "-£0.01")
    assert (pence(D("1500.50")), pence(D("0.01")), pounds(150050), pounds(1)) == (150050, 1, D("1500.50"), D("0.01"))
    with pytest.raises(ValueError, match=r"0\.005 is not a whole number of pence"):
        pence(D("0.005"))


def test_a_first_claim_exactly_equal_to_the_caps_is_accepted_in_full() -> None:
    # Nothing accepted yet: a participant cap and an ACC_ENTRY cap of £500.00 each leave room for exactly
    # one £500.00 entry.
    card = replace(with_outcome(FCF, "ACC_ENTRY", cap=D("500.00")), participant_cap=D("500.00"))
    (first,) = decide(card, claim(2, "H-7", P1, "ACC_ENTRY", d(2025, 10, 20)))
    assert (first.verdict, first.payable, first.capped, first.findings) == (A, D("500.00"), D(0), ())
