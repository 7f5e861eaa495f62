"""Claim validation on the Fair Chance Fund card, worked as a finance officer would check it by hand.

THE WORKED SCENARIO (card: examples/fair-chance-fund.yaml; referral window
2025-10-01 to 2026-09-30; ages 18-24 at referral; participant cap £15,000.00)

Participants

    ref    referred    born        age at referral
    P-001  2025-10-06  2003-05-10  22
    P-002  2025-10-15  2005-01-01  20
    P-003  2025-11-01  2004-02-29  21
    P-004  2025-10-27  2000-12-31  24
    P-005  2026-10-01  2004-06-01  22  (the day after the window closed)
    P-006  2025-12-01  2003-08-08  22
    P-007  2025-10-20  2001-01-15  24  (25 before the end of the contract: age counts at referral)
    P-008  2025-10-01  2007-10-01  18  (turns 18 on the referral day, the window's first day)
    P-009  2025-11-01  1999-06-01  26
    (P-999 is not on the list)

Claims, in file order (line 1 is the header). Claims are decided in the order
achieved, then line, so "order" is the position each is decided in.

    line ref    who    outcome    achieved    claimed  verdict   payable   reason (running total)
    2    C-001  P-001  ASSESS_1   2025-10-10   500.00  accepted    500.00  (P-001: 500)
    3    C-002  P-001  ACC_ENTRY  2025-10-20   500.00  accepted    500.00  (1,000)
    4    C-003  P-001  EDU_ENTRY  2025-11-03   500.00  accepted    500.00  (1,500)
    5    C-004  P-001  EMP_ENTRY  2025-11-10   500.00  accepted    500.00  (2,000)
    6    C-005  P-001  ASSESS_2   2026-01-12   500.00  accepted    500.00  (2,500; ASSESS_1 + 3 months = 01-10)
    7    C-006  P-001  ACC_S3     2026-01-20  1500.00  accepted   1500.00  (4,000; entry + 3 months = 01-20)
    8    C-007  P-001  EDU_L1     2026-02-02  2500.00  accepted   2500.00  (6,500)
    9    C-008  P-001  EMP_FT13   2026-02-09  4500.00  accepted   4500.00  (11,000; entry + 13 weeks = 02-09)
    10   C-009  P-001  EDU_L2     2026-03-02  3500.00  accepted   3500.00  (14,500)
    11   C-010  P-001  ASSESS_3   2026-04-27   200.00  rejected      0.00  over_participant_cap (200 capped)
    12   C-011  P-001  ACC_S6     2026-04-20  1500.00  partly      500.00  over_participant_cap (1,000 capped;
                                                                           achieved before C-010, so first)
    13   C-012  P-002  ACC_S3     2026-02-01  1500.00  rejected      0.00  prerequisite_missing (no ACC_ENTRY)
    14   C-013  P-003  ACC_S3     2026-01-15  1500.00  rejected      0.00  interval_too_short (not before 02-15)
    15   C-014  P-003  ACC_ENTRY  2025-11-15   500.00  accepted    500.00  (later in the file, achieved first)
    16   C-015  P-003  ACC_S3     2026-02-16  1500.00  accepted   1500.00  (the claim made again, in time)
    17   C-016  P-004  EMP_FT13   2026-02-09  4500.00  rejected      0.00  mutually_exclusive (PT13 on 02-02)
    18   C-017  P-004  EMP_PT13   2026-02-02  3000.00  accepted   3000.00  (entry + 13 weeks = 02-02)
    19   C-018  P-004  EMP_ENTRY  2025-11-03   500.00  accepted    500.00
    20   C-019  P-005  ASSESS_1   2026-10-05   500.00  rejected      0.00  referral_outside_window
    21   C-020  P-999  ASSESS_1   2025-12-01   500.00  rejected      0.00  unknown_participant
    22   C-021  P-006  ASSESS_1   2025-11-20   500.00  rejected      0.00  before_referral
    23   C-022  P-006  ASSESS_1   2025-12-03   500.00  rejected      0.00  evidence_missing (no assessment_form)
    24   C-023  P-006  ASSESS_1   2025-12-05   500.00  accepted    500.00
    25   C-024  P-007  EDU_ENTRY  2025-11-01   500.00  accepted    500.00
    26   C-025  P-007  EDU_ENTRY  2025-12-01   500.00  rejected      0.00  already_paid (by C-024)
    27   C-024  P-007  VOL_6      2025-12-15   500.00  rejected      0.00  duplicate_claim_ref (line 25)
    28   C-024  P-007  EDU_ENTRY  2025-11-01      -    unchanged (the same row as line 25, sent again)
    29   C-026  P-008  VOL_6      2025-10-20   600.00  partly      500.00  above_price (the card pays 500.00)
    30   C-027  P-008  VOL_13     2025-12-08   400.00  accepted    400.00  (below the price; VOL_6 + 7 weeks)
    31   C-028  P-009  ASSESS_1   2025-11-10   500.00  rejected      0.00  ineligible (26 at referral)

Totals by hand: 29 decisions (16 accepted, 2 partly accepted, 11 rejected) and
1 unchanged row. Payable: P-001 15,000.00 + P-003 2,000.00 + P-004 3,500.00 +
P-006 500.00 + P-007 500.00 + P-008 900.00 = 22,400.00. Capped: 1,000.00 +
200.00 = 1,200.00.
"""

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from policies.pbr.book import Book
from policies.pbr.claims import Claim, Decision, Finding, Reason, Verdict, gbp
from policies.pbr.participants import Participant
from policies.pbr.ratecard import Outcome, RateCard
from policies.pbr.ratecard_reading import read_rate_card
from policies.pbr.validation import Validation, _validate, validate_claims

