"""One claim's rules at their edges: the referral day, the price exactly, two caps already full, a group of
three, and a prerequisite a cap took from a claim above the price or for nothing.

Fair Chance Fund card (examples/fair-chance-fund.yaml), participants as in test_claim_rules:
P-001 referred 6 October 2025, P-003 1 November 2025, P-004 27 October 2025. ASSESS_1, EDU_ENTRY,
EMP_ENTRY and ACC_ENTRY pay £500.00; ACC_S3 £1,500.00, 3 months after ACC_ENTRY.
"""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from policies.pbr.book import Book
from policies.pbr.claim_rules import participant_standing
from policies.pbr.claims import Decision, Finding, Reason, Verdict
from policies.pbr.participants import Participant
from policies.pbr.validation import validate_claims
from tests.unit.pbr.test_claim_rules import FCF, P1, P2, P3, PARTICIPANTS, claim, with_outcome

d = dt.date
D = Decimal
A, P, R = Verdict.ACCEPTED, Verdict.PARTLY_ACCEPTED, Verdict.REJECTED


def decide(cards: list[object], *rows: object) -> tuple[Decision, ...]:
    return tuple(validate_claims(cards, PARTICIPANTS, Book(), list(rows)).decisions)  # type: ignore[arg-type]


def test_an_outcome_achieved_on_the_referral_day_counts() -> None:
    # P-001 was referred on 6 October 2025 and assessed the same day; a day earlier is before referral.
    same_day, day_before = decide(
        [FCF], claim(2, "R-1", P1, "ASSESS_1", d(2025, 10, 6)), claim(3, "R-2", P2, "ASSESS_1", d(2025, 10, 31))
    )
    assert (same_day.verdict, same_day.payable) == (A, D("500.00"))
    assert day_before.findings == (
        Finding(Reason.BEFORE_REFERRAL, "ASSESS_1 was achieved on 2025-10-31, before referral on 2025-11-01"),
    )


def test_a_claim_of_exactly_the_price_is_not_above_it_a_penny_more_is() -> None:
    exact, over = decide(
        [FCF],
        claim(2, "S-1", P1, "ASSESS_1", d(2025, 10, 10), "500.00"),
        claim(3, "S-2", P2, "ASSESS_1", d(2025, 11, 10), "500.01"),
    )
    assert (exact.verdict, exact.payable, exact.findings) == (A, D("500.00"), ())
    assert (over.verdict, over.payable, over.codes) == (P, D("500.00"), (Reason.ABOVE_PRICE,))


def test_what_a_rejected_claim_asked_for_and_the_price_it_would_have_had() -> None:
    # P-999 is unknown: the claim asked for the card price, £500.00. An outcome the card does not price
    # asked for nothing when it names no amount.
    unknown, unpriced = decide(
        [FCF],
        claim(2, "U-1", "P-999", "ASSESS_1", d(2025, 12, 1)),
        claim(3, "U-2", P1, "HOUSING_FIRST", d(2025, 12, 1)),
    )
    assert (unknown.verdict, unknown.claimed, unknown.price) == (R, D("500.00"), D("500.00"))
    assert (unpriced.verdict, unpriced.claimed, unpriced.price) == (R, D(0), D(0))


def test_when_two_caps_are_already_full_only_the_first_is_named() -> None:
    # Participant cap £500.00 and an ACC_ENTRY cap of £500.00. P-001's ASSESS_1 fills the participant cap;
    # P-003's entry fills the outcome cap. P-001's entry then finds both full: the participant cap, applied
    # first, takes all of it, and the outcome cap has nothing left to take.
    card = replace(with_outcome(FCF, "ACC_ENTRY", cap=D("500.00")), participant_cap=D("500.00"))
    *_, both = decide(
        [card],
        claim(2, "B-1", P1, "ASSESS_1", d(2025, 10, 10)),
        claim(3, "B-2", P2, "ACC_ENTRY", d(2025, 11, 15)),
        claim(4, "B-3", P1, "ACC_ENTRY", d(2025, 11, 20)),
    )
    assert (both.verdict, both.payable, both.capped) == (R, D(0), D("500.00"))
    assert [f.sentence for f in both.findings] == [
        "the participant P-001 cap of £500.00 leaves £0.00 of the £500.00 due; £500.00 is capped"
    ]


