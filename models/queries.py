"""Portfolio-wide queries that return plain rows, for commands that must answer fast at scale.

They use SQL through the engine, not the ORM, so the command that runs them
imports neither SQLModel nor pydantic, and builds no objects per row.
"""

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

DUE_SQL = text("""
SELECT c.ref, c.title, c.provider, k.key, k.kind, k.due_on, k.guards, k.action, k.who
FROM contract_key_date k JOIN contract c ON c.id = k.contract_id
WHERE k.due_on BETWEEN :missed_since AND :last
  AND (k.due_on >= :today OR (k.guards IS NOT NULL AND k.guards >= :today))
  AND ((c.status <> 'terminated' AND c.ends_on >= :today) OR k.kind = 'termination_notice')
ORDER BY k.due_on, k.id
""")  # (due_on, id) is the index's own order: no sort step


def due_rows(engine: Engine, *, today: dt.date, last: dt.date, missed_since: dt.date) -> list[tuple[Any, ...]]:
    """Key dates due from ``today`` to ``last``, and deadlines missed since ``missed_since`` whose event is
    still ahead, for contracts not ended: one range query on the indexed due date.

    Dates come back as ISO text on SQLite and as dates on PostgreSQL; ``iso`` evens that out.
    """
    with engine.connect() as connection:
        # The driver's own cursor: SQLAlchemy's per-row Result handling doubled the time at 50,000 rows.
        compiled = DUE_SQL.compile(dialect=connection.dialect)
        params = compiled.construct_params({"today": today, "last": last, "missed_since": missed_since})
        if connection.dialect.name == "sqlite":
            params = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items()}
        order = compiled.positiontup or []
        positional = [params[name] for name in order] if compiled.positional else params
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(str(compiled), positional)
        return list(cursor.fetchall())


def iso(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()
