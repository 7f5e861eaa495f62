"""One person, one id: P-002, p-002, P002, "P 002" and P_002 are one participant of a contract (the FCF-2025-01
set-up of test_pbr_imports.py: P-001, P-002 and P-003 stored), on both backends.

A second such id is refused at import, naming the one stored or the line that gave it first; a claim naming
one that is not listed is rejected, naming the listed id, rather than accepted for a second person, and one
outcome paid twice. Ids stored before this rule, such a pair among them, stay as they are and keep working.
"""

import datetime as dt
from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.contract import contract_id, pbr_contract
from flows.pbr.participants import _participant_fingerprint, import_participants
from models.db import unit_of_work
from models.pbr.claims import PbrParticipant
from policies.pbr.participants import Participant
from tests.integration.pbr import test_pbr_imports
from tests.integration.pbr.test_pbr_imports import CONTRACT, SENT, claims_csv, counts
from tests.integration.pbr.test_pbr_participant_imports import participant_rows

fcf = test_pbr_imports.fcf  # the fixture: the contract, its card and its participants
HEADER = "contract,participant,referral_date,date_of_birth\n"


def participants_csv(path: Path, rows: str) -> Path:
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


@pytest.mark.parametrize("written", ["p-002", "P002", "P 002", "p_002", " p - 002"])
def test_an_id_that_is_a_stored_participants_once_case_and_punctuation_are_ignored_is_refused(
    fcf: Settings, tmp_path: Path, written: str
) -> None:
    path = participants_csv(tmp_path / "more.csv", f"{CONTRACT},P-004,2025-12-01,2004-04-04\n"
                            f'{CONTRACT},"{written}",2025-11-03,2003-06-01\n')  # fmt: skip
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        import_participants(fcf, path, as_of=SENT, actor="finance")
    shown = written.strip()  # a cell is read without its outer spaces
    assert str(refused.value) == (
        f"{path}: 1 malformed row(s); no participants from this file were imported:\n"
        f"  {path}:3: participant: {shown} is the same id as existing participant P-002 once case, spaces, dashes, "
        "underscores and invisible characters are ignored: one person has one id"
    )
    assert counts(fcf) == before  # not even P-004


def test_two_rows_of_one_file_naming_one_person_two_ways_are_refused(fcf: Settings, tmp_path: Path) -> None:
    path = participants_csv(tmp_path / "more.csv", f"{CONTRACT},P-004,2025-12-01,2004-04-04\n"
                            f"{CONTRACT},p004,2025-12-01,2004-04-04\n")  # fmt: skip
    with pytest.raises(UserError, match=r":3: participant: p004 is the same id as participant P-004 on line 2 "):
        import_participants(fcf, path, as_of=SENT, actor="finance")
    assert [r[0] for r in participant_rows(fcf)] == ["P-001", "P-002", "P-003"]


def test_a_claim_naming_a_listed_participant_another_way_is_rejected_naming_the_listed_id(
    fcf: Settings, tmp_path: Path
) -> None:
    claims = [
        ("C-1", "P-002", "EMP_ENTRY", "2025-11-10", "", "payslip"),
        ("C-2", "p-002", "EMP_ENTRY", "2025-11-10", "", "payslip"),  # P-002's outcome again, under another id
        ("C-3", "P-099", "EMP_ENTRY", "2025-11-10", "", "payslip"),  # nobody's
    ]
    report = import_claims(fcf, claims_csv(tmp_path / "claims.csv", claims), as_of=SENT, actor="finance")
    assert report.accepted == 1
    assert {r.claim_ref: r.sentences for r in report.rejections} == {
        "C-2": ["participant p-002 is not on this contract's list (did you mean P-002?)"],
        "C-3": ["participant P-099 is not on this contract's list"],
    }


