"""The payment-by-results lists (claims, runs, rate cards, participants, ledger), each filter on a worked example.

FCF-2025-01 (Northbridge YP Trust) on the Fair Chance Fund card, 30% central fund / 70% council:

  claim  who    outcome    achieved    £         verdict
  C-1    P-001  EDU_ENTRY  2026-01-05    500.00  accepted
  C-2    P-001  EDU_L2     2026-01-19  3,500.00  accepted
  C-3    P-002  EDU_ENTRY  2026-01-12    500.00  accepted
  C-4    P-002  ACC_S3     2026-02-02  1,500.00  rejected: prerequisite_missing (no ACC_ENTRY)
  C-5    P-003  EMP_ENTRY  2026-02-09    500.00  rejected: ineligible (26 at referral)

The 2026-Q1 run (2 April 2026) pays £4,500.00: £1,350.00 to the central fund and £3,150.00 to the council; its
ledger holds an accrual per accepted claim and payer (3 x 2) and a payment per payer (2). C-1 is then clawed back
(-£150.00 and -£350.00), awaiting the next run, so in no period. OTH-PBR-1 is another provider's contract.
"""

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from flows.common.errors import NotFound, UserError
from flows.common.listing import export_listing
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.lists import claims_list, ledger_list, participants_list, ratecards_list, runs_list
from flows.pbr.participants import import_participants
from tests.support.approvals import approved_run
from tests.support.builders import FCF_CLAIMS, FCF_PARTICIPANTS, fcf_contract, fcf_paid
from tests.support.stored_order import scans_in_stored_order, stored

CONTRACT, NORTHBRIDGE, OTHER = "FCF-2025-01", ("Northbridge YP Trust",), ("Other Care Ltd",)


@pytest.fixture
def paid(settings: Settings, tmp_path: Path) -> Settings:
    fcf_paid(settings, tmp_path)
    return settings


def refs(rows: list[dict[str, object]], key: str = "claim") -> list[object]:
    return [r[key] for r in rows]


def test_claims_by_status_reason_participant_and_contract(paid: Settings) -> None:
    assert refs(claims_list(paid).rows) == ["C-1", "C-3", "C-2", "C-4", "C-5"]  # by achieved date
    assert refs(claims_list(paid, contract="fcf-2025-01", status="rejected").rows) == ["C-4", "C-5"]
    assert refs(claims_list(paid, status="Accepted").rows) == ["C-1", "C-3", "C-2"]
    (c5,) = claims_list(paid, reason="ineligible").rows
    assert (c5["claim"], c5["status"], c5["claimed"], c5["payable"]) == ("C-5", "rejected", "500.00", "0.00")
    assert refs(claims_list(paid, reason="prerequisite_missing").rows) == ["C-4"]
    assert refs(claims_list(paid, participant="P-002").rows) == ["C-3", "C-4"]
    assert claims_list(paid, participant="P-002", status="rejected", reason="ineligible").rows == []


def test_runs_by_contract_and_period(paid: Settings) -> None:
    (run,) = runs_list(paid, contract=CONTRACT).rows
    assert run == {"contract": CONTRACT, "period": "2026-Q1", "run_on": "2026-04-02", "claims": 3,
                   "paid": "4500.00", "by": "finance"}  # fmt: skip
    assert runs_list(paid, period="2026-q1").rows == [run]
    assert runs_list(paid, period="2026-Q2").rows == []


def test_ratecards_and_participants_by_contract(paid: Settings) -> None:
    (card,) = ratecards_list(paid, contract=CONTRACT).rows
    assert (card["name"], card["effective_from"], card["frequency"]) == (
        "Fair Chance Fund (homelessness, ages 18-24)", "2025-10-01", "quarterly"
    )  # fmt: skip
    assert ratecards_list(paid, contract="OTH-PBR-1").rows == []
    people = participants_list(paid, contract=CONTRACT).rows
    assert [(p["participant"], p["referral_date"], p["born"]) for p in people] == [
        ("P-001", "2025-10-01", "2005-01-15"), ("P-002", "2025-11-03", "2003-06-01"),
        ("P-003", "2025-10-15", "1999-02-28"),
    ]  # fmt: skip


