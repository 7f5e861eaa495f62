"""A compiled release read as a project and its contracts (policies.ocds.mapping.read_process)."""

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from policies.money import Money
from policies.ocds.mapping import ContractPlan, ProcessPlan, read_process

OCID = "ocds-b5fd17raw-16c02c4d-99b2-461b-8e6e-e31e22ff7e3d"
AWARD_ID = "e27b9353-b987-43f6-9551-a0bf2c2f5ef3"
SERVICE = "Cambridgeshire and Peterborough Integrated Lifestyle Service"
# Contracts Finder's award of the integrated lifestyle service (2019-12-04), cut to the fields the import reads:
# an award with a contract period and no contracts section, as Contracts Finder publishes.
CAMBS: dict[str, Any] = {
    "ocid": OCID,
    "id": f"{OCID}-359157-lgss001-dn453191-09747886",
    "date": "2019-12-04T00:00:00Z",
    "tag": ["tender"],
    "parties": [
        {"id": "12eb780fdf534e9bc2f81b5532e5d394", "roles": ["buyer"], "name": "Cambridgeshire County Council"},
        {"id": "1", "roles": ["supplier", "tenderer"], "name": "Everyone Health Ltd", "sme": False},
        {"id": "3", "roles": ["supplier", "tenderer"], "name": "Cambridge City Council", "sme": False},
    ],
    "buyer": {"id": "12eb780fdf534e9bc2f81b5532e5d394", "name": "Cambridgeshire County Council"},
    "tender": {
        "id": "ocds-b5fd17-16c02c4d-99b2-461b-8e6e-e31e22ff7e3d-lgss001-dn453191-09747886",
        "title": SERVICE,
        "description": "Stop smoking, weight management and health checks",
        "status": "complete",
        "contractPeriod": {"startDate": "2020-06-01T00:00:00Z", "endDate": "2025-05-31T00:00:00Z"},
    },
    "awards": [
        {
            "id": AWARD_ID,
            "title": "",
            "status": "active",
            "date": "2020-05-05T00:00:00Z",
            "value": {"amount": 14393173, "currency": "GBP"},
            "suppliers": [{"id": "1", "name": "Everyone Health Ltd"}, {"id": "3", "name": "Cambridge City Council"}],
            "contractPeriod": {"startDate": "2020-06-01T00:00:00Z", "endDate": "2025-05-31T00:00:00Z"},
        }
    ],
}
PLAN = ContractPlan(
    key=AWARD_ID,
    ocds_id=AWARD_ID,
    title=SERVICE,  # the award has no title: the process's
    provider="Everyone Health Ltd; Cambridge City Council",
    value=Money(Decimal("14393173"), "GBP"),
    start=dt.date(2020, 6, 1),
    end=dt.date(2025, 5, 31),
    max_extent=None,
    award_on=dt.date(2020, 5, 5),
    signed_on=None,
    status="active",
)


def _cambs(**fields: Any) -> dict[str, Any]:
    return copy.deepcopy(CAMBS) | fields


def _award(**fields: Any) -> dict[str, Any]:
    return copy.deepcopy(CAMBS["awards"][0]) | fields


def _one(release: dict[str, Any]) -> ContractPlan:
    [plan] = read_process(release).contracts
    return plan


def test_the_worked_example_is_one_contract_in_review() -> None:
    assert read_process(_cambs()) == ProcessPlan(
        ocid=OCID,
        tender_id="ocds-b5fd17-16c02c4d-99b2-461b-8e6e-e31e22ff7e3d-lgss001-dn453191-09747886",
        title=SERVICE,
        description="Stop smoking, weight management and health checks",
        buyer="Cambridgeshire County Council",
        stage="review",
        contracts=(PLAN,),
        skipped=(),
    )


def test_the_buyer_is_the_buyer_reference_or_else_the_first_party_with_the_buyer_role() -> None:
    by_id = _cambs(buyer={"id": "12eb780fdf534e9bc2f81b5532e5d394"})  # named through the parties
    assert read_process(by_id).buyer == "Cambridgeshire County Council"
    parties = [
        {"id": "1", "roles": ["supplier"], "name": "Everyone Health Ltd"},
        {"id": "7", "roles": ["buyer"], "name": ""},  # a buyer with no name is passed over
        {"id": "8", "roles": ["buyer"], "name": "Peterborough City Council"},
        {"id": "9", "roles": ["buyer"], "name": "Cambridgeshire County Council"},
    ]
    assert read_process(_cambs(buyer=None, parties=parties)).buyer == "Peterborough City Council"
    assert read_process(_cambs(buyer="Cambridgeshire", parties=[])).buyer == ""


