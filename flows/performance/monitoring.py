"""A missing KPI reading flagged at each contract-monitoring date, in `due` and in the reminder digest.

Rule: a quarterly monitoring meeting should have each KPI's reading for the
last period to end before it (policies/performance/periods.py,
``period_due_by``); a KPI whose contract had not started by that period's end
is not expected. The key date's action then ends with what is missing.

Worked example: Housing First's monitoring on 15 January 2027 with no reading
of "Tenancies sustained" for 2026-Q4 reads "Quarterly contract monitoring
meeting ... - no reading yet for 2026-Q4: Tenancies sustained".
"""

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from models.performance.missing import Run, kpis_and_readings
from policies.performance.kpis import Frequency
from policies.performance.periods import period_due_by

MONITORING = "quarterly_monitoring"


def missing_readings(run: Run, dates: Iterable[tuple[str, dt.date]]) -> dict[tuple[str, dt.date], str]:
    """For each (contract ref, monitoring date): the words saying which readings are missing, if any."""
    wanted = sorted(set(dates))
    if not wanted:
        return {}
    since = period_due_by(min(d for _, d in wanted), Frequency.QUARTERLY).start
    kpis, readings = kpis_and_readings(run, since)
    by_ref: dict[str, list[tuple[dt.date, int, str, Frequency]]] = {}
    for ref, start, kpi_id, name, definition in kpis:
        d = json.loads(definition) if isinstance(definition, str) else definition
        by_ref.setdefault(ref, []).append((as_date(start), int(kpi_id), str(name), Frequency(d["frequency"])))
    said: dict[tuple[str, dt.date], str] = {}
    for ref, day in wanted:
        gaps: dict[str, list[str]] = {}
        for start, kpi_id, name, frequency in by_ref.get(ref, []):
            period = period_due_by(day, frequency)
            if start <= period.end and (kpi_id, period.label) not in readings:
                gaps.setdefault(period.label, []).append(name)
        if gaps:
            said[(ref, day)] = "; ".join(f"no reading yet for {p}: {', '.join(names)}" for p, names in gaps.items())
    return said


def as_date(value: Any) -> dt.date:
    """A date as either database gives it back (ISO text from SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def sqlite_runner(connection: Any) -> Run:
    def sqlite(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        plain = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items()}  # as SQLite stores dates
        return list(connection.execute(sql, plain).fetchall())

    return sqlite


def session_runner(session: Any) -> Run:
    from sqlalchemy import text

    def sqlalchemy(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in session.execute(text(sql), params)]

    return sqlalchemy