d = dt.date
D = Decimal
A, P, R = Verdict.ACCEPTED, Verdict.PARTLY_ACCEPTED, Verdict.REJECTED
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "fair-chance-fund.yaml"


def load_fcf() -> RateCard:
    card, problems = read_rate_card(yaml.safe_load(EXAMPLE.read_text()))
    assert card is not None, problems
    return card


FCF = load_fcf()

PARTICIPANTS = {
    p.ref: p
    for p in (
        Participant("P-001", d(2025, 10, 6), d(2003, 5, 10)),
        Participant("P-002", d(2025, 10, 15), d(2005, 1, 1)),
        Participant("P-003", d(2025, 11, 1), d(2004, 2, 29)),
        Participant("P-004", d(2025, 10, 27), d(2000, 12, 31)),
        Participant("P-005", d(2026, 10, 1), d(2004, 6, 1)),
        Participant("P-006", d(2025, 12, 1), d(2003, 8, 8)),
        Participant("P-007", d(2025, 10, 20), d(2001, 1, 15)),
        Participant("P-008", d(2025, 10, 1), d(2007, 10, 1)),
        Participant("P-009", d(2025, 11, 1), d(1999, 6, 1)),
    )
}


def evidence_for(outcome: str) -> str:
    return FCF.outcomes[outcome].evidence or ""


def claim(line: int, ref: str, who: str, outcome: str, on: dt.date, amount: str | None = None, **kw: str) -> Claim:
    evidence = kw.get("evidence", evidence_for(outcome) if outcome in FCF.outcomes else "")
    return Claim(line, ref, who, outcome, on, D(amount) if amount is not None else None, evidence)


