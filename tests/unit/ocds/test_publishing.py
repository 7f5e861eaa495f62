"""A project and its contracts written as OCDS releases (policies.ocds.publishing), one rule at a time."""

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from policies.money import Money
from policies.ocds.publishing import (
    ContractFacts,
    Payment,
    ProjectFacts,
    Variation,
    contract_release,
    party_id,
    release_id,
    tender_release,
)

D = dt.date
EXPORTED = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PROJECT = ProjectFacts(
    ocid="ocds-cambs-hf",
    ref="HF-2026",
    title="Housing first",
    description="",
    buyer="Cambridgeshire County Council",
    stage="review",
)
# HF-2026-01: 3+1+1 years from 1 April 2026, £1,200,000, awarded to two providers jointly.
HF = ContractFacts(
    ref="HF-2026-01",
    title="Housing first support",
    providers=("Everyone Health Ltd", "Cambridge City Council"),
    value=Money(Decimal("1200000")),
    status="active",
    start=D(2026, 4, 1),
    end=D(2029, 3, 31),
    max_extent=D(2031, 3, 31),
    term_ends=(D(2029, 3, 31), D(2030, 3, 31), D(2031, 3, 31)),
    award_on=D(2026, 2, 16),
    signed_on=None,
    standstill_end=D(2026, 2, 26),
    key_dates=(("extension_decision:1", "extension_decision", D(2028, 12, 31)),),
)


def _contract(facts: ContractFacts = HF, *, uk: bool = False, contacts: bool = False) -> dict[str, Any]:
    [contract] = contract_release(PROJECT, facts, EXPORTED, uk=uk, contacts=contacts)["contracts"]
    return contract  # type: ignore[no-any-return]


def _award(facts: ContractFacts = HF, *, uk: bool = False) -> dict[str, Any]:
    [award] = contract_release(PROJECT, facts, EXPORTED, uk=uk, contacts=False)["awards"]
    return award  # type: ignore[no-any-return]


def test_party_ids_are_the_role_and_a_stable_hash_of_the_name() -> None:
    # Pinned: a compiled release merges parties by id, so a re-export must give the same ones.
    assert party_id("supplier", "Everyone Health Ltd") == "supplier-5f960caf91"
    assert party_id("buyer", "Cambridgeshire County Council") == "buyer-c158185682"


def test_a_release_id_hashes_the_content_whatever_order_its_keys_were_written_in() -> None:
    assert release_id("ocds-x", "tender", {"a": 1, "b": [2]}) == "ocds-x-tender-0855bfc20eb6"
    assert release_id("ocds-x", "tender", {"b": [2], "a": 1}) == "ocds-x-tender-0855bfc20eb6"
    assert release_id("ocds-x", "tender", {"a": 1, "b": [3]}) != "ocds-x-tender-0855bfc20eb6"


def test_a_tender_release_says_the_project_and_its_stage() -> None:
    release = tender_release(PROJECT, EXPORTED)
    assert release["date"] == "2026-12-01T09:00:00Z"
    assert release["tender"] == {"id": "HF-2026", "title": "Housing first", "status": "complete"}
    described = tender_release(dataclasses.replace(PROJECT, description="Support to keep a tenancy"), EXPORTED)
    assert described["tender"]["description"] == "Support to keep a tenancy"
    assert described["id"] != release["id"]  # new content, new release


def test_whole_pounds_are_written_as_whole_numbers_and_pence_as_decimals() -> None:
    assert _contract()["value"] == {"amount": 1200000, "currency": "GBP"}
    assert isinstance(_contract()["value"]["amount"], int)
    odd = dataclasses.replace(HF, value=Money(Decimal("1199999.5")))
    assert _contract(odd)["value"] == {"amount": Decimal("1199999.50"), "currency": "GBP"}


def test_a_term_end_milestone_for_the_initial_term_and_each_option() -> None:
    milestones = _contract()["milestones"]
    assert [(m["id"], m["title"], m["dueDate"]) for m in milestones if m["code"] == "termEnd"] == [
        ("term_end:0", "End of the initial term", "2029-03-31T00:00:00Z"),
        ("term_end:1", "End with option 1 taken", "2030-03-31T00:00:00Z"),
        ("term_end:2", "End with option 2 taken", "2031-03-31T00:00:00Z"),
    ]
    assert milestones[-1] == {
        "id": "extension_decision:1",
        "title": "Extension decision",
        "type": "approval",
        "code": "extensionDecision",
        "dueDate": "2028-12-31T00:00:00Z",
    }


