"""Rate card imports on a real database: idempotent, never repricing what is priced, and clear about bad input.

Contract FCF-2025-01 is priced on examples/fair-chance-fund.yaml (£500 for EMP_ENTRY, EDU_ENTRY and ACC_ENTRY;
ACC_S3 £1,500 at least 3 months after ACC_ENTRY; 30/70 split). A CSV card reads the same as the YAML one.
"""

import csv
import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.contract import cards_for, pbr_contract
from flows.pbr.ratecards import import_rate_card
from models.db import unit_of_work
from models.pbr.claims import PbrClaim
from models.pbr.ratecards import RateCardVersion
from policies.pbr.ratecard import RateCard
from tests.integration.pbr import test_pbr_imports
from tests.integration.pbr.test_pbr_imports import (
    CLAIMS,
    CONTRACT,
    SENT,
    add_contract,
    claims_csv,
    counts,
    stored,
    variant,
)
from tests.support.approvals import approved_run
from tests.support.builders import FCF_CARD

fcf = test_pbr_imports.fcf  # the fixture: the contract, its card and its participants


def card_rows(settings: Settings) -> list[RateCardVersion]:
    with unit_of_work(database(settings)) as session:
        return list(session.exec(select(RateCardVersion).order_by(col(RateCardVersion.effective_from))))


def test_importing_the_same_card_again_is_a_no_op(fcf: Settings) -> None:
    before = counts(fcf)
    again = import_rate_card(fcf, FCF_CARD, as_of=SENT, actor="finance")
    assert again.as_dict() == {
        "contract": CONTRACT,
        "effective_from": "2025-10-01",
        "outcomes": 21,
        "status": "unchanged",
    }
    assert counts(fcf) == before
    assert [c.effective_from for c in card_rows(fcf)] == [dt.date(2025, 10, 1)]


def test_a_later_version_prices_later_outcomes_and_never_reprices_earlier_ones(fcf: Settings, tmp_path: Path) -> None:
    import_claims(fcf, claims_csv(tmp_path / "autumn.csv", CLAIMS[:2]), as_of=SENT, actor="finance")  # C-1, C-2: £500
    v2 = variant(
        tmp_path,
        "fcf-2026.yaml",
        ("effective_from: 2025-10-01", "effective_from: 2026-01-01"),
        ('Education or training entry, price: "500.00"', 'Education or training entry, price: "650.00"'),
        ('Employment entry, price: "500.00"', 'Employment entry, price: "600.00"'),
    )
    added = import_rate_card(fcf, v2, as_of=SENT, actor="finance")
    assert (added.status, added.effective_from) == ("added", "2026-01-01")

    later = [
        ("C-5", "P-002", "EDU_ENTRY", "2026-01-05", "", "enrolment"),  # on the new card: £650
        ("C-6", "P-003", "EMP_ENTRY", "2025-12-31", "", "payslip"),  # achieved the day before it: £500
        ("C-7", "P-003", "EDU_ENTRY", "2026-01-01", "", "enrolment"),  # the day it takes effect: £650
    ]
    import_claims(fcf, claims_csv(tmp_path / "winter.csv", later), as_of=SENT, actor="finance")
    claims = stored(fcf)
    assert {ref: claims[ref][0][1] for ref in ("C-1", "C-2", "C-5", "C-6", "C-7")} == {
        "C-1": 50000,
        "C-2": 50000,
        "C-5": 65000,
        "C-6": 50000,
        "C-7": 65000,
    }
    with unit_of_work(database(fcf)) as session:
        card_ids = {c.ref: c.rate_card_id for c in session.exec(select(PbrClaim))}
    first, second = card_rows(fcf)
    assert card_ids == {"C-1": first.id, "C-2": first.id, "C-5": second.id, "C-6": first.id, "C-7": second.id}

    # Periods are paid in order: 2025-Q4 first (C-1, C-2, C-6 on the first card), then 2026-Q1 (C-5, C-7 on the new).
    q4 = approved_run(fcf, CONTRACT, "2025-Q4", as_of=dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC), actor="finance")
    run = approved_run(fcf, CONTRACT, "2026-Q1", as_of=dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC), actor="finance")
    # £500 + £500 + £650 + £500 + £650 = £2,800: 30% is £840.00, 70% is £1,960.00
    assert (q4.summary["paid"], run.summary["paid"]) == ("1500.00", "1300.00")
    assert {
        p: Decimal(v["payment"]) + Decimal(run.summary["payers"][p]["payment"]) for p, v in q4.summary["payers"].items()
    } == {
        "central fund": Decimal("840.00"),
        "council": Decimal("1960.00"),
    }