# (claim, expected verdict or None for unchanged, payable, reason codes), in file order: the table above
SCENARIO: list[tuple[Claim, Verdict | None, str, tuple[Reason, ...]]] = [
    (claim(2, "C-001", "P-001", "ASSESS_1", d(2025, 10, 10)), A, "500.00", ()),
    (claim(3, "C-002", "P-001", "ACC_ENTRY", d(2025, 10, 20)), A, "500.00", ()),
    (claim(4, "C-003", "P-001", "EDU_ENTRY", d(2025, 11, 3)), A, "500.00", ()),
    (claim(5, "C-004", "P-001", "EMP_ENTRY", d(2025, 11, 10)), A, "500.00", ()),
    (claim(6, "C-005", "P-001", "ASSESS_2", d(2026, 1, 12)), A, "500.00", ()),
    (claim(7, "C-006", "P-001", "ACC_S3", d(2026, 1, 20)), A, "1500.00", ()),
    (claim(8, "C-007", "P-001", "EDU_L1", d(2026, 2, 2)), A, "2500.00", ()),
    (claim(9, "C-008", "P-001", "EMP_FT13", d(2026, 2, 9)), A, "4500.00", ()),
    (claim(10, "C-009", "P-001", "EDU_L2", d(2026, 3, 2)), A, "3500.00", ()),
    (claim(11, "C-010", "P-001", "ASSESS_3", d(2026, 4, 27)), R, "0", (Reason.OVER_PARTICIPANT_CAP,)),
    (claim(12, "C-011", "P-001", "ACC_S6", d(2026, 4, 20)), P, "500.00", (Reason.OVER_PARTICIPANT_CAP,)),
    (claim(13, "C-012", "P-002", "ACC_S3", d(2026, 2, 1)), R, "0", (Reason.PREREQUISITE_MISSING,)),
    (claim(14, "C-013", "P-003", "ACC_S3", d(2026, 1, 15)), R, "0", (Reason.INTERVAL_TOO_SHORT,)),
    (claim(15, "C-014", "P-003", "ACC_ENTRY", d(2025, 11, 15)), A, "500.00", ()),
    (claim(16, "C-015", "P-003", "ACC_S3", d(2026, 2, 16)), A, "1500.00", ()),
    (claim(17, "C-016", "P-004", "EMP_FT13", d(2026, 2, 9)), R, "0", (Reason.MUTUALLY_EXCLUSIVE,)),
    (claim(18, "C-017", "P-004", "EMP_PT13", d(2026, 2, 2)), A, "3000.00", ()),
    (claim(19, "C-018", "P-004", "EMP_ENTRY", d(2025, 11, 3)), A, "500.00", ()),
    (claim(20, "C-019", "P-005", "ASSESS_1", d(2026, 10, 5)), R, "0", (Reason.REFERRAL_OUTSIDE_WINDOW,)),
    (claim(21, "C-020", "P-999", "ASSESS_1", d(2025, 12, 1)), R, "0", (Reason.UNKNOWN_PARTICIPANT,)),
    (claim(22, "C-021", "P-006", "ASSESS_1", d(2025, 11, 20)), R, "0", (Reason.BEFORE_REFERRAL,)),
    (claim(23, "C-022", "P-006", "ASSESS_1", d(2025, 12, 3), evidence=""), R, "0", (Reason.EVIDENCE_MISSING,)),
    (claim(24, "C-023", "P-006", "ASSESS_1", d(2025, 12, 5)), A, "500.00", ()),
    (claim(25, "C-024", "P-007", "EDU_ENTRY", d(2025, 11, 1)), A, "500.00", ()),
    (claim(26, "C-025", "P-007", "EDU_ENTRY", d(2025, 12, 1)), R, "0", (Reason.ALREADY_PAID,)),
    (claim(27, "C-024", "P-007", "VOL_6", d(2025, 12, 15)), R, "0", (Reason.DUPLICATE_CLAIM_REF,)),
    (claim(28, "C-024", "P-007", "EDU_ENTRY", d(2025, 11, 1)), None, "0", ()),
    (claim(29, "C-026", "P-008", "VOL_6", d(2025, 10, 20), "600.00"), P, "500.00", (Reason.ABOVE_PRICE,)),
    (claim(30, "C-027", "P-008", "VOL_13", d(2025, 12, 8), "400.00"), A, "400.00", ()),
    (claim(31, "C-028", "P-009", "ASSESS_1", d(2025, 11, 10)), R, "0", (Reason.INELIGIBLE,)),
]


def run_scenario() -> tuple[Validation, Book]:
    book = Book()
    return validate_claims([FCF], PARTICIPANTS, book, [c for c, *_ in SCENARIO]), book


def by_line(validation: Validation) -> dict[int, Decision]:
    return {decision.claim.line: decision for decision in validation.decisions}


def sentence(decision: Decision, code: Reason) -> str:
    (found,) = [f.sentence for f in decision.findings if f.code is code]
    return found


# --------------------------------------------------------------------------- the worked scenario