def test_contacts_are_written_only_when_asked_for_and_only_for_suppliers_with_one() -> None:
    contact = {"name": "Contracts team", "email": "contracts@everyonehealth.example"}
    facts = dataclasses.replace(HF, contacts={"Everyone Health Ltd": contact})

    def contact_points(asked: bool) -> list[Any]:
        release = contract_release(PROJECT, facts, EXPORTED, uk=False, contacts=asked)
        return [p.get("contactPoint") for p in release["parties"]]

    assert contact_points(True) == [None, contact, None]  # the buyer, then the two suppliers
    assert contact_points(False) == [None, None, None]


def test_the_award_notice_the_standstill_and_the_uk6_follow_the_award_date_and_profile() -> None:
    uk = _award(uk=True)
    assert uk["date"] == "2026-02-16T00:00:00Z"
    assert uk["standstillPeriod"] == {"startDate": "2026-02-16T00:00:00Z", "endDate": "2026-02-26T00:00:00Z"}
    assert [d["noticeType"] for d in uk["documents"]] == ["UK6"]
    core = _award()
    assert ("standstillPeriod" in core, "documents" in core, core["date"]) == (False, False, "2026-02-16T00:00:00Z")
    no_standstill = _award(dataclasses.replace(HF, standstill_end=None), uk=True)
    assert ("standstillPeriod" in no_standstill, "documents" in no_standstill) == (False, True)
    not_awarded = _award(dataclasses.replace(HF, award_on=None), uk=True)
    assert [key in not_awarded for key in ("date", "standstillPeriod", "documents")] == [False, False, False]


def test_the_day_signed_is_written_when_known() -> None:
    assert "dateSigned" not in _contract()
    assert _contract(dataclasses.replace(HF, signed_on=D(2026, 3, 2)))["dateSigned"] == "2026-03-02T00:00:00Z"


def test_variations_and_payments_are_numbered_from_one() -> None:
    uplift = Variation(dt.datetime(2027, 4, 1, 9, 30, tzinfo=dt.UTC), "Inflation uplift", "3% from April 2027")
    payments = (
        Payment("payment", D(2026, 4, 30), "Cambridgeshire County Council", Money(Decimal("25000"))),
        Payment("reversal", D(2026, 5, 6), "Cambridgeshire County Council", Money(Decimal("-250.75"))),
    )
    contract = _contract(dataclasses.replace(HF, variations=(uplift,), payments=payments))
    assert contract["amendments"] == [
        {
            "id": "variation-1",
            "date": "2027-04-01T09:30:00Z",
            "rationale": "Inflation uplift",
            "description": "3% from April 2027",
        }
    ]
    transactions = contract["implementation"]["transactions"]
    assert [(t["id"], t["value"]["amount"]) for t in transactions] == [
        ("payment-1", 25000),
        ("reversal-2", Decimal("-250.75")),
    ]
    # paid to the first provider named
    assert transactions[0]["payee"] == {
        "id": party_id("supplier", "Everyone Health Ltd"),
        "name": "Everyone Health Ltd",
    }


def test_a_payment_with_no_provider_named_is_paid_to_the_buyer_and_tagged_implementation() -> None:
    payment = Payment("payment", D(2026, 4, 30), "Cambridgeshire County Council", Money(Decimal("25000")))
    release = contract_release(
        PROJECT, dataclasses.replace(HF, providers=(), payments=(payment,)), EXPORTED, uk=False, contacts=False
    )
    [transaction] = release["contracts"][0]["implementation"]["transactions"]
    assert transaction["payee"] == {"id": "buyer-c158185682", "name": "Cambridgeshire County Council"}
    assert release["tag"] == ["award", "contract", "implementation"]
    assert contract_release(PROJECT, HF, EXPORTED, uk=False, contacts=False)["tag"] == ["award", "contract"]
