"""The portfolio's performance: every contract with KPIs, its latest ratings, worst first, and whether its UK9
notice is overdue; as rows for the screen, JSON, CSV or XLSX.

Worst first: by the worst latest rating on the scale, then by how many KPIs
carry it (policies/performance/ratings.py); ratings are never averaged. A
contract's UK9 is overdue when the next one (12 months after the last period a
published notice covered, or after the start; or by its last day, on termination or at expiry, if sooner)
was due before today.
"""

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import text

from flows.common.runtime import database
from flows.common.settings import Settings
from models.db import unit_of_work
from models.performance.repository import latest_readings
from models.reminders.tables import as_date
from policies.dates import local_date
from policies.performance.periods import uk9_next_due
from policies.performance.ratings import Rating, worst, worst_first_key

CONTRACTS_WITH_KPIS = text(
    """
    SELECT c.ref, c.title, c.provider, c.start, c.status, c.ends_on,
           (SELECT MAX(n.period_end) FROM contract_notice n
            WHERE n.contract_id = c.id AND n.kind = 'uk9' AND n.status = 'published')
    FROM contract c WHERE EXISTS (SELECT 1 FROM kpi k WHERE k.contract_id = c.id)
    """
)
EXPORT_HEADER = ("contract", "title", "provider", "kpi", "period", "value", "rating", "uk9_next_due", "uk9_overdue")


def portfolio(settings: Settings, *, as_of: dt.datetime) -> list[dict[str, Any]]:
    """One entry per contract with KPIs: its latest ratings and UK9 state, worst first."""
    today = local_date(as_of, settings.timezone)
    with unit_of_work(database(settings)) as session:
        contracts = list(session.execute(CONTRACTS_WITH_KPIS))
        latest = latest_readings(session=session)
    ratings: dict[str, list[dict[str, Any]]] = {}
    for ref, _title, _provider, kpi, period, value, rating in latest:
        ratings.setdefault(ref, []).append(
            {"kpi": kpi, "period": period, "value": value, "rating": rating, "rating_label": Rating(rating).label}
        )
    entries = []
    for ref, title, provider, start, status, ends_on, covered in contracts:
        began = as_date(start)
        last_day = as_date(ends_on)  # a UK9 is due by the contract's end too: on termination, or at expiry
        due = uk9_next_due(began, as_date(covered) if covered is not None else None, last_day)
        mine = ratings.get(ref, [])
        bad = worst([Rating(r["rating"]) for r in mine])
        entries.append({
            "contract": ref, "title": title, "provider": provider, "status": status,
            "worst": bad.value if bad else None, "ratings": mine,
            "uk9_next_due": due.isoformat() if due else None,
            "uk9_overdue": due is not None and due < today and began <= today,
        })  # fmt: skip
    entries.sort(key=lambda e: (worst_first_key([Rating(r["rating"]) for r in e["ratings"]]), e["contract"]))
    return entries


def export_rows(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """One row per KPI (a contract with no reading yet: one row with the KPI columns empty)."""
    rows: list[tuple[Any, ...]] = []
    for e in entries:
        tail = (e["uk9_next_due"] or "", "yes" if e["uk9_overdue"] else "no")
        for r in e["ratings"] or [None]:
            head = (e["contract"], e["title"], e["provider"])
            rows.append((*head, *((r["kpi"], r["period"], r["value"], r["rating_label"]) if r else ("",) * 4), *tail))
    return rows


def export(entries: list[dict[str, Any]], path: Path) -> None:
    """Write the portfolio to a CSV or an Excel workbook, whole or not at all."""
    from flows.common.listing import export as write

    write(path, "Performance", list(EXPORT_HEADER), export_rows(entries))
