"""A contract's KPIs, readings, ratings and performance notices, written as OCDS with the EU profile's metrics and
the UK extension (Find a Tender's), for the ``uk`` profile only: core OCDS 1.1.5 has none of these fields.

Rule: each KPI is an agreed metric (``contracts[].agreedMetrics[]``): id ``kpi-`` and a slug of its name (made
unique),
title the name, description the measure, and one observation ``target`` with the target as its ``measure`` (a
money KPI: as its ``value``, in GBP), its unit (UN/CEFACT: percentage ``P1``, days ``DAY``, count ``C62``) and,
as ``dimensions``, which way is better, how often it is measured and the two band edges. Each reading is an
observation of the same metric in ``implementation.metrics[]``: id the period (``2025-Q3``), ``period`` its
first and last day, the reading as ``measure`` (or ``value``), and the rating as the UK extension's
``measureClassification``, whose ids (met, slightlyBelow, below, significantlyBelow, other) read in order
line up with the five ratings reg. 39 gives a UK9 notice (no published mapping says so: this is ours):

    Good -> met; Approaching target -> slightlyBelow; Requires improvement -> below;
    Inadequate -> significantlyBelow; Other -> other.

A commissioner's override is the rating published, its reason the observation's ``notes``. Each published
notice (UK9 contract performance, breach or poor performance, which the Act also publishes as a UK9) is a
document in ``contracts[].documents[]``: id its Find a Tender reference, ``documentType``
``implementationNotice`` (the UK extension's code for UK9), ``noticeType`` UK9, ``datePublished`` the day it
was published, and what it covers as its description (a UK9's: "... from 2025-06-01 to 2026-05-31", which the
import reads back as the period it covers). A prepared notice is not published, so not exported.

Worked example: "Tenancies sustained at 12 months", target 85, higher is better, read 83 in 2025-Q4 (Approaching
target), gives the agreed metric ``kpi-tenancies-sustained-at-12-months`` with observation ``target`` measure
85, and in ``implementation.metrics`` observation ``2025-Q4`` (2025-10-01 to 2025-12-31) measure 83,
``measureClassification`` {scheme ``UK-PA2023-REG39``, id ``slightlyBelow``, description ``Approaching target``}.
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

RATING_SCHEME = "UK-PA2023-REG39"  # the ratings of Procurement Regulations 2024, reg. 39
CLASSIFICATIONS = {
    "good": "met",
    "approaching_target": "slightlyBelow",
    "requires_improvement": "below",
    "inadequate": "significantlyBelow",
    "other": "other",
}
RATINGS = {code: rating for rating, code in CLASSIFICATIONS.items()}
LABELS = {
    "good": "Good",
    "approaching_target": "Approaching target",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
    "other": "Other",
}
UNITS = {"percentage": "P1", "days": "DAY", "count": "C62"}  # UN/CEFACT Recommendation 20 common codes
NOTICE_TYPE, NOTICE_DOCUMENT_TYPE = "UK9", "implementationNotice"


@dataclass(frozen=True)
class ReadingFacts:
    period: str  # "2025-Q3" or "2025-07"
    start: dt.date
    end: dt.date
    value: Decimal
    rating: str  # policies.performance.ratings.Rating value, the override in place of the computed one
    reason: str | None = None  # the override's reason, if there is one


@dataclass(frozen=True)
class KpiFacts:
    name: str
    measure: str
    unit: str  # count, percentage, days or money
    target: Decimal
    direction: str  # higher or lower
    frequency: str  # monthly or quarterly
    approaching: Decimal
    requires_improvement: Decimal
    own_bands: bool
    readings: tuple[ReadingFacts, ...] = ()


@dataclass(frozen=True)
class NoticeFacts:
    kind: str  # "uk9" or "breach"
    title: str
    description: str
    published_on: dt.date
    reference: str
    covers: tuple[dt.date, dt.date] | None = None  # a UK9's period, read back from its description on import


def metric_id(name: str) -> str:
    return "kpi-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed")


def with_metric_ids(kpis: tuple[KpiFacts, ...]) -> list[tuple[KpiFacts, str]]:
    """Each KPI with its metric id, unique within the contract: names that slug alike ("% sustained",
    "Sustained") get ``-2``, ``-3`` in the order given (the export gives them by name), since a compiled release
    merges by id."""
    found: list[tuple[KpiFacts, str]] = []
    ids: set[str] = set()
    for kpi in kpis:
        candidate, n = metric_id(kpi.name), 1
        while candidate in ids:  # bounded by the number of KPIs
            n += 1
            candidate = f"{metric_id(kpi.name)}-{n}"
        ids.add(candidate)
        found.append((kpi, candidate))
    return found


def _number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else value


def _quantity(kpi: KpiFacts, amount: Decimal) -> dict[str, Any]:
    if kpi.unit == "money":
        return {"value": {"amount": _number(amount), "currency": "GBP"}}
    return {"measure": _number(amount), "unit": {"scheme": "UNCEFACT", "id": UNITS[kpi.unit], "name": kpi.unit}}


def _day(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def agreed_metrics(kpis: tuple[KpiFacts, ...]) -> list[dict[str, Any]]:
    """Each KPI as an agreed metric with its target (and, as dimensions, its direction, frequency and bands)."""
    found = []
    for kpi, identifier in with_metric_ids(kpis):
        dimensions = {
            "direction": kpi.direction,
            "frequency": kpi.frequency,
            "approachingEdge": str(kpi.approaching),
            "requiresImprovementEdge": str(kpi.requires_improvement),
            "bandsFrom": "contract" if kpi.own_bands else "policy",
        }
        target = {"id": "target", **_quantity(kpi, kpi.target), "dimensions": dimensions}
        found.append({"id": identifier, "title": kpi.name, "description": kpi.measure, "observations": [target]})
    return found


def classification(rating: str) -> dict[str, str]:
    return {"scheme": RATING_SCHEME, "id": CLASSIFICATIONS[rating], "description": LABELS[rating]}


def implementation_metrics(kpis: tuple[KpiFacts, ...]) -> list[dict[str, Any]]:
    """Each KPI with readings as a metric, one observation per reading, rated by ``measureClassification``."""
    found = []
    for kpi, identifier in with_metric_ids(kpis):
        if not kpi.readings:
            continue
        observations = []
        for r in kpi.readings:
            observation = {
                "id": r.period,
                "period": {"startDate": _day(r.start), "endDate": _day(r.end)},
                **_quantity(kpi, r.value),
                "measureClassification": classification(r.rating),
            }
            if r.reason:
                observation["notes"] = r.reason
            observations.append(observation)
        found.append({"id": identifier, "title": kpi.name, "observations": observations})
    return found


def notice_documents(notices: tuple[NoticeFacts, ...]) -> list[dict[str, Any]]:
    """Each published performance or breach notice as a document with its UK notice type."""
    return [
        {
            "id": n.reference,
            "documentType": NOTICE_DOCUMENT_TYPE,
            "noticeType": NOTICE_TYPE,
            "title": n.title,
            "description": n.description,
            "datePublished": _day(n.published_on),
        }
        for n in notices
    ]