@pytest.mark.parametrize(
    ("effective_from", "message"),
    [
        (
            "2025-11-10",
            "effective_from: claims for outcomes up to 2025-11-10 are already priced on the card in force; "
            "a new version must start after 2025-11-10, so that nothing priced is repriced",
        ),
        ("2025-11-01", "effective_from: claims for outcomes up to 2025-11-10 are already priced"),
        (
            "2025-10-01",
            "effective_from: contract FCF-2025-01 already has a rate card from 2025-10-01 with other terms; "
            "a change takes its own, later effective_from",
        ),
        ("2025-09-01", "effective_from: 2025-09-01 is before the latest version (2025-10-01); versions go forward"),
    ],
)
def test_a_version_that_would_reprice_what_is_priced_is_refused(
    fcf: Settings, tmp_path: Path, effective_from: str, message: str
) -> None:
    priced = [c for c in CLAIMS if c[0] != "C-3"]  # the latest achieved is C-4's, on 2025-11-10
    import_claims(fcf, claims_csv(tmp_path / "claims.csv", priced), as_of=SENT, actor="finance")
    path = variant(
        tmp_path,
        "v2.yaml",
        ("effective_from: 2025-10-01", f"effective_from: {effective_from}"),
        ('Employment entry, price: "500.00"', 'Employment entry, price: "600.00"'),
    )
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        import_rate_card(fcf, path, as_of=SENT, actor="finance")
    assert str(refused.value).startswith(f"{path}: {message}")
    assert counts(fcf) == before


def test_a_claim_rejected_as_achieved_in_the_future_holds_no_new_version_back(fcf: Settings, tmp_path: Path) -> None:
    # C-4 (2025-11-10) is the latest claim accepted; C-9 is said to be achieved on 2027-11-01, after the import's
    # date, so it is rejected and priced on no card: a version from 2026-01-01 reprices nothing.
    rows = [*(c for c in CLAIMS if c[0] != "C-3"), ("C-9", "P-001", "EDU_ENTRY", "2027-11-01", "", "enrolment")]
    import_claims(fcf, claims_csv(tmp_path / "claims.csv", rows), as_of=SENT, actor="finance")
    assert stored(fcf)["C-9"][0][0] == "rejected"
    path = variant(
        tmp_path,
        "v2.yaml",
        ("effective_from: 2025-10-01", "effective_from: 2026-01-01"),
        ('Employment entry, price: "500.00"', 'Employment entry, price: "600.00"'),
    )
    import_rate_card(fcf, path, as_of=SENT, actor="finance")
    with unit_of_work(database(fcf)) as session:
        assert [c.effective_from for c in cards_for(session, pbr_contract(session, CONTRACT))] == [
            dt.date(2025, 10, 1),
            dt.date(2026, 1, 1),
        ]


def test_a_claim_paid_then_rejected_by_a_re_decision_still_holds_a_new_version_back(
    fcf: Settings, tmp_path: Path
) -> None:
    # C-4 (2025-11-10), paid in 2025-Q4, is re-decided rejected (as a participant correction does: the decision
    # rewritten, the claim marked as accrued at other than it is accepted for). A correction may re-open it at
    # the price of the card in force on its day, so a version from 2025-11-01 would reprice what was paid.
    priced = [c for c in CLAIMS if c[0] != "C-3"]
    import_claims(fcf, claims_csv(tmp_path / "claims.csv", priced), as_of=SENT, actor="finance")
    approved_run(fcf, CONTRACT, "2025-Q4", as_of=dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC), actor="finance")
    with unit_of_work(database(fcf)) as session:
        later = session.exec(select(PbrClaim).where(col(PbrClaim.achieved_on) > dt.date(2025, 11, 10))).all()
        assert later == []  # C-4 is the latest claim
        c4 = session.exec(select(PbrClaim).where(PbrClaim.ref == "C-4")).one()
        assert c4.accrued_run_id is not None
        c4.verdict, c4.accrued_differs = "rejected", True
        session.add(c4)
    path = variant(
        tmp_path,
        "v2.yaml",
        ("effective_from: 2025-10-01", "effective_from: 2025-11-01"),
        ('Employment entry, price: "500.00"', 'Employment entry, price: "600.00"'),
    )
    with pytest.raises(UserError, match="claims for outcomes up to 2025-11-10 are already priced"):
        import_rate_card(fcf, path, as_of=SENT, actor="finance")


def test_a_card_for_a_block_paid_contract_is_refused(fcf: Settings, tmp_path: Path) -> None:
    add_contract(fcf, "BLK-2025-01", payment_model="block")
    path = variant(tmp_path, "block.yaml", ("contract: FCF-2025-01", "contract: BLK-2025-01"))
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        import_rate_card(fcf, path, as_of=SENT, actor="finance")
    assert str(refused.value) == (
        "contract BLK-2025-01 is paid as block; payment by results needs a payment_by_results or hybrid contract"
    )
    assert counts(fcf) == before


def test_a_card_with_a_bad_field_names_it_and_its_line(fcf: Settings, tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        "bad.yaml",
        ('Volunteering 6 weeks, price: "500.00"', 'Volunteering 6 weeks, price: "-5"'),
        ("    share: 70", "    share: 60"),
    )
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        import_rate_card(fcf, path, as_of=SENT, actor="finance")
    said = str(refused.value)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "code: VOL_6," in text)
    assert said.startswith("the rate card was not imported:")
    assert f"{path}:{line}: price: -5 is negative; an amount here is never below zero" in said
    assert f"{path}: payers: the shares add up to 90%, not 100%" in said
    assert counts(fcf) == before


