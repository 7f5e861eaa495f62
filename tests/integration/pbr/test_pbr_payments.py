"""Payment runs, clawbacks, reversals, samples, fees and reconciliation exports, on both backends.

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
import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from flows.approvals.service import get_proposal
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from flows.pbr.ratecards import import_rate_card
from flows.pbr.reconcile import export_chart, export_csv, export_xlsx, reconcile
from flows.pbr.sampling import SampleResult, sample_validation
from models.db import unit_of_work
from models.pbr.claims import PbrClaim
from models.pbr.ledger import LedgerEntry
from tests.support.approvals import approved, approved_clawback, approved_run
from tests.support.builders import FCF_CARD, fcf_contract

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


# --------------------------------------------------------------------------- post-payment samples

# Seed 7 draws C-2 (£3,500), C-3 (£500) and C-7 (£1,500) from the seven claims the Q1 run paid (£9,500).
SAMPLED = ["C-2", "C-3", "C-7"]


def results_file(folder: Path, rows: Sequence[tuple[str, str, str]], name: str = "checks.csv") -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["claim_ref", "result", "note"])
        writer.writerows(rows)
    return path


# The policy's minimum for the 7 claims Q1 paid is all 7 (tests/unit/pbr/test_sample_size_and_interval.py): these
# samples of 3 record why fewer are checked.
PILOT = "pilot check of three claims agreed with the fund"


def sample(settings: Settings, *, size: int = 3, seed: int = 7, results: Path | None = None) -> SampleResult:
    return sample_validation(
        settings,
        CONTRACT,
        "2026-Q1",
        size=size,
        seed=seed,
        results=results,
        as_of=AUDIT,
        actor="auditor",
        reason=PILOT,
    )


def point_estimate(settings: Settings, folder: Path) -> Settings:
    """The settings with a sampling policy whose recovery applies the point estimate, not the lower bound."""
    path = folder / "sampling.toml"
    path.write_text('[recovery]\nbasis = "point_estimate"\n', encoding="utf-8")
    return dataclasses.replace(settings, sampling_policy_file=path)


def test_the_same_seed_draws_the_same_sample_and_another_is_refused(q1_paid: Settings) -> None:
    first = sample(q1_paid)
    assert (first.existing, first.population, first.population_value) == (False, 7, "9500.00")
    assert (first.minimum_size, first.size_reason) == (7, PILOT)
    assert [(i["claim"], i["paid"], i["result"]) for i in first.items] == [
        ("C-2", "3500.00", None),
        ("C-3", "500.00", None),
        ("C-7", "1500.00", None),
    ]
    assert first.concluded is None
    before = counts(q1_paid)
    again = sample(q1_paid)
    assert again.existing and again.items == first.items
    assert counts(q1_paid) == before
    for size, seed in ((3, 8), (4, 7)):
        with pytest.raises(UserError) as refused:
            sample(q1_paid, size=size, seed=seed)
        assert str(refused.value) == (
            "the sample for 2026-Q1 was drawn with --seed 7 --size 3; a period has one sample, so give those to see "
            "or record it"
        )
    assert counts(q1_paid) == before


def test_a_sample_needs_a_run(fcf: Settings) -> None:
    with pytest.raises(UserError) as refused:
        sample(fcf)
    assert str(refused.value) == "2026-Q1 has no payment run for FCF-2025-01; a sample checks what a run paid"


def test_bad_check_results_are_refused_and_nothing_recorded(q1_paid: Settings, tmp_path: Path) -> None:
    sample(q1_paid)
    before = counts(q1_paid)
    path = results_file(tmp_path, [("C-2", "valid", ""), ("C-7", "invalid", ""), ("C-3", "maybe", "")])
    with pytest.raises(UserError) as refused:
        sample(q1_paid, results=path)
    assert str(refused.value) == (
        "no check results were recorded:\n"
        f"  {path}:3: note: say why C-7 is invalid\n"
        f"  {path}:4: result: 'maybe' is not valid or invalid"
    )
    outsider = results_file(tmp_path, [("C-5", "valid", "")], "outsider.csv")
    with pytest.raises(UserError) as refused:
        sample(q1_paid, results=outsider)
    assert (
        str(refused.value) == f"no check results were recorded:\n  {outsider}:2: claim_ref: C-5 is not in this sample"
    )
    assert counts(q1_paid) == before


def test_a_concluded_sample_claws_back_the_invalid_and_recovers_the_error_rate_from_the_rest(
    q1_paid: Settings, tmp_path: Path
) -> None:
    q1_paid = point_estimate(q1_paid, tmp_path)
    sample(q1_paid)
    partial = sample(q1_paid, results=results_file(tmp_path, [("C-2", "valid", "")], "part.csv"))
    assert partial.concluded is None and [i["result"] for i in partial.items] == ["valid", None, None]
    assert not [e for e in ledger(q1_paid) if e.kind == "clawback"]

    checks = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "invalid", "certificate is for another learner")]
    done = sample(q1_paid, results=results_file(tmp_path, checks))
    # By hand: sampled £3,500 + £500 + £1,500 = £5,500, of which £1,500 invalid (27.27% by value).
    # Not sampled: £9,500 - £5,500 = £4,000. Recovery: £4,000 x 1,500 / 5,500 = £1,090.909..., half up £1,090.91.
    recovery = (Decimal(4000) * Decimal(1500) / Decimal(5500)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert recovery == Decimal("1090.91")
    # The interval: residuals y - Rx are -954.55, -136.36 and 1,090.91; their squares sum to 2,119,834.7, over
    # n - 1 = 2: 1,059,917.4. Mean paid £1,833.33; n x mean^2 = 10,083,333. With 1 - 3/7 = 4/7: variance 0.060066,
    # SE 24.51%; 27.27% +- 1.96 x 24.51% = -20.76% .. 75.31%, kept above 0.
    assert done.concluded is not None
    proposal = done.concluded.pop("proposal")
    assert done.concluded.pop("proposal_status") == "pending"
    assert done.concluded == {
        "sampled_value": "5500.00",
        "invalid_value": "1500.00",
        "error_rate": "27.27%",
        "standard_error": "24.51%",
        "confidence": "95%",
        "interval": "0.00% to 75.31%",
        "basis": "point_estimate",
        "applied_rate": "27.27%",
        "method": "the point estimate 27.27% of 27.27% by value, 95% interval 0.00% to 75.31%",
        "unsampled_value": "4000.00",
        "recovery": "1090.91",
        "withdrawn": None,
    }
    # the clawback of C-7 and the recovery are proposed: neither is in the ledger until a second finance user
    # approves them
    assert not [e for e in ledger(q1_paid) if e.kind == "clawback"]
    approved(q1_paid, get_proposal(q1_paid, proposal), as_of=AUDIT)
    ids = claim_ids(q1_paid)
    clawbacks = sorted(
        (ids.get(e.claim_id or 0, "-"), e.item, e.payer, e.amount_pence)
        for e in ledger(q1_paid)
        if e.kind == "clawback"
    )
    # C-7 in full (£450.00 / £1,050.00); the recovery split 30% half up (£327.27) and the rest (£763.64).
    assert clawbacks == [
        ("-", "extrapolated_recovery", "central fund", -32727),
        ("-", "extrapolated_recovery", "council", -76364),
        ("C-7", "outcome", "central fund", -45000),
        ("C-7", "outcome", "council", -105000),
    ]
    recoveries = [e for e in ledger(q1_paid) if e.item == "extrapolated_recovery"]
    assert all(e.claim_id is None and e.sample_id is not None for e in recoveries)
    assert sum(e.amount_pence for e in recoveries) == -109091

    before = counts(q1_paid)
    again = sample(q1_paid, results=results_file(tmp_path, checks))  # the same results again: nothing new
    assert again.concluded == {**done.concluded, "proposal": proposal, "proposal_status": "approved"}
    assert counts(q1_paid) == before

    q2 = approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    # Owed back: central fund £450.00 + £327.27 = £777.27; council £1,050.00 + £763.64 = £1,813.64.
    # Q2 accrues £900.00 / £2,100.00, so pays £122.73 / £286.36.
    assert payments(q2.summary) == {"central fund": "122.73", "council": "286.36"}
    assert q2.summary["payers"]["central fund"]["recovered"] == "777.27"
    assert [(r[4], r[9]) for r in schedule(q1_paid, "2026-Q2", "council.csv")[-2:]] == [
        ("recovery", "-1813.64"),
        ("payment", "286.36"),
    ]
    report = reconcile(q1_paid, CONTRACT)
    assert (report.totals["clawed_back"], report.totals["extrapolated_recoveries"]) == ("1500.00", "1090.91")


# --------------------------------------------------------------------------- attachment fees


def test_an_attachment_fee_is_paid_once_per_eligible_referral(settings: Settings, tmp_path: Path) -> None:
    ref = fcf_contract(settings, ref="FCF-2025-02", card=None)
    card = FCF_CARD.read_text(encoding="utf-8").replace("contract: FCF-2025-01", f"contract: {ref}")
    card = card.replace('attachment_fee: "0.00"', 'attachment_fee: "400.00"')
    assert 'attachment_fee: "400.00"' in card and f"contract: {ref}" in card
    (tmp_path / "card.yaml").write_text(card, encoding="utf-8")
    import_rate_card(settings, tmp_path / "card.yaml", as_of=SENT, actor="finance")
    people = tmp_path / "participants.csv"
    people.write_text(
        "contract,participant,referral_date,date_of_birth\n"
        f"{ref},P-001,2025-10-01,2005-01-15\n"  # eligible, referred in Q4 2025
        f"{ref},P-002,2026-03-31,2003-06-01\n"  # eligible, referred on the last day of Q1
        f"{ref},P-003,2026-01-10,1999-01-01\n"  # 27 at referral: no fee
        f"{ref},P-004,2026-04-15,2006-09-30\n"  # eligible, referred in Q2
        f"{ref},P-005,2026-10-01,2005-05-05\n",  # after the window: no fee
        encoding="utf-8",
    )
    # imported after the last referral (a referral after the import's date is refused)
    import_participants(settings, people, as_of=dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC), actor="finance")

    q1 = approved_run(settings, ref, "2026-Q1", as_of=Q1_RUN, actor="finance")
    # Two fees of £400.00: £120.00 each to the central fund, £280.00 each to the council.
    assert (q1.summary["claims"], q1.summary["fees"], q1.summary["paid"]) == (0, "800.00", "800.00")
    assert payments(q1.summary) == {"central fund": "240.00", "council": "560.00"}
    q2 = approved_run(settings, ref, "2026-Q2", as_of=Q2_RUN, actor="finance")
    assert (q2.summary["fees"], payments(q2.summary)) == ("400.00", {"central fund": "120.00", "council": "280.00"})
    q3 = approved_run(settings, ref, "2026-Q3", as_of=Q3_RUN, actor="finance")
    assert q3.summary["fees"] == "0.00"  # never twice; P-005 never

    fees = sorted((e.participant, e.payer, e.amount_pence) for e in ledger(settings) if e.item == "attachment_fee")
    assert fees == [
        ("P-001", "central fund", 12000),
        ("P-001", "council", 28000),
        ("P-002", "central fund", 12000),
        ("P-002", "council", 28000),
        ("P-004", "central fund", 12000),
        ("P-004", "council", 28000),
    ]
    path = settings.data_dir / "payments" / ref / "2026-Q1" / "council.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))[1:]
    assert [(r[4], r[6], r[9]) for r in lines] == [
        ("attachment_fee", "P-001", "280.00"),
        ("attachment_fee", "P-002", "280.00"),
        ("payment", "", "560.00"),
    ]


# --------------------------------------------------------------------------- reconciliation exports

FORMULA_REF = '=HYPERLINK("http://evil.example","C-1")'
FORMULA_PROVIDER = "=cmd|' /C calc'!A0"


def test_exports_neutralise_text_a_spreadsheet_would_run_as_a_formula(settings: Settings, tmp_path: Path) -> None:
    fcf_contract(settings, card=None)
    fields = {
        "ref": "FCF-2025-02",
        "title": "A provider whose name is a formula",
        "provider": FORMULA_PROVIDER,
        "project": "YPH-1",
        "value": "250000",
        "start": "2025-10-01",
        "term": "2 years",
        "payment_model": "payment_by_results",
    }
    add_contracts(settings, [Row("test", fields)], as_of=SENT, actor="a")
    card = FCF_CARD.read_text(encoding="utf-8").replace("contract: FCF-2025-01", "contract: FCF-2025-02")
    card = card.replace('contract_cap: "1500000.00"', 'contract_cap: "250000.00"')  # no more than it is worth
    (tmp_path / "card.yaml").write_text(card, encoding="utf-8")
    import_rate_card(settings, tmp_path / "card.yaml", as_of=SENT, actor="finance")
    (tmp_path / "people.csv").write_text(
        "contract,participant,referral_date,date_of_birth\nFCF-2025-02,=P-1,2025-10-01,2005-01-15\n", encoding="utf-8"
    )
    import_participants(settings, tmp_path / "people.csv", as_of=SENT, actor="finance")
    claims = write_claims(
        tmp_path / "claims.csv", [(FORMULA_REF, "=P-1", "EMP_ENTRY", "2026-01-05", "payslip")], "FCF-2025-02"
    )
    assert import_claims(settings, claims, as_of=SENT, actor="finance").accepted == 1
    run = approved_run(settings, "FCF-2025-02", "2026-Q1", as_of=Q1_RUN, actor="finance")

    with Path(run.schedules[1]).open(encoding="utf-8", newline="") as handle:
        [line, _] = list(csv.reader(handle))[1:]
    assert line[1] == "'" + FORMULA_PROVIDER
    assert (line[5], line[6], line[9]) == ("'" + FORMULA_REF, "'=P-1", "350.00")

    report = reconcile(settings, "FCF-2025-02")
    export_csv(report, tmp_path / "reconciliation.csv")
    export_xlsx(report, tmp_path / "reconciliation.xlsx", generated=Q1_RUN, actor="=finance")
    export_chart(report, tmp_path / "chart.png")

    with (tmp_path / "reconciliation.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["provider", "contract", "period", "outcome"]
    money = ["500.00", "500.00", "0.00", "0.00", "500.00", "0.00", "0.00"]  # claimed ... outstanding
    assert rows[1] == ["'" + FORMULA_PROVIDER, "FCF-2025-02", "2026-Q1", "EMP_ENTRY", "1", "1", "0", *money]

    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "reconciliation.xlsx")
    sheet = book.worksheets[0]
    # rows 1-4: the title, who generated it and when, the extrapolated recoveries, a blank; 5: the header
    provider = sheet.cell(row=6, column=1)
    assert (provider.value, provider.data_type) == ("'" + FORMULA_PROVIDER, "s")
    assert sheet.cell(row=6, column=8).value == 500  # claimed, a number
    assert sheet.cell(row=2, column=1).value == "generated 2026-04-02 09:00 UTC by =finance"  # inside the text
    texts = [c.value for ws in book.worksheets for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]
    caps = book["Caps"]
    assert caps.cell(row=7, column=1).value == "participant (highest: =P-1)"  # inside the text: harmless

    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_sampled_claim_found_invalid_after_a_reversed_clawback_is_clawed_back(
    q1_paid: Settings, tmp_path: Path
) -> None:
    approved_clawback(q1_paid, CONTRACT, "C-7", reason="certificate queried", as_of=AUDIT, actor="finance")
    approved_clawback(q1_paid, CONTRACT, "C-7", reason="query answered", reverse=True, as_of=AUDIT, actor="finance")
    sample(q1_paid)  # draws C-2, C-3 and C-7
    checks = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "invalid", "certificate is for another learner")]
    concluded = sample(q1_paid, results=results_file(tmp_path, checks)).concluded
    assert concluded is not None
    approved(q1_paid, get_proposal(q1_paid, concluded["proposal"]), as_of=AUDIT)
    ids = claim_ids(q1_paid)
    c7 = [e for e in ledger(q1_paid) if e.claim_id and ids[e.claim_id] == "C-7"]
    # accrued £1,500.00, clawed back, reversed, and now clawed back again: nothing left paid
    assert sum(e.amount_pence for e in c7) == 0
