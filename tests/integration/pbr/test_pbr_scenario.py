"""The worked scenario: one quarter of a Fair Chance Fund contract, checked as a finance officer checks it by hand.

Contract FCF-2025-01 (Northbridge YP Trust) is priced on examples/fair-chance-fund.yaml: referrals from
2025-10-01 to 2026-09-30, ages 18-24 at referral, a £15,000 cap per participant, quarterly runs in arrears,
30% central fund / 70% council. The provider sends six participants and nineteen claims on 1 April 2026.

Participants (referral, date of birth, age at referral):
  P-001 2025-10-01 2005-01-15 (20)      P-002 2025-11-03 2003-06-01 (22)      P-003 2025-10-15 2004-02-29 (21)
  P-004 2025-10-01 2006-09-30 (19)      P-005 2026-10-01 2005-05-05 (21)      P-006 2025-12-01 2007-01-01 (18)
P-005 was referred the day after the window closed: listed, reported, and never payable.

Claims, in the order achieved per participant (£; "payable" is after the caps; P-001's running total in brackets):

  who    claim  outcome          achieved    claimed   verdict          payable  capped  reason
  P-001  C-101  EMP_ENTRY        2025-10-06    500.00  accepted          500.00       -  (500)
  P-001  C-102  EDU_ENTRY        2025-10-13    500.00  accepted          500.00       -  (1,000)
  P-001  C-103  ACC_ENTRY        2025-10-20    500.00  accepted          500.00       -  (1,500)
  P-001  C-104  EDU_L2           2025-11-03  3,500.00  accepted        3,500.00       -  (5,000)
  P-001  C-105  EDU_L1           2025-11-17  2,500.00  accepted        2,500.00       -  (7,500)
  P-001  C-106  EDU_ENTRY_LEVEL  2025-12-01  1,500.00  accepted        1,500.00       -  (9,000)
  P-001  C-107  VOL_6            2025-12-15    500.00  accepted          500.00       -  (9,500)
  P-001  C-108  EMP_FT13         2026-01-12  4,500.00  accepted        4,500.00       -  (14,000; 13 weeks from
                                                                                         2025-10-06 is 2026-01-05)
  P-001  C-109  ACC_S3           2026-01-20  1,500.00  partly_accepted 1,000.00  500.00  over_participant_cap: only
                                                                                         £1,000 of the £15,000 left
  P-001  C-110  ASSESS_1         2026-02-02    500.00  rejected            0.00  500.00  over_participant_cap: none left
  P-002  C-201  EMP_ENTRY        2025-11-10    333.33  accepted          333.33       -  (claimed below the £500 price)
  P-002  C-202  ACC_S3           2026-02-16  1,500.00  rejected            0.00       -  prerequisite_missing (no
                                                                                         ACC_ENTRY)
  P-003  C-301  ACC_ENTRY        2025-11-02    500.00  accepted          500.00       -
  P-003  C-302  ACC_S3           2026-01-15  1,500.00  rejected            0.00       -  interval_too_short (3 months
                                                                                         from 2025-11-02: 2026-02-02)
  P-004  C-401  EMP_ENTRY        2025-10-08    500.00  accepted          500.00       -
  P-004  C-402  EMP_PT13         2026-01-07  3,000.00  accepted        3,000.00       -  (13 weeks from 2025-10-08)
  P-004  C-403  EMP_FT13         2026-01-07  4,500.00  rejected            0.00       -  mutually_exclusive with C-402
                                                                                         (the same 13 weeks)
  P-005  C-501  EMP_ENTRY        2026-10-05    500.00  rejected            0.00       -  referral_outside_window
  P-006  C-601  EDU_ENTRY        2026-01-05    500.00  rejected            0.00       -  evidence_missing (enrolment)

Totals: claimed 28,833.33 = accepted 19,333.33 + capped 1,000.00 + rejected 8,500.00
(rejected: 1,500 + 1,500 + 4,500 + 500 + 500). 12 accepted, 1 partly accepted, 6 rejected.

Periods are paid in order, so on 2 April 2026 finance runs 2025-Q4 (the ten accepted claims achieved by
31 December 2025, £10,833.33), then 2026-Q1 (C-108, C-109 and C-402, £8,500.00): the 13 accepted claims, split
per claim: 30% to the central fund rounded half up to the penny, the rest to the council. Every price splits
evenly except C-201: 30% of £333.33 is £99.999, so £100.00 to the central fund and £233.33 to the council.
  2025-Q4  central fund: 30% of £10,500.00 = £3,150.00, plus £100.00 = £3,250.00
           council:      70% of £10,500.00 = £7,350.00, plus £233.33 = £7,583.33      total £10,833.33
  2026-Q1  central fund: 30% of £8,500.00 = £2,550.00; council: 70% = £5,950.00      total £8,500.00
  both     central fund £5,800.00, council £13,533.33                               total £19,333.33
"""

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from flows.pbr.payment_runs import RunResult
from flows.pbr.reconcile import reconcile
from models.db import unit_of_work
from models.events import Event
from models.pbr.claims import PbrClaim
from models.pbr.ledger import LedgerEntry, PaymentRun
from tests.support.approvals import approved_run
from tests.support.builders import fcf_contract

