"""Reading KPIs and notices back from OCDS (policies.ocds.metrics_read): what is skipped, and both edges."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from policies.ocds.metrics_read import read_kpis, read_notices

# "Days to first appointment" as the product writes it: target 10 days, lower is better, bands at 12 and 15.
DAYS_TARGET = {
    "id": "target",
    "measure": 10,
    "unit": {"scheme": "UNCEFACT", "id": "DAY", "name": "days"},
    "dimensions": {"direction": "lower", "approachingEdge": "12", "requiresImprovementEdge": "15"},
}


def _metric(identifier: str = "kpi-days-to-first-appointment", **target: Any) -> dict[str, Any]:
    return {"id": identifier, "title": "Days to first appointment", "observations": [DAYS_TARGET | target]}


def _names(*metrics: dict[str, Any]) -> tuple[list[str], tuple[str, ...]]:
    kpis, skipped = read_kpis({"agreedMetrics": list(metrics)})
    return [k.name for k in kpis], skipped


def test_the_worked_example_reads_as_a_kpi() -> None:
    [kpi], skipped = read_kpis({"agreedMetrics": [_metric()]})
    assert (kpi.target, kpi.unit, kpi.direction, kpi.approaching, kpi.requires_improvement) == (
        Decimal(10),
        "days",
        "lower",
        Decimal(12),
        Decimal(15),
    )
    assert (kpi.frequency, kpi.own_bands, kpi.measure, skipped) == ("quarterly", True, "Days to first appointment", ())


@pytest.mark.parametrize(
    "target",
    [
        {"measure": "10"},  # a number written as text
        {"measure": None},
        {"unit": {"name": "hours"}},  # a unit the product does not know
        {"unit": None},
    ],
)
def test_a_metric_with_no_numeric_target_or_known_unit_is_skipped_and_the_next_read(target: dict[str, Any]) -> None:
    assert _names(_metric("fts-1", **target), _metric()) == (
        ["Days to first appointment"],
        ("agreed metric fts-1: no title, numeric target and unit, so no KPI",),
    )


@pytest.mark.parametrize(
    "dimensions",
    [
        {"approachingEdge": "12", "requiresImprovementEdge": "15"},  # no direction, both edges
        {"direction": "down", "approachingEdge": "12", "requiresImprovementEdge": "15"},
        {"direction": "lower", "requiresImprovementEdge": "15"},
        {"direction": "lower", "approachingEdge": "12"},
        {"direction": "lower", "approachingEdge": "twelve", "requiresImprovementEdge": "15"},
        {"direction": "lower", "approachingEdge": "12", "requiresImprovementEdge": "NaN"},
        {"direction": "lower", "approachingEdge": 12, "requiresImprovementEdge": "15"},  # written as text, always
    ],
)
def test_a_metric_with_no_direction_and_both_band_edges_is_skipped_and_the_next_read(
    dimensions: dict[str, Any],
) -> None:
    assert _names(_metric("fts-2", dimensions=dimensions), _metric()) == (
        ["Days to first appointment"],
        ("agreed metric fts-2: no direction and band edges, so no KPI",),
    )


def test_a_kpi_name_is_cut_at_120_characters() -> None:
    def name(title: str) -> str:
        [kpi], _ = read_kpis({"agreedMetrics": [_metric() | {"title": title}]})
        return kpi.name

    assert name("K" * 120) == "K" * 120
    assert name("L" * 121) == "L" * 120


def _document(**fields: Any) -> dict[str, Any]:
    """A UK9 contract performance notice as the product publishes it, published 15 June 2026."""
    return {
        "id": "031416-2026",
        "documentType": "implementationNotice",
        "noticeType": "UK9",
        "title": "Contract performance notice",
        "description": "Performance against the KPIs from 2025-06-01 to 2026-05-31",
        "datePublished": "2026-06-15T00:00:00Z",
    } | fields


def test_only_uk9_documents_with_a_date_and_an_id_are_notices() -> None:
    documents = [
        _document(id="UK6-1", noticeType="UK6"),
        _document(id="031417-2026", datePublished=None),
        _document(id=""),
        _document(),
    ]
    [notice] = read_notices({"documents": documents})
    assert (notice.kind, notice.reference, notice.published_on) == ("uk9", "031416-2026", dt.date(2026, 6, 15))
    assert notice.covers == (dt.date(2025, 6, 1), dt.date(2026, 5, 31))


@pytest.mark.parametrize(
    ("description", "covers"),
    [
        ("KPIs from 2026-05-31 to 2026-05-31", (dt.date(2026, 5, 31), dt.date(2026, 5, 31))),  # one day
        ("KPIs from 2026-05-31 to 2026-05-30", None),  # ends before it starts
        ("KPIs from 2025-02-29 to 2026-05-31", None),  # no 29 February in 2025
        ("KPIs for the year to May 2026", None),
    ],
)
def test_a_uk9_covers_the_period_its_description_names(description: str, covers: object) -> None:
    [notice] = read_notices({"documents": [_document(description=description)]})
    assert notice.covers == covers


def test_a_breach_notice_covers_no_period_and_an_untitled_notice_is_a_uk9() -> None:
    breach, untitled = read_notices({"documents": [_document(title="Poor performance notice"), _document(title="")]})
    assert (breach.kind, breach.covers) == ("breach", None)
    assert (untitled.kind, untitled.title) == ("uk9", "Contract performance notice")
