"""Review decisions on contracts: each change recomputes key dates and is logged with before and after."""

import datetime as dt

import pytest
from sqlmodel import select

from flows.common.errors import UserError
from flows.common.runtime import database, gate_policy
from flows.common.settings import Settings
from flows.contracts.decisions import decide
from flows.contracts.detail import contract_detail
from flows.cycle.detail import project_detail
from models.contracts import ContractVariation
from models.db import unit_of_work
from tests.support.builders import housing_first

UTC = dt.UTC
NOV_23 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def contract(settings: Settings) -> Settings:
    housing_first(settings, break_on="2028-03-31")
    return settings


def kinds(settings: Settings) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for k in contract_detail(settings, "HF-2026-01")["key_dates"]:
        found.setdefault(k["kind"], []).append(k["due_on"])
    return found


def test_extending_uses_the_next_option_and_moves_the_key_dates(contract: Settings) -> None:
    assert kinds(contract)["extension_decision"] == ["2029-01-06", "2030-01-06"]
    result = decide(contract, ref="HF-2026-01", action="extend", reason="KPIs met", as_of=NOV_23, actor="a")
    assert (result["status"], result["expiry"]) == ("extended", "2030-03-31")
    assert result["changes"]["extensions_used"] == {"before": 0, "after": 1}
    after = kinds(contract)
    assert after["extension_decision"] == ["2030-01-06"]
    assert after["recommissioning_start"] == ["2028-09-30"]
    with unit_of_work(database(contract)) as session:
        [variation] = session.exec(select(ContractVariation)).all()
        assert (variation.reason, variation.before["expiry"], variation.after["expiry"]) == (
            "KPIs met",
            "2029-03-31",
            "2030-03-31",
        )


def test_the_history_says_what_the_status_was_on_the_day_and_speaks_dates_and_absent_values(
    contract: Settings,
) -> None:
    decide(contract, ref="HF-2026-01", action="extend", reason="KPIs met", as_of=NOV_23, actor="a")
    decide(contract, ref="HF-2026-01", action="break", reason="Outcomes not met", as_of=NOV_23, actor="a")
    [_, extended, broken] = contract_detail(contract, "HF-2026-01")["history"]
    assert (extended["action"], extended["before"], extended["after"]) == (
        "ContractExtended",
        {"extensions_used": 0, "status": "active", "expiry": "2029-03-31"},  # active since April 2026, not pending
        {"extensions_used": 1, "status": "extended", "expiry": "2030-03-31"},
    )
    assert (broken["before"], broken["after"]) == (
        {"ended_on": None, "status": "extended", "expiry": "2030-03-31"},
        {"ended_on": "2028-03-31", "status": "in_notice", "expiry": "2028-03-31"},
    )
    with unit_of_work(database(contract)) as session:
        first = session.exec(select(ContractVariation).order_by(ContractVariation.id)).first()  # type: ignore[arg-type]
        assert first is not None and first.before["status"] == "active"


def test_a_decision_that_changes_no_terms_reports_the_status_of_the_day(contract: Settings) -> None:
    result = decide(contract, ref="HF-2026-01", action="continue", reason="On track", as_of=NOV_23, actor="a")
    assert result["status"] == "active"


def test_breaking_serves_notice_and_ends_the_contract_at_the_break(contract: Settings) -> None:
    result = decide(contract, ref="HF-2026-01", action="break", reason="Outcomes not met", as_of=NOV_23, actor="a")
    assert (result["status"], result["expiry"]) == ("in_notice", "2028-03-31")
    after = kinds(contract)
    assert after["termination_notice"] == ["2028-04-30"]
    assert "extension_decision" not in after
    history = contract_detail(contract, "HF-2026-01")["history"]
    assert [h["action"] for h in history] == ["ContractAdded", "BreakNoticeServed"]


def test_a_break_after_its_notice_deadline_is_refused_and_nothing_changes(contract: Settings) -> None:
    before = contract_detail(contract, "HF-2026-01")
    late = dt.datetime(2028, 1, 15, tzinfo=UTC)  # notice was due by 31 December 2027
    with pytest.raises(
        UserError,
        match=r"no break the authority can still use: fixed breaks 2028-03-31 "
        r"\(notice by 2027-12-31\)",
    ):
        decide(contract, ref="HF-2026-01", action="break", reason="too late", as_of=late, actor="a")
    assert contract_detail(contract, "HF-2026-01") == before


def test_a_variation_that_moves_the_end_recomputes_the_key_dates(contract: Settings) -> None:
    result = decide(
        contract,
        ref="HF-2026-01",
        action="vary",
        reason="Re-profiled",
        as_of=NOV_23,
        actor="a",
        value="2,650,000.00",
        end=dt.date(2029, 9, 30),
    )
    assert result["changes"] == {  # as the history speaks: money in pounds, dates as dates; the status unchanged
        "value": {"before": "£2,400,000.00", "after": "£2,650,000.00"},
        "initial_term_months": {"before": 36, "after": 42},
        "expiry": {"before": "2029-03-31", "after": "2029-09-30"},
    }
    assert result["expiry"] == "2029-09-30"
    assert kinds(contract)["extension_decision"][0] == "2029-07-08"  # 12 weeks before 30 September 2029


def test_recommissioning_is_recorded_on_the_project_in_review(contract: Settings) -> None:
    result = decide(
        contract, ref="HF-2026-01", action="recommission", reason="Market has changed", as_of=NOV_23, actor="a"
    )
    assert result["project_record"] == "recommission"
    detail = project_detail(contract, gate_policy(contract), "HOM-1")
    assert detail["gate"]["to_stage"] == "analyse" and detail["gate"]["outcome"] == "passed"


@pytest.mark.parametrize(
    ("action", "extra", "message"),
    [
        ("renegotiate", {}, "'renegotiate' is not a review decision"),
        ("vary", {}, "a variation changes something"),
        ("vary", {"end": dt.date(2029, 9, 15)}, "is not a whole number of months"),
        ("extend", {"reason": " "}, "needs a --reason"),
    ],
)
def test_bad_decisions_are_refused(contract: Settings, action: str, extra: dict[str, object], message: str) -> None:
    before = contract_detail(contract, "HF-2026-01")
    kwargs: dict[str, object] = {"reason": "because", **extra}
    with pytest.raises(UserError, match=message):
        decide(contract, ref="HF-2026-01", action=action, as_of=NOV_23, actor="a", **kwargs)  # type: ignore[arg-type]
    assert contract_detail(contract, "HF-2026-01") == before


def test_no_option_left_to_extend(contract: Settings) -> None:
    decide(contract, ref="HF-2026-01", action="extend", reason="1", as_of=NOV_23, actor="a")
    decide(contract, ref="HF-2026-01", action="extend", reason="2", as_of=NOV_23, actor="a")
    with pytest.raises(UserError, match="no extension option left"):
        decide(contract, ref="HF-2026-01", action="extend", reason="3", as_of=NOV_23, actor="a")