# Imported once P-005 (referred 2026-10-01) and C-501 (2026-10-05) had happened: a referral or an outcome
# after the import's date is refused. The runs keep the dates of the worked example above.
SENT = dt.datetime(2026, 10, 6, 9, 0, tzinfo=dt.UTC)
RUN_ON = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)
CONTRACT = "FCF-2025-01"

PARTICIPANTS = [
    ("P-001", "2025-10-01", "2005-01-15"),
    ("P-002", "2025-11-03", "2003-06-01"),
    ("P-003", "2025-10-15", "2004-02-29"),
    ("P-004", "2025-10-01", "2006-09-30"),
    ("P-005", "2026-10-01", "2005-05-05"),
    ("P-006", "2025-12-01", "2007-01-01"),
]

# What the provider sent: claim, participant, outcome, achieved_on, amount (blank: the card price), evidence.
CLAIMS = [
    ("C-101", "P-001", "EMP_ENTRY", "2025-10-06", "", "payslip"),
    ("C-102", "P-001", "EDU_ENTRY", "2025-10-13", "", "enrolment"),
    ("C-103", "P-001", "ACC_ENTRY", "2025-10-20", "", "tenancy_agreement"),
    ("C-104", "P-001", "EDU_L2", "2025-11-03", "", "certificate"),
    ("C-105", "P-001", "EDU_L1", "2025-11-17", "", "certificate"),
    ("C-106", "P-001", "EDU_ENTRY_LEVEL", "2025-12-01", "", "certificate"),
    ("C-107", "P-001", "VOL_6", "2025-12-15", "", "volunteer_record"),
    ("C-108", "P-001", "EMP_FT13", "2026-01-12", "", "payslip"),
    ("C-109", "P-001", "ACC_S3", "2026-01-20", "", "tenancy_check"),
    ("C-110", "P-001", "ASSESS_1", "2026-02-02", "", "assessment_form"),
    ("C-201", "P-002", "EMP_ENTRY", "2025-11-10", "333.33", "payslip"),
    ("C-202", "P-002", "ACC_S3", "2026-02-16", "", "tenancy_check"),
    ("C-301", "P-003", "ACC_ENTRY", "2025-11-02", "", "tenancy_agreement"),
    ("C-302", "P-003", "ACC_S3", "2026-01-15", "", "tenancy_check"),
    ("C-401", "P-004", "EMP_ENTRY", "2025-10-08", "", "payslip"),
    ("C-402", "P-004", "EMP_PT13", "2026-01-07", "", "payslip"),
    ("C-403", "P-004", "EMP_FT13", "2026-01-07", "", "payslip"),
    ("C-501", "P-005", "EMP_ENTRY", "2026-10-05", "", "payslip"),
    ("C-601", "P-006", "EDU_ENTRY", "2026-01-05", "", ""),
]
# What the finance officer expects, by hand: verdict, claimed, payable, capped, reason codes.
VERDICTS = {
    "C-101": ("accepted", "500.00", "500.00", "0.00", ""),
    "C-102": ("accepted", "500.00", "500.00", "0.00", ""),
    "C-103": ("accepted", "500.00", "500.00", "0.00", ""),
    "C-104": ("accepted", "3500.00", "3500.00", "0.00", ""),
    "C-105": ("accepted", "2500.00", "2500.00", "0.00", ""),
    "C-106": ("accepted", "1500.00", "1500.00", "0.00", ""),
    "C-107": ("accepted", "500.00", "500.00", "0.00", ""),
    "C-108": ("accepted", "4500.00", "4500.00", "0.00", ""),
    "C-109": ("partly_accepted", "1500.00", "1000.00", "500.00", "over_participant_cap"),
    "C-110": ("rejected", "500.00", "0.00", "500.00", "over_participant_cap"),
    "C-201": ("accepted", "333.33", "333.33", "0.00", ""),
    "C-202": ("rejected", "1500.00", "0.00", "0.00", "prerequisite_missing"),
    "C-301": ("accepted", "500.00", "500.00", "0.00", ""),
    "C-302": ("rejected", "1500.00", "0.00", "0.00", "interval_too_short"),
    "C-401": ("accepted", "500.00", "500.00", "0.00", ""),
    "C-402": ("accepted", "3000.00", "3000.00", "0.00", ""),
    "C-403": ("rejected", "4500.00", "0.00", "0.00", "mutually_exclusive"),
    "C-501": ("rejected", "500.00", "0.00", "0.00", "referral_outside_window"),
    "C-601": ("rejected", "500.00", "0.00", "0.00", "evidence_missing"),
}
# Each paid claim's split: 30% to the central fund (half up to the penny), the rest to the council.
SHARES = {
    "C-101": ("150.00", "350.00"),
    "C-102": ("150.00", "350.00"),
    "C-103": ("150.00", "350.00"),
    "C-104": ("1050.00", "2450.00"),
    "C-105": ("750.00", "1750.00"),
    "C-106": ("450.00", "1050.00"),
    "C-107": ("150.00", "350.00"),
    "C-108": ("1350.00", "3150.00"),
    "C-109": ("300.00", "700.00"),
    "C-201": ("100.00", "233.33"),
    "C-301": ("150.00", "350.00"),
    "C-401": ("150.00", "350.00"),
    "C-402": ("900.00", "2100.00"),
}


