"""No entry is dated before the thing it speaks of existed: a contract's first event is its addition, a project's
its creation, and the event log refuses anything earlier, for a service called directly too."""

import datetime as dt

import pytest
from sqlalchemy import text

import models.events
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts import importing
from flows.contracts.decisions import decide
from flows.contracts.detail import contract_detail
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from models.db import unit_of_work
from policies.dates import BeforeItExisted
from tests.support.builders import housing_first

UTC = dt.UTC
TERMS = {"provider": "P", "project": "HOM-1", "value": "1000", "start": "2026-04-01", "term": "3"}


def events(settings: Settings) -> int:
    with unit_of_work(database(settings)) as session:
        return int(session.connection().execute(text("SELECT COUNT(*) FROM event")).scalar_one())


def test_a_decision_dated_before_the_contract_was_added_is_refused(settings: Settings) -> None:
    housing_first(settings)  # HOM-1 created 2026-01-01, HF-2026-01 added 2026-03-01
    before = events(settings)
    with pytest.raises(BeforeItExisted) as refused:
        decide(settings, ref="HF-2026-01", action="vary", value="2700000", reason="x",
               as_of=dt.datetime(2024, 1, 1, tzinfo=UTC), actor="a")  # fmt: skip
    assert str(refused.value) == (
        "an entry dated 2024-01-01 is before contract HF-2026-01 was added (2026-03-01); date it on or after that"
    )
    assert events(settings) == before
    assert [e["action"] for e in contract_detail(settings, "HF-2026-01")["history"]] == ["ContractAdded"]


def test_a_contract_added_before_its_project_existed_is_refused_and_nothing_kept(settings: Settings) -> None:
    housing_first(settings)
    before = events(settings)
    rows = [Row("line 2", {"ref": "PBR-1", "title": "t", **TERMS})]
    with pytest.raises(BeforeItExisted, match=r"before project HOM-1 was created \(2026-01-01\)"):
        add_contracts(settings, rows, as_of=dt.datetime(2025, 1, 1, tzinfo=UTC), actor="a")
    assert events(settings) == before


def test_an_import_looks_up_its_project_once_not_once_a_row(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    housing_first(settings)
    looked: list[tuple[str, str]] = []
    real = models.events.first_event_at

    def spy(session: object, entity: str, entity_ref: str) -> dt.datetime | None:
        looked.append((entity, entity_ref))
        return real(session, entity, entity_ref)  # type: ignore[arg-type]

    monkeypatch.setattr(models.events, "first_event_at", spy)
    monkeypatch.setattr(importing, "BATCH", 2)  # several batches, one project
    rows = [Row(f"line {i + 2}", {"ref": f"L-{i}", "title": "t", **TERMS}) for i in range(5)]
    result = add_contracts(settings, rows, as_of=dt.datetime(2026, 3, 2, tzinfo=UTC), actor="a")
    assert len(result.added) == 5
    assert looked == [("project", "HOM-1")]