def test_a_pair_stored_before_the_rule_stays_and_each_id_keeps_its_own_claims(fcf: Settings, tmp_path: Path) -> None:
    stored = Participant("p-001", dt.date(2025, 10, 1), dt.date(2005, 1, 15), {})
    with unit_of_work(database(fcf)) as session:  # as an import before the rule could store it
        session.add(PbrParticipant(contract_id=contract_id(pbr_contract(session, CONTRACT)), ref=stored.ref,
                                   referral_date=stored.referral_date, born=stored.born, attributes={},
                                   fingerprint=_participant_fingerprint(stored), imported_at=SENT))  # fmt: skip
    both = participants_csv(tmp_path / "both.csv", f"{CONTRACT},P-001,2025-10-01,2005-01-15\n"
                            f"{CONTRACT},p-001,2025-10-01,2005-01-15\n")  # fmt: skip
    again = import_participants(fcf, both, as_of=SENT, actor="finance")  # the same file again: nothing new
    assert (again.added, again.unchanged) == (0, 2)
    with pytest.raises(UserError, match="P 001 is the same id as existing participant "):
        import_participants(fcf, participants_csv(tmp_path / "third.csv", f"{CONTRACT},P 001,2025-10-01,\n"),
                            as_of=SENT, actor="finance")  # fmt: skip
    claims = [("C-1", "p-001", "EMP_ENTRY", "2025-10-10", "", "payslip")]
    report = import_claims(fcf, claims_csv(tmp_path / "claims.csv", claims), as_of=SENT, actor="finance")
    assert (report.accepted, list(report.rejections)) == (1, [])


# Ids a hostile trial stored as new beside a listed one, with the id each is: look-alike dashes and letters, an
# invisible space, an accent typed as its own mark, and case as Unicode folds it (the key is made in Python on
# both backends: PostgreSQL's lower() leaves ß and İ as they are).
UNICODE = [
    ("P\u2010002", "P-002", "U+2010 HYPHEN"),
    ("P\u2013002", "P-002", "U+2013 EN DASH"),
    ("P\u2212002", "P-002", "U+2212 MINUS SIGN"),
    ("\uff30-002", "P-002", "U+FF30 FULLWIDTH LATIN CAPITAL LETTER P"),
    ("P-0\u200b02", "P-002", "U+200B ZERO WIDTH SPACE"),
    ("ZOe\u0301-1", "ZOé-1", "U+0301 COMBINING ACUTE ACCENT"),
    ("STRASSE-1", "Straße-1", ""),
    ("İD-1", "id-1", "U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE"),
]


@pytest.fixture
def named(fcf: Settings, tmp_path: Path) -> Settings:
    """FCF-2025-01 with, beside P-001..P-003, participants ZOé-1 (é one letter), Straße-1 and id-1."""
    rows = "".join(f"{CONTRACT},{ref},2025-11-03,2003-06-01\n" for ref in ("ZOé-1", "Straße-1", "id-1"))
    import_participants(fcf, participants_csv(tmp_path / "named.csv", rows), as_of=SENT, actor="finance")
    return fcf


@pytest.mark.parametrize(("written", "listed", "named_chars"), UNICODE)
def test_an_id_that_is_a_stored_participants_in_other_unicode_is_refused(
    named: Settings, tmp_path: Path, written: str, listed: str, named_chars: str
) -> None:
    path = participants_csv(tmp_path / "more.csv", f"{CONTRACT},{written},2025-11-03,2003-06-01\n")
    before = counts(named)
    with pytest.raises(UserError) as refused:
        import_participants(named, path, as_of=SENT, actor="finance")
    shown = f"{written!r} ({named_chars})" if named_chars else written
    assert str(refused.value).endswith(
        f"{path}:2: participant: {shown} is the same id as existing participant {listed} once case, spaces, "
        "dashes, underscores and invisible characters are ignored: one person has one id"
    )
    assert counts(named) == before


def test_a_claim_naming_a_listed_participant_in_other_unicode_is_rejected_naming_the_listed_id(
    named: Settings, tmp_path: Path
) -> None:
    claims = [("C-0", "P-002", "EMP_ENTRY", "2025-11-10", "", "payslip")]  # P-002's outcome, accepted
    claims += [(f"C-{i}", written, "EMP_ENTRY", "2025-11-10", "", "payslip") for i, (written, _, _) in
               enumerate(UNICODE, 1)]  # fmt: skip
    report = import_claims(named, claims_csv(tmp_path / "claims.csv", claims), as_of=SENT, actor="finance")
    assert report.accepted == 1
    assert {r.claim_ref: r.sentences for r in report.rejections} == {
        f"C-{i}": [f"participant {written} is not on this contract's list (did you mean {listed}?)"]
        for i, (written, listed, _) in enumerate(UNICODE, 1)
    }