def pounds(pence: int) -> str:
    return f"{Decimal(pence) / 100:.2f}"


def write_files(folder: Path) -> tuple[Path, Path]:
    participants = folder / "participants.csv"
    participants.write_text(
        "contract,participant,referral_date,date_of_birth\n"
        + "".join(f"{CONTRACT},{ref},{referred},{born}\n" for ref, referred, born in PARTICIPANTS),
        encoding="utf-8",
    )
    claims = folder / "claims.csv"
    claims.write_text(
        "contract,claim_ref,participant,outcome,achieved_on,amount,evidence\n"
        + "".join(f"{CONTRACT},{','.join(c[:6])}\n" for c in CLAIMS),
        encoding="utf-8",
    )
    return participants, claims


@pytest.fixture
def imported(settings: Settings, tmp_path: Path) -> Settings:
    fcf_contract(settings)
    participants, claims = write_files(tmp_path)
    import_participants(settings, participants, as_of=SENT, actor="finance")
    import_claims(settings, claims, as_of=SENT, actor="finance")
    return settings


def stored_claims(settings: Settings) -> dict[str, PbrClaim]:
    with unit_of_work(database(settings)) as session:
        return {c.ref: c for c in session.exec(select(PbrClaim))}


def ledger(settings: Settings) -> list[LedgerEntry]:
    with unit_of_work(database(settings)) as session:
        return list(session.exec(select(LedgerEntry).order_by(col(LedgerEntry.id))))


def test_the_participants_file_lists_p005_as_referred_outside_the_window(settings: Settings, tmp_path: Path) -> None:
    fcf_contract(settings)
    participants, _ = write_files(tmp_path)
    result = import_participants(settings, participants, as_of=SENT, actor="finance")
    assert (result.added, result.unchanged, result.contracts) == (6, 0, [CONTRACT])
    assert result.ineligible == ["P-005 was referred on 2026-10-01, outside the referral window"]