def test_the_ledger_by_payer_period_and_kind(paid: Settings) -> None:
    everything = ledger_list(paid, contract=CONTRACT).rows
    assert [r["kind"] for r in everything].count("accrual") == 6
    payments = ledger_list(paid, kind="payment").rows
    assert [(r["payer"], r["amount"], r["period"]) for r in payments] == [
        ("central fund", "-1350.00", "2026-Q1"), ("council", "-3150.00", "2026-Q1"),
    ]  # fmt: skip
    council = ledger_list(paid, payer="Council", period="2026-Q1").rows
    assert sum(Decimal(str(r["amount"])) for r in council) == Decimal("0.00")  # accrued 3,150.00, paid 3,150.00
    clawed = ledger_list(paid, kind="clawback").rows
    assert [(r["claim"], r["amount"], r["period"]) for r in clawed] == [
        ("C-1", "-150.00", None),
        ("C-1", "-350.00", None),
    ]
    assert all(r["kind"] != "clawback" for r in ledger_list(paid, period="2026-Q1").rows)


def test_a_provider_sees_only_their_own_rows(paid: Settings) -> None:
    assert len(claims_list(paid, providers=NORTHBRIDGE).rows) == 5
    for listing in (claims_list, runs_list, ratecards_list, participants_list, ledger_list):
        assert listing(paid, providers=OTHER).rows == []
        with pytest.raises(NotFound, match="no contract with reference 'FCF-2025-01'"):
            listing(paid, contract=CONTRACT, providers=OTHER)
    with pytest.raises(NotFound, match="no contract with reference 'NOPE-1'"):
        claims_list(paid, contract="NOPE-1")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: claims_list(s, status="paid"),
         "--status: 'paid' is not a claim status; use accepted, partly_accepted or rejected"),
        (lambda s: claims_list(s, reason="late"), "--reason: 'late' is not a reason code; use malformed, "),
        (lambda s: runs_list(s, period="2026-13"),
         "--period: '2026-13' is not a quarter such as 2026-Q1 or a month such as 2026-01"),
        (lambda s: ledger_list(s, kind="refund"),
         "--kind: 'refund' is not a ledger kind; use accrual, payment, clawback or reversal"),
        (lambda s: ledger_list(s, period="Q1"), "--period: 'Q1' is not a quarter"),
    ],
)  # fmt: skip
def test_bad_filters_are_refused_with_the_valid_values(settings: Settings, call: object, message: str) -> None:
    with pytest.raises(UserError) as refused:
        call(settings)  # type: ignore[operator]
    assert str(refused.value).startswith(message)


