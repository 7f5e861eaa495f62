"""What is due across the portfolio: the fast path behind `commission due`.

It imports no ORM (see models/contract_queries.py) and builds no object per row; on the
embedded SQLite default it opens the file with the sqlite3 module and imports
no SQLAlchemy either. So it answers in under a second over a portfolio of
100,000 contracts, most of it the query itself.
"""

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from flows.common.settings import Settings
from models.contract_queries import iso, sqlite_due_rows
from models.revision import SCHEMA_REVISION
from policies.dates import local_date

# What each row of `due` says, in this order (the keys of `commission due --json`).
# A key date marked handled (flows/contracts/handling.py) says how in `handled` and is never `missed`.
FIELDS = (
    "contract", "title", "provider", "missed", "days_left", "key", "kind", "due_on", "action", "who", "guards",
    "handled",
)  # fmt: skip
DueRow = tuple[str, str, str, bool, int, str, str, str, str, str, str | None, str | None]


def due_table(
    settings: Settings,
    *,
    as_of: dt.datetime,
    within_days: int,
    providers: tuple[str, ...] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[DueRow]:
    """Key dates due in the next ``within_days``, soonest first, and deadlines already missed whose event
    (a break, an expiry) is still ahead, flagged ``missed``: one tuple per key date, in ``FIELDS`` order.
    ``providers`` keeps only those providers' contracts; ``limit`` and ``offset`` cut one page, in the query."""
    today = local_date(as_of, settings.timezone)
    rows = _rows(settings, _span(today, within_days), providers=providers, limit=limit, offset=offset)
    days_left: dict[str, int] = {}  # per due date: rows come in date order, a few hundred dates for 50,000 rows
    table: list[DueRow] = []
    add = table.append
    for ref, title, provider, key, kind, due_on, guards, action, who, handled in rows:
        day = iso(due_on) or ""
        left = days_left.get(day)
        if left is None:
            left = days_left[day] = (dt.date.fromisoformat(day) - today).days
        add(
            (
                ref,
                title,
                provider,
                left < 0 and handled is None,
                left,
                key,
                kind,
                day,
                action,
                who,
                iso(guards),
                handled,
            )
        )
    return _flag_missing_readings(settings, table)


def _flag_missing_readings(settings: Settings, table: list[DueRow]) -> list[DueRow]:
    """A quarterly monitoring date whose KPI readings are not all in says which are missing, in its action."""
    from flows.performance.monitoring import MONITORING, missing_readings, session_runner, sqlite_runner

    dates = [(row[0], dt.date.fromisoformat(row[7])) for row in table if row[6] == MONITORING]
    if not dates:
        return table
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    if settings.uses_default_sqlite and path.is_file():
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)) as db:
            said = missing_readings(sqlite_runner(db), dates)
    else:
        from flows.common.runtime import database
        from models.db import unit_of_work

        with unit_of_work(database(settings)) as session:
            said = missing_readings(session_runner(session), dates)
    if not said:
        return table
    out = []
    for row in table:
        gap = said.get((row[0], dt.date.fromisoformat(row[7]))) if row[6] == MONITORING else None
        out.append((*row[:8], f"{row[8]} - {gap}", *row[9:]) if gap else row)
    return out


def due(settings: Settings, *, as_of: dt.datetime, within_days: int, **narrow: Any) -> list[dict[str, Any]]:
    """``due_table`` as one dict per key date, keyed by ``FIELDS`` (``narrow``: providers, limit, offset)."""
    table = due_table(settings, as_of=as_of, within_days=within_days, **narrow)
    return [dict(zip(FIELDS, row, strict=True)) for row in table]


def due_days(
    settings: Settings,
    *,
    as_of: dt.datetime,
    within_days: int,
    first: dt.date,
    final: dt.date,
    providers: tuple[str, ...] | None = None,
) -> dict[dt.date, tuple[int, int]]:
    """Of ``due_table``'s key dates, those from ``first`` to ``final`` counted per day in the query, without
    reading them: {day: (key dates, missed)}. A month's calendar over 100,000 contracts needs only this."""
    from models.contract_queries import DUE_DAYS_SQL

    today = local_date(as_of, settings.timezone)
    rows = _rows(settings, _span(today, within_days), base=DUE_DAYS_SQL, bounds={"first": first, "final": final},
                 providers=providers)  # fmt: skip
    return {dt.date.fromisoformat(iso(day) or ""): (int(n), int(missed or 0)) for day, n, missed in rows}


def _span(today: dt.date, within_days: int) -> dict[str, dt.date]:
    window = dt.timedelta(days=within_days)
    return {"today": today, "last": today + window, "missed_since": today - window}


def _rows(settings: Settings, span: dict[str, dt.date], **narrow: Any) -> list[tuple[Any, ...]]:
    rows = _default_sqlite_rows(settings, **span, **narrow)
    if rows is None:
        from flows.common.runtime import database
        from models.contract_queries import due_rows

        rows = due_rows(database(settings), today=span["today"], last=span["last"],
                        missed_since=span["missed_since"], **narrow)  # fmt: skip
    return rows


def _default_sqlite_rows(
    settings: Settings, *, today: dt.date, last: dt.date, missed_since: dt.date, **narrow: Any
) -> list[tuple[Any, ...]] | None:
    """The rows read from the default SQLite file through the sqlite3 module, when it is there and at this
    schema; otherwise None, and the general path (flows.common.runtime.database) reads them or says what is wrong.

    Only reads: no transaction is begun, so unlike the general path it never waits for a writer's lock,
    and the one SELECT sees one committed state of the file.
    """
    if not settings.uses_default_sqlite:
        return None
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    if not path.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=5, isolation_level=None)) as db:
            if db.execute("SELECT version_num FROM alembic_version").fetchall() != [(SCHEMA_REVISION,)]:
                return None
            return sqlite_due_rows(db, today=today, last=last, missed_since=missed_since, **narrow)
    except sqlite3.Error:
        return None