@pytest.mark.parametrize(
    ("row", "verdict", "payable", "codes"), SCENARIO, ids=[f"line{c.line}-{c.ref}" for c, *_ in SCENARIO]
)
def test_each_row_of_the_worked_scenario(
    row: Claim, verdict: Verdict | None, payable: str, codes: tuple[Reason, ...]
) -> None:
    validation, _ = run_scenario()
    decisions = by_line(validation)
    if verdict is None:
        assert row.line not in decisions
        assert [c.line for c in validation.unchanged] == [row.line]
        return
    decision = decisions[row.line]
    assert (decision.verdict, decision.payable, decision.codes) == (verdict, D(payable), codes)


def test_the_scenario_adds_up_by_hand() -> None:
    validation, book = run_scenario()
    verdicts = [d.verdict for d in validation.decisions]
    assert (len(verdicts), verdicts.count(A), verdicts.count(P), verdicts.count(R)) == (29, 16, 2, 11)
    assert len(validation.unchanged) == 1
    assert sum((d.payable for d in validation.decisions), D(0)) == D("22400.00")
    assert sum((d.capped for d in validation.decisions), D(0)) == D("1200.00")
    assert book.participant_total == {
        "P-001": D("15000.00"),
        "P-003": D("2000.00"),
        "P-004": D("3500.00"),
        "P-006": D("500.00"),
        "P-007": D("500.00"),
        "P-008": D("900.00"),
    }
    assert book.contract_total == D("22400.00")
    # ACC_ENTRY for P-001 (C-002) and P-003 (C-014); ASSESS_1 for P-001 (C-001) and P-006 (C-023)
    assert book.outcome_total["ACC_ENTRY"] == D("1000.00")
    assert book.outcome_total["ASSESS_1"] == D("1000.00")


def test_decisions_come_back_in_file_order_and_each_participant_is_checked_by_date() -> None:
    validation, _ = run_scenario()
    lines = [d.claim.line for d in validation.decisions]
    assert lines == sorted(lines)
    decided = by_line(validation)
    # P-003's S3 on line 14 is too early for the entry achieved on 15 November (line 15), not missing it
    assert decided[14].codes == (Reason.INTERVAL_TOO_SHORT,)
    # P-001's ACC_S6 (20 April, line 12) takes the cap's headroom before ASSESS_3 (27 April, line 11)
    assert (decided[12].verdict, decided[11].verdict) == (P, R)


def test_checking_participant_by_participant_decides_as_checking_by_date() -> None:
    rows = [c for c, *_ in SCENARIO]
    by_date = _validate([FCF], PARTICIPANTS, Book(), rows, by_participant=False)
    grouped = _validate([FCF], PARTICIPANTS, Book(), rows, by_participant=True)
    assert grouped == by_date


def test_the_claim_that_crosses_the_participant_cap_gets_the_headroom() -> None:
    validation, _ = run_scenario()
    s6 = by_line(validation)[12]
    assert (s6.claimed, s6.price, s6.payable, s6.capped) == (D("1500.00"), D("1500.00"), D("500.00"), D("1000.00"))
    assert sentence(s6, Reason.OVER_PARTICIPANT_CAP) == (
        "the participant P-001 cap of £15,000.00 leaves £500.00 of the £1,500.00 due; £1,000.00 is capped"
    )
    after = by_line(validation)[11]
    assert (after.claimed, after.payable, after.capped) == (D("200.00"), D(0), D("200.00"))
    assert sentence(after, Reason.OVER_PARTICIPANT_CAP) == (
        "the participant P-001 cap of £15,000.00 leaves £0.00 of the £200.00 due; £200.00 is capped"
    )


def test_a_sustainment_without_its_entry_names_the_missing_outcome() -> None:
    validation, _ = run_scenario()
    assert sentence(by_line(validation)[13], Reason.PREREQUISITE_MISSING) == (
        "ACC_S3 needs ACC_ENTRY accepted first; P-002 has none"
    )


def test_a_claim_made_too_early_names_the_not_before_date() -> None:
    validation, _ = run_scenario()
    assert sentence(by_line(validation)[14], Reason.INTERVAL_TOO_SHORT) == (
        "ACC_S3 on 2026-01-15 is too soon: it needs 3 months after ACC_ENTRY on 2025-11-15, so not before 2026-02-15"
    )