def test_an_outcome_exclusive_with_two_already_held_names_the_first() -> None:
    # Version 2 (from 1 January 2026) makes ASSESS_1, EDU_ENTRY and EMP_ENTRY one group, "first step".
    # P-001 had ASSESS_1 and EDU_ENTRY accepted under version 1; EMP_ENTRY under version 2 clashes with
    # both, and the first accepted (ASSESS_1, claim X-1) names the clash, once.
    v2 = replace(FCF, effective_from=d(2026, 1, 1))
    for code in ("ASSESS_1", "EDU_ENTRY", "EMP_ENTRY"):
        v2 = with_outcome(v2, code, group="first step")
    *_, third = decide(
        [FCF, v2],
        claim(2, "X-1", P1, "ASSESS_1", d(2025, 10, 10)),
        claim(3, "X-2", P1, "EDU_ENTRY", d(2025, 11, 3)),
        claim(4, "X-3", P1, "EMP_ENTRY", d(2026, 1, 12)),
    )
    assert third.findings == (
        Finding(
            Reason.MUTUALLY_EXCLUSIVE,
            "EMP_ENTRY and ASSESS_1 (claim X-1) are mutually exclusive (first step); only one is payable",
        ),
    )


# --------------------------------------------------------------------------- a prerequisite a cap took


CAPPED = replace(FCF, contract_cap=D("500.00"))  # P-001's ASSESS_1 fills it; P-003's ACC_ENTRY gets nothing
FILL_AND_LOSE = (claim(2, "C-1", P1, "ASSESS_1", d(2025, 10, 10)), claim(3, "C-2", P2, "ACC_ENTRY", d(2025, 11, 15)))


def test_a_claim_above_the_price_whose_prerequisite_a_cap_took_caps_the_price() -> None:
    # ACC_S3 claimed at £1,800.00 pays at most the £1,500.00 price: that is what the cap cost.
    *_, s3 = decide([CAPPED], *FILL_AND_LOSE, claim(4, "C-3", P2, "ACC_S3", d(2026, 2, 16), "1800.00"))
    assert (s3.verdict, s3.payable, s3.capped, s3.codes) == (R, D(0), D("1500.00"), (Reason.OVER_CONTRACT_CAP,))
    assert s3.findings[0].sentence.endswith("; £1,500.00 is capped with it")


def test_a_claim_for_nothing_whose_prerequisite_a_cap_took_is_rejected_for_the_prerequisite() -> None:
    # A £0.00 claim had nothing for the cap to cost: it is rejected, naming the prerequisite the cap took.
    *_, nothing = decide([CAPPED], *FILL_AND_LOSE, claim(4, "C-4", P2, "ACC_S3", d(2026, 2, 16), "0.00"))
    assert (nothing.verdict, nothing.capped, nothing.codes) == (R, D(0), (Reason.PREREQUISITE_MISSING,))


def test_a_prerequisite_capped_to_nothing_then_accepted_later_counts() -> None:
    # P-004's first entry is capped out under a £500.00 cap. With no cap on version 2 (from 1 December
    # 2025), a second entry on 2 December is accepted, and ACC_S3 on 2 March 2026 (3 months on) is paid.
    v2 = replace(FCF, effective_from=d(2025, 12, 1), contract_cap=None)
    decisions = decide(
        [CAPPED, v2],
        claim(2, "D-1", P1, "ASSESS_1", d(2025, 10, 10)),
        claim(3, "D-2", P3, "ACC_ENTRY", d(2025, 11, 15)),
        claim(4, "D-3", P3, "ACC_ENTRY", d(2025, 12, 2)),
        claim(5, "D-4", P3, "ACC_S3", d(2026, 3, 2)),
    )
    assert [(x.verdict, x.payable) for x in decisions] == [
        (A, D("500.00")),
        (R, D(0)),
        (A, D("500.00")),
        (A, D("1500.00")),
    ]