def test_exports_read_back_as_written(paid: Settings, tmp_path: Path) -> None:
    listing = ledger_list(paid, kind="payment")
    export_listing(listing, tmp_path / "ledger.csv")
    with (tmp_path / "ledger.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "Entry",
        "Contract",
        "Entry on",
        "Period",
        "Payer",
        "Kind",
        "Item",
        "Amount",
        "Claim",
        "Reverses",
    ]
    assert [(r[4], r[7]) for r in rows[1:]] == [("central fund", "-1350.00"), ("council", "-3150.00")]
    export_listing(claims_list(paid, status="rejected"), tmp_path / "claims.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "claims.xlsx").active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:6] == ["Contract", "Claim", "Participant", "Outcome", "Achieved on", "Status"]
    assert [(v[1], v[4], v[6], v[8]) for v in values[1:]] == [
        ("C-4", dt.datetime(2026, 2, 2), 1500, "prerequisite_missing"),
        ("C-5", dt.datetime(2026, 2, 9), 500, "ineligible"),
    ]
    with pytest.raises(UserError, match=r"--export: .*ledger.txt must end .csv or .xlsx"):
        export_listing(listing, tmp_path / "ledger.txt")


def test_a_reference_claimed_twice_is_listed_as_imported_whatever_order_the_database_keeps_the_claims_in(
    settings: Settings, tmp_path: Path
) -> None:
    """C-1 (P-001's enrolment, 5 January) is claimed again on 3 March with other evidence: the second row is
    rejected as a duplicate. The Q1 approval then marks the first C-1 paid, and on PostgreSQL its new row comes
    after the duplicate's, so a plain scan returns the duplicate first. Both share the contract, the day and the
    reference the list is ordered by; the list shows them as imported: the C-1 paid, then the C-1 refused."""
    fcf_contract(settings)
    (tmp_path / "people.csv").write_text(FCF_PARTICIPANTS, encoding="utf-8")
    import_participants(settings, tmp_path / "people.csv", as_of=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), actor="f")
    (tmp_path / "claims.csv").write_text(FCF_CLAIMS, encoding="utf-8")
    import_claims(settings, tmp_path / "claims.csv", as_of=dt.datetime(2026, 3, 2, tzinfo=dt.UTC), actor="f")
    again = FCF_CLAIMS.splitlines()[0] + "\nFCF-2025-01,C-1,P-001,EDU_ENTRY,2026-01-05,500.00,enrolment\n"
    (tmp_path / "again.csv").write_text(again, encoding="utf-8")
    import_claims(settings, tmp_path / "again.csv", as_of=dt.datetime(2026, 3, 3, tzinfo=dt.UTC), actor="f")
    approved_run(settings, CONTRACT, "2026-Q1", as_of=dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC), actor="finance")
    eng = database(settings)
    with scans_in_stored_order(eng) as plain:
        if plain:  # the order the bug would show: the paid C-1 rewritten, after its duplicate
            kept = stored(eng, "SELECT verdict FROM pbr_claim WHERE participant = 'P-001' AND ref = 'C-1'")
            assert kept == ["rejected", "accepted"]
        listed = claims_list(settings, participant="P-001").rows
    assert [(r["claim"], r["status"], r["reasons"]) for r in listed] == [
        ("C-1", "accepted", ""),  # 2026-01-05, imported on 2 March, paid in Q1
        ("C-1", "rejected", "duplicate_claim_ref,already_paid"),  # 2026-01-05, imported on 3 March
        ("C-2", "accepted", ""),  # 2026-01-19
    ]


def test_a_claim_no_card_prices_shows_what_it_claimed_not_a_made_up_nought(settings: Settings, tmp_path: Path) -> None:
    """A claim of an outcome no card in force prices was listed and reported as claiming £0.00 when it gave no
    amount: it claimed nothing, and its reason says no rate card was in force."""
    fcf_contract(settings)
    when = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    people = tmp_path / "p.csv"
    people.write_text(FCF_PARTICIPANTS)
    import_participants(settings, people, as_of=when, actor="t")
    claims = tmp_path / "c.csv"
    claims.write_text(
        "contract,claim_ref,participant,outcome,achieved_on,amount,evidence\n"
        f"{CONTRACT},N-1,P-001,ASSESS_1,2025-09-30,,\n"  # before the card (1 October 2025), no amount
        f"{CONTRACT},N-2,P-001,ASSESS_1,2025-09-29,250.00,\n"  # before the card, with its amount
    )
    report = import_claims(settings, claims, as_of=when, actor="t").as_dict()
    shown = {r["claim_ref"]: (r["claimed"], r["sentences"]) for r in report["rejections"]}
    assert shown == {
        "N-1": (None, ["no rate card is in force on 2025-09-30; the claim gives no amount"]),
        "N-2": ("250.00", ["no rate card is in force on 2025-09-29; it claims £250.00"]),
    }
    listed = {r["claim"]: (r["claimed"], r["reasons"]) for r in claims_list(settings, contract=CONTRACT).rows}
    assert listed == {
        "N-1": (None, "not_on_rate_card"),
        "N-2": ("250.00", "not_on_rate_card"),
    }