def test_the_second_job_outcome_for_the_same_weeks_is_exclusive() -> None:
    validation, _ = run_scenario()
    assert sentence(by_line(validation)[17], Reason.MUTUALLY_EXCLUSIVE) == (
        "EMP_FT13 and EMP_PT13 (claim C-017) are mutually exclusive (job_13); only one is payable"
    )


def test_the_sentences_for_the_participant_checks() -> None:
    decisions = by_line(run_scenario()[0])
    assert sentence(decisions[20], Reason.REFERRAL_OUTSIDE_WINDOW) == (
        "participant P-005 was referred on 2026-10-01, outside the referral window 2025-10-01 to 2026-09-30"
    )
    assert sentence(decisions[21], Reason.UNKNOWN_PARTICIPANT) == "participant P-999 is not on this contract's list"
    assert sentence(decisions[22], Reason.BEFORE_REFERRAL) == (
        "ASSESS_1 was achieved on 2025-11-20, before referral on 2025-12-01"
    )
    assert sentence(decisions[23], Reason.EVIDENCE_MISSING) == (
        "ASSESS_1 needs evidence of type assessment_form; none given"
    )
    assert sentence(decisions[31], Reason.INELIGIBLE) == (
        "participant P-009 was 26 at referral on 2025-11-01; the contract takes ages 18-24"
    )


def test_already_paid_and_duplicate_references() -> None:
    decisions = by_line(run_scenario()[0])
    assert sentence(decisions[26], Reason.ALREADY_PAID) == (
        "EDU_ENTRY was already accepted for P-007 (claim C-024); it is payable once"
    )
    assert sentence(decisions[27], Reason.DUPLICATE_CLAIM_REF) == (
        "claim reference C-024 was already used in line 25 for a different claim"
    )


def test_above_and_below_the_price() -> None:
    decisions = by_line(run_scenario()[0])
    above = decisions[29]
    assert (above.claimed, above.price, above.payable, above.capped) == (D("600.00"), D("500.00"), D("500.00"), D(0))
    assert sentence(above, Reason.ABOVE_PRICE) == "£600.00 claimed for VOL_6; the rate card pays £500.00"
    below = decisions[30]
    assert (below.claimed, below.price, below.payable, below.capped) == (D("400.00"), D("500.00"), D("400.00"), D(0))


def test_importing_the_same_file_again_changes_nothing() -> None:
    _, book = run_scenario()
    again = validate_claims([FCF], PARTICIPANTS, book, [c for c, *_ in SCENARIO])
    assert again.decisions == []
    assert len(again.unchanged) == len(SCENARIO)
    assert book.contract_total == D("22400.00")


def test_a_changed_row_under_a_used_reference_in_a_later_import() -> None:
    _, book = run_scenario()
    changed = claim(2, "C-001", "P-001", "ASSESS_1", d(2025, 10, 11))
    (decision,) = validate_claims([FCF], PARTICIPANTS, book, [changed]).decisions
    assert decision.verdict is R
    assert sentence(decision, Reason.DUPLICATE_CLAIM_REF) == (
        "claim reference C-001 was already used in an earlier import for a different claim"
    )


def test_a_claim_against_an_earlier_import_counts_what_it_accepted() -> None:
    _, book = run_scenario()
    # P-003's ACC_S6 needs ACC_S3 (C-015) and 6 months since entry on 2025-11-15: not before 2026-05-15
    early = claim(2, "N-001", "P-003", "ACC_S6", d(2026, 5, 14))
    in_time = claim(3, "N-002", "P-003", "ACC_S6", d(2026, 5, 15))
    first, second = validate_claims([FCF], PARTICIPANTS, book, [early, in_time]).decisions
    assert sentence(first, Reason.INTERVAL_TOO_SHORT).endswith("so not before 2026-05-15")
    assert (second.verdict, second.payable) == (A, D("1500.00"))


# --------------------------------------------------------------------------- the claims docstring's example


