"""The procurement timeline on a real database, and the Do-stage flow reporting it."""

import datetime as dt

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.cycle.gates import check_advance
from flows.cycle.procurement import plan, set_milestone, show
from flows.cycle.projects import create_project
from flows.cycle.stage_flows import run_stage_flow

UTC = dt.UTC
NOV = dt.datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def in_do(settings: Settings) -> Settings:
    create_project(
        settings,
        ref="YJP-1",
        title="Youth justice",
        service_area="Community safety",
        owner="T",
        description="",
        stage="do",
        as_of=dt.datetime(2026, 9, 1, tzinfo=UTC),
        actor="t",
    )
    return settings


def test_plan_then_record_actuals(in_do: Settings) -> None:
    shown = plan(in_do, ref="YJP-1", go_live=dt.date(2027, 4, 1), as_of=NOV, actor="t")
    assert {m["milestone"]: m["planned_on"] for m in shown["milestones"]}["award_decision"] == "2027-01-19"
    assert shown["warnings"] == []
    shown = set_milestone(
        in_do,
        ref="YJP-1",
        milestone="market engagement",
        planned=None,
        actual=dt.date(2026, 9, 20),
        as_of=NOV,
        actor="t",
    )
    # Market engagement began a week late: the tender notice is replanned 56 days on, to Monday 16 November.
    assert shown["notes"][0] == "Next procurement milestone: tender notice on 2026-11-16."
    replanned = plan(in_do, ref="YJP-1", go_live=dt.date(2027, 5, 3), as_of=NOV, actor="t")
    kept = {m["milestone"]: m["actual_on"] for m in replanned["milestones"]}
    assert kept["market_engagement"] == "2026-09-20", "a replan keeps what has already happened"


def test_a_short_tender_period_is_warned_unless_a_planned_notice_came_first(in_do: Settings) -> None:
    plan(in_do, ref="YJP-1", go_live=dt.date(2027, 4, 1), as_of=NOV, actor="t")
    shown = set_milestone(
        in_do,
        ref="YJP-1",
        milestone="submission_deadline",
        planned=dt.date(2026, 11, 20),
        actual=None,
        as_of=NOV,
        actor="t",
    )
    assert any("tender period is 14 days" in w and "minimum is 25 days" in w for w in shown["warnings"])
    shown = set_milestone(
        in_do,
        ref="YJP-1",
        milestone="planned_procurement_notice",
        planned=None,
        actual=dt.date(2026, 8, 3),
        as_of=NOV,
        actor="t",
    )
    assert not any("tender period" in w for w in shown["warnings"])


def test_an_actual_date_replans_what_follows_and_missed_milestones_are_flagged(in_do: Settings) -> None:
    plan(in_do, ref="YJP-1", go_live=dt.date(2027, 4, 1), as_of=NOV, actor="t")
    later = dt.datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    shown = show(in_do, ref="YJP-1", as_of=later)
    missed = [m["milestone"] for m in shown["milestones"] if m["missed"]]
    assert missed == ["market_engagement", "tender_notice", "clarification_deadline"]
    assert "Missed: the tender notice was planned for 2026-11-06 and has no actual date." in shown["notes"]
    shown = set_milestone(
        in_do,
        ref="YJP-1",
        milestone="award_decision",
        planned=None,
        actual=dt.date(2026, 12, 4),  # a Friday, ahead of the plan's 19 January
        as_of=dt.datetime(2026, 12, 4, 17, 0, tzinfo=UTC),
        actor="t",
    )
    planned = {m["milestone"]: m["planned_on"] for m in shown["milestones"]}
    # 8 working days of standstill, the award day the first (to Tuesday 15 December), then 5 to signature
    assert planned["standstill_end"] == "2026-12-15" and planned["signature"] == "2026-12-22"
    assert shown["notes"][0] == "Next procurement milestone: standstill end on 2026-12-15."
    assert shown["warnings"] == [] and not any(m["missed"] for m in shown["milestones"])


@pytest.mark.usefixtures("prefect_engine")
def test_the_do_stage_flow_reports_the_timeline_and_its_warnings(in_do: Settings) -> None:
    plan(in_do, ref="YJP-1", go_live=dt.date(2027, 4, 1), as_of=NOV, actor="t")
    set_milestone(
        in_do, ref="YJP-1", milestone="signature", planned=dt.date(2027, 1, 27), actual=None, as_of=NOV, actor="t"
    )
    request = check_advance(in_do, ref="YJP-1", to=None, reason=None, as_of=NOV)
    result = run_stage_flow(request, as_of=NOV, actor="t")
    assert result["outcome"] == "refused"
    assert (
        "Next procurement milestone: market engagement, planned for 2026-09-11, is missed: "
        "no actual date is recorded." in result["findings"]
    )
    assert any(
        f.startswith("Procurement warning: Signing on 2027-01-27 breaks the standstill") for f in result["findings"]
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s: set_milestone(
                s, ref="YJP-1", milestone="party", planned=dt.date(2027, 1, 1), actual=None, as_of=NOV, actor="t"
            ),
            "'party' is not a procurement milestone",
        ),
        (
            lambda s: set_milestone(
                s, ref="YJP-1", milestone="signature", planned=None, actual=None, as_of=NOV, actor="t"
            ),
            "give --planned and/or --actual",
        ),
    ],
)
def test_bad_milestones_are_refused(in_do: Settings, call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError, match=message):
        call(in_do)
    assert show(in_do, ref="YJP-1", as_of=NOV)["milestones"] == []


def test_only_a_project_in_do_is_procured(settings: Settings) -> None:
    create_project(
        settings,
        ref="FAM-1",
        title="Family hubs",
        service_area="Children",
        owner="P",
        description="",
        stage="plan",
        as_of=dt.datetime(2026, 9, 1, tzinfo=UTC),
        actor="p",
    )
    with pytest.raises(UserError, match="project FAM-1 is in Plan; a procurement is planned in Do"):
        plan(settings, ref="FAM-1", go_live=dt.date(2027, 4, 1), as_of=NOV, actor="p")
