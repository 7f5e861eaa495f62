"""The stage flows on the real Prefect engine, on SQLite and PostgreSQL.

The worked example is a young people's homelessness service taken round the
whole cycle: refused for want of evidence, planned, procured, a failed tender
sent back to Plan, awarded, reviewed, recommissioned into a second cycle (where
the first cycle's business case no longer counts), and finally decommissioned.
"""

import datetime as dt
import threading
import time
from typing import Any

import pytest

from flows.common.errors import UserError
from flows.common.runtime import database, gate_policy
from flows.common.settings import Settings
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.cycle.detail import project_detail
from flows.cycle.evidence import add_evidence
from flows.cycle.gates import check_advance, decide_gate
from flows.cycle.projects import create_project, require_project
from flows.cycle.records import add_record
from flows.cycle.stage_flows import run_stage_flow
from models.db import unit_of_work
from policies.cycle.stages import Stage

pytestmark = pytest.mark.usefixtures("prefect_engine")

REF = "HOM-2026-01"


def day(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{iso}T09:00:00+00:00")


def advance(settings: Settings, on: str, to: str | None = None, reason: str | None = None) -> dict[str, Any]:
    request = check_advance(settings, ref=REF, to=to, reason=reason, as_of=day(on))
    return run_stage_flow(request, as_of=day(on), actor="aisha")


def evidence(settings: Settings, on: str, kind: str, source: str, strength: str) -> None:
    fields = {
        "kind": kind,
        "source": source,
        "produced_by": "someone",
        "independently_reviewed": True,
        "method": "mixed methods",
        "context_fit": "high",
        "strength": strength,
        "summary": source,
    }
    add_evidence(settings, ref=REF, fields=fields, as_of=day(on), actor="aisha")


def record(settings: Settings, on: str, kind: str, value: str) -> None:
    add_record(
        settings,
        ref=REF,
        kind=kind,
        value=value,
        on=dt.date.fromisoformat(on),
        note="",
        link=None,
        as_of=day(on),
        actor="aisha",
    )


def plan_records(settings: Settings, on: str) -> None:
    for kind, value in [
        ("business_case", "approved"),
        ("specification", "final"),
        ("outcomes_framework", "agreed"),
        ("procurement_route", "open"),
    ]:
        record(settings, on, kind, value)


def test_a_project_goes_round_the_whole_cycle(settings: Settings) -> None:
    create_project(
        settings,
        ref=REF,
        title="Homelessness prevention (18-24)",
        service_area="Housing",
        owner="Aisha Rahman",
        description="",
        stage="analyse",
        as_of=day("2026-01-05"),
        actor="aisha",
    )

    refused = advance(settings, "2026-01-12")
    assert (refused["outcome"], refused["stage_now"]) == ("refused", "analyse")
    assert [u["code"] for u in refused["unmet"]] == ["evidence_missing:local_need", "evidence_missing:what_works"]
    assert refused["flow_run_id"], "the gate decision names the Prefect flow run that made it"
    assert refused["decided_by"] == "aisha"

    evidence(settings, "2026-01-19", "local_need", "Rough sleeping count 2025", "sms:1")
    evidence(settings, "2026-01-19", "what_works", "Housing First England evaluation", "sms:4")
    assert advance(settings, "2026-02-02")["stage_now"] == "plan"

    record(settings, "2026-02-09", "business_case", "draft")
    assert len(advance(settings, "2026-02-10")["unmet"]) == 4
    plan_records(settings, "2026-03-16")
    assert advance(settings, "2026-03-17")["stage_now"] == "do"

    with pytest.raises(UserError, match="needs a reason"):
        check_advance(settings, ref=REF, to="plan", reason=None, as_of=day("2026-05-11"))
    back = advance(settings, "2026-05-11", to="plan", reason="Tender failed: no compliant bid")
    assert (back["outcome"], back["stage_now"], back["reason"]) == ("passed", "plan", "Tender failed: no compliant bid")
    assert advance(settings, "2026-05-18")["stage_now"] == "do"  # same cycle: the plan records still count

    assert advance(settings, "2026-06-01")["unmet"][0]["code"] == "contract_missing"
    record(settings, "2026-06-15", "award", "Northbridge Young People's Trust")
    contract = {
        "ref": "HOM-C1",
        "title": "Housing First",
        "provider": "Northbridge Young People's Trust",
        "project": REF,
        "value": "2400000",
        "start": "2026-07-01",
        "term": "3+1+1",
    }
    add_contracts(settings, [Row("test", contract)], as_of=day("2026-06-20"), actor="aisha")
    assert advance(settings, "2026-06-25")["unmet"][0]["code"] == "contract_missing"  # signed, not yet started
    assert advance(settings, "2026-07-02")["stage_now"] == "review"

    record(settings, "2026-09-01", "review_decision", "continue")
    held = advance(settings, "2026-09-02")
    assert (held["outcome"], held["stage_now"]) == ("stayed", "review")

    record(settings, "2026-10-01", "review_decision", "recommission")
    again = advance(settings, "2026-10-02")
    assert (again["stage_now"], again["cycle"]) == ("analyse", 1)  # the decision belongs to cycle 1

    detail = project_detail(settings, gate_policy(settings), REF)
    assert (detail["stage"], detail["cycle"]) == ("analyse", 2)
    # Evidence stays in the register; cycle 1's plan records do not carry into cycle 2.
    assert advance(settings, "2026-10-05")["stage_now"] == "plan"
    refused_plan = advance(settings, "2026-10-06")
    assert [u["code"] for u in refused_plan["unmet"]] == [
        "record_missing:business_case",
        "record_missing:specification",
        "record_missing:outcomes_framework",
        "record_missing:procurement_route",
    ]

    detail = project_detail(settings, gate_policy(settings), REF)
    moves = [(e["before"]["stage"], e["after"]["stage"]) for e in detail["history"] if e["action"] == "StageChanged"]
    assert moves == [
        ("analyse", "plan"),
        ("plan", "do"),
        ("do", "plan"),
        ("plan", "do"),
        ("do", "review"),
        ("review", "analyse"),
        ("analyse", "plan"),
    ]
    outcomes = [g["outcome"] for g in detail["gate_decisions"]]
    assert outcomes == [
        "refused",
        "passed",  # Analyse: no evidence, then evidence
        "refused",
        "passed",  # Plan: a draft business case, then everything
        "passed",
        "passed",  # Do -> Plan (failed tender) -> Do
        "refused",
        "refused",
        "passed",  # no contract; signed but not started; in force
        "stayed",
        "passed",  # review: continue, then recommission
        "passed",
        "refused",  # cycle 2: Analyse passes on the register; Plan needs fresh records
    ]
    assert all(g["flow_run_id"] and g["policy_sources"] for g in detail["gate_decisions"])


def test_a_decommissioned_project_goes_no_further(settings: Settings) -> None:
    create_project(
        settings,
        ref=REF,
        title="Day centres",
        service_area="Adult social care",
        owner="Ben Hughes",
        description="",
        stage="review",
        as_of=day("2025-01-06"),
        actor="ben",
    )
    record(settings, "2025-11-10", "review_decision", "decommission")
    assert advance(settings, "2025-11-11")["stage_now"] == "decommissioned"
    with pytest.raises(UserError, match="decommissioned; it cannot move any further"):
        check_advance(settings, ref=REF, to=None, reason=None, as_of=day("2025-12-01"))
    with pytest.raises(UserError, match="decommissioned; nothing more can be recorded"):
        record(settings, "2025-12-01", "award", "anyone")


def test_a_gate_opened_by_the_users_policy_file(settings: Settings, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    policy_file = tmp_path / "gates.toml"
    policy_file.write_text("[gates.do_to_review]\nrecords = []\n")
    monkeypatch.setenv("COMMISSIONING_POLICY_FILE", str(policy_file))
    create_project(
        settings,
        ref=REF,
        title="Grant-funded service",
        service_area="Housing",
        owner="A",
        description="",
        stage="do",
        as_of=day("2026-01-05"),
        actor="a",
    )
    result = advance(settings, "2026-01-06")
    assert result["stage_now"] == "review"
    assert str(policy_file) in result["policy_sources"]


def test_a_project_that_moved_meanwhile_is_a_conflict_and_nothing_is_written(settings: Settings) -> None:
    create_project(
        settings,
        ref=REF,
        title="t",
        service_area="a",
        owner="o",
        description="",
        stage="do",
        as_of=day("2026-01-05"),
        actor="a",
    )
    result = decide_gate(
        database(settings),
        gate_policy(settings),
        ref=REF,
        expected_stage=Stage.PLAN,
        target=None,
        reason=None,
        as_of=day("2026-01-06"),
        actor="a",
        flow_run_id=None,
    )
    assert result["outcome"] == "conflict"
    assert "is now in Do, not Plan" in result["message"]
    detail = project_detail(settings, gate_policy(settings), REF)
    assert detail["stage"] == "do" and detail["gate_decisions"] == []


def test_a_concurrent_change_is_seen_not_overwritten(settings: Settings) -> None:
    """Two writers interleave: B waits for A's lock, then sees A's move instead of undoing it."""
    create_project(
        settings,
        ref=REF,
        title="t",
        service_area="a",
        owner="o",
        description="",
        stage="review",
        as_of=day("2026-01-05"),
        actor="a",
    )
    record(settings, "2026-01-06", "review_decision", "decommission")
    engine = database(settings)
    a_has_lock = threading.Event()
    b_result: list[dict[str, Any]] = []

    def writer_b() -> None:
        a_has_lock.wait(timeout=10)
        b_result.append(
            decide_gate(
                engine,
                gate_policy(settings),
                ref=REF,
                expected_stage=Stage.REVIEW,
                target=None,
                reason=None,
                as_of=day("2026-01-07"),
                actor="b",
                flow_run_id=None,
            )
        )

    b = threading.Thread(target=writer_b)
    b.start()
    with unit_of_work(engine) as session:  # writer A: takes the project, holds it, moves it on
        project = require_project(session, REF, for_update=True)
        a_has_lock.set()
        time.sleep(0.5)  # B is now waiting on A's lock
        project.stage = Stage.DECOMMISSIONED.value
        session.add(project)
    b.join(timeout=20)
    assert not b.is_alive()
    assert b_result[0]["outcome"] == "conflict" and b_result[0]["stage_now"] == "decommissioned"
    assert project_detail(settings, gate_policy(settings), REF)["gate_decisions"] == []


def test_a_gate_sees_only_what_existed_at_its_as_of(settings: Settings) -> None:
    create_project(
        settings,
        ref=REF,
        title="t",
        service_area="a",
        owner="o",
        description="",
        stage="analyse",
        as_of=day("2026-01-05"),
        actor="a",
    )
    evidence(settings, "2026-01-19", "local_need", "Rough sleeping count 2025", "sms:1")
    evidence(settings, "2026-03-02", "what_works", "Housing First England evaluation", "sms:4")
    backdated = advance(settings, "2026-02-01")
    assert [u["code"] for u in backdated["unmet"]] == ["evidence_missing:what_works"]
    assert advance(settings, "2026-03-03")["stage_now"] == "plan"
    with pytest.raises(UserError, match="is before HOM-2026-01 was created"):
        evidence(settings, "2025-12-01", "market", "Market position statement", "sms:1")
    with pytest.raises(UserError, match="--on 2026-12-31 is after the as-of date 2026-03-04"):
        add_record(
            settings,
            ref=REF,
            kind="business_case",
            value="approved",
            on=dt.date(2026, 12, 31),
            note="",
            link=None,
            as_of=day("2026-03-04"),
            actor="a",
        )
