"""Rate card, participant and claims imports on a real database: idempotent, atomic, and clear about bad input.

Every refusal names the file, the line, the field and the reason, and keeps nothing: the rows of the tables an
import writes are counted before and after. Contract FCF-2025-01 is priced on examples/fair-chance-fund.yaml
(£500 for EMP_ENTRY, EDU_ENTRY and ACC_ENTRY; ACC_S3 £1,500 at least 3 months after ACC_ENTRY; 30/70 split).
"""

import csv
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.pbr.claims_check import check_claims
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from models.db import unit_of_work
from models.pbr.claims import PbrClaim, PbrParticipant
from tests.support.builders import FCF_CARD, fcf_contract

SENT = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
CONTRACT = "FCF-2025-01"
HEADER = "contract,claim_ref,participant,outcome,achieved_on,amount,evidence\n"
TABLES = ("rate_card", "pbr_participant", "claim_import", "pbr_claim", "payment_run", "pbr_ledger", "event")
PARTICIPANTS = (
    "contract,participant,referral_date,date_of_birth\n"
    f"{CONTRACT},P-001,2025-10-01,2005-01-15\n"
    f"{CONTRACT},P-002,2025-11-03,2003-06-01\n"
    f"{CONTRACT},P-003,2025-10-15,2004-02-29\n"
)
# Claims that are all well formed: accepted, accepted, rejected (too early), accepted below the price.
CLAIMS = [
    ("C-1", "P-001", "ACC_ENTRY", "2025-10-20", "", "tenancy_agreement"),
    ("C-2", "P-001", "EMP_ENTRY", "2025-10-06", "", "payslip"),
    ("C-3", "P-001", "ACC_S3", "2026-01-05", "", "tenancy_check"),
    ("C-4", "P-002", "EMP_ENTRY", "2025-11-10", "333.33", "payslip"),
]


def counts(settings: Settings) -> dict[str, int]:
    with unit_of_work(database(settings)) as session:
        connection = session.connection()
        return {t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


def claims_csv(path: Path, rows: Sequence[Sequence[str]], *, contract: str = CONTRACT) -> Path:
    path.write_text(HEADER + "".join(f"{contract},{','.join(r)}\n" for r in rows), encoding="utf-8")
    return path


def stored(settings: Settings) -> dict[str, list[tuple[object, ...]]]:
    """Each claim reference's stored rows: (verdict, price, payable, reasons), in the order stored."""
    with unit_of_work(database(settings)) as session:
        out: dict[str, list[tuple[object, ...]]] = {}
        for c in session.exec(select(PbrClaim).order_by(col(PbrClaim.id))):
            out.setdefault(c.ref, []).append((c.verdict, c.price_pence, c.payable_pence, c.reasons))
        return out


def variant(folder: Path, name: str, *changes: tuple[str, str]) -> Path:
    """The Fair Chance Fund card with each (old, new) text replaced; every old text must be there exactly once."""
    card = FCF_CARD.read_text(encoding="utf-8")
    for old, new in changes:
        assert card.count(old) == 1, old
        card = card.replace(old, new)
    path = folder / name
    path.write_text(card, encoding="utf-8")
    return path


def add_contract(
    settings: Settings, ref: str, *, payment_model: str = "payment_by_results", value: str = "250000"
) -> None:
    """Another contract under project YPH-1 (which fcf_contract created), with no rate card."""
    fields = {
        "ref": ref,
        "title": "Another young people's contract",
        "provider": "Northbridge YP Trust",
        "project": "YPH-1",
        "value": value,
        "start": "2025-10-01",
        "term": "2 years",
        "payment_model": payment_model,
    }
    add_contracts(settings, [Row("test", fields)], as_of=dt.datetime(2025, 9, 1, tzinfo=dt.UTC), actor="a")


@pytest.fixture
def fcf(settings: Settings, tmp_path: Path) -> Settings:
    """FCF-2025-01 with its card and three eligible participants."""
    fcf_contract(settings)
    people = tmp_path / "participants.csv"
    people.write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, people, as_of=SENT, actor="finance")
    return settings


# --------------------------------------------------------------------------- claims: idempotent


