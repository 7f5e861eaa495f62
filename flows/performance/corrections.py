"""Correcting a reading, and a commissioner's rating in place of the computed one: each an event with before/after.

A corrected reading is rated again; an override stays in place (and is
shown beside the computed rating) until it is withdrawn. Other, and any
override, needs a reason (policies/performance/ratings.py).
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from models.contracts import get_contract
from models.db import unit_of_work
from models.events import append_event
from models.performance.repository import kpis_of, reading
from models.performance.tables import Kpi, KpiReading
from policies.performance.kpis import check_reading, kpi_from_public, parse_decimal
from policies.performance.periods import parse_period
from policies.performance.ratings import Rating, check_override, rate


def _find(session: Any, ref: str, kpi_name: str, period_text: str) -> tuple[Kpi, KpiReading]:
    contract = get_contract(session=session, ref=ref)
    if contract is None or contract.id is None:
        raise UserError(f"no contract with reference {ref!r}")
    kpis = {k.name.casefold(): k for k in kpis_of(session=session, contract_id=contract.id)}
    kpi = kpis.get(kpi_name.strip().casefold())
    if kpi is None or kpi.id is None:
        names = ", ".join(k.name for k in kpis.values()) or "none defined"
        raise UserError(f"{kpi_name!r} is not a KPI of {ref} (its KPIs: {names})")
    period, why = parse_period(period_text)
    if period is None:
        raise UserError(f"--period: {why}")
    found = reading(session=session, kpi_id=kpi.id, period=period.label)
    if found is None:
        raise UserError(
            f"{ref} has no reading of {kpi.name!r} for {period.label}; import it with `commission kpis import`"
        )
    return kpi, found


def _public(row: KpiReading) -> dict[str, Any]:
    return {
        "value": row.value,
        "rating": row.rating,
        "override": row.override_rating,
        "override_reason": row.override_reason,
    }


def correct_reading(
    settings: Settings, *, ref: str, kpi: str, period: str, value: str, reason: str, as_of: dt.datetime, actor: str
) -> dict[str, Any]:
    """Replace a reading's value (and so its rating), with the reason; return the before and after."""
    if not reason.strip():
        raise UserError("a correction needs a --reason, for the record")
    number, why = parse_decimal(value)
    if number is None:
        raise UserError(f"--value: {why}")
    with unit_of_work(database(settings)) as session:
        row, found = _find(session, ref, kpi, period)
        definition = kpi_from_public(row.definition)
        bad = check_reading(definition.unit, number)
        if bad:
            raise UserError(f"--value: {bad}")
        before = _public(found)
        if Decimal(found.value) == number:
            return {"contract": ref, "kpi": row.name, "period": found.period, "changed": False, **before}
        found.value, found.rating = str(number), rate(definition, number).value
        session.add(found)
        after = _public(found)
        append_event(session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=ref,
                     action="KpiReadingCorrected", reason=reason,
                     before={"kpi": row.name, "period": found.period, **before},
                     after={"kpi": row.name, "period": found.period, **after})  # fmt: skip
        return {
            "contract": ref,
            "kpi": row.name,
            "period": found.period,
            "changed": True,
            "before": before,
            "after": after,
        }


def override_rating(
    settings: Settings, *, ref: str, kpi: str, period: str, rating: str, reason: str, as_of: dt.datetime, actor: str
) -> dict[str, Any]:
    """Record a commissioner's rating for a reading (or, with rating "computed", withdraw one), with the reason."""
    withdraw = rating.strip().lower() == "computed"
    wanted = None if withdraw else Rating.parse(rating)
    if wanted is None and not withdraw:
        labels = ", ".join(r.label for r in Rating)
        raise UserError(
            f"--rating: {rating!r} is not a rating; use one of {labels} (or computed, to withdraw an override)"
        )
    with unit_of_work(database(settings)) as session:
        row, found = _find(session, ref, kpi, period)
        computed = Rating(found.rating)
        if wanted is not None:
            refused = check_override(computed, wanted, reason)
            if refused:
                raise UserError(refused)
        elif not reason.strip():
            raise UserError("withdrawing an override needs a reason, for the record")
        elif found.override_rating is None:
            raise UserError(f"{ref} {row.name} {found.period} has no override to withdraw")
        before = _public(found)
        found.override_rating = None if wanted is None else wanted.value
        found.override_reason = None if wanted is None else reason.strip()
        session.add(found)
        after = _public(found)
        action = "KpiRatingOverridden" if wanted is not None else "KpiRatingOverrideWithdrawn"
        append_event(session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=ref,
                     action=action, reason=reason,
                     before={"kpi": row.name, "period": found.period, **before},
                     after={"kpi": row.name, "period": found.period, **after})  # fmt: skip
        return {"contract": ref, "kpi": row.name, "period": found.period, "before": before, "after": after}