def test_a_buyer_name_is_cut_at_120_characters() -> None:
    fits, long = "B" * 120, "C" * 121
    assert read_process(_cambs(buyer={"name": fits})).buyer == fits
    assert read_process(_cambs(buyer={"name": long})).buyer == "C" * 119 + "…"


def test_the_title_is_the_tenders_or_the_releases_or_the_ocid() -> None:
    no_tender_title = _cambs(title="Lifestyle services", tender={"contractPeriod": CAMBS["tender"]["contractPeriod"]})
    assert read_process(no_tender_title).title == "Lifestyle services"
    bare = _cambs(tender={}, awards=[])
    assert (read_process(bare).title, read_process(bare).tender_id) == (OCID, None)


def test_a_title_is_cut_at_200_characters() -> None:
    fits, long = "T" * 200, "U" * 201
    assert read_process(_cambs(tender={"title": fits})).title == fits
    plan = _one(_cambs(tender={"title": long}))
    assert plan.title == "U" * 199 + "…"  # the contract takes the process's title, cut the same way
    assert read_process(_cambs(tender={"title": long})).title == "U" * 199 + "…"


def test_the_contract_title_is_the_contracts_or_the_awards() -> None:
    assert _one(_cambs(awards=[_award(title="Lot 1: adults")])).title == "Lot 1: adults"
    contract = {"id": "C-1", "awardID": AWARD_ID, "title": "Lifestyle contract"}
    plan = _one(_cambs(awards=[_award(title="Lot 1: adults")], contracts=[contract]))
    assert (plan.title, plan.ocds_id, plan.key) == ("Lifestyle contract", "C-1", AWARD_ID)


def test_the_providers_are_the_suppliers_named_once_each_in_order() -> None:
    suppliers = [{"id": "3"}, {"id": "1", "name": "Everyone Health Ltd"}, {"id": "99"}, {"name": "Everyone Health Ltd"}]
    # id 3 is named through the parties; id 99 names no party, so no one; the second Everyone Health is the same
    assert _one(_cambs(awards=[_award(suppliers=suppliers)])).provider == "Cambridge City Council; Everyone Health Ltd"


def test_the_providers_come_from_the_contract_when_the_award_names_none() -> None:
    contract = {"id": "C-1", "awardID": AWARD_ID, "suppliers": [{"id": "1"}]}
    assert _one(_cambs(awards=[_award(suppliers=[])], contracts=[contract])).provider == "Everyone Health Ltd"
    assert _one(_cambs(awards=[_award(suppliers=None)])).provider == "(no supplier named)"


def test_a_provider_is_cut_at_200_characters() -> None:
    fits = [{"name": "A" * 98}, {"name": "B" * 100}]  # 98 + "; " + 100 = 200
    assert _one(_cambs(awards=[_award(suppliers=fits)])).provider == "A" * 98 + "; " + "B" * 100
    long = [{"name": "A" * 99}, {"name": "B" * 100}]  # 201: the first 199 and "…"
    assert _one(_cambs(awards=[_award(suppliers=long)])).provider == "A" * 99 + "; " + "B" * 98 + "…"


@pytest.mark.parametrize("status", ["cancelled", "unsuccessful"])
def test_a_cancelled_or_unsuccessful_award_is_skipped_and_the_next_read(status: str) -> None:
    awards = [_award(id="LOT-1", status=status), _award(id="LOT-2")]
    process = read_process(_cambs(awards=awards))
    assert process.skipped == (f"LOT-1: {status}, not a contract",)
    assert [c.key for c in process.contracts] == ["LOT-2"]


def test_the_contracts_status_comes_before_the_awards() -> None:
    cancelled = {"id": "C-1", "awardID": AWARD_ID, "status": "cancelled"}
    assert read_process(_cambs(contracts=[cancelled])).skipped == (f"{AWARD_ID}: cancelled, not a contract",)
    pending = {"id": "C-1", "awardID": AWARD_ID, "status": "pending"}
    assert _one(_cambs(contracts=[pending])).status == "pending"