def test_importing_the_same_claims_file_again_changes_nothing(fcf: Settings, tmp_path: Path) -> None:
    path = claims_csv(tmp_path / "claims.csv", CLAIMS)
    first = import_claims(fcf, path, as_of=SENT, actor="finance")
    assert (first.rows, first.added, first.accepted, first.rejected, first.unchanged) == (4, 4, 3, 1, 0)
    before = counts(fcf)
    assert (before["pbr_claim"], before["claim_import"]) == (4, 1)

    again = import_claims(fcf, path, as_of=SENT + dt.timedelta(days=1), actor="someone else")
    assert again.as_dict() == {
        "source": str(path),
        "rows": 4,
        "added": 0,
        "unchanged": 4,
        "accepted": 0,
        "partly_accepted": 0,
        "rejected": 0,
        "claimed": "0.00",
        "payable": "0.00",
        "capped": "0.00",
        "by_reason": {},
        "rejections": [],
        "workers": 1,
    }
    assert counts(fcf) == before


def test_a_claim_reference_reused_for_another_claim_is_kept_as_a_rejected_duplicate(
    fcf: Settings, tmp_path: Path
) -> None:
    import_claims(fcf, claims_csv(tmp_path / "first.csv", CLAIMS), as_of=SENT, actor="finance")
    later = [
        ("C-2", "P-002", "EDU_ENTRY", "2025-11-17", "", "enrolment"),  # C-2 was P-001's EMP_ENTRY
        ("C-9", "P-003", "EMP_ENTRY", "2025-10-20", "", "payslip"),
        ("C-9", "P-003", "EDU_ENTRY", "2025-10-21", "", "enrolment"),  # C-9 again, in the same file
    ]
    report = import_claims(fcf, claims_csv(tmp_path / "later.csv", later), as_of=SENT, actor="finance")

    assert (report.added, report.accepted, report.rejected) == (3, 1, 2)
    why = {(r.line, r.claim_ref): (r.reasons, r.sentences) for r in report.rejections}
    assert why == {
        (2, "C-2"): (
            ["duplicate_claim_ref"],
            ["claim reference C-2 was already used in an earlier import for a different claim"],
        ),
        (4, "C-9"): (
            ["duplicate_claim_ref"],
            ["claim reference C-9 was already used in line 3 for a different claim"],
        ),
    }
    claims = stored(fcf)
    assert claims["C-2"] == [("accepted", 50000, 50000, ""), ("rejected", 50000, 0, "duplicate_claim_ref")]
    assert claims["C-9"] == [("accepted", 50000, 50000, ""), ("rejected", 50000, 0, "duplicate_claim_ref")]


def test_a_later_file_builds_on_claims_accepted_in_an_earlier_one(fcf: Settings, tmp_path: Path) -> None:
    entry = [("C-1", "P-001", "ACC_ENTRY", "2025-10-20", "", "tenancy_agreement")]
    import_claims(fcf, claims_csv(tmp_path / "october.csv", entry), as_of=SENT, actor="finance")
    sustained = [
        ("C-5", "P-001", "ACC_S3", "2026-01-20", "", "tenancy_check"),  # 3 months after 2025-10-20: on time
        ("C-6", "P-002", "ACC_S3", "2026-02-16", "", "tenancy_check"),  # P-002 has no ACC_ENTRY
        ("C-7", "P-001", "ACC_ENTRY", "2025-12-01", "", "tenancy_agreement"),  # payable once, already accepted
    ]
    report = import_claims(fcf, claims_csv(tmp_path / "january.csv", sustained), as_of=SENT, actor="finance")

    assert (report.accepted, report.rejected, report.payable) == (1, 2, Decimal("1500.00"))
    assert {r.claim_ref: r.reasons for r in report.rejections} == {
        "C-6": ["prerequisite_missing"],
        "C-7": ["already_paid"],
    }
    assert stored(fcf)["C-5"] == [("accepted", 150000, 150000, "")]


