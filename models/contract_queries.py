"""Portfolio-wide queries that return plain rows, for commands that must answer fast at scale.

They are SQL run on the driver's own cursor, not the ORM, so the command that
runs them imports neither SQLModel nor pydantic, and builds no objects per row.
"""

import datetime as dt
import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# Named parameters in sqlite3's own style, so SQLite runs it as written; other drivers get it compiled.
DUE_FROM = """
FROM contract_key_date k JOIN contract c ON c.id = k.contract_id
LEFT JOIN key_date_handled h ON h.contract_id = k.contract_id AND h.key = k.key AND h.due_on = k.due_on
WHERE k.due_on BETWEEN :missed_since AND :last
  AND (k.due_on >= :today OR (k.guards IS NOT NULL AND k.guards >= :today))
  AND ((c.status <> 'terminated' AND c.ends_on >= :today) OR k.kind = 'termination_notice')
  AND (k.kind NOT IN ('performance_notice', 'breach_notice')
       OR NOT EXISTS (SELECT 1 FROM contract_notice n WHERE n.contract_id = k.contract_id
                      AND n.satisfies_key = k.key AND n.status = 'published'))
"""  # A notice published satisfies its key date; a key date marked handled (flows/contracts/handling.py) comes
# with how it was handled.
DUE_SQL = (
    "SELECT c.ref, c.title, c.provider, k.key, k.kind, k.due_on, k.guards, k.action, k.who, h.handled_as"
    + DUE_FROM
    + "ORDER BY k.due_on, k.id"
)  # (due_on, id) is the index's own order: no sort step, so a page (LIMIT) stops reading at its last row.
# Per day: the key dates and how many of them were missed (a day before today, not handled).
DUE_DAYS_SQL = (
    "SELECT k.due_on, count(*), sum(CASE WHEN k.due_on < :today AND h.handled_as IS NULL THEN 1 ELSE 0 END)"
    + DUE_FROM
    + "AND k.due_on BETWEEN :first AND :final GROUP BY k.due_on ORDER BY k.due_on"
)


def due_query(
    base: str,
    window: dict[str, Any],
    *,
    providers: tuple[str, ...] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[str, dict[str, Any]]:
    """``base`` (DUE_SQL or DUE_DAYS_SQL) narrowed to ``providers`` (in the query, so another provider's key
    dates are never read) and cut to ``limit`` rows from ``offset``, with its parameters."""
    sql, params = base, dict(window)
    if providers is not None:
        names = list(providers) or [""]
        params.update({f"provider_{i}": name for i, name in enumerate(names)})
        listed = ", ".join(f":provider_{i}" for i in range(len(names)))
        sql = sql.replace("\nWHERE ", f"\nWHERE c.provider IN ({listed}) AND ", 1)
    if limit is not None:
        sql += " LIMIT :limit OFFSET :offset"
        params.update({"limit": limit, "offset": offset})
    return sql, params  # fmt: skip


def due_rows(
    engine: "Engine", *, today: dt.date, last: dt.date, missed_since: dt.date, base: str = DUE_SQL, **narrow: Any
) -> list[tuple[Any, ...]]:
    """Key dates due from ``today`` to ``last``, and deadlines missed since ``missed_since`` whose event is
    still ahead, for contracts not ended: one range query on the indexed due date (``narrow``: see due_query).

    Dates come back as ISO text on SQLite and as dates on PostgreSQL; ``iso`` evens that out.
    """
    from sqlalchemy import text

    with engine.connect() as connection:
        # The driver's own cursor: SQLAlchemy's per-row Result handling doubled the time at 50,000 rows.
        driver_connection: Any = connection.connection.driver_connection
        if connection.dialect.name == "sqlite":
            return sqlite_due_rows(driver_connection, today=today, last=last, missed_since=missed_since, base=base,
                                   **narrow)  # fmt: skip
        window = {"today": today, "last": last, "missed_since": missed_since, **narrow.pop("bounds", {})}
        sql, values = due_query(base, window, **narrow)
        compiled = text(sql).compile(dialect=connection.dialect)
        params = compiled.construct_params(values)
        order = compiled.positiontup or []
        positional = [params[name] for name in order] if compiled.positional else params
        cursor = driver_connection.cursor()
        cursor.execute(str(compiled), positional)
        return list(cursor.fetchall())


MMAP_BYTES = 1 << 30


def sqlite_due_rows(
    connection: sqlite3.Connection,
    *,
    today: dt.date,
    last: dt.date,
    missed_since: dt.date,
    base: str = DUE_SQL,
    **narrow: Any,
) -> list[tuple[Any, ...]]:
    """``due_rows`` on a sqlite3 connection. SQLite stores dates as ISO text, so they are compared as text.

    The file is read memory-mapped for this query: its 50,000 rows over a portfolio sit on some 150,000
    scattered pages, and reading each with a system call was a third of the query's time.
    """
    window = {"today": today.isoformat(), "last": last.isoformat(), "missed_since": missed_since.isoformat()}
    window.update({k: v.isoformat() for k, v in narrow.pop("bounds", {}).items()})
    sql, params = due_query(base, window, **narrow)
    (previous,) = connection.execute("PRAGMA mmap_size").fetchone() or (0,)
    connection.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.execute(f"PRAGMA mmap_size={int(previous)}")  # fmt: skip


def iso(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()
