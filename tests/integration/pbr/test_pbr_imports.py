"""Rate card, participant and claims imports on a real database: idempotent, atomic, and clear about bad input.

Every refusal names the file, the line, the field and the reason, and keeps nothing: the rows of the tables an
import writes are counted before and after. Contract FCF-2025-01 is priced on examples/fair-chance-fund.yaml
(£500 for EMP_ENTRY, EDU_ENTRY and ACC_ENTRY; ACC_S3 £1,500 at least 3 months after ACC_ENTRY; 30/70 split).
"""

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
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from models.db import unit_of_work
from models.pbr.claims import PbrClaim
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
    """Each claim reference's stored rows: (verdict, price, payable, reasons), by import, then line (on SQLite
    the ids follow the day achieved, not the line)."""
    with unit_of_work(database(settings)) as session:
        out: dict[str, list[tuple[object, ...]]] = {}
        for c in session.exec(select(PbrClaim).order_by(col(PbrClaim.import_id), col(PbrClaim.line))):
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


def test_an_uploaded_claims_file_is_recorded_by_its_own_name_never_the_servers_folder(fcf: Settings) -> None:
    """The hostile trial's case: a web upload's claims import recorded its path under the data folder as its
    source (in claim_import and the contract's event), which names the server's folders; it is the file's name
    now, as the participants and rate card imports and the audit events say it."""
    from models.events import Event
    from models.pbr.claims import ClaimImport

    folder = fcf.data_dir / "uploads" / "0123456789abcdef"
    folder.mkdir(parents=True)
    report = import_claims(fcf, claims_csv(folder / "my claims.csv", CLAIMS), as_of=SENT, actor="finance")
    assert report.as_dict()["source"] == "my claims.csv"
    with unit_of_work(database(fcf)) as session:
        assert [i.source for i in session.exec(select(ClaimImport))] == ["my claims.csv"]
        events = session.exec(select(Event).where(col(Event.action) == "claims_imported")).all()
        assert [e.after["source"] for e in events if e.after] == ["my claims.csv"]
