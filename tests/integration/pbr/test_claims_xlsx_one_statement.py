"""A workbook of claims on PostgreSQL goes into ``pbr_claim`` in one statement (``COPY``), not a statement a row.

Migration 0031's statement-level triggers keep the claims' sums beside them, summing each statement's rows: the
workbook's claims went in through the driver's executemany, a statement a row, so the triggers fired once for each
of a few thousand claims. Here a statement-level trigger the test adds counts the statements that insert claims;
the kept sums against the claims are checked by the teardown (tests/support/ledger_totals.py).
"""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from tests.support.builders import fcf_contract

CONTRACT = "FCF-2025-01"
RECEIVED = dt.datetime(2026, 5, 5, 9, 0, tzinfo=dt.UTC)
PEOPLE = 1000
# three claims a person, each with its evidence: a few thousand rows, accepted and rejected both
OUTCOMES = (("EDU_ENTRY", "enrolment"), ("EDU_L1", "certificate"), ("EMP_ENTRY", "payslip"))
COUNTER = """
CREATE TABLE claim_insert_statements (n integer NOT NULL);
INSERT INTO claim_insert_statements VALUES (0);
CREATE FUNCTION count_claim_inserts() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN UPDATE claim_insert_statements SET n = n + 1; RETURN NULL; END $$;
CREATE TRIGGER count_claim_inserts AFTER INSERT ON pbr_claim FOR EACH STATEMENT EXECUTE FUNCTION count_claim_inserts();
"""
UNCOUNT = """
DROP TRIGGER IF EXISTS count_claim_inserts ON pbr_claim;
DROP FUNCTION IF EXISTS count_claim_inserts();
DROP TABLE IF EXISTS claim_insert_statements;
"""


def _workbook(path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Claims")
    sheet.append(["contract", "claim_ref", "participant", "outcome", "achieved_on", "amount", "evidence"])
    for p in range(1, PEOPLE + 1):
        for k, (outcome, evidence) in enumerate(OUTCOMES):
            achieved = dt.date(2026, 1, 5) + dt.timedelta(days=(p % 60) + 30 * k)
            sheet.append([CONTRACT, f"C-{p}-{k}", f"P-{p:04d}", outcome, achieved, None, evidence])
    workbook.save(path)
    return path


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_workbooks_claims_go_in_as_one_statement(settings: Settings, tmp_path: Path) -> None:
    fcf_contract(settings)
    people = tmp_path / "participants.csv"
    people.write_text(
        "contract,participant,referral_date,date_of_birth\n"
        + "".join(f"{CONTRACT},P-{p:04d},2025-10-01,2005-01-15\n" for p in range(1, PEOPLE + 1)),
        encoding="utf-8",
    )
    import_participants(settings, people, as_of=RECEIVED, actor="finance")
    engine = database(settings)
    with engine.begin() as conn:
        conn.exec_driver_sql(COUNTER)
    try:
        report = import_claims(settings, _workbook(tmp_path / "claims.xlsx"), as_of=RECEIVED, actor="finance")
        with engine.connect() as conn:
            statements = conn.execute(text("SELECT n FROM claim_insert_statements")).scalar_one()
            stored = conn.execute(text("SELECT COUNT(*) FROM pbr_claim")).scalar_one()
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(UNCOUNT)
    assert report.rows == stored == PEOPLE * len(OUTCOMES)
    assert report.accepted + report.partly_accepted + report.rejected == stored
    assert report.accepted > 1000 and report.rejected > 1000  # both kinds of claim in the kept sums
    assert statements == 1
