"""Project commands on a real database: each change lands with its event, or nothing lands."""

import datetime as dt

import pytest
from sqlmodel import func, select

from flows.common.errors import UserError
from flows.common.runtime import database, gate_policy
from flows.common.settings import Settings
from flows.cycle.detail import project_detail
from flows.cycle.evidence import add_evidence
from flows.cycle.gates import check_advance
from flows.cycle.projects import board, create_project
from flows.cycle.records import add_record
from models.cycle import Evidence, Project, StageRecordRow
from models.db import unit_of_work
from models.events import Event
from tests.support.builders import shipped_policy

UTC = dt.UTC
MARCH_2 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EVIDENCE = {
    "kind": "local_need",
    "source": "Rough sleeping snapshot, autumn 2025",
    "produced_by": "Housing Options",
    "independently_reviewed": False,
    "method": "street count",
    "context_fit": "high",
    "strength": "sms:1",
    "summary": "41 people sleeping rough on one night",
}


def counts(settings: Settings) -> dict[str, int]:
    with unit_of_work(database(settings)) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (Project, Evidence, StageRecordRow, Event)
        }


def new_project(settings: Settings, ref: str = "HOM-2026-01", stage: str = "analyse") -> Project:
    return create_project(
        settings,
        ref=ref,
        title="Homelessness prevention",
        service_area="Housing",
        owner="Aisha Rahman",
        description="Prevent homelessness among young people",
        stage=stage,
        as_of=MARCH_2,
        actor="aisha",
    )


def test_a_new_project_is_saved_with_its_event(settings: Settings) -> None:
    new_project(settings)
    detail = project_detail(settings, shipped_policy(), "HOM-2026-01")
    assert detail["stage"] == "analyse" and detail["cycle"] == 1
    assert dt.datetime.fromisoformat(detail["created_at"]) == MARCH_2
    [event] = detail["history"]
    assert (event["action"], event["actor"]) == ("ProjectCreated", "aisha")
    assert event["after"]["title"] == "Homelessness prevention"


def test_a_duplicate_reference_is_refused_and_nothing_is_written(settings: Settings) -> None:
    new_project(settings)
    before = counts(settings)
    with pytest.raises(UserError, match="project HOM-2026-01 already exists"):
        new_project(settings)
    assert counts(settings) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ref": "no spaces allowed"}, "must be 2-40 letters"),
        ({"title": " "}, "needs a title"),
        ({"stage": "decommissioned"}, "not a stage a project can start in"),
        ({"title": "x" * 201}, "title is at most 200 characters; this one is 201"),
        ({"owner": "x" * 121}, "owner is at most 120 characters"),
        ({"stage": "later"}, "'later'"),
    ],
)
def test_bad_project_fields_are_refused(settings: Settings, changes: dict[str, str], message: str) -> None:
    fields = {"ref": "P-1", "title": "t", "service_area": "a", "owner": "o", "description": "", "stage": "analyse"}
    with pytest.raises(UserError, match=message):
        create_project(settings, **{**fields, **changes}, as_of=MARCH_2, actor="x")  # type: ignore[arg-type]
    assert counts(settings)["Project"] == 0


def test_evidence_is_added_once_and_bad_evidence_not_at_all(settings: Settings) -> None:
    new_project(settings)
    row = add_evidence(settings, ref="HOM-2026-01", fields=EVIDENCE, as_of=MARCH_2, actor="aisha")
    assert (row.kind, row.strength_scale, row.strength_level, row.cycle) == ("local_need", "sms", 1, 1)
    before = counts(settings)
    with pytest.raises(UserError, match="already in HOM-2026-01's register"):
        add_evidence(settings, ref="HOM-2026-01", fields=EVIDENCE, as_of=MARCH_2, actor="aisha")
    with pytest.raises(UserError, match="strength: 'eif:5' is off the EIF scale"):
        add_evidence(settings, ref="HOM-2026-01", fields={**EVIDENCE, "strength": "eif:5"}, as_of=MARCH_2, actor="a")
    with pytest.raises(UserError, match="no project with reference 'HOM-2026-02'; did you mean HOM-2026-01"):
        add_evidence(settings, ref="HOM-2026-02", fields=EVIDENCE, as_of=MARCH_2, actor="aisha")
    assert counts(settings) == before