def card_of(settings: Settings, ref: str) -> RateCard:
    with unit_of_work(database(settings)) as session:
        [card] = cards_for(session, pbr_contract(session, ref))
    return card


CARD_LEVEL = {  # the card-level columns, given on the first outcome row only
    "contract": "FCF-2025-02",
    "effective_from": "2025-10-01",
    "referral_from": "2025-10-01",
    "referral_to": "2026-09-30",
    "eligibility": "age_at_referral=18-24",
    "frequency": "quarterly",
    "cohort": "300",
    "participant_cap": "15000.00",
    "contract_cap": "1500000.00",
    "payers": "central fund:30; council:70",
    "attachment_fee": "0.00",
}
OUTCOME_LEVEL = ("code", "name", "price", "times_payable", "evidence", "requires", "group", "cap")


def write_csv_card(path: Path, outcomes: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*CARD_LEVEL, *OUTCOME_LEVEL])
        for i, outcome in enumerate(outcomes):
            card_level = list(CARD_LEVEL.values()) if i == 0 else [""] * len(CARD_LEVEL)
            writer.writerow([*card_level, *(outcome.get(name, "") for name in OUTCOME_LEVEL)])
    return path


def fcf_outcomes_in_csv_form() -> list[dict[str, str]]:
    """The Fair Chance Fund card's outcomes as CSV cells: requires as 'ACC_S3; ACC_ENTRY+6 months'."""
    import yaml

    document = yaml.safe_load(FCF_CARD.read_text(encoding="utf-8"))
    outcomes = []
    for o in document["outcomes"]:
        needs = [r["outcome"] + (f"+{r['after']}" if "after" in r else "") for r in o.get("requires", [])]
        outcomes.append({**{k: str(v) for k, v in o.items() if k != "requires"}, "requires": "; ".join(needs)})
    return outcomes


def test_a_csv_rate_card_imports_equal_to_the_yaml_one(fcf: Settings, tmp_path: Path) -> None:
    add_contract(fcf, "FCF-2025-02", value="1500000")  # worth the example card's £1.5m contract cap
    path = write_csv_card(tmp_path / "card.csv", fcf_outcomes_in_csv_form())
    assert import_rate_card(fcf, path, as_of=SENT, actor="finance").outcomes == 21
    from_yaml, from_csv = card_of(fcf, CONTRACT), card_of(fcf, "FCF-2025-02")
    assert dataclasses.replace(from_csv, contract=CONTRACT, name=from_yaml.name) == from_yaml


def test_the_csv_forms_of_payers_requires_and_eligibility_read_as_the_yaml_ones(fcf: Settings, tmp_path: Path) -> None:
    """Two employment outcomes in CSV form, and the same two in YAML."""
    add_contract(fcf, "FCF-2025-02", value="1500000")  # worth the cards' £1.5m contract cap
    add_contract(fcf, "FCF-2025-03", value="1500000")
    outcomes = [
        {"code": "EMP_ENTRY", "name": "Employment", "price": "500.00", "evidence": "payslip", "cap": "cohort"},
        {
            "code": "EMP_FT13",
            "name": "Employment",
            "price": "4500.00",
            "times_payable": "2",
            "evidence": "payslip",
            "requires": "EMP_ENTRY+13 weeks",
            "group": "job_13",
        },
    ]
    import_rate_card(fcf, write_csv_card(tmp_path / "card.csv", outcomes), as_of=SENT, actor="finance")
    yaml_card = tmp_path / "card.yaml"
    yaml_card.write_text(
        """\
contract: FCF-2025-03
name: Employment
effective_from: 2025-10-01
referral_from: 2025-10-01
referral_to: 2026-09-30
eligibility: {age_at_referral: 18-24}
frequency: quarterly
cohort: 300
participant_cap: "15000.00"
contract_cap: "1500000.00"
payers: [{name: central fund, share: 30}, {name: council, share: 70}]
attachment_fee: "0.00"
outcomes:
  - {code: EMP_ENTRY, name: Employment, price: "500.00", evidence: payslip, cap: cohort}
  - {code: EMP_FT13, name: Employment, price: "4500.00", times_payable: 2, evidence: payslip, group: job_13,
     requires: [{outcome: EMP_ENTRY, after: 13 weeks}]}
""",
        encoding="utf-8",
    )
    import_rate_card(fcf, yaml_card, as_of=SENT, actor="finance")
    from_csv, from_yaml = card_of(fcf, "FCF-2025-02"), card_of(fcf, "FCF-2025-03")
    assert dataclasses.replace(from_csv, contract="FCF-2025-03", name="Employment") == from_yaml
    assert [(p.name, str(p.share)) for p in from_csv.payers] == [("central fund", "30"), ("council", "70")]
    assert (from_csv.eligibility.min_age, from_csv.eligibility.max_age) == (18, 24)
    assert str(from_csv.outcomes["EMP_FT13"].requires[0]) == "EMP_ENTRY + 13 weeks"
    assert from_csv.outcomes["EMP_ENTRY"].cap == 150000  # £500 x a cohort of 300
    again = import_rate_card(fcf, tmp_path / "card.csv", as_of=SENT, actor="finance")
    assert again.status == "unchanged"
