"""Payment runs, clawbacks and reversals, on both backends (samples, attachment fees and reconciliation exports
have their own files: test_pbr_samples.py, test_pbr_attachment_fees.py, test_pbr_reconcile_exports.py).

Contract FCF-2025-01 on the Fair Chance Fund card (quarterly in arrears, 30% central fund / 70% council), with
four eligible participants and these claims, all accepted at the card price:

  claim  who    outcome          achieved     £      central fund  council
  C-1    P-001  EDU_ENTRY        2026-01-05     500.00     150.00     350.00
  C-2    P-001  EDU_L2           2026-01-19   3,500.00   1,050.00   2,450.00
  C-3    P-002  EDU_ENTRY        2026-01-12     500.00     150.00     350.00
  C-4    P-002  EDU_L1           2026-02-02   2,500.00     750.00   1,750.00
  C-5    P-003  EMP_ENTRY        2026-02-09     500.00     150.00     350.00
  C-6    P-004  EDU_ENTRY        2026-02-16     500.00     150.00     350.00
  C-7    P-004  EDU_ENTRY_LEVEL  2026-03-02   1,500.00     450.00   1,050.00
                                   2026-Q1:   9,500.00   2,850.00   6,650.00
  C-8    P-003  EDU_ENTRY        2026-04-10     500.00     150.00     350.00
  C-9    P-003  EDU_L1           2026-05-04   2,500.00     750.00   1,750.00
                                   2026-Q2:   3,000.00     900.00   2,100.00
"""

import csv
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from flows.pbr.reconcile import reconcile
from models.db import unit_of_work
from models.pbr.claims import PbrClaim
from models.pbr.ledger import LedgerEntry
from tests.support.approvals import approved_clawback, approved_run
from tests.support.builders import fcf_contract

CONTRACT = "FCF-2025-01"
SENT = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
Q1_RUN = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)
AUDIT = dt.datetime(2026, 4, 3, 9, 0, tzinfo=dt.UTC)  # clawbacks and samples of Q1: after the run that paid it
Q2_RUN = dt.datetime(2026, 7, 2, 9, 0, tzinfo=dt.UTC)
Q3_RUN = dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC)
TABLES = ("payment_run", "pbr_ledger", "validation_sample", "validation_sample_item", "event", "pbr_claim")
PARTICIPANTS = """\
contract,participant,referral_date,date_of_birth
FCF-2025-01,P-001,2025-10-01,2005-01-15
FCF-2025-01,P-002,2025-11-03,2003-06-01
FCF-2025-01,P-003,2025-10-15,2004-02-29
FCF-2025-01,P-004,2025-10-01,2006-09-30
"""
CLAIMS = [
    ("C-1", "P-001", "EDU_ENTRY", "2026-01-05", "enrolment"),
    ("C-2", "P-001", "EDU_L2", "2026-01-19", "certificate"),
    ("C-3", "P-002", "EDU_ENTRY", "2026-01-12", "enrolment"),
    ("C-4", "P-002", "EDU_L1", "2026-02-02", "certificate"),
    ("C-5", "P-003", "EMP_ENTRY", "2026-02-09", "payslip"),
    ("C-6", "P-004", "EDU_ENTRY", "2026-02-16", "enrolment"),
    ("C-7", "P-004", "EDU_ENTRY_LEVEL", "2026-03-02", "certificate"),
    ("C-8", "P-003", "EDU_ENTRY", "2026-04-10", "enrolment"),
    ("C-9", "P-003", "EDU_L1", "2026-05-04", "certificate"),
]


def counts(settings: Settings) -> dict[str, int]:
    with unit_of_work(database(settings)) as session:
        connection = session.connection()
        return {t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


def write_claims(path: Path, rows: Sequence[Sequence[str]], contract: str = CONTRACT) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["contract", "claim_ref", "participant", "outcome", "achieved_on", "amount", "evidence"])
        for ref, who, outcome, achieved, evidence in rows:
            writer.writerow([contract, ref, who, outcome, achieved, "", evidence])
    return path


def ledger(settings: Settings) -> list[LedgerEntry]:
    with unit_of_work(database(settings)) as session:
        return list(session.exec(select(LedgerEntry).order_by(col(LedgerEntry.id))))


def claim_ids(settings: Settings) -> dict[int, str]:
    with unit_of_work(database(settings)) as session:
        return {c.id: c.ref for c in session.exec(select(PbrClaim)) if c.id is not None}


def payments(run_summary: dict[str, object]) -> dict[str, str]:
    payers = run_summary["payers"]
    assert isinstance(payers, dict)
    return {payer: values["payment"] for payer, values in payers.items()}