def test_a_penny_claim_whose_prerequisite_a_cap_took_is_capped_by_its_penny() -> None:
    # ACC_S3 claimed at £0.01: the cap that took ACC_ENTRY costs it its penny, so it is capped, not refused.
    *_, penny = decide([CAPPED], *FILL_AND_LOSE, claim(4, "C-5", P2, "ACC_S3", d(2026, 2, 16), "0.01"))
    assert (penny.verdict, penny.payable, penny.capped, penny.codes) == (
        R,
        D(0),
        D("0.01"),
        (Reason.OVER_CONTRACT_CAP,),
    )


def test_a_cap_already_passed_has_nothing_left_to_take_after_another_took_all() -> None:
    # Version 1: ACC_ENTRY capped at £1,000.00, filled by P-001 and P-003; P-004's ASSESS_1 takes £500.00.
    # Version 2 (from 1 January 2026): participant cap £500.00, ACC_ENTRY cap lowered to £800.00, already
    # passed by £200.00. P-004's entry: the participant cap takes all £500.00; the outcome cap, applied
    # next, finds nothing left to take and says nothing.
    v1 = with_outcome(FCF, "ACC_ENTRY", cap=D("1000.00"))
    v2 = replace(
        with_outcome(FCF, "ACC_ENTRY", cap=D("800.00")), effective_from=d(2026, 1, 1), participant_cap=D("500.00")
    )
    *_, entry = decide(
        [v1, v2],
        claim(2, "O-1", P1, "ACC_ENTRY", d(2025, 10, 20)),
        claim(3, "O-2", P2, "ACC_ENTRY", d(2025, 11, 15)),
        claim(4, "O-3", P3, "ASSESS_1", d(2025, 11, 20)),
        claim(5, "O-4", P3, "ACC_ENTRY", d(2026, 1, 5)),
    )
    assert (entry.verdict, entry.capped) == (R, D("500.00"))
    assert [f.sentence for f in entry.findings] == [
        "the participant P-004 cap of £500.00 leaves £0.00 of the £500.00 due; £500.00 is capped"
    ]


def test_a_corrected_referral_date_re_decides_a_claim_achieved_before_it() -> None:
    # P-001 (born 10 May 2003) was recorded as referred on 6 October 2025; the referral is corrected to 1 February
    # 2026. Her EDU_ENTRY of 5 January 2026 now comes before the referral; a claim achieved on 1 February itself
    # still counts. Aged 22 and inside the window (1 October 2025 to 30 September 2026), she is otherwise eligible.
    corrected = Participant("P-001", d(2026, 2, 1), d(2003, 5, 10))
    assert participant_standing(corrected, FCF, "EDU_ENTRY", d(2026, 1, 5)) == (
        Finding(Reason.BEFORE_REFERRAL, "EDU_ENTRY was achieved on 2026-01-05, before referral on 2026-02-01"),
    )
    assert participant_standing(corrected, FCF, "ASSESS_1", d(2026, 2, 1)) == ()


def test_a_referral_corrected_out_of_the_window_names_the_window_then_the_early_claim() -> None:
    # Corrected to 1 October 2026, a day after the window closes: a claim of 4 May 2026 is wrong twice over.
    late = Participant("P-003", d(2026, 10, 1), d(2004, 2, 29))
    assert [f.code for f in participant_standing(late, FCF, "EDU_L1", d(2026, 5, 4))] == [
        Reason.REFERRAL_OUTSIDE_WINDOW,
        Reason.BEFORE_REFERRAL,
    ]
