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
DUE_SQL = """
SELECT c.ref, c.title, c.provider, k.key, k.kind, k.due_on, k.guards, k.action, k.who, h.handled_as
FROM contract_key_date k JOIN contract c ON c.id = k.contract_id
LEFT JOIN key_date_handled h ON h.contract_id = k.contract_id AND h.key = k.key AND h.due_on = k.due_on
WHERE k.due_on BETWEEN :missed_since AND :last
  AND (k.due_on >= :today OR (k.guards IS NOT NULL AND k.guards >= :today))
  AND ((c.status <> 'terminated' AND c.ends_on >= :today) OR k.kind = 'termination_notice')
  AND (k.kind NOT IN ('performance_notice', 'breach_notice')
       OR NOT EXISTS (SELECT 1 FROM contract_notice n WHERE n.contract_id = k.contract_id
                      AND n.satisfies_key = k.key AND n.status = 'published'))
ORDER BY k.due_on, k.id
"""  # (due_on, id) is the index's own order: no sort step. A notice published satisfies its key date; a key date
# marked handled (flows/contracts/handling.py) comes with how it was handled.


def due_rows(engine: "Engine", *, today: dt.date, last: dt.date, missed_since: dt.date) -> list[tuple[Any, ...]]:
    """Key dates due from ``today`` to ``last``, and deadlines missed since ``missed_since`` whose event is
    still ahead, for contracts not ended: one range query on the indexed due date.

    Dates come back as ISO text on SQLite and as dates on PostgreSQL; ``iso`` evens that out.
    """
    from sqlalchemy import text

    with engine.connect() as connection:
        # The driver's own cursor: SQLAlchemy's per-row Result handling doubled the time at 50,000 rows.
        driver_connection: Any = connection.connection.driver_connection
        if connection.dialect.name == "sqlite":
            return sqlite_due_rows(driver_connection, today=today, last=last, missed_since=missed_since)
        compiled = text(DUE_SQL).compile(dialect=connection.dialect)
        params = compiled.construct_params({"today": today, "last": last, "missed_since": missed_since})
        order = compiled.positiontup or []
        positional = [params[name] for name in order] if compiled.positional else params
        cursor = driver_connection.cursor()
        cursor.execute(str(compiled), positional)
        return list(cursor.fetchall())


MMAP_BYTES = 1 << 30


def sqlite_due_rows(
    connection: sqlite3.Connection, *, today: dt.date, last: dt.date, missed_since: dt.date
) -> list[tuple[Any, ...]]:
    """``due_rows`` on a sqlite3 connection. SQLite stores dates as ISO text, so they are compared as text.

    The file is read memory-mapped for this query: its 50,000 rows over a portfolio sit on some 150,000
    scattered pages, and reading each with a system call was a third of the query's time.
    """
    window = {"today": today.isoformat(), "last": last.isoformat(), "missed_since": missed_since.isoformat()}
    (previous,) = connection.execute("PRAGMA mmap_size").fetchone() or (0,)
    connection.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    try:
        return connection.execute(DUE_SQL, window).fetchall()
    finally:
        connection.execute(f"PRAGMA mmap_size={int(previous)}")


def iso(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()