def test_the_docstring_example_p003_acc_s6_too_soon() -> None:
    card_2015 = replace(FCF, effective_from=d(2015, 10, 1), referral_from=d(2015, 10, 1), referral_to=d(2016, 9, 30))
    people = {"P-003": Participant("P-003", d(2015, 10, 1), d(1995, 1, 1))}  # 20 at referral
    rows = [
        claim(2, "X-1", "P-003", "ACC_ENTRY", d(2015, 10, 15)),
        claim(3, "X-2", "P-003", "ACC_S3", d(2016, 1, 15)),
        claim(4, "X-3", "P-003", "ACC_S6", d(2016, 3, 1)),
    ]
    entry, s3, s6 = validate_claims([card_2015], people, Book(), rows).decisions
    assert (entry.verdict, s3.verdict, s6.verdict) == (A, A, R)
    assert sentence(s6, Reason.INTERVAL_TOO_SHORT) == (
        "ACC_S6 on 2016-03-01 is too soon: it needs 6 months after ACC_ENTRY on 2015-10-15, so not before 2016-04-15"
    )


# --------------------------------------------------------------------------- caps other than the participant's

P1, P2, P3 = "P-001", "P-003", "P-004"


def with_outcome(card: RateCard, code: str, **changes: object) -> RateCard:
    outcome: Outcome = replace(card.outcomes[code], **changes)  # type: ignore[arg-type]
    return replace(card, outcomes={**card.outcomes, code: outcome})


def test_an_outcome_cap_stops_the_outcome_across_participants() -> None:
    card = with_outcome(FCF, "ACC_ENTRY", cap=D("1200.00"))  # room for two entries and 200.00 of a third
    rows = [
        claim(2, "E-1", P1, "ACC_ENTRY", d(2025, 11, 1)),
        claim(3, "E-2", P2, "ACC_ENTRY", d(2025, 11, 2)),
        claim(4, "E-3", P3, "ACC_ENTRY", d(2025, 11, 3)),
        claim(5, "E-4", "P-006", "ACC_ENTRY", d(2025, 12, 4)),
    ]
    one, two, three, four = validate_claims([card], PARTICIPANTS, Book(), rows).decisions
    assert [x.payable for x in (one, two, three, four)] == [D("500.00"), D("500.00"), D("200.00"), D(0)]
    assert [x.verdict for x in (one, two, three, four)] == [A, A, P, R]
    assert (three.capped, four.capped) == (D("300.00"), D("500.00"))
    assert sentence(three, Reason.OVER_OUTCOME_CAP) == (
        "the outcome ACC_ENTRY cap of £1,200.00 leaves £200.00 of the £500.00 due; £300.00 is capped"
    )


def test_a_contract_cap_stops_everything() -> None:
    card = replace(FCF, contract_cap=D("1000.00"))
    rows = [
        claim(2, "K-1", P1, "ASSESS_1", d(2025, 10, 10)),
        claim(3, "K-2", P2, "ACC_ENTRY", d(2025, 11, 15)),
        claim(4, "K-3", P3, "EMP_ENTRY", d(2025, 11, 3)),
        claim(5, "K-4", P1, "ACC_ENTRY", d(2025, 12, 1)),
    ]
    decisions = validate_claims([card], PARTICIPANTS, Book(), rows).decisions
    # by date: K-1 (10-10) 500, K-3 (11-03) 500, K-2 (11-15) and K-4 (12-01) find no headroom
    assert [(x.claim.ref, x.verdict, x.payable) for x in decisions] == [
        ("K-1", A, D("500.00")),
        ("K-2", R, D(0)),
        ("K-3", A, D("500.00")),
        ("K-4", R, D(0)),
    ]
    assert sentence(decisions[1], Reason.OVER_CONTRACT_CAP) == (
        "the contract FCF-2025-01 cap of £1,000.00 leaves £0.00 of the £500.00 due; £500.00 is capped"
    )
    # The file could reach the cap, so it is walked by date; participant by participant, P-001's two
    # claims would have taken the whole cap before K-3, achieved earlier, was looked at.
    grouped = _validate([card], PARTICIPANTS, Book(), rows, by_participant=True).decisions
    assert [x.verdict for x in grouped] == [A, R, R, A]