def test_every_claim_gets_the_verdict_the_finance_officer_expects(settings: Settings, tmp_path: Path) -> None:
    fcf_contract(settings)
    participants, claims = write_files(tmp_path)
    import_participants(settings, participants, as_of=SENT, actor="finance")
    report = import_claims(settings, claims, as_of=SENT, actor="finance")

    assert (report.rows, report.added, report.unchanged) == (19, 19, 0)
    assert (report.accepted, report.partly_accepted, report.rejected) == (12, 1, 6)
    assert (report.claimed, report.payable, report.capped) == (
        Decimal("28833.33"),
        Decimal("19333.33"),
        Decimal("1000.00"),
    )
    assert dict(report.by_reason) == {
        "over_participant_cap": 2,
        "prerequisite_missing": 1,
        "interval_too_short": 1,
        "mutually_exclusive": 1,
        "referral_outside_window": 1,
        "evidence_missing": 1,
    }
    # The rejection report lists the refused and partly accepted rows by line (line 2 is C-101).
    assert [(r.line, r.claim_ref, r.verdict, r.reasons) for r in report.rejections] == [
        (10, "C-109", "partly_accepted", ["over_participant_cap"]),
        (11, "C-110", "rejected", ["over_participant_cap"]),
        (13, "C-202", "rejected", ["prerequisite_missing"]),
        (15, "C-302", "rejected", ["interval_too_short"]),
        (18, "C-403", "rejected", ["mutually_exclusive"]),
        (19, "C-501", "rejected", ["referral_outside_window"]),
        (20, "C-601", "rejected", ["evidence_missing"]),
    ]
    sentences = {r.claim_ref: r.sentences for r in report.rejections}
    assert sentences["C-109"] == [
        "the participant P-001 cap of £15,000.00 leaves £1,000.00 of the £1,500.00 due; £500.00 is capped"
    ]
    assert sentences["C-202"] == ["ACC_S3 needs ACC_ENTRY accepted first; P-002 has none"]
    assert sentences["C-302"] == [
        "ACC_S3 on 2026-01-15 is too soon: it needs 3 months after ACC_ENTRY on 2025-11-02, so not before 2026-02-02"
    ]
    assert sentences["C-403"] == [
        "EMP_FT13 and EMP_PT13 (claim C-402) are mutually exclusive (job_13); only one is payable"
    ]
    assert sentences["C-501"] == [
        "participant P-005 was referred on 2026-10-01, outside the referral window 2025-10-01 to 2026-09-30"
    ]

    stored = stored_claims(settings)
    assert sorted(stored) == [c[0] for c in CLAIMS]
    for ref, expected in VERDICTS.items():
        claim = stored[ref]
        got = (claim.verdict, *(pounds(p) for p in (claim.claimed_pence, claim.payable_pence, claim.capped_pence)))
        assert (*got, claim.reasons) == expected, ref
    assert sum(c.payable_pence for c in stored.values() if c.participant == "P-001") == 1_500_000  # exactly the cap


def pay_both(settings: Settings) -> list[RunResult]:
    """2025-Q4, then 2026-Q1, both on 2 April 2026: periods are paid in order."""
    return [
        approved_run(settings, CONTRACT, period, as_of=RUN_ON, actor="finance") for period in ("2025-Q4", "2026-Q1")
    ]


