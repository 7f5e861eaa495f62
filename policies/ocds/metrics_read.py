"""Reading a contract's KPIs, readings and performance notices back from OCDS (the inverse of
``policies.ocds.metrics``), so that what the product exported imports as it was.

Rule: an agreed metric is a KPI when its ``target`` observation gives a number (``measure``, or ``value``
for money), a unit the product knows (``unit.name``: count, percentage, days; money by its ``value``) and, as
dimensions, which way is better and both band edges, as the product writes them; any other agreed metric is
skipped, with why (Find a Tender's own KPIs carry no bands). An observation of the same metric in
``implementation.metrics`` is a reading when its id is a period (``2025-Q3`` or ``2025-07``) and it gives a
number; its ``measureClassification`` is the rating published, which the import compares with the rating the
product computes (an override when they differ, its reason the ``notes``). A contract document with
``noticeType`` UK9 and a ``datePublished`` is a notice published, its id the Find a Tender reference: a breach
notice when its title says so, else a contract performance notice, covering the period its description names
("from 2025-06-01 to 2026-05-31"), if it names one.

Worked example: agreed metric ``kpi-days-to-first-appointment``, target measure 10, unit days, dimensions
direction lower, approachingEdge 12, requiresImprovementEdge 15, with an observation ``2025-Q4`` measure 11
rated ``slightlyBelow``: a KPI "days to first appointment" and its reading 11 for 2025-Q4, Approaching
target, as computed: no override.
"""

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from policies.ocds.metrics import NOTICE_TYPE, RATINGS, KpiFacts, NoticeFacts, ReadingFacts
from policies.ocds.releases import amount_of, day_of
from policies.performance.periods import parse_period

BREACH_TITLES = ("Contract breach notice", "Poor performance notice")
COVERS = re.compile(r"from ([0-9]{4}-[0-9]{2}-[0-9]{2}) to ([0-9]{4}-[0-9]{2}-[0-9]{2})")


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _quantity(observation: Mapping[str, Any]) -> tuple[Decimal | None, str]:
    """The number an observation gives (or None) and its unit's name (``money`` for a value; "" if none)."""
    value = observation.get("value")
    if isinstance(value, Mapping):
        return amount_of(value.get("amount"))[0], "money"
    unit = observation.get("unit")
    name = _text(unit.get("name")) if isinstance(unit, Mapping) else ""
    return amount_of(observation.get("measure"))[0], name


def _edge(dimensions: Mapping[str, Any], name: str) -> Decimal | None:
    text = dimensions.get(name)
    try:
        return Decimal(text) if isinstance(text, str) and Decimal(text).is_finite() else None
    except ArithmeticError:
        return None


def read_kpis(contract: Mapping[str, Any]) -> tuple[tuple[KpiFacts, ...], tuple[str, ...]]:
    """The KPIs (with their readings) a published contract gives, and each metric or observation skipped, why."""
    skipped: list[str] = []
    observed: dict[str, list[Mapping[str, Any]]] = {}
    implementation = contract.get("implementation")
    if isinstance(implementation, Mapping):
        for metric in _list(implementation.get("metrics")):
            observed.setdefault(str(metric.get("id")), []).extend(_list(metric.get("observations")))
    kpis = []
    agreed = {str(m.get("id")) for m in _list(contract.get("agreedMetrics"))}
    for metric in _list(contract.get("agreedMetrics")):
        name = _text(metric.get("title"))
        targets = [o for o in _list(metric.get("observations")) if o.get("id") == "target"]
        target, unit = _quantity(targets[0]) if targets else (None, "")
        dimensions = targets[0].get("dimensions") if targets else None
        dimensions = dimensions if isinstance(dimensions, Mapping) else {}
        direction = _text(dimensions.get("direction"))
        approaching, requires = _edge(dimensions, "approachingEdge"), _edge(dimensions, "requiresImprovementEdge")
        if not name or target is None or unit not in ("count", "percentage", "days", "money"):
            skipped.append(f"agreed metric {metric.get('id')}: no title, numeric target and unit, so no KPI")
            continue
        if direction not in ("higher", "lower") or approaching is None or requires is None:
            skipped.append(f"agreed metric {metric.get('id')}: no direction and band edges, so no KPI")
            continue
        readings = []
        for observation in observed.get(str(metric.get("id")), []):
            reading = _reading(observation)
            if isinstance(reading, str):
                skipped.append(f"metric {metric.get('id')} observation {observation.get('id')}: {reading}")
            else:
                readings.append(reading)
        frequency = _text(dimensions.get("frequency"))
        kpis.append(
            KpiFacts(
                name=name[:120],
                measure=_text(metric.get("description")) or name,
                unit=unit,
                target=target,
                direction=direction,
                frequency=frequency if frequency in ("monthly", "quarterly") else "quarterly",
                approaching=approaching,
                requires_improvement=requires,
                own_bands=_text(dimensions.get("bandsFrom")) != "policy",
                readings=tuple(readings),
            )
        )
    skipped += [f"metric {m}: no agreed metric (KPI) of that id, so no readings" for m in observed if m not in agreed]
    return tuple(kpis), tuple(skipped)


def _reading(observation: Mapping[str, Any]) -> ReadingFacts | str:
    period, why = parse_period(str(observation.get("id") or ""))
    if period is None:
        return f"not a reading: {why}"
    value, _ = _quantity(observation)
    if value is None:
        return "no number, so not a reading"
    classification = observation.get("measureClassification")
    code = classification.get("id") if isinstance(classification, Mapping) else None
    rating = RATINGS.get(str(code)) if code is not None else None
    if rating is None:
        return f"measureClassification {code!r} is not one of {', '.join(RATINGS)}"
    notes = _text(observation.get("notes"))
    return ReadingFacts(period.label, period.start, period.end, value, rating, notes or None)


def read_notices(contract: Mapping[str, Any]) -> tuple[NoticeFacts, ...]:
    """The UK9 notices (performance, breach) a published contract lists as documents."""
    found = []
    for document in _list(contract.get("documents")):
        on = day_of(document.get("datePublished"))[0]
        reference = _text(document.get("id"))
        if document.get("noticeType") != NOTICE_TYPE or on is None or not reference:
            continue
        title = _text(document.get("title")) or "Contract performance notice"
        kind = "breach" if title in BREACH_TITLES else "uk9"
        description = _text(document.get("description"))
        covers = _covers(description) if kind == "uk9" else None
        found.append(NoticeFacts(kind, title, description, on, reference, covers))
    return tuple(found)


def _covers(description: str) -> tuple[dt.date, dt.date] | None:
    """The period a UK9 notice covers, as its description says it ("... from 2025-06-01 to 2026-05-31")."""
    match = COVERS.search(description)
    if match is None:
        return None
    try:
        start, end = dt.date.fromisoformat(match[1]), dt.date.fromisoformat(match[2])
    except ValueError:
        return None
    return (start, end) if start <= end else None