def test_records_keep_history_and_the_latest_counts(settings: Settings) -> None:
    new_project(settings, stage="plan")
    add_record(
        settings,
        ref="HOM-2026-01",
        kind="business-case",
        value="draft",
        on=dt.date(2026, 3, 2),
        note="",
        link=None,
        as_of=MARCH_2,
        actor="aisha",
    )
    add_record(
        settings,
        ref="HOM-2026-01",
        kind="business_case",
        value="Approved",
        on=dt.date(2026, 3, 16),
        note="Cabinet 16 March",
        link=None,
        as_of=MARCH_2 + dt.timedelta(days=14),
        actor="aisha",
    )
    with pytest.raises(UserError, match="'signed' is not a business case value"):
        add_record(
            settings,
            ref="HOM-2026-01",
            kind="business_case",
            value="signed",
            on=dt.date(2026, 3, 16),
            note="",
            link=None,
            as_of=MARCH_2,
            actor="aisha",
        )
    detail = project_detail(settings, shipped_policy(), "HOM-2026-01")
    assert [r["value"] for r in detail["records"]] == ["draft", "approved"]
    last = detail["history"][-1]
    assert last["before"] == {"kind": "business_case", "value": "draft"} and last["reason"] == "Cabinet 16 March"
    assert "The business case is recorded as 'approved' (2026-03-16)." in detail["gate"]["findings"]


def test_a_record_the_current_stage_cannot_use_is_refused_with_the_stage_that_can(settings: Settings) -> None:
    new_project(settings, stage="plan")
    before = counts(settings)
    for kind, value, label, stage in (
        ("review_decision", "recommission", "review decision", "Review"),
        ("award", "Northbridge", "contract award", "Do"),
    ):
        with pytest.raises(UserError) as refused:
            add_record(
                settings,
                ref="HOM-2026-01",
                kind=kind,
                value=value,
                on=dt.date(2026, 3, 2),
                note="",
                link=None,
                as_of=MARCH_2,
                actor="aisha",
            )
        assert str(refused.value) == (
            f"project HOM-2026-01 is in Plan, whose gate does not use a {label}; record it in {stage}"
        )
    assert counts(settings) == before


def test_check_advance_refuses_what_can_never_succeed(settings: Settings) -> None:
    new_project(settings)
    with pytest.raises(UserError, match="illegal transition for HOM-2026-01: Analyse -> Review is not a step"):
        check_advance(settings, ref="HOM-2026-01", to="review", reason=None, as_of=MARCH_2)
    with pytest.raises(UserError, match="before HOM-2026-01 entered Analyse"):
        check_advance(settings, ref="HOM-2026-01", to=None, reason=None, as_of=MARCH_2 - dt.timedelta(days=1))
    with pytest.raises(UserError, match="'sideways' is not a stage"):
        check_advance(settings, ref="HOM-2026-01", to="sideways", reason=None, as_of=MARCH_2)
    request = check_advance(settings, ref="hom-2026-01".upper(), to=None, reason=None, as_of=MARCH_2)
    assert request.stage.value == "analyse" and request.target is None


def test_the_board_lists_projects_in_cycle_order(settings: Settings) -> None:
    new_project(settings, "B-REVIEW", stage="review")
    new_project(settings, "A-DO", stage="do")
    new_project(settings, "C-ANALYSE")
    assert [(r["ref"], r["stage"]) for r in board(settings)] == [
        ("C-ANALYSE", "analyse"),
        ("A-DO", "do"),
        ("B-REVIEW", "review"),
    ]


def test_the_users_policy_file_is_applied_over_the_defaults(settings: Settings, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    policy_file = tmp_path / "gates.toml"
    policy_file.write_text("[gates.do_to_review]\nrecords = []\n")
    monkeypatch.setenv("COMMISSIONING_POLICY_FILE", str(policy_file))
    from flows.common.settings import load_settings

    policy = gate_policy(load_settings())
    assert policy.gates["do_to_review"].records == ()
    assert len(policy.gates["plan_to_do"].records) == 4
