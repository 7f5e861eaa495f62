"""The book at its edges: references remembered from earlier imports, claims accepted before, a participant
forgotten, and the first cap that took an outcome.

Claims of the Fair Chance Fund worked scenario: C-006 is P-001's ACC_S3 of 20 January 2026, £1,500.00.
"""

import datetime as dt
from decimal import Decimal

from policies.pbr.book import Book, sift
from policies.pbr.claims import Accepted, Claim, Reason

d = dt.date
D = Decimal
C006 = Claim(7, "C-006", "P-001", "ACC_S3", d(2026, 1, 20), D("1500.00"), "tenancy_check")
C006_CHANGED = C006._replace(amount=D("1400.00"))


def test_a_reference_remembered_from_an_earlier_import_is_known_with_what_it_held() -> None:
    book = Book()
    assert book.knows("C-006", C006.fingerprint()) is None  # a new reference
    book.remember("C-006", C006.fingerprint())
    assert book.knows("C-006", C006.fingerprint()) is True
    assert book.knows("C-006", C006_CHANGED.fingerprint()) is False
    book.remember("C-006", C006.fingerprint())  # the same claim again: still one fingerprint
    assert book.refs["C-006"] == C006.fingerprint()
    book.remember("C-006", C006_CHANGED.fingerprint())  # a reference reused: both are kept
    assert book.refs["C-006"] == {C006.fingerprint(), C006_CHANGED.fingerprint()}
    assert book.knows("C-006", C006_CHANGED.fingerprint()) is True


def test_a_row_sent_again_is_unchanged_and_a_changed_row_under_an_accepted_reference_is_a_duplicate() -> None:
    book = Book()
    book.remember("C-006", C006.fingerprint())
    book.add(Accepted("C-006", "P-001", "ACC_S3", d(2026, 1, 20), D("1500.00")))
    fresh, duplicates, unchanged = sift(book, [C006, C006_CHANGED._replace(line=8)])
    assert (unchanged, fresh) == ([C006], [C006_CHANGED._replace(line=8)])
    assert duplicates[8].code is Reason.DUPLICATE_CLAIM_REF
    assert duplicates[8].sentence == "claim reference C-006 was already used in an earlier import for a different claim"


def test_a_changed_row_under_a_rejected_reference_is_decided_again() -> None:
    # C-006 was seen before but not accepted: a corrected claim under it is decided, not a duplicate.
    book = Book()
    book.remember("C-006", C006.fingerprint())
    fresh, duplicates, unchanged = sift(book, [C006_CHANGED])
    assert (fresh, duplicates, unchanged) == ([C006_CHANGED], {}, [])


def test_what_was_accepted_adds_up_per_participant_outcome_and_contract() -> None:
    book = Book()
    book.add(Accepted("C-002", "P-001", "ACC_ENTRY", d(2025, 10, 20), D("500.00")))
    book.add(Accepted("C-006", "P-001", "ACC_S3", d(2026, 1, 20), D("1500.00")))
    book.add(Accepted("C-014", "P-003", "ACC_ENTRY", d(2025, 11, 15), D("500.00")))
    assert book.participant_total == {"P-001": D("2000.00"), "P-003": D("500.00")}
    assert book.outcome_total == {"ACC_ENTRY": D("1000.00"), "ACC_S3": D("1500.00")}
    assert book.contract_total == D("2500.00")
    assert book.by_participant["P-001"] == {
        "ACC_ENTRY": [(d(2025, 10, 20), "C-002")],
        "ACC_S3": [(d(2026, 1, 20), "C-006")],
    }
    assert book.accepted_refs == {"C-002", "C-006", "C-014"}


def test_forgetting_a_participant_drops_their_history_but_not_the_contracts_totals() -> None:
    book = Book()
    book.add(Accepted("C-002", "P-001", "ACC_ENTRY", d(2025, 10, 20), D("500.00")))
    book.add(Accepted("C-014", "P-003", "ACC_ENTRY", d(2025, 11, 15), D("500.00")))
    book.cap_out("C-020", "P-001", "ACC_S3", Reason.OVER_CONTRACT_CAP)
    book.forget("P-001")
    assert ("P-001" in book.by_participant, "P-001" in book.participant_pence, "P-001" in book.capped_out) == (
        False,
        False,
        False,
    )
    assert book.accepted_refs == {"C-014"}
    assert (book.contract_total, book.outcome_total) == (D("1000.00"), {"ACC_ENTRY": D("1000.00")})


def test_a_book_that_keeps_no_references_keeps_none_when_a_claim_is_accepted() -> None:
    book = Book(keeps_refs=False)
    book.add(Accepted("C-002", "P-001", "ACC_ENTRY", d(2025, 10, 20), D("500.00")))
    assert book.accepted_refs == set() and book.contract_total == D("500.00")


def test_the_first_cap_to_take_an_outcome_is_the_one_remembered() -> None:
    book = Book()
    book.cap_out("C-020", "P-001", "ACC_ENTRY", Reason.OVER_OUTCOME_CAP)
    book.cap_out("C-021", "P-001", "ACC_ENTRY", Reason.OVER_CONTRACT_CAP)
    book.cap_out("C-022", "P-001", "ACC_S3", Reason.OVER_CONTRACT_CAP)
    assert book.capped_out == {
        "P-001": {"ACC_ENTRY": ("C-020", Reason.OVER_OUTCOME_CAP), "ACC_S3": ("C-022", Reason.OVER_CONTRACT_CAP)}
    }


def test_forgetting_a_participant_with_nothing_accepted_changes_nothing() -> None:
    book = Book()
    book.add(Accepted("C-014", "P-003", "ACC_ENTRY", d(2025, 11, 15), D("500.00")))
    book.forget("P-001")
    assert (book.accepted_refs, book.participant_total) == ({"C-014"}, {"P-003": D("500.00")})