def test_an_xlsx_claims_file_imports_the_same_as_the_csv(fcf: Settings, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Claims"
    sheet.append(HEADER.strip().split(","))
    for ref, who, outcome, achieved, amount, evidence in CLAIMS:
        # Dates as date cells, amounts as numbers, as Excel keeps them.
        money = None if not amount else float(amount)
        sheet.append([CONTRACT, ref, who, outcome, dt.date.fromisoformat(achieved), money, evidence])
    xlsx = tmp_path / "claims.xlsx"
    workbook.save(xlsx)

    from_xlsx = import_claims(fcf, xlsx, as_of=SENT, actor="finance")
    assert (from_xlsx.rows, from_xlsx.accepted, from_xlsx.rejected, str(from_xlsx.payable)) == (4, 3, 1, "1333.33")
    assert [(r.line, r.claim_ref, r.reasons) for r in from_xlsx.rejections] == [(4, "C-3", ["interval_too_short"])]
    before = counts(fcf)

    # The same claims as CSV are the same claims: every row is already there, unchanged.
    from_csv = import_claims(fcf, claims_csv(tmp_path / "claims.csv", CLAIMS), as_of=SENT, actor="finance")
    assert (from_csv.rows, from_csv.added, from_csv.unchanged) == (4, 0, 4)
    assert counts(fcf) == before
    assert stored(fcf)["C-4"] == [("accepted", 50000, 33333, "")]


def test_a_bad_cell_in_an_xlsx_file_is_named_by_sheet_and_row(fcf: Settings, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Claims"
    sheet.append(HEADER.strip().split(","))
    sheet.append([CONTRACT, "C-1", "P-001", "EMP_ENTRY", dt.date(2025, 10, 6), 500, "payslip"])
    sheet.append([CONTRACT, "C-2", "P-002", "EMP_ENTRY", "10/11/2025", 500, "payslip"])
    xlsx = tmp_path / "claims.xlsx"
    workbook.save(xlsx)
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        import_claims(fcf, xlsx, as_of=SENT, actor="finance")
    assert f"{xlsx}:Claims!3: achieved_on: '10/11/2025' is not a date in ISO form" in str(refused.value)
    assert counts(fcf) == before


# --------------------------------------------------------------------------- claims: bad input

GOOD = f"{CONTRACT},C-1,P-001,EMP_ENTRY,2025-10-06,,payslip\n"  # line 2 of each file below: fine on its own

BAD_FILES = {
    "missing column": (
        "contract,claim_ref,participant,achieved_on,amount,evidence\n" + f"{CONTRACT},C-1,P-001,2025-10-06,,payslip\n",
        ":1: missing column(s): outcome",
    ),
    "unknown outcome code": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_FT52,2026-01-07,,payslip\n",
        ":3: outcome: 'EMP_FT52' is not an outcome code on FCF-2025-01's rate card",
    ),
    "negative amount": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,-500.00,payslip\n",
        ":3: amount: -500.00 is negative; claim a positive amount (a correction is a clawback, not a negative claim)",
    ),
    "non-numeric amount": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,five hundred,payslip\n",
        ":3: amount: 'five hundred' is not an amount of money (e.g. 1500.00)",
    ),
    "date in the wrong format": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,01/02/2026,,payslip\n",
        ":3: achieved_on: '01/02/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)",
    ),
    "empty file": ("", ": is empty"),
    "header only": (HEADER, ": has a header but no claims"),
    "unknown contract": (
        HEADER + GOOD + "FCF-2099-01,C-2,P-002,EMP_ENTRY,2025-11-10,,payslip\n",
        ":3: contract: no contract with reference 'FCF-2099-01'",
    ),
    "empty contract": (HEADER + GOOD + ",C-2,P-002,EMP_ENTRY,2025-11-10,,payslip\n", ":3: contract: is empty"),
    "empty claim reference": (
        HEADER + GOOD + f"{CONTRACT},,P-002,EMP_ENTRY,2025-11-10,,payslip\n",
        ":3: claim_ref: is empty",
    ),
    "claim reference too long": (
        HEADER + GOOD + f"{CONTRACT},{'C' * 61},P-002,EMP_ENTRY,2025-11-10,,payslip\n",
        ":3: claim_ref: is over 60 characters",
    ),
    "empty participant": (
        HEADER + GOOD + f"{CONTRACT},C-2,,EMP_ENTRY,2025-11-10,,payslip\n",
        ":3: participant: is empty",
    ),
    "participant too long": (
        HEADER + GOOD + f"{CONTRACT},C-2,{'P' * 61},EMP_ENTRY,2025-11-10,,payslip\n",
        ":3: participant: is over 60 characters",
    ),
    "empty outcome": (HEADER + GOOD + f"{CONTRACT},C-2,P-002,,2025-11-10,,payslip\n", ":3: outcome: is empty"),
    "empty date": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,,,payslip\n",
        ":3: achieved_on: is empty (the date the outcome was achieved, e.g. 2026-03-31)",
    ),
    "evidence too long": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,,{'e' * 201}\n",
        ":3: evidence: is over 200 characters",
    ),
}