def schedule(settings: Settings, period: str, payer_file: str) -> list[list[str]]:
    path = settings.data_dir / "payments" / CONTRACT / period / payer_file
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def with_claims(settings: Settings, tmp_path: Path, claims: list[tuple[str, ...]]) -> Any:
    """FCF-2025-01 with the participants above and these claims, imported on 5 May 2026 (once the last of
    CLAIMS, C-9 on 4 May, was achieved: a claim achieved later would be refused); the import's report."""
    fcf_contract(settings)
    people = tmp_path / "participants.csv"
    people.write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, people, as_of=SENT, actor="finance")
    received = dt.datetime(2026, 5, 5, 9, 0, tzinfo=dt.UTC)
    return import_claims(settings, write_claims(tmp_path / "claims.csv", claims), as_of=received, actor="finance")


@pytest.fixture
def fcf(settings: Settings, tmp_path: Path) -> Settings:
    report = with_claims(settings, tmp_path, CLAIMS)
    assert (report.accepted, report.rejected, report.payable) == (9, 0, Decimal("12500.00"))
    return settings


@pytest.fixture
def q1_paid(fcf: Settings) -> Settings:
    run = approved_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    assert payments(run.summary) == {"central fund": "2850.00", "council": "6650.00"}
    return fcf


# --------------------------------------------------------------------------- runs


@pytest.mark.parametrize(
    "as_of",
    [
        dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 31, 22, 59, tzinfo=dt.UTC),  # 23:59 on 31 March in London (BST)
    ],
)
def test_a_run_before_the_period_ends_is_refused_as_paid_in_arrears(fcf: Settings, as_of: dt.datetime) -> None:
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        approved_run(fcf, CONTRACT, "2026-Q1", as_of=as_of, actor="finance")
    assert str(refused.value) == "2026-Q1 ends on 2026-03-31; it is paid in arrears, from 2026-04-01"
    assert counts(fcf) == before
    assert not (fcf.data_dir / "payments").exists()


def test_a_run_just_after_midnight_in_london_is_in_arrears(fcf: Settings) -> None:
    run = approved_run(fcf, CONTRACT, "2026-Q1", as_of=dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC), actor="finance")
    assert (run.run_on, run.summary["paid"]) == ("2026-04-01", "9500.00")


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2026-03", "--period: '2026-03' is not a quarter such as 2026-Q3 (this contract pays quarterly)"),
        ("Q1 2026", "--period: 'Q1 2026' is not a quarter such as 2026-Q3"),
        # fullwidth digits: taken once as 2026-Q1 and stored as written, so the quarter could be paid twice
        ("２０２６-Q1", "--period: '２０２６-Q1' is not a quarter such as 2026-Q3"),
    ],
)
def test_a_period_the_card_does_not_pay_by_is_refused(fcf: Settings, period: str, message: str) -> None:
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        approved_run(fcf, CONTRACT, period, as_of=Q1_RUN, actor="finance")
    assert str(refused.value) == message
    assert counts(fcf) == before


def test_a_second_run_for_the_period_shows_the_first_and_writes_nothing(q1_paid: Settings) -> None:
    before = counts(q1_paid)
    first_schedule = schedule(q1_paid, "2026-Q1", "council.csv")
    again = approved_run(q1_paid, CONTRACT, "2026-Q1", as_of=Q2_RUN, actor="someone else")
    assert (again.existing, again.run_on, again.summary["paid"]) == (True, "2026-04-02", "9500.00")
    assert payments(again.summary) == {"central fund": "2850.00", "council": "6650.00"}
    assert counts(q1_paid) == before
    assert schedule(q1_paid, "2026-Q1", "council.csv") == first_schedule


def test_a_missing_schedule_is_written_again_from_the_ledger(q1_paid: Settings) -> None:
    path = q1_paid.data_dir / "payments" / CONTRACT / "2026-Q1" / "central-fund.csv"
    written = path.read_bytes()
    path.unlink()
    again = approved_run(q1_paid, CONTRACT, "2026-Q1", as_of=Q2_RUN, actor="finance")
    assert again.existing and path.read_bytes() == written


