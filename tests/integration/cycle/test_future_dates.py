"""Nothing is dated in the future, even for a service called directly; a back-dated entry keeps when it was entered."""

import datetime as dt

import pytest

from flows.common.errors import UserError
from flows.common.runtime import gate_policy
from flows.common.settings import Settings
from flows.cycle.detail import project_detail
from flows.cycle.procurement import plan, set_milestone
from flows.cycle.projects import create_project
from flows.cycle.records import add_record
from policies.dates import FutureDated
from tests.integration.cycle.test_projects import counts

UTC = dt.UTC
JAN_5 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _project(settings: Settings, as_of: dt.datetime, stage: str = "analyse") -> None:
    create_project(
        settings,
        ref="FAM-1",
        title="Family hubs",
        service_area="Children",
        owner="Priya",
        description="",
        stage=stage,
        as_of=as_of,
        actor="p",
    )


def test_a_service_called_directly_refuses_an_as_of_in_the_future(settings: Settings) -> None:
    tomorrow = dt.datetime.now(UTC) + dt.timedelta(days=1)
    before = counts(settings)
    with pytest.raises(FutureDated, match="after the time it is entered"):
        _project(settings, tomorrow)
    assert counts(settings) == before


def test_a_back_dated_entry_records_the_date_it_speaks_of_and_when_it_was_entered(settings: Settings) -> None:
    started = dt.datetime.now(UTC)
    _project(settings, JAN_5)
    [event] = project_detail(settings, gate_policy(settings), "FAM-1")["history"]
    assert dt.datetime.fromisoformat(event["at"]) == JAN_5
    entered = dt.datetime.fromisoformat(event["recorded_at"])
    assert started <= entered <= dt.datetime.now(UTC)


def test_a_record_on_a_future_day_is_refused(settings: Settings) -> None:
    _project(settings, JAN_5, stage="plan")  # the stage whose gate reads a business case
    today = dt.datetime.now(UTC)
    with pytest.raises(UserError, match="after the as-of date"):
        add_record(
            settings,
            ref="FAM-1",
            kind="business_case",
            value="approved",
            on=today.date() + dt.timedelta(days=30),
            note="",
            link=None,
            as_of=today,
            actor="p",
        )


def test_a_milestone_cannot_have_happened_after_the_as_of_date(settings: Settings) -> None:
    nov = dt.datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    create_project(settings, ref="YJP-1", title="Youth justice", service_area="Safety", owner="T", description="",
                   stage="do", as_of=dt.datetime(2026, 9, 1, tzinfo=UTC), actor="t")  # fmt: skip
    plan(settings, ref="YJP-1", go_live=dt.date(2027, 4, 1), as_of=nov, actor="t")
    before = counts(settings)
    with pytest.raises(UserError, match="after the as-of date 2026-11-02"):
        set_milestone(settings, ref="YJP-1", milestone="tender_notice", planned=None, actual=dt.date(2026, 11, 9),
                      as_of=nov, actor="t")  # fmt: skip
    assert counts(settings) == before
    shown = set_milestone(  # a planned date is the future by nature
        settings, ref="YJP-1", milestone="signature", planned=dt.date(2027, 1, 27), actual=None, as_of=nov, actor="t"
    )
    assert {m["milestone"]: m["planned_on"] for m in shown["milestones"]}["signature"] == "2027-01-27"
