"""Participants imports: idempotent, refusing a participant given again with other details or a bad date, and
listing the ineligible, whose claims are refused (the FCF-2025-01 set-up of test_pbr_imports.py), on both
backends."""

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import col, select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from models.db import unit_of_work
from models.pbr.claims import PbrParticipant
from tests.integration.pbr import test_pbr_imports
from tests.integration.pbr.test_pbr_imports import (
    CONTRACT,
    SENT,
    claims_csv,
    counts,
)

fcf = test_pbr_imports.fcf  # the fixture: the contract, its card and its participants


# --------------------------------------------------------------------------- participants


def participant_rows(settings: Settings) -> list[tuple[str, dt.date, dt.date | None]]:
    with unit_of_work(database(settings)) as session:
        rows = session.exec(select(PbrParticipant).order_by(col(PbrParticipant.ref)))
        return [(p.ref, p.referral_date, p.born) for p in rows]


def test_importing_the_same_participants_again_changes_nothing(fcf: Settings, tmp_path: Path) -> None:
    before = counts(fcf)
    again = import_participants(fcf, tmp_path / "participants.csv", as_of=SENT, actor="someone else")
    assert (again.added, again.unchanged, again.ineligible, again.contracts) == (0, 3, [], [CONTRACT])
    assert counts(fcf) == before
    assert participant_rows(fcf) == [
        ("P-001", dt.date(2025, 10, 1), dt.date(2005, 1, 15)),
        ("P-002", dt.date(2025, 11, 3), dt.date(2003, 6, 1)),
        ("P-003", dt.date(2025, 10, 15), dt.date(2004, 2, 29)),
    ]


def test_a_participant_given_again_with_other_details_is_refused_and_nothing_kept(
    fcf: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "more.csv"
    path.write_text(
        "contract,participant,referral_date,date_of_birth\n"
        f"{CONTRACT},P-004,2025-12-01,2004-04-04\n"
        f"{CONTRACT},P-002,2025-11-04,2003-06-01\n",  # P-002 was referred on 2025-11-03
        encoding="utf-8",
    )
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        import_participants(fcf, path, as_of=SENT, actor="finance")
    assert str(refused.value) == (
        f"{path}: 1 malformed row(s); no participants from this file were imported:\n"
        f"  {path}:3: participant: P-002 already exists with other details"
    )
    assert counts(fcf) == before  # not even P-004


def test_a_participants_file_with_a_bad_date_is_refused_naming_line_and_field(fcf: Settings, tmp_path: Path) -> None:
    path = tmp_path / "more.csv"
    path.write_text(
        "contract,participant,referral_date,date_of_birth\n"
        f"{CONTRACT},P-004,2025-12-01,2004-04-04\n"
        f"{CONTRACT},P-005,01/12/2025,2004-04-04\n"
        f"{CONTRACT},P-004,2025-12-01,2004-04-04\n",
        encoding="utf-8",
    )
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        import_participants(fcf, path, as_of=SENT, actor="finance")
    said = str(refused.value)
    assert f"{path}:3: referral_date: '01/12/2025' is not a date in ISO form" in said
    assert f"{path}:4: participant: P-004 is already given on line 2" in said
    assert counts(fcf) == before


def test_a_misspelt_date_of_birth_is_refused_not_kept_as_an_attribute(fcf: Settings, tmp_path: Path) -> None:
    """Any column beyond the known ones is an attribute (a card's eligibility may read it); one named nearly as
    date_of_birth is a misspelling: kept as an attribute, every age check would find no date of birth."""
    path = tmp_path / "more.csv"
    path.write_text(f"contract,participant,referral_date,date_of_brith\n{CONTRACT},P-004,2025-12-01,2004-04-04\n",
                    encoding="utf-8")  # fmt: skip
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        import_participants(fcf, path, as_of=SENT, actor="finance")
    assert str(refused.value) == (
        f"{path}:1: unknown column(s): 'date_of_brith' (did you mean 'date_of_birth'?); rename it, or the column it "
        "stands for is read as empty"
    )
    assert counts(fcf) == before


def test_ineligible_participants_are_listed_and_their_claims_refused(fcf: Settings, tmp_path: Path) -> None:
    path = tmp_path / "more.csv"
    path.write_text(
        "contract,participant,referral_date,date_of_birth\n"
        f"{CONTRACT},P-010,2025-10-01,1999-01-01\n"  # 26 at referral
        f"{CONTRACT},P-011,2025-10-01,\n"  # no date of birth
        f"{CONTRACT},P-012,2025-10-01,2007-10-01\n"  # 18 on the day of referral: eligible
        f"{CONTRACT},P-013,2025-10-01,2000-10-02\n",  # 24 until 2 October 2025: eligible
        encoding="utf-8",
    )
    result = import_participants(fcf, path, as_of=SENT, actor="finance")
    assert (result.added, result.unchanged) == (4, 0)
    assert result.ineligible == [
        "P-010 was 26 at referral on 2025-10-01; the contract takes ages 18-24",
        "P-011 has no date of birth, which the age criterion needs",
    ]
    claims = [
        ("C-10", "P-010", "EMP_ENTRY", "2025-10-06", "", "payslip"),
        ("C-11", "P-011", "EMP_ENTRY", "2025-10-06", "", "payslip"),
        ("C-12", "P-012", "EMP_ENTRY", "2025-10-06", "", "payslip"),
        ("C-13", "P-013", "EMP_ENTRY", "2025-10-06", "", "payslip"),
        ("C-14", "P-099", "EMP_ENTRY", "2025-10-06", "", "payslip"),
    ]
    report = import_claims(fcf, claims_csv(tmp_path / "claims.csv", claims), as_of=SENT, actor="finance")
    assert {r.claim_ref: r.reasons for r in report.rejections} == {
        "C-10": ["ineligible"],
        "C-11": ["ineligible"],
        "C-14": ["unknown_participant"],
    }
    assert report.accepted == 2


def test_a_workbook_whose_hidden_first_sheet_holds_participants_is_refused_and_nothing_kept(
    fcf: Settings, tmp_path: Path
) -> None:
    """The hidden first sheet's rows were imported, while Excel showed the visible, active second one."""
    from openpyxl import Workbook

    book = Workbook()
    old = book.active
    assert old is not None
    old.title, old.sheet_state = "Old", "hidden"
    for sheet, ref in ((old, "P-004"), (book.create_sheet("Participants"), "P-005")):
        sheet.append(["contract", "participant", "referral_date"])
        sheet.append([CONTRACT, ref, "2025-12-01"])
    book.active = 1
    path = tmp_path / "participants.xlsx"
    book.save(path)
    before = counts(fcf)
    with pytest.raises(UserError, match=r"the first worksheet, 'Old', is hidden, .* 'Old' \(hidden\), 'Participants'"):
        import_participants(fcf, path, as_of=SENT, actor="finance")
    assert counts(fcf) == before
