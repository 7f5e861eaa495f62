"""Importing published performance (both backends): agreed metrics become KPI definitions, rated observations
readings, rated by the product from the KPI's bands, a published rating that differs kept as an override with
its reason, a UK9 document a published notice; what cannot be read is skipped and listed, never a failure."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.ocds.importing import import_ocds
from models.db import unit_of_work
from models.performance.tables import ContractNotice, Kpi, KpiReading

AS_OF = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _observation(period: str, start: str, end: str, measure: int, code: str, notes: str | None = None) -> dict:  # type: ignore[type-arg]
    found = {
        "id": period,
        "period": {"startDate": f"{start}T00:00:00Z", "endDate": f"{end}T00:00:00Z"},
        "measure": measure,
        "unit": {"name": "days"},
        "measureClassification": {"id": code},
    }
    return found | ({"notes": notes} if notes else {})


def _package() -> dict:  # type: ignore[type-arg]
    dimensions = {
        "direction": "lower",
        "frequency": "quarterly",
        "approachingEdge": "12",
        "requiresImprovementEdge": "15",
    }
    target = {"id": "target", "measure": 10, "unit": {"name": "days"}, "dimensions": dimensions}
    contract = {
        "id": "PERF-1",
        "awardID": "PERF-1",
        "status": "active",
        "period": {"startDate": "2025-04-01T00:00:00Z", "endDate": "2028-03-31T00:00:00Z"},
        "value": {"amount": 6000000, "currency": "GBP"},  # over £5m: a UK9 is due each year
        "agreedMetrics": [
            {"id": "kpi-days", "title": "Days to first appointment", "observations": [target]},
            {"id": "fts-kpi", "title": "Social value", "observations": [{"id": "target", "measure": "qualitative"}]},
        ],
        "implementation": {
            "metrics": [
                {
                    "id": "kpi-days",
                    "observations": [
                        _observation("2025-Q3", "2025-07-01", "2025-09-30", 11, "slightlyBelow"),
                        _observation("2025-Q4", "2025-10-01", "2025-12-31", 16, "other", "data incomplete"),
                        _observation("2026-Q1", "2026-01-01", "2026-03-31", 9, "below"),
                    ],
                }
            ]
        },
        "documents": [
            {
                "id": "012345-2026",
                "documentType": "implementationNotice",
                "noticeType": "UK9",
                "title": "Contract performance notice",
                "description": "Performance against the KPIs from 2025-04-01 to 2026-03-31",
                "datePublished": "2026-04-20T00:00:00Z",
            }
        ],
    }
    release = {
        "ocid": "ocds-test-perf",
        "id": "perf-1",
        "date": "2026-04-20T00:00:00Z",
        "tag": ["contract"],
        "initiationType": "tender",
        "tender": {"id": "PERF", "title": "Performance"},
        "awards": [{"id": "PERF-1", "status": "active", "suppliers": [{"name": "Provider Ltd"}]}],
        "contracts": [contract],
    }
    return {"uri": "https://example.org/p.json", "version": "1.1", "publishedDate": "2026-04-20T00:00:00Z",
            "publisher": {"name": "test"}, "releases": [release]}  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_published_kpis_readings_ratings_and_notices_import(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "perf.json"
    path.write_text(json.dumps(_package()))
    report = import_ocds(settings, path, as_of=AS_OF, actor="t")
    assert report.skipped == []
    assert report.not_read == ["PERF-1: agreed metric fts-kpi: no title, numeric target and unit, so no KPI"]
    with unit_of_work(database(settings)) as session:
        [kpi] = session.exec(select(Kpi)).all()
        assert kpi.definition["target"] == "10" and kpi.definition["direction"] == "lower"
        assert kpi.definition["bands"] == {"approaching": "12", "requires_improvement": "15"}
        readings = session.exec(select(KpiReading).order_by(KpiReading.period)).all()
        # computed from the bands by hand: 11 Approaching target (as published); 16 Inadequate, published Other
        # with a reason; 9 Good, published Requires improvement with no reason (the notice stands in for one)
        assert [(r.period, Decimal(r.value), r.rating, r.override_rating) for r in readings] == [
            ("2025-Q3", 11, "approaching_target", None),
            ("2025-Q4", 16, "inadequate", "other"),
            ("2026-Q1", 9, "good", "requires_improvement"),
        ]
        assert readings[1].override_reason == "data incomplete"
        assert (readings[2].override_reason or "").startswith("as published: OCDS release perf-1")
        [notice] = session.exec(select(ContractNotice)).all()
        assert (notice.kind, notice.status, notice.reference) == ("uk9", "published", "012345-2026")
        assert (notice.published_on, notice.period_start, notice.period_end) == (
            dt.date(2026, 4, 20),
            dt.date(2025, 4, 1),
            dt.date(2026, 3, 31),
        )
        assert (notice.satisfies_key or "").startswith("performance_notice:")  # its reminders stop
    again = import_ocds(settings, path, as_of=AS_OF, actor="t")
    assert again.unchanged == ["ocds-test-perf"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_published_reading_of_a_period_not_over_is_skipped_and_listed(settings: Settings, tmp_path: Path) -> None:
    """A reading of 2026-Q4, imported on 1 December 2026, was stored and rated before its quarter ended."""
    package = _package()
    [contract] = package["releases"][0]["contracts"]
    contract["implementation"]["metrics"][0]["observations"].append(
        _observation("2026-Q4", "2026-10-01", "2026-12-31", 8, "met")
    )
    path = tmp_path / "perf.json"
    path.write_text(json.dumps(package))
    report = import_ocds(settings, path, as_of=AS_OF, actor="t")
    assert (
        "PERF-1: KPI 'Days to first appointment' reading 2026-Q4: 2026-Q4 ends on 2026-12-31, after the as-of date "
        "2026-12-01: record it once the period is over, so not stored"
    ) in report.not_read
    with unit_of_work(database(settings)) as session:
        periods = [r.period for r in session.exec(select(KpiReading).order_by(KpiReading.period)).all()]
    assert periods == ["2025-Q3", "2025-Q4", "2026-Q1"]
