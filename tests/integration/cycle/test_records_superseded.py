"""A stage record entered in error is superseded by another of its kind: the gate uses the new one.

HOM-2026-01 in Plan. The business case was recorded "approved" on 16 March by mistake (Cabinet only noted it);
the record is superseded by "draft", so the Plan-to-Do gate is unmet again for the business case.
"""

import datetime as dt

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.cycle.detail import project_detail
from flows.cycle.records import add_record
from tests.integration.cycle.test_projects import MARCH_2, counts, new_project
from tests.support.builders import shipped_policy

LATER = MARCH_2 + dt.timedelta(days=14)
WHY = "Cabinet noted the business case on 16 March; it did not approve it"


def record(settings: Settings, value: str, **given: object) -> int:
    row = add_record(settings, ref="HOM-2026-01", kind="business_case", value=value, on=dt.date(2026, 3, 16),
                     note="Cabinet 16 March", link=None, as_of=LATER, actor="aisha", **given)  # type: ignore[arg-type]  # fmt: skip
    assert row.id is not None
    return row.id


def unmet(settings: Settings) -> list[str]:
    return [u["code"] for u in project_detail(settings, shipped_policy(), "HOM-2026-01")["gate"]["unmet"]]


def test_a_superseded_record_is_kept_and_the_gate_uses_the_one_that_supersedes_it(settings: Settings) -> None:
    new_project(settings, stage="plan")
    wrong = record(settings, "approved")
    assert not [c for c in unmet(settings) if "business_case" in c]
    right = record(settings, "draft", supersedes=wrong, reason=WHY)
    assert [c for c in unmet(settings) if "business_case" in c]
    detail = project_detail(settings, shipped_policy(), "HOM-2026-01")
    kept = {r["id"]: r for r in detail["records"]}
    assert (kept[wrong]["value"], kept[wrong]["superseded_by"], kept[wrong]["superseded_reason"]) == (
        "approved", right, WHY,
    )  # fmt: skip
    [event] = [e for e in detail["history"] if e["action"] == "RecordSuperseded"]
    assert (event["reason"], event["before"]["value"], event["after"]["value"]) == (WHY, "approved", "draft")

    before = counts(settings)
    with pytest.raises(UserError, match=f"record {wrong} of HOM-2026-01 was superseded by record {right}"):
        record(settings, "approved", supersedes=wrong, reason="again")
    with pytest.raises(UserError, match="--reason: say why"):
        record(settings, "approved", supersedes=right)
    with pytest.raises(UserError, match="HOM-2026-01 has no business_case record 999 to supersede"):
        record(settings, "approved", supersedes=999, reason=WHY)
    assert counts(settings) == before