def test_an_award_with_no_whole_period_or_no_value_is_skipped_and_the_next_read() -> None:
    tender = {"title": SERVICE}  # no tender period to fall back on
    awards = [
        _award(id="LOT-1", contractPeriod={"startDate": "2020-06-01T00:00:00Z"}),
        _award(id="LOT-2", contractPeriod={"endDate": "2025-05-31T00:00:00Z"}),
        _award(id="LOT-3", value=None),
        _award(id="LOT-4", value=14393173),  # a bare number is no value object
        _award(id="LOT-5"),
    ]
    process = read_process(_cambs(tender=tender, awards=awards))
    assert process.skipped == (
        "LOT-1: no contract period (startDate and endDate), so no contract",
        "LOT-2: no contract period (startDate and endDate), so no contract",
        "LOT-3: no value, so no contract",
        "LOT-4: no value, so no contract",
    )
    assert [c.key for c in process.contracts] == ["LOT-5"]


def test_the_period_is_the_contracts_then_the_awards_then_the_tenders() -> None:
    tender_only = _one(_cambs(awards=[_award(contractPeriod=None)]))
    assert (tender_only.start, tender_only.end) == (dt.date(2020, 6, 1), dt.date(2025, 5, 31))
    period = {
        "startDate": "2020-07-01T00:00:00Z",
        "endDate": "2023-06-30T00:00:00Z",
        "maxExtentDate": "2025-06-30T00:00:00Z",
    }
    award_only = _one(_cambs(awards=[_award(contractPeriod=period)]))
    assert (award_only.start, award_only.end, award_only.max_extent) == (
        dt.date(2020, 7, 1),
        dt.date(2023, 6, 30),
        dt.date(2025, 6, 30),
    )
    contract = {
        "id": "C-1",
        "awardID": AWARD_ID,
        "period": {"startDate": "2020-08-01T00:00:00Z", "endDate": "2022-07-31T00:00:00Z"},
    }
    both = _one(_cambs(awards=[_award(contractPeriod=period)], contracts=[contract]))
    assert (both.start, both.end, both.max_extent) == (dt.date(2020, 8, 1), dt.date(2022, 7, 31), None)


def test_the_value_is_the_contracts_or_else_the_awards_in_its_currency() -> None:
    contract = {"id": "C-1", "awardID": AWARD_ID, "value": {"amount": Decimal("13950000.50"), "currency": "EUR"}}
    assert _one(_cambs(contracts=[contract])).value == Money(Decimal("13950000.50"), "EUR")
    unpriced = {"id": "C-1", "awardID": AWARD_ID, "value": {"amount": None}}
    assert _one(_cambs(contracts=[unpriced])).value == Money(Decimal("14393173"), "GBP")
    # no currency, or an empty one: pounds, as every Contracts Finder amount is
    assert _one(_cambs(awards=[_award(value={"amount": 500})])).value == Money(Decimal(500), "GBP")
    assert _one(_cambs(awards=[_award(value={"amount": 500, "currency": ""})])).value == Money(Decimal(500), "GBP")


def test_contracts_join_their_award_and_the_rest_stand_alone() -> None:
    period = CAMBS["tender"]["contractPeriod"]
    contracts = [
        {"id": "C-1", "awardID": AWARD_ID, "dateSigned": "2020-05-20T00:00:00Z"},
        {"id": "C-2", "awardID": AWARD_ID, "value": {"amount": 1000}},  # a second contract for the same award
        {"id": "C-3", "value": {"amount": 2000}, "period": period},  # no award named
        {"id": "C-4", "awardID": "LOT-9", "value": {"amount": 3000}},  # names an award not in the release
    ]
    plans = read_process(_cambs(contracts=contracts)).contracts
    assert [(p.key, p.ocds_id) for p in plans] == [
        (AWARD_ID, "C-1"),
        ("contract:C-2", "C-2"),
        ("contract:C-3", "C-3"),
        ("contract:C-4", "C-4"),
    ]
    assert plans[0].signed_on == dt.date(2020, 5, 20)
    assert [p.value.amount for p in plans] == [14393173, 1000, 2000, 3000]
    assert plans[1].provider == "(no supplier named)"  # a contract alone has no award to name its suppliers


@pytest.mark.parametrize(
    ("status", "stage"),
    [("complete", "review"), ("planning", "plan"), ("planned", "plan"), ("active", "do"), ("", "do")],
)
def test_a_process_with_no_contract_is_at_the_stage_its_tender_says(status: str, stage: str) -> None:
    assert read_process(_cambs(awards=[], tender={"title": SERVICE, "status": status})).stage == stage


def test_a_process_with_a_contract_is_in_review_whatever_its_tender_says() -> None:
    assert read_process(_cambs(tender=CAMBS["tender"] | {"status": "active"})).stage == "review"