def test_caps_apply_in_turn_participant_then_outcome_then_contract() -> None:
    card = with_outcome(
        replace(FCF, participant_cap=D("1300.00"), contract_cap=D("2000.00")), "ACC_S3", cap=D("1100.00")
    )
    book = Book()
    rows = [
        claim(2, "T-1", P1, "ACC_ENTRY", d(2025, 10, 20)),  # P-001 500 (contract 500)
        claim(3, "T-2", P2, "ACC_ENTRY", d(2025, 11, 15)),  # P-003 500 (contract 1,000)
        claim(4, "T-3", P2, "ACC_S3", d(2026, 2, 15)),  # P-003 1,500 due: participant leaves 800, ACC_S3 all 800
        claim(5, "T-4", P1, "ACC_S3", d(2026, 2, 16)),  # P-001 1,500 due: participant 800; ACC_S3 300; contract 200
    ]
    decisions = validate_claims([card], PARTICIPANTS, book, rows).decisions
    assert [x.payable for x in decisions] == [D("500.00"), D("500.00"), D("800.00"), D("200.00")]
    t3, t4 = decisions[2], decisions[3]
    assert (t3.codes, t3.capped) == ((Reason.OVER_PARTICIPANT_CAP,), D("700.00"))
    assert t4.codes == (Reason.OVER_PARTICIPANT_CAP, Reason.OVER_OUTCOME_CAP, Reason.OVER_CONTRACT_CAP)
    assert t4.capped == D("1300.00")
    assert [f.sentence for f in t4.findings] == [
        "the participant P-001 cap of £1,300.00 leaves £800.00 of the £1,500.00 due; £700.00 is capped",
        "the outcome ACC_S3 cap of £1,100.00 leaves £300.00 of the £800.00 due; £500.00 is capped",
        "the contract FCF-2025-01 cap of £2,000.00 leaves £200.00 of the £300.00 due; £100.00 is capped",
    ]
    assert book.contract_total == D("2000.00")


# --------------------------------------------------------------------------- other rules


def test_a_rejected_claim_carries_every_reason_that_applies() -> None:
    row = claim(2, "M-1", "P-009", "ACC_S3", d(2025, 10, 20), evidence="")  # 26, before referral, no evidence, no entry
    (decision,) = validate_claims([FCF], PARTICIPANTS, Book(), [row]).decisions
    assert decision.codes == (
        Reason.INELIGIBLE,
        Reason.BEFORE_REFERRAL,
        Reason.EVIDENCE_MISSING,
        Reason.PREREQUISITE_MISSING,
    )


def test_an_outcome_not_on_the_card() -> None:
    row = claim(2, "N-1", P1, "HOUSING_FIRST", d(2025, 11, 1), "900.00")
    (decision,) = validate_claims([FCF], PARTICIPANTS, Book(), [row]).decisions
    assert (decision.verdict, decision.claimed, decision.price, decision.payable) == (R, D("900.00"), D(0), D(0))
    assert decision.findings == (
        Finding(
            Reason.NOT_ON_RATE_CARD, "HOUSING_FIRST is not on the rate card in force on 2025-11-01; it claims £900.00"
        ),
    )


def test_an_outcome_before_any_card_is_in_force() -> None:
    row = claim(2, "N-2", P1, "ASSESS_1", d(2025, 9, 30))
    (decision,) = validate_claims([FCF], PARTICIPANTS, Book(), [row]).decisions
    # It gives no amount and no card prices it: nothing was claimed, and the reason says so (not "£0.00").
    assert decision.findings == (
        Finding(Reason.NOT_ON_RATE_CARD, "no rate card is in force on 2025-09-30; the claim gives no amount"),
    )
    assert (decision.claimed_pence, decision.price_pence) == (0, 0)
    priced = validate_claims(
        [FCF], PARTICIPANTS, Book(), [claim(2, "N-3", P1, "ASSESS_1", d(2025, 9, 30), "500")]
    ).decisions
    assert priced[0].findings[0].sentence == "no rate card is in force on 2025-09-30; it claims £500.00"


