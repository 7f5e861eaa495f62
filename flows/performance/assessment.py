"""A contract's performance as a commissioner reads it: each KPI, its readings and ratings, and the latest.

A period's assessment rates every KPI on its own; the contract's view lists
them side by side and is never averaged into one number. A commissioner's
override is shown in place of the computed rating, with the computed one and
the reason beside it.
"""

from typing import Any

from sqlmodel import Session

from models.performance.repository import exemption_of, kpis_of, latest_readings, readings_of
from models.performance.tables import KpiReading
from policies.performance.kpis import kpi_from_public
from policies.performance.ratings import Rating


def reading_public(row: KpiReading) -> dict[str, Any]:
    rating = Rating(row.override_rating or row.rating)
    return {
        "period": row.period,
        "period_start": row.period_start.isoformat(),
        "period_end": row.period_end.isoformat(),
        "value": row.value,
        "rating": rating.value,
        "rating_label": rating.label,
        "computed": row.rating,
        "override_reason": row.override_reason,
    }


def contract_performance(session: Session, contract_id: int) -> dict[str, Any]:
    """Every KPI of a contract with its definition, readings (oldest first) and latest rating."""
    kpis = kpis_of(session=session, contract_id=contract_id)
    by_kpi: dict[int, list[KpiReading]] = {}
    for row in readings_of(session=session, kpi_ids=[k.id for k in kpis if k.id is not None]):
        by_kpi.setdefault(row.kpi_id, []).append(row)
    shown = []
    for kpi in kpis:
        readings = [reading_public(r) for r in by_kpi.get(kpi.id or 0, [])]
        shown.append(
            {
                **kpi_from_public(kpi.definition).public(),
                "readings": readings,
                "latest": readings[-1] if readings else None,
            }
        )
    exemption = exemption_of(session=session, contract_id=contract_id)
    return {
        "kpis": shown,
        "kpi_exemption": None if exemption is None else {"exemption": exemption.exemption, "reason": exemption.reason},
    }


def latest_ratings(session: Session, contract_id: int) -> list[dict[str, Any]]:
    """Each KPI's latest reading and rating (KPIs with no reading yet are left out)."""
    return [
        {"kpi": k["name"], **k["latest"]} for k in contract_performance(session, contract_id)["kpis"] if k["latest"]
    ]


def inadequate_warning(latest: list[dict[str, Any]]) -> str | None:
    """The warning `decide extend` gives when the latest assessment has any Inadequate rating."""
    bad = [f"{r['kpi']} ({r['period']}: {r['value']})" for r in latest if r["rating"] == Rating.INADEQUATE.value]
    if not bad:
        return None
    return "the latest performance assessment rates Inadequate: " + "; ".join(bad)


def review_findings(session: Session, project_id: int) -> list[str]:
    """The latest ratings of a project's contracts, one finding per contract, for the Review stage's flow."""
    by_contract: dict[str, list[str]] = {}
    for ref, _title, _provider, kpi, period, value, rating in latest_readings(session=session, project_id=project_id):
        by_contract.setdefault(ref, []).append(f"{kpi} {Rating(rating).label} ({period}: {value})")
    return [f"Performance of {ref}, latest ratings: " + "; ".join(said) for ref, said in by_contract.items()]