def assert_refused_and_nothing_kept(settings: Settings, path: Path, message: str) -> str:
    before = counts(settings)
    with pytest.raises(UserError) as refused:
        import_claims(settings, path, as_of=SENT, actor="finance")
    said = str(refused.value)
    assert f"{path}{message}" in said, said
    assert counts(settings) == before
    return said


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_malformed_claims_file_is_refused_whole_naming_where_and_why(
    fcf: Settings, tmp_path: Path, case: str
) -> None:
    content, message = BAD_FILES[case]
    path = tmp_path / "claims.csv"
    path.write_text(content, encoding="utf-8")
    said = assert_refused_and_nothing_kept(fcf, path, message)
    if ":3:" in message:
        assert said.startswith(f"{path}: 1 malformed row(s); no claims from this file were imported:")


def test_a_utf16_file_is_refused(fcf: Settings, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes((HEADER + GOOD).encode("utf-16"))
    assert_refused_and_nothing_kept(fcf, path, ": is UTF-16 text; save it as UTF-8 (CSV UTF-8 in Excel)")


def test_a_windows_1252_pound_sign_is_refused_naming_its_line(fcf: Settings, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes((HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,£500.00,payslip\n").encode("cp1252"))
    assert_refused_and_nothing_kept(
        fcf, path, ":3: is not UTF-8 text (byte 0xA3, '£' in Windows-1252); save it as UTF-8 (CSV UTF-8 in Excel)"
    )


def test_a_utf8_file_with_a_byte_order_mark_imports(fcf: Settings, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes(
        (HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,£500.00,payslip\n").encode("utf-8-sig")
    )
    report = import_claims(fcf, path, as_of=SENT, actor="finance")
    assert (report.rows, report.accepted, str(report.payable)) == (2, 2, "1000.00")
    assert sorted(stored(fcf)) == ["C-1", "C-2"]  # the first column was read as "contract", not "\ufeffcontract"


def test_a_contract_without_a_rate_card_is_refused(fcf: Settings, tmp_path: Path) -> None:
    add_contract(fcf, "FCF-2025-02")
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + GOOD + "FCF-2025-02,C-2,P-002,EMP_ENTRY,2025-11-10,,payslip\n", encoding="utf-8")
    assert_refused_and_nothing_kept(fcf, path, ":3: contract: FCF-2025-02 has no rate card; import one first")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_million_bad_rows_are_counted_the_first_hundred_named_and_nothing_kept(fcf: Settings, tmp_path: Path) -> None:
    path = tmp_path / "million.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(1_000_000):  # every row's date is day-first; every tenth row's amount is words too
            amount = "five hundred" if i % 10 == 0 else "500.00"
            out.write(f"{CONTRACT},C-{i},P-001,EMP_ENTRY,{i % 28 + 1:02d}/02/2026,{amount},payslip\n")
    said = assert_refused_and_nothing_kept(fcf, path, ": 1,000,000 malformed row(s); no claims from this file")
    lines = said.splitlines()
    assert len(lines) == 102  # the count, 100 problems by line, and the rest by field
    assert lines[1] == f"  {path}:2: achieved_on: '01/02/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)"
    assert lines[2] == f"  {path}:2: amount: 'five hundred' is not an amount of money (e.g. 1500.00)"
    assert lines[3] == f"  {path}:3: achieved_on: '02/02/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)"
    assert lines[-1] == (
        "  ... and 1,099,900 more problem(s); by field: achieved_on 1,000,000, amount 100,000; "
        "--report FILE writes them all"
    )


def test_an_evidence_cell_longer_than_the_column_is_refused_as_a_malformed_row(fcf: Settings, tmp_path: Path) -> None:
    evidence = "payslip," + ",".join(f"employer letter {i}" for i in range(20))  # 8 + 20 x ~18 = about 370 characters
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + GOOD + f'{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,,"{evidence}"\n', encoding="utf-8")
    assert_refused_and_nothing_kept(fcf, path, ":3: evidence:")


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


# --------------------------------------------------------------------------- claims: every problem in one run


def five_kinds_of_bad_row(path: Path, each: int = 1_000) -> Path:
    """``5 * each`` malformed rows in turn: a day-first date, words for an amount, no claim reference, a contract
    no one made, an outcome code on no card. The last two are only known by looking in the database."""
    kinds = (
        f"{CONTRACT},C-{{i}},P-001,EMP_ENTRY,01/02/2026,,payslip",
        f"{CONTRACT},C-{{i}},P-001,EMP_ENTRY,2025-11-10,five hundred,payslip",
        f"{CONTRACT},,P-001,EMP_ENTRY,2025-11-10,,payslip",
        "FCF-2099-01,C-{i},P-001,EMP_ENTRY,2025-11-10,,payslip",
        f"{CONTRACT},C-{{i}},P-001,EMP_FT52,2025-11-10,,payslip",
    )
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(each):
            out.writelines(kind.format(i=i) + "\n" for kind in kinds)
    return path


def test_every_malformed_row_is_counted_in_one_run_with_unknown_contracts_and_outcomes(
    fcf: Settings, tmp_path: Path
) -> None:
    path = five_kinds_of_bad_row(tmp_path / "claims.csv")
    said = assert_refused_and_nothing_kept(fcf, path, ": 5,000 malformed row(s); no claims from this file")
    lines = said.splitlines()
    assert len(lines) == 102  # the count, the first 100 problems in line order, and the rest counted
    assert lines[1:6] == [
        f"  {path}:2: achieved_on: '01/02/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)",
        f"  {path}:3: amount: 'five hundred' is not an amount of money (e.g. 1500.00)",
        f"  {path}:4: claim_ref: is empty",
        f"  {path}:5: contract: no contract with reference 'FCF-2099-01'",
        f"  {path}:6: outcome: 'EMP_FT52' is not an outcome code on FCF-2025-01's rate card",
    ]
    assert lines[100] == f"  {path}:101: outcome: 'EMP_FT52' is not an outcome code on FCF-2025-01's rate card"
    assert lines[-1] == (
        "  ... and 4,900 more problem(s); by field: achieved_on 1,000, amount 1,000, claim_ref 1,000, "
        "contract 1,000, outcome 1,000; --report FILE writes them all"
    )


def test_the_report_holds_every_problem_of_a_refused_claims_file(fcf: Settings, tmp_path: Path) -> None:
    # The import writes it (`claims import --report`): the check before it reads only the first rows.
    path = five_kinds_of_bad_row(tmp_path / "claims.csv")
    report = tmp_path / "problems.csv"
    with pytest.raises(UserError) as refused:
        import_claims(fcf, path, as_of=SENT, actor="finance", problems=report)
    assert str(refused.value).splitlines()[-1].endswith(f"; all of them are in {report}")
    with report.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "field", "reason"]
    assert len(rows) == 1 + 5_000
    assert rows[1] == ["2", "achieved_on", "'01/02/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)"]
    assert rows[-1] == ["5001", "outcome", "'EMP_FT52' is not an outcome code on FCF-2025-01's rate card"]
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_the_check_before_the_import_reads_the_header_and_first_rows_only(fcf: Settings, tmp_path: Path) -> None:
    # 1,000 good rows (PRECHECKED), then a date that is no date on line 1,002: the check passes, having read
    # 1,000 rows; the import itself refuses the file, naming that line.
    good = [(f"C-{n}", "P-001", "EMP_ENTRY", "2025-10-06", "", "payslip") for n in range(1_000)]
    path = claims_csv(tmp_path / "claims.csv", [*good, ("C-1000", "P-001", "EMP_ENTRY", "2025-13-01", "", "payslip")])
    assert check_claims(fcf, path) == 1_000
    assert check_claims(fcf, path, first=2) == 2
    with pytest.raises(UserError) as refused:
        import_claims(fcf, path, as_of=SENT, actor="finance")
    assert f"{path}:1002: achieved_on: '2025-13-01' is not a date" in str(refused.value)


def test_checking_a_good_claims_file_stores_nothing_and_writes_no_report(fcf: Settings, tmp_path: Path) -> None:
    path = claims_csv(tmp_path / "claims.csv", CLAIMS)
    report = tmp_path / "problems.csv"
    before = counts(fcf)
    assert check_claims(fcf, path, report=report) == len(CLAIMS)
    assert counts(fcf) == before
    assert not report.exists()


def test_the_claims_imported_event_keeps_the_counts_the_history_says(fcf: Settings, tmp_path: Path) -> None:
    from flows.contracts.detail import contract_detail

    import_claims(fcf, claims_csv(tmp_path / "claims.csv", CLAIMS), as_of=SENT, actor="finance")
    [event] = [e for e in contract_detail(fcf, CONTRACT)["history"] if e["action"] == "claims_imported"]
    after = event["after"]
    assert (after["rows"], after["accepted"], after["partly_accepted"], after["rejected"]) == (4, 3, 0, 1)