def test_claims_achieved_after_the_period_wait_for_the_next_run(q1_paid: Settings, tmp_path: Path) -> None:
    ids = claim_ids(q1_paid)
    q1 = sorted(ids[e.claim_id] for e in ledger(q1_paid) if e.kind == "accrual" and e.claim_id)
    assert q1 == sorted(["C-1", "C-2", "C-3", "C-4", "C-5", "C-6", "C-7"] * 2)  # C-8 and C-9 are Q2's

    late = [("C-10", "P-001", "VOL_6", "2026-03-20", "volunteer_record")]  # a Q1 outcome sent after the Q1 run
    import_claims(q1_paid, write_claims(tmp_path / "late.csv", late), as_of=Q1_RUN, actor="finance")
    q2 = approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    # C-8 £500 + C-9 £2,500 + C-10 £500 = £3,500: 30% £1,050.00, 70% £2,450.00
    assert (q2.summary["claims"], q2.summary["paid"]) == (3, "3500.00")
    assert payments(q2.summary) == {"central fund": "1050.00", "council": "2450.00"}
    ids = claim_ids(q1_paid)
    accrued = [(ids[e.claim_id], e.payer, e.entry_on) for e in ledger(q1_paid) if e.kind == "accrual" and e.claim_id]
    assert len({(ref, payer) for ref, payer, _ in accrued}) == len(accrued) == 20  # no claim accrued twice
    assert sorted(ref for ref, _, on in accrued if on == dt.date(2026, 7, 2)) == sorted(["C-8", "C-9", "C-10"] * 2)


# --------------------------------------------------------------------------- clawbacks and reversals


def test_a_clawback_is_netted_off_the_next_run_with_a_recovery_line(q1_paid: Settings) -> None:
    done = approved_clawback(q1_paid, CONTRACT, "C-1", reason="enrolment never started", as_of=AUDIT, actor="finance")
    assert done.entries == [
        {"payer": "central fund", "kind": "clawback", "amount": "-150.00"},
        {"payer": "council", "kind": "clawback", "amount": "-350.00"},
    ]
    q2 = approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    # Q2 accrues £900.00 / £2,100.00 (C-8, C-9); less C-1's £150.00 / £350.00
    assert payments(q2.summary) == {"central fund": "750.00", "council": "1750.00"}
    assert q2.summary["payers"]["council"]["recovered"] == "350.00"
    assert q2.summary["payers"]["council"]["owed_before"] == "-350.00"
    assert q2.summary["payers"]["council"]["carried"] == "0.00"

    for payer_file, recovery, payment in (
        ("central-fund.csv", "-150.00", "750.00"),
        ("council.csv", "-350.00", "1750.00"),
    ):
        rows = schedule(q1_paid, "2026-Q2", payer_file)
        assert [r[4] for r in rows] == ["outcome", "outcome", "recovery", "payment"]
        assert rows[-2][5:] == ["", "", "", "", recovery]
        assert rows[-1][9] == payment
        assert sum(Decimal(r[9]) for r in rows[:-1]) == Decimal(payment)

    balances: dict[str, int] = {}
    for e in ledger(q1_paid):
        balances[e.payer] = balances.get(e.payer, 0) + e.amount_pence
    assert balances == {"central fund": 0, "council": 0}


def test_a_clawback_bigger_than_the_next_run_is_carried_and_nothing_is_paid(q1_paid: Settings) -> None:
    approved_clawback(
        q1_paid, CONTRACT, "C-2", reason="certificate forged", as_of=AUDIT, actor="finance"
    )  # £1,050 / £2,450
    q2 = approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    assert q2.summary["paid"] == "0.00"
    assert q2.summary["payers"] == {
        "central fund": {
            "outcomes": "900.00",
            "fees": "0.00",
            "owed_before": "-1050.00",
            "recovered": "900.00",
            "payment": "0.00",
            "carried": "-150.00",
        },
        "council": {
            "outcomes": "2100.00",
            "fees": "0.00",
            "owed_before": "-2450.00",
            "recovered": "2100.00",
            "payment": "0.00",
            "carried": "-350.00",
        },
    }
    q2_entries = [e for e in ledger(q1_paid) if e.entry_on == dt.date(2026, 7, 2)]
    assert {e.kind for e in q2_entries} == {"accrual"}  # no payment entry when nothing is paid
    rows = schedule(q1_paid, "2026-Q2", "council.csv")
    assert [(r[4], r[9]) for r in rows[-2:]] == [("recovery", "-2100.00"), ("payment", "0.00")]

    payers = {p["payer"]: p for p in reconcile(q1_paid, CONTRACT).payers}
    assert (payers["central fund"]["balance"], payers["council"]["balance"]) == ("-150.00", "-350.00")

    # Q3 has no claims of its own: the provider still owes it back, so Q3 pays nothing either.
    q3 = approved_run(q1_paid, CONTRACT, "2026-Q3", as_of=Q3_RUN, actor="finance")
    assert payments(q3.summary) == {"central fund": "0.00", "council": "0.00"}
    assert q3.summary["payers"]["council"]["carried"] == "-350.00"


