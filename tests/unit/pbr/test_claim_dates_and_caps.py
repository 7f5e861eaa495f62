"""Claims achieved after the import's as-of day, and claims whose prerequisite a cap took.

Fair Chance Fund card (examples/fair-chance-fund.yaml): ACC_ENTRY £500.00; ACC_S3 £1,500.00 at least
3 months after ACC_ENTRY; ACC_S6 £1,500.00 needs ACC_S3 and 6 months since ACC_ENTRY.
"""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from policies.pbr.book import Book
from policies.pbr.claims import Finding, Reason, Verdict
from policies.pbr.validation import validate_claims
from tests.unit.pbr.test_claim_rules import FCF, P1, P2, P3, PARTICIPANTS, claim

d = dt.date
D = Decimal
A, R = Verdict.ACCEPTED, Verdict.REJECTED
TODAY = d(2026, 3, 31)  # the import's as-of day


def test_a_claim_achieved_after_the_as_of_day_is_rejected_and_not_booked() -> None:
    rows = [
        claim(2, "F-1", P1, "ACC_ENTRY", d(2025, 10, 20)),
        claim(3, "F-2", P1, "EMP_ENTRY", TODAY),  # today: fine
        claim(4, "F-3", P1, "EDU_ENTRY", d(2026, 4, 1)),  # tomorrow
        claim(5, "F-4", P2, "ACC_ENTRY", d(2030, 1, 1)),  # no card would be in force then either
    ]
    book = Book()
    one, two, three, four = validate_claims([FCF], PARTICIPANTS, book, rows, today=TODAY).decisions
    assert [x.verdict for x in (one, two, three, four)] == [A, A, R, R]
    assert three.findings == (
        Finding(
            Reason.ACHIEVED_IN_FUTURE,
            "EDU_ENTRY is said to be achieved on 2026-04-01, after the import's date 2026-03-31",
        ),
    )
    assert four.codes[0] is Reason.ACHIEVED_IN_FUTURE
    assert (three.payable, four.payable, three.capped, four.capped) == (D(0), D(0), D(0), D(0))
    assert book.contract_total == D("1000.00")  # F-1 and F-2 only


def test_without_an_as_of_day_no_claim_is_in_the_future() -> None:
    row = claim(2, "F-5", P1, "EDU_ENTRY", d(2026, 4, 1))
    (decision,) = validate_claims([FCF], PARTICIPANTS, Book(), [row]).decisions
    assert decision.verdict is A


def test_a_claim_whose_prerequisite_the_contract_cap_took_is_capped_not_rejected() -> None:
    card = replace(FCF, contract_cap=D("1000.00"))
    rows = [
        claim(2, "K-1", P1, "ASSESS_1", d(2025, 10, 10)),  # 500 (contract 500)
        claim(3, "K-2", P3, "EMP_ENTRY", d(2025, 11, 3)),  # 500 (contract 1,000: full)
        claim(4, "K-3", P2, "ACC_ENTRY", d(2025, 11, 15)),  # capped to nothing
        claim(5, "K-4", P2, "ACC_S3", d(2026, 2, 16)),  # its prerequisite K-3 was taken by the cap
        claim(6, "K-5", P2, "ACC_S6", d(2026, 5, 16)),  # needs ACC_S3 (K-4) and ACC_ENTRY (K-3): both capped
        claim(7, "K-6", P1, "ACC_S3", d(2026, 2, 16)),  # P-001 never claimed ACC_ENTRY: really missing
    ]
    k1, k2, k3, k4, k5, k6 = validate_claims([card], PARTICIPANTS, Book(), rows).decisions
    assert [x.verdict for x in (k1, k2, k3, k4, k5, k6)] == [A, A, R, R, R, R]
    assert (k3.codes, k3.capped) == ((Reason.OVER_CONTRACT_CAP,), D("500.00"))
    assert (k4.codes, k4.capped, k4.payable) == ((Reason.OVER_CONTRACT_CAP,), D("1500.00"), D(0))
    assert k4.findings[0].sentence == (
        "ACC_S3 needs ACC_ENTRY, whose claim K-3 the contract FCF-2025-01 cap took; £1,500.00 is capped with it"
    )
    assert (k5.codes, k5.capped) == ((Reason.OVER_CONTRACT_CAP, Reason.OVER_CONTRACT_CAP), D("1500.00"))
    assert [f.sentence.split(";")[0] for f in k5.findings] == [
        "ACC_S6 needs ACC_S3, whose claim K-4 the contract FCF-2025-01 cap took",
        "ACC_S6 needs ACC_ENTRY, whose claim K-3 the contract FCF-2025-01 cap took",
    ]
    assert (k6.codes, k6.capped) == ((Reason.PREREQUISITE_MISSING,), D(0))


def test_a_claim_with_another_fault_besides_a_capped_prerequisite_stays_rejected() -> None:
    card = replace(FCF, contract_cap=D("500.00"))
    rows = [
        claim(2, "L-1", P1, "ASSESS_1", d(2025, 10, 10)),  # takes the whole cap
        claim(3, "L-2", P2, "ACC_ENTRY", d(2025, 11, 15)),  # capped to nothing
        claim(4, "L-3", P2, "ACC_S3", d(2026, 2, 16), evidence=""),  # capped prerequisite, and no evidence
    ]
    *_, l3 = validate_claims([card], PARTICIPANTS, Book(), rows).decisions
    assert l3.verdict is R
    assert l3.codes == (Reason.EVIDENCE_MISSING, Reason.PREREQUISITE_MISSING)
    assert l3.capped == D(0)  # rejected for the missing evidence whatever the cap did
    assert l3.findings[1].sentence == (
        "ACC_S3 needs ACC_ENTRY accepted first; P-003's claim L-2 for it was cut to nothing by the "
        "contract FCF-2025-01 cap"
    )