def test_the_runs_pay_each_payer_its_share_to_the_penny(imported: Settings) -> None:
    settings = imported
    q4, q1 = pay_both(settings)

    assert (q4.contract, q4.period, q4.existing, q4.run_on) == (CONTRACT, "2025-Q4", False, "2026-04-02")
    assert (q1.contract, q1.period, q1.existing, q1.run_on) == (CONTRACT, "2026-Q1", False, "2026-04-02")
    for run, claims, total, central, council in (
        (q4, 10, "10833.33", "3250.00", "7583.33"),
        (q1, 3, "8500.00", "2550.00", "5950.00"),
    ):
        summary = run.summary
        assert (summary["claims"], summary["outcomes"], summary["fees"], summary["paid"]) == (
            claims,
            total,
            "0.00",
            total,
        )
        assert summary["capped_at_run"] == "0.00" and summary["capped"] == []
        assert summary["payers"] == {
            "central fund": {
                "outcomes": central,
                "fees": "0.00",
                "owed_before": "0.00",
                "recovered": "0.00",
                "payment": central,
                "carried": "0.00",
            },
            "council": {
                "outcomes": council,
                "fees": "0.00",
                "owed_before": "0.00",
                "recovered": "0.00",
                "payment": council,
                "carried": "0.00",
            },
        }

    entries = ledger(settings)
    stored = stored_claims(settings)
    by_id = {c.id: c.ref for c in stored.values()}
    runs = {r.id: r.period for r in _runs(settings)}
    assert sorted(runs.values()) == ["2025-Q4", "2026-Q1"]
    assert all(e.run_id in runs and e.entry_on == dt.date(2026, 4, 2) for e in entries)
    achieved = {c[0]: c[3] for c in CLAIMS}
    for e in entries:  # each claim is paid by the run of the quarter it was achieved in
        if e.claim_id:
            assert runs[e.run_id] == ("2025-Q4" if achieved[by_id[e.claim_id]] < "2026-01-01" else "2026-Q1")

    accruals = sorted(
        (by_id[e.claim_id], e.payer, pounds(e.amount_pence), e.item) for e in entries if e.kind == "accrual"
    )
    expected = sorted(
        [(ref, "central fund", central, "outcome") for ref, (central, _) in SHARES.items()]
        + [(ref, "council", council, "outcome") for ref, (_, council) in SHARES.items()]
    )
    assert accruals == expected  # one accrual per paid claim per payer, 26 in all
    assert len(accruals) == 26
    for ref, (central, council) in SHARES.items():  # the shares of every claim add up to what it was accepted for
        assert Decimal(central) + Decimal(council) == Decimal(VERDICTS[ref][2]), ref
    assert sorted(SHARES) == sorted(ref for ref, v in VERDICTS.items() if v[0] != "rejected")

    payments = sorted((e.payer, e.amount_pence, e.claim_id, e.item) for e in entries if e.kind == "payment")
    assert payments == [
        ("central fund", -325000, None, "run"),
        ("central fund", -255000, None, "run"),
        ("council", -758333, None, "run"),
        ("council", -595000, None, "run"),
    ]
    assert {e.kind for e in entries} == {"accrual", "payment"}
    for payer in ("central fund", "council"):  # paid in full: each payer's ledger balances to nothing
        assert sum(e.amount_pence for e in entries if e.payer == payer) == 0

    with unit_of_work(database(settings)) as session:
        events = list(session.exec(select(Event).where(Event.action == "payment_run").order_by(col(Event.id))))
    # proposed by "finance", paid when the checker approved: the event is the approver's, naming the proposal
    assert [(e.entity_ref, e.actor, e.after) for e in events] == [
        (CONTRACT, "checker.one", {"period": "2025-Q4", "paid": "10833.33", "claims": 10, "proposal": 1}),
        (CONTRACT, "checker.one", {"period": "2026-Q1", "paid": "8500.00", "claims": 3, "proposal": 2}),
    ]


def _runs(settings: Settings) -> list[PaymentRun]:
    with unit_of_work(database(settings)) as session:
        return list(session.exec(select(PaymentRun)))


def test_the_schedule_per_payer_lists_every_line_and_adds_up_to_the_payment(imported: Settings) -> None:
    settings = imported
    for run, (central_pays, council_pays) in zip(
        pay_both(settings), (("3250.00", "7583.33"), ("2550.00", "5950.00")), strict=True
    ):
        check_schedules(settings, run, central_pays, council_pays)

    # The C-201 lines, where the odd penny falls: 30% of £333.33 is £99.999.
    folder = settings.data_dir / "payments" / CONTRACT / "2025-Q4"
    central = (folder / "central-fund.csv").read_text(encoding="utf-8")
    council = (folder / "council.csv").read_text(encoding="utf-8")
    assert "C-201,P-002,EMP_ENTRY,2025-11-10,100.00" in central
    assert "C-201,P-002,EMP_ENTRY,2025-11-10,233.33" in council


def check_schedules(settings: Settings, run: RunResult, central_pays: str, council_pays: str) -> None:
    period = run.period
    folder = settings.data_dir / "payments" / CONTRACT / period
    assert run.schedules == [str(folder / "central-fund.csv"), str(folder / "council.csv")]

    for path, payer, share, payment in (
        (folder / "central-fund.csv", "central fund", 0, central_pays),
        (folder / "council.csv", "council", 1, council_pays),
    ):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == [
            "contract",
            "provider",
            "period",
            "payer",
            "item",
            "claim_ref",
            "participant",
            "outcome",
            "achieved_on",
            "amount",
        ]
        lines, last = rows[1:-1], rows[-1]
        in_period = (c for c in CLAIMS if c[0] in SHARES and (c[3] < "2026-01-01") == (period == "2025-Q4"))
        in_achieved_order = sorted(in_period, key=lambda c: (c[3], c[0]))
        assert lines == [
            [CONTRACT, "Northbridge YP Trust", period, payer, "outcome", *c[:4], SHARES[c[0]][share]]
            for c in in_achieved_order
        ]
        assert last == [CONTRACT, "Northbridge YP Trust", period, payer, "payment", "", "", "", "", payment]
        assert sum(Decimal(r[9]) for r in lines) == Decimal(payment)


