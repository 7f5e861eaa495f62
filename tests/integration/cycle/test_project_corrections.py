"""A project's title, owner or service area corrected: one event with who, when, why, before and after."""

import datetime as dt

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.cycle.detail import project_detail
from flows.cycle.projects import correct_project
from tests.integration.cycle.test_projects import MARCH_2, counts, new_project
from tests.support.builders import shipped_policy

LATER = MARCH_2 + dt.timedelta(days=3)


def correct(settings: Settings, **given: str | None) -> dict:
    fields: dict = {"title": None, "service_area": None, "owner": None, "reason": "Owner moved to Adult Social Care"}
    return correct_project(settings, ref="HOM-2026-01", **{**fields, **given}, as_of=LATER, actor="priya")


def test_a_new_owner_is_an_event_with_the_before_and_after(settings: Settings) -> None:
    new_project(settings)  # owner Aisha Rahman, area Housing
    done = correct(settings, owner="Sam Patel", service_area="Housing")  # the area is already so: not a change
    assert done == {"ref": "HOM-2026-01", "changed": True, "before": {"owner": "Aisha Rahman"},
                    "after": {"owner": "Sam Patel"}}  # fmt: skip
    detail = project_detail(settings, shipped_policy(), "HOM-2026-01")
    assert (detail["owner"], detail["service_area"]) == ("Sam Patel", "Housing")
    [event] = [e for e in detail["history"] if e["action"] == "ProjectCorrected"]
    assert (event["actor"], event["reason"], event["before"], event["after"]) == (
        "priya", "Owner moved to Adult Social Care", {"owner": "Aisha Rahman"}, {"owner": "Sam Patel"},
    )  # fmt: skip
    before = counts(settings)
    assert correct(settings, owner="Sam Patel")["changed"] is False  # again: nothing new
    assert counts(settings) == before


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "nothing to correct: give --title, --owner or --area"),
        ({"title": "x" * 201}, "a project's title is at most 200 characters; this one is 201"),
        ({"owner": "Sam", "reason": " "}, "--reason: say why"),
    ],
)
def test_a_bad_correction_is_refused_and_nothing_changes(settings: Settings, given: dict, message: str) -> None:
    new_project(settings)
    before = counts(settings)
    with pytest.raises(UserError, match=message):
        correct(settings, **given)
    assert counts(settings) == before