def test_a_second_card_prices_outcomes_achieved_from_its_date() -> None:
    v2 = with_outcome(replace(FCF, effective_from=d(2026, 2, 16)), "ACC_S3", price=D("1800.00"))
    rows = [
        claim(2, "V-1", P1, "ACC_ENTRY", d(2025, 10, 20)),
        claim(3, "V-2", P2, "ACC_ENTRY", d(2025, 11, 1)),
        claim(4, "V-3", P1, "ACC_S3", d(2026, 2, 15)),  # on version 1
        claim(5, "V-4", P2, "ACC_S3", d(2026, 2, 16)),  # on version 2
    ]
    decisions = validate_claims([FCF, v2], PARTICIPANTS, Book(), rows).decisions
    assert [(x.claim.ref, x.payable) for x in decisions] == [
        ("V-1", D("500.00")),
        ("V-2", D("500.00")),
        ("V-3", D("1500.00")),
        ("V-4", D("1800.00")),
    ]
    assert decisions[2].card is FCF and decisions[3].card is v2


def test_an_outcome_payable_twice() -> None:
    card = with_outcome(FCF, "VOL_6", times_payable=2)
    rows = [claim(n, f"W-{n}", "P-008", "VOL_6", d(2025, 10, 10 * n)) for n in (1, 2, 3)]
    decisions = validate_claims([card], PARTICIPANTS, Book(), rows).decisions
    assert [(x.verdict, x.payable) for x in decisions] == [(A, D("500.00")), (A, D("500.00")), (R, D(0))]
    assert decisions[2].findings[0].sentence == (
        "VOL_6 was already accepted for P-008 (claim W-1, W-2); it is payable 2 times"
    )


def test_evidence_can_list_several_types() -> None:
    row = claim(2, "F-1", P1, "ACC_ENTRY", d(2025, 10, 20), evidence="photo,tenancy_agreement")
    (decision,) = validate_claims([FCF], PARTICIPANTS, Book(), [row]).decisions
    assert decision.verdict is A


def test_evidence_of_another_type_is_named() -> None:
    row = claim(2, "F-2", P1, "ACC_ENTRY", d(2025, 10, 20), evidence="photo")
    (decision,) = validate_claims([FCF], PARTICIPANTS, Book(), [row]).decisions
    assert decision.findings == (
        Finding(Reason.EVIDENCE_MISSING, "ACC_ENTRY needs evidence of type tenancy_agreement; the claim gives photo"),
    )


def test_a_prerequisite_on_the_same_day_counts_when_it_comes_first_in_the_file() -> None:
    rows = [claim(2, "G-1", P1, "EDU_ENTRY", d(2025, 11, 3)), claim(3, "G-2", P1, "EDU_L1", d(2025, 11, 3))]
    assert [x.verdict for x in validate_claims([FCF], PARTICIPANTS, Book(), rows).decisions] == [A, A]


def test_gbp_reads_like_money() -> None:
    assert (gbp(D("15000")), gbp(D("0.5")), gbp(D("-1234.5"))) == ("£15,000.00", "£0.50", "-£1,234.50")


# --------------------------------------------------------------------------- bugs found, for the lead to fix


def test_a_rejection_always_says_why() -> None:
    card = with_outcome(FCF, "ASSESS_1", price=D("0.00"))
    (decision,) = validate_claims(
        [card], PARTICIPANTS, Book(), [claim(2, "Z-1", P1, "ASSESS_1", d(2025, 10, 10))]
    ).decisions
    assert decision.verdict is not R or decision.findings


def test_an_outcome_dropped_from_a_later_card_excludes_nothing() -> None:
    v2 = replace(FCF, effective_from=d(2026, 1, 1), outcomes={c: o for c, o in FCF.outcomes.items() if c != "ASSESS_1"})
    rows = [
        claim(2, "Y-1", P1, "ASSESS_1", d(2025, 10, 10)),  # version 1; ASSESS_1 has no group
        claim(3, "Y-2", P1, "EMP_ENTRY", d(2025, 10, 10)),
        claim(4, "Y-3", P1, "EMP_PT13", d(2026, 2, 10)),  # version 2; group job_13, which nothing else is in
    ]
    decisions = validate_claims([FCF, v2], PARTICIPANTS, Book(), rows).decisions
    assert [x.verdict for x in decisions] == [A, A, A]