def test_reconciliation_accounts_for_every_penny_claimed(imported: Settings) -> None:
    settings = imported
    pay_both(settings)
    report = reconcile(settings, CONTRACT)

    t = report.totals
    assert (t["claims"], t["accepted_claims"], t["rejected_claims"]) == (19, 13, 6)
    assert (t["claimed"], t["accepted"], t["capped"], t["rejected"]) == ("28833.33", "19333.33", "1000.00", "8500.00")
    assert Decimal(t["claimed"]) == Decimal(t["accepted"]) + Decimal(t["capped"]) + Decimal(t["rejected"])
    assert (t["paid"], t["clawed_back"], t["outstanding"], t["extrapolated_recoveries"]) == (
        "19333.33",
        "0.00",
        "0.00",
        "0.00",
    )
    payments = sum(-e.amount_pence for e in ledger(settings) if e.kind == "payment")
    assert Decimal(t["paid"]) == Decimal(payments) / 100

    assert report.rejected_by_reason == [
        {"reason": "evidence_missing", "claims": 1, "value": "500.00"},
        {"reason": "interval_too_short", "claims": 1, "value": "1500.00"},
        {"reason": "mutually_exclusive", "claims": 1, "value": "4500.00"},
        {"reason": "over_participant_cap", "claims": 2, "value": "0.00"},  # the capped £1,000 is under "capped"
        {"reason": "prerequisite_missing", "claims": 1, "value": "1500.00"},
        {"reason": "referral_outside_window", "claims": 1, "value": "500.00"},
    ]
    rows = {(r["period"], r["outcome"]): r for r in report.rows}
    acc_s3 = rows[("2026-Q1", "ACC_S3")]  # C-109 partly, C-202 and C-302 rejected
    assert (acc_s3["claims"], acc_s3["claimed"], acc_s3["accepted"], acc_s3["capped"], acc_s3["rejected"]) == (
        3,
        "4500.00",
        "1000.00",
        "500.00",
        "3000.00",
    )
    assert rows[("2025-Q4", "EMP_ENTRY")]["paid"] == "1333.33"  # C-101, C-201 and C-401
    assert rows[("2026-Q4", "EMP_ENTRY")]["rejected"] == "500.00"  # C-501, achieved after the window
    for r in report.rows:
        assert Decimal(r["claimed"]) == Decimal(r["accepted"]) + Decimal(r["capped"]) + Decimal(r["rejected"]), r

    assert report.payers == [
        {
            "payer": "central fund",
            "outcomes": "5800.00",
            "fees": "0.00",
            "paid": "5800.00",
            "clawed_back": "0.00",
            "reversed": "0.00",
            "balance": "0.00",
        },
        {
            "payer": "council",
            "outcomes": "13533.33",
            "fees": "0.00",
            "paid": "13533.33",
            "clawed_back": "0.00",
            "reversed": "0.00",
            "balance": "0.00",
        },
    ]
    caps = {c["cap"]: c for c in report.caps}
    assert caps["participant (highest: P-001)"]["headroom"] == "0.00"
    assert caps["participant (highest: P-001)"]["accepted"] == "15000.00"
    assert (caps["contract"]["accepted"], caps["contract"]["headroom"]) == ("19333.33", "1480666.67")
    assert (caps["outcome ACC_ENTRY"]["limit"], caps["outcome ACC_ENTRY"]["headroom"]) == ("150000.00", "149000.00")
    assert report.timeline == [
        {
            "period": "2025-Q4",
            "date": "2025-12-31",
            "paid": {"central fund": "3250.00", "council": "7583.33"},
            "total": "10833.33",
        },
        {
            "period": "2026-Q1",
            "date": "2026-03-31",
            "paid": {"central fund": "5800.00", "council": "13533.33"},
            "total": "19333.33",
        },
    ]