def test_a_reversed_clawback_is_paid_back_by_the_next_run_and_cannot_be_reversed_twice(q1_paid: Settings) -> None:
    approved_clawback(q1_paid, CONTRACT, "C-4", reason="qualification not evidenced", as_of=AUDIT, actor="finance")
    with pytest.raises(UserError) as twice:
        approved_clawback(q1_paid, CONTRACT, "C-4", reason="again", as_of=AUDIT, actor="finance")
    assert str(twice.value) == "claim C-4 was already clawed back on 2026-04-03"
    clawed = reconcile(q1_paid, CONTRACT)
    assert clawed.totals["clawed_back"] == "2500.00"
    assert {p["payer"]: (p["clawed_back"], p["reversed"]) for p in clawed.payers} == {
        "central fund": ("750.00", "0.00"),
        "council": ("1750.00", "0.00"),
    }

    undone = approved_clawback(
        q1_paid, CONTRACT, "C-4", reason="certificate found", reverse=True, as_of=AUDIT, actor="finance"
    )
    assert undone.entries == [
        {"payer": "central fund", "kind": "reversal", "amount": "750.00"},
        {"payer": "council", "kind": "reversal", "amount": "1750.00"},
    ]
    restored = reconcile(q1_paid, CONTRACT)
    assert restored.totals["clawed_back"] == "0.00"  # a reversed clawback no longer counts as clawed back
    assert {p["payer"]: (p["clawed_back"], p["reversed"]) for p in restored.payers} == {
        "central fund": ("750.00", "750.00"),
        "council": ("1750.00", "1750.00"),
    }
    # the contract cap counts what was accepted, net of the clawbacks that stand
    contract_cap = {
        name: next(c for c in report.caps if c["cap"] == "contract")["accepted"]
        for name, report in (("clawed", clawed), ("restored", restored))
    }
    accepted = Decimal(restored.totals["accepted"])
    assert clawed.totals["accepted"] == restored.totals["accepted"]
    assert contract_cap == {"clawed": f"{accepted - 2500:.2f}", "restored": f"{accepted:.2f}"}
    entries = ledger(q1_paid)
    clawbacks = {e.id: e for e in entries if e.kind == "clawback"}
    reversals = [e for e in entries if e.kind == "reversal"]
    assert len(clawbacks) == 2 and len(reversals) == 2
    for r in reversals:
        assert r.reverses_id in clawbacks
        assert r.amount_pence == -clawbacks[r.reverses_id].amount_pence
        assert (r.payer, r.memo) == (clawbacks[r.reverses_id].payer, "certificate found")

    before = counts(q1_paid)
    with pytest.raises(UserError) as again:
        approved_clawback(q1_paid, CONTRACT, "C-4", reason="oops", reverse=True, as_of=AUDIT, actor="finance")
    assert str(again.value) == "claim C-4 has no clawback to reverse"
    assert counts(q1_paid) == before

    q2 = approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    assert payments(q2.summary) == {"central fund": "900.00", "council": "2100.00"}  # nothing owed either way


def test_reversing_a_clawback_already_recovered_pays_it_back_next_time(q1_paid: Settings) -> None:
    approved_clawback(q1_paid, CONTRACT, "C-1", reason="no enrolment", as_of=AUDIT, actor="finance")
    approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")  # recovers £150 / £350
    approved_clawback(q1_paid, CONTRACT, "C-1", reason="enrolment found", reverse=True, as_of=Q2_RUN, actor="finance")
    q3 = approved_run(q1_paid, CONTRACT, "2026-Q3", as_of=Q3_RUN, actor="finance")
    assert payments(q3.summary) == {"central fund": "150.00", "council": "350.00"}
    rows = schedule(q1_paid, "2026-Q3", "council.csv")
    assert [(r[4], r[9]) for r in rows] == [("brought forward", "350.00"), ("payment", "350.00")]


@pytest.mark.parametrize(
    ("claim", "reason", "message"),
    [
        ("C-8", "x", "claim C-8 has not been paid; nothing to claw back"),
        ("C-99", "x", "contract FCF-2025-01 has no accepted claim 'C-99'"),
        ("C-1", "  ", "--reason: say why (it goes in the ledger and the audit log)"),
    ],
)
def test_a_clawback_of_what_was_not_paid_is_refused(q1_paid: Settings, claim: str, reason: str, message: str) -> None:
    before = counts(q1_paid)
    with pytest.raises(UserError) as refused:
        approved_clawback(q1_paid, CONTRACT, claim, reason=reason, as_of=AUDIT, actor="finance")
    assert str(refused.value) == message
    assert counts(q1_paid) == before
