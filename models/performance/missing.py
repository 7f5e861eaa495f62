"""Which KPI readings a contract-monitoring date should have and has not: plain SQL, run through whichever
connection the caller holds (sqlite3 for `due`'s fast path, or a SQLAlchemy session).

The queries use only :named parameters, which sqlite3 and SQLAlchemy's text() both take.
"""

from collections.abc import Callable
from typing import Any

Run = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]

ANY_KPI = "SELECT EXISTS (SELECT 1 FROM kpi)"
KPIS = (
    "SELECT c.ref, c.start, k.id, k.name, k.definition FROM kpi k JOIN contract c ON c.id = k.contract_id "
    "ORDER BY c.ref, k.name"
)
READINGS_SINCE = "SELECT kpi_id, period FROM kpi_reading WHERE period_end >= :since"


def kpis_and_readings(run: Run, since: Any) -> tuple[list[tuple[Any, ...]], set[tuple[int, str]]]:
    """Every KPI (ref, start, id, name, definition) and the (kpi id, period) of every reading since ``since``;
    nothing at all when no contract has a KPI (one look-up)."""
    if not run(ANY_KPI, {})[0][0]:
        return [], set()
    return run(KPIS, {}), {(int(k), str(p)) for k, p in run(READINGS_SINCE, {"since": since})}
